"""Benchmarks of the paper processor; `make bench` runs pipeline.py."""

"""`python -m ...paper_processor.cli ARGS`: the console script, from this checkout."""

from . import main

main()

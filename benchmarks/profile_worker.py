"""Where a converter worker's time goes: text-layer conversion before and after, side by side.

Builds the converter and the quality checker as a worker does (in this process, which then is
the worker), converts papers of `../shared/data/papers` with each setup, and prints:
- `wall_s` and `cpu_s`: without the profiler, the sum over the papers of each paper's best
  conversion (of `--rounds`, the setups alternating paper by paper), in wall seconds and in CPU
  seconds of this process and of the processes it started (pdftext's pool); CPU time counts
  the conversion's own work, whatever else runs on the machine;
- `stages_s`: the cumulative seconds of each stage under cProfile (which inflates Python-heavy
  stages): pdftext's text extraction (and its process pool), ftfy, the layout stage, marker's
  page images, its processors and renderer, the quality check.

"before" and "after" are pipeline.PER_WORKER_SETUPS: marker's converter as issue 14 found it
(pdftext_workers=4, marker's default; text-layer mode untrimmed; Python's collector at its
defaults), and the worker's setting (1; trimmed: conversion/text_layer/; cyclic_gc.py). The
collector's freeze is process-wide, so it is applied around each conversion of a setup that has
it (after a full collection, outside the clock) and undone after.

    python -m benchmarks.profile_worker [--papers 8] [--rounds 2] [--setups before,after] [--top 0]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import pstats
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pypdfium2

from benchmarks.pipeline import PER_WORKER_SETUPS
from workflows.research.academic_lit_review.paper_processor.context import Context
from workflows.research.academic_lit_review.paper_processor.conversion import cyclic_gc
from workflows.research.academic_lit_review.paper_processor.conversion.worker import (
    Job,
    WorkerSpec,
    build_checker,
    build_converter,
    convert_document,
)

CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "papers"
# Stage -> (the end of its file's path, or of any of them; its function): its cumulative time.
STAGES = {
    "pdftext extraction": ("marker/providers/pdf.py", "pdftext_extraction"),
    "pdftext process pool (waiting on it)": (
        "concurrent/futures/process.py",
        "_chain_from_iterable_of_lists",
    ),
    "document build (providers, builders, layout stage)": (
        ("marker/converters/pdf.py", "text_layer/converter.py"),
        "build_document",
    ),
    "layout stage": ("conversion/layout/builder.py", "__call__"),
    "page images for marker": ("marker/providers/pdf.py", "get_images"),
    "ftfy": ("ftfy/__init__.py", "fix_text"),
    "renderer": ("marker/renderers/markdown.py", "__call__"),
    "quality check": ("conversion/quality/checker.py", "check"),
}

SETUPS = PER_WORKER_SETUPS


@dataclass
class Built:
    """One setup's converter and quality stage, in this process."""

    converter: object
    checker: object
    freeze_gc: bool


def corpus_pdfs(count: int) -> list[Path]:
    return sorted(CORPUS.resolve().rglob("*.pdf"))[:count]


@contextmanager
def worker_gc(built: Built):
    """This process's collector as the setup's worker has it: frozen or not (outside the clock)."""
    if built.freeze_gc:
        cyclic_gc.freeze_long_lived()
    try:
        yield
    finally:
        gc.unfreeze()


def convert(built: Built, pdf: Path, out: str, profile=None) -> int:
    count = len(pypdfium2.PdfDocument(pdf))
    job = Job(str(pdf), f"{out}/{pdf.stem}.md", pages=count)
    if profile is not None:
        profile.enable()
    convert_document(built.converter, built.checker, job, pause_gc=built.freeze_gc)
    if profile is not None:
        profile.disable()
    return count


def _cpu_s() -> float:
    """CPU seconds of this process and of its children that ended (pdftext's pools)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def build(setup: str) -> Built:
    ctx = Context()
    spec = WorkerSpec(
        converter="marker",
        mode="text_layer",
        font_path=ctx.resolved_font_path(),
        check_quality=True,
        ocr_engine=ctx.ocr_engine,
        **SETUPS[setup],
    )
    converter = build_converter(spec)  # frozen per conversion (convert), not here
    return Built(converter, build_checker(spec, converter), spec.freeze_gc)


def best_times(built: dict, pdfs: list[Path], rounds: int, out: str) -> dict:
    """Per setup: pages, and the sums over the papers of each paper's best wall and CPU seconds,
    the setups alternating paper by paper (other load on the machine hits both alike)."""
    best = {setup: {"pages": 0, "wall_s": 0.0, "cpu_s": 0.0} for setup in built}
    for pdf in pdfs:
        walls: dict[str, list[float]] = {setup: [] for setup in built}
        cpus: dict[str, list[float]] = {setup: [] for setup in built}
        for _round in range(rounds):
            for setup, setup_built in built.items():
                with worker_gc(setup_built):
                    wall, cpu = time.perf_counter(), _cpu_s()
                    pages = convert(setup_built, pdf, out)
                    walls[setup].append(time.perf_counter() - wall)
                    cpus[setup].append(_cpu_s() - cpu)
        for setup in built:
            best[setup]["pages"] += pages
            best[setup]["wall_s"] += min(walls[setup])
            best[setup]["cpu_s"] += min(cpus[setup])
    return best


def stage_seconds(built: Built, pdfs: list[Path], out: str, top: int) -> dict:
    profile = cProfile.Profile()
    with worker_gc(built):
        for pdf in pdfs:
            convert(built, pdf, out, profile)
    stats = pstats.Stats(profile)
    if top:
        stats.sort_stats("cumulative").print_stats(top)
    return {
        name: round(
            sum(
                row[3]
                for (filename, _line, called), row in stats.stats.items()
                if called == function and filename.endswith(path_end)
            ),
            2,
        )
        for name, (path_end, function) in STAGES.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2, help="timed conversions per paper")
    parser.add_argument("--setups", default="before,after")
    parser.add_argument("--top", type=int, default=0, help="print cProfile's top N functions")
    args = parser.parse_args()
    pdfs = corpus_pdfs(args.papers)
    built = {setup: build(setup) for setup in args.setups.split(",")}
    results: dict = {}
    with tempfile.TemporaryDirectory() as out:
        for setup_built in built.values():  # warm: imports, caches
            convert(setup_built, pdfs[0], out)
        for setup, best in best_times(built, pdfs, args.rounds, out).items():
            results[setup] = {
                **SETUPS[setup],
                "pages": best["pages"],
                "wall_s": round(best["wall_s"], 2),
                "cpu_s": round(best["cpu_s"], 2),
                "pages_per_s": round(best["pages"] / best["wall_s"], 3),
                "pages_per_cpu_s": round(best["pages"] / best["cpu_s"], 3),
                "stages_s": stage_seconds(built[setup], pdfs, out, args.top),
            }
    for setup_built in built.values():
        setup_built.converter.close()
    if {"before", "after"} <= results.keys():
        results["ratio"] = {
            per: round(results["after"][per] / results["before"][per], 3)
            for per in ("pages_per_s", "pages_per_cpu_s")
        }
    print(json.dumps({"papers": len(pdfs), "rounds": args.rounds, **results}))


if __name__ == "__main__":
    main()

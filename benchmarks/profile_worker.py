"""Where a converter worker's time goes: text-layer conversion before and after, side by side.

Builds the converter and the quality checker as a worker does (in this process, which then is
the worker), converts papers of `../shared/data/papers` with each setup, and prints:
- `cpu_s`: CPU seconds over the papers, without the profiler, of this process and of the
  processes it started (pdftext's pool): what the speed-up is read from, as CPU time counts the
  conversion's own work, whatever else runs on the machine;
- `stages_s`: the cumulative seconds of each stage under cProfile (which inflates Python-heavy
  stages): pdftext's text extraction (and its process pool), ftfy, the layout stage, marker's
  page images, its processors and renderer, the quality check.

"before" is marker's converter as issue 14 found it (pdftext_workers=4, marker's default; text-
layer mode untrimmed); "after" is the worker's setting (1, trimmed: conversion/text_layer/).

    python -m benchmarks.profile_worker [--papers 8] [--setups before,after] [--top 0]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import tempfile
import time
from pathlib import Path

import pypdfium2

from workflows.research.academic_lit_review.paper_processor.context import Context
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


SETUPS = {
    "before": {"pdftext_workers": 4, "trim_text_layer": False},
    "after": {"pdftext_workers": 1, "trim_text_layer": True},
}


def corpus_pdfs(count: int) -> list[Path]:
    return sorted(CORPUS.resolve().rglob("*.pdf"))[:count]


def convert_all(converter, checker, pdfs: list[Path], out: str, profile=None) -> int:
    pages = 0
    for number, pdf in enumerate(pdfs):
        count = len(pypdfium2.PdfDocument(pdf))
        job = Job(str(pdf), f"{out}/{number}.md", pages=count)
        if profile is not None:
            profile.enable()
        convert_document(converter, checker, job)
        if profile is not None:
            profile.disable()
        pages += count
    return pages


def _cpu_s() -> float:
    """CPU seconds of this process and of its children that ended (pdftext's pools)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def measure(setup: str, pdfs: list[Path], top: int) -> dict:
    ctx = Context()
    spec = WorkerSpec(
        converter="marker",
        mode="text_layer",
        font_path=ctx.resolved_font_path(),
        check_quality=True,
        ocr_engine=ctx.ocr_engine,
        **SETUPS[setup],
    )
    converter = build_converter(spec)
    checker = build_checker(spec, converter)
    with tempfile.TemporaryDirectory() as out:
        convert_all(converter, checker, pdfs[:1], out)  # warm: imports, caches
        wall, cpu = time.perf_counter(), _cpu_s()
        pages = convert_all(converter, checker, pdfs, out)
        wall, cpu = time.perf_counter() - wall, _cpu_s() - cpu
        profile = cProfile.Profile()
        convert_all(converter, checker, pdfs, out, profile)
    converter.close()
    stats = pstats.Stats(profile)
    stages = {}
    for name, (path_end, function) in STAGES.items():
        stages[name] = round(
            sum(
                row[3]
                for (filename, _line, called), row in stats.stats.items()
                if called == function and filename.endswith(path_end)
            ),
            2,
        )
    if top:
        stats.sort_stats("cumulative").print_stats(top)
    return {
        **SETUPS[setup],
        "pages": pages,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "pages_per_cpu_s": round(pages / cpu, 3),
        "stages_s": stages,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=8)
    parser.add_argument("--setups", default="before,after")
    parser.add_argument("--top", type=int, default=0, help="print cProfile's top N functions")
    args = parser.parse_args()
    pdfs = corpus_pdfs(args.papers)
    results = {setup: measure(setup, pdfs, args.top) for setup in args.setups.split(",")}
    if {"before", "after"} <= results.keys():
        results["ratio"] = round(
            results["after"]["pages_per_cpu_s"] / results["before"]["pages_per_cpu_s"], 3
        )
    print(json.dumps({"papers": len(pdfs), **results}))


if __name__ == "__main__":
    main()

"""Where a converter worker's time goes: cProfile over text-layer conversion, stage by stage.

Builds the converter and the quality checker as a worker does (in this process, which then is
the worker), converts papers of `../shared/data/papers`, and prints the cumulative seconds of
each stage: pdftext's text extraction (and its process pool), the layout stage, marker's
processors and renderer, the quality check. `--pdftext-workers 4` is marker's default (before);
1 is the worker's setting (after).

    python -m benchmarks.profile_worker [--papers 8] [--pdftext-workers 1] [--top 25]
"""

from __future__ import annotations

import argparse
import cProfile
import json
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
# Stage -> (the end of its file's path, its function): that function's cumulative time.
STAGES = {
    "pdftext extraction": ("marker/providers/pdf.py", "pdftext_extraction"),
    "pdftext process pool (waiting on it)": (
        "concurrent/futures/process.py",
        "_chain_from_iterable_of_lists",
    ),
    "document build (providers, builders, layout stage)": (
        "marker/converters/pdf.py",
        "build_document",
    ),
    "layout stage": ("conversion/layout/builder.py", "__call__"),
    "page images for marker": ("marker/providers/pdf.py", "get_images"),
    "renderer": ("marker/renderers/markdown.py", "__call__"),
    "quality check": ("conversion/quality/checker.py", "check"),
}


def corpus_pdfs(count: int) -> list[Path]:
    return sorted(CORPUS.resolve().rglob("*.pdf"))[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=8)
    parser.add_argument("--pdftext-workers", type=int, default=1)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    ctx = Context()
    spec = WorkerSpec(
        converter="marker",
        mode="text_layer",
        font_path=ctx.resolved_font_path(),
        check_quality=True,
        ocr_engine=ctx.ocr_engine,
        pdftext_workers=args.pdftext_workers,
    )
    converter = build_converter(spec)
    checker = build_checker(spec, converter)
    pdfs = corpus_pdfs(args.papers)
    pages = 0
    profile = cProfile.Profile()
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        for number, pdf in enumerate(pdfs):
            count = len(pypdfium2.PdfDocument(pdf))
            job = Job(str(pdf), f"{out}/{number}.md", pages=count)
            profile.enable()
            convert_document(converter, checker, job)
            profile.disable()
            pages += count
        wall = time.perf_counter() - started
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
    stats.sort_stats("cumulative").print_stats(args.top)
    print(
        json.dumps(
            {
                "pdftext_workers": args.pdftext_workers,
                "papers": len(pdfs),
                "pages": pages,
                "seconds": round(wall, 2),
                "pages_per_s": round(pages / wall, 2),
                "stages_s": stages,
            }
        )
    )


if __name__ == "__main__":
    main()

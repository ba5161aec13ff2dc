"""Benchmark: how readable the markdown of text-layer mode is, and what the layout stage costs.

    .venv/bin/python benchmarks/fidelity.py [--papers DIR] [--anchor] [--limit N] [--keep DIR]
        [--scans [--scan-papers N] [--scan-pages N]]

Converts every PDF with a text layer under `--papers` (default `../shared/data/papers`) with the
package's converter (`MarkerConverter`, text-layer mode, layout stage on), once as the papers are
and once from copies stripped of their outlines (bookmarks), and scores the markdown with
`../shared/tools/md_quality.py` against the original PDFs (its text layer and outline are the
truth). The old text-layer path (one Text block per page, no layout stage) converts each paper
right beside the new one in the same process, so pages/s of both are measured under the same
load. `--anchor` also converts with pymupdf4llm (`pip install '.[anchor]'`) and scores it beside.
`--scans` also rasterizes the papers (150 dpi, no text layer) and converts them through the
package, OCR included (`benchmarks/scans.py`): word coverage against the originals, OCR pages/s.

The last line printed is one JSON object:
`{"package": {...}, "stripped": {...}, "anchor": {...} | null,
  "pages_per_s": {"text_layer_before": x, "text_layer": y},
  "scans": {"coverage": c, "pages_per_s": z, ...}}` (scans only with --scans).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

PROJECT_ROOT = Path(__file__).resolve().parents[1]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

SHARED = PROJECT_ROOT.parent / "shared"
FIGURES = ("coverage", "head_recall", "head_lines", "para_med", "walls", "long_tokens", "repeats")
_MIN_CHARS_PER_PAGE = 50  # fewer: a scan without a text layer (text-layer mode cannot read it)


def _md_quality() -> ModuleType:
    path = SHARED / "tools" / "md_quality.py"
    if not path.exists():
        sys.exit(f"fidelity: {path} not found (the shared tools live beside the project)")
    spec = importlib.util.spec_from_file_location("md_quality", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _text_pdfs(root: Path, quality: ModuleType) -> list[Path]:
    import pypdfium2

    found = []
    for pdf in (Path(p) for p in quality.pdfs_under(str(root))):
        doc = pypdfium2.PdfDocument(str(pdf))
        try:
            pages = len(doc)
            chars = sum(len(doc[i].get_textpage().get_text_range()) for i in range(min(pages, 3)))
        finally:
            doc.close()
        if chars >= _MIN_CHARS_PER_PAGE * min(pages, 3):
            found.append(pdf)
        else:
            print(f"  skipped {pdf.name}: no text layer (a scan)")
    return found


class _OldTextLayer:
    """The text-layer path before the layout stage: one Text block per page."""

    def __init__(self, models: dict) -> None:
        from marker.converters.pdf import PdfConverter
        from marker.output import text_from_rendered

        config = {"mode": "fast", "disable_ocr": True, "force_layout_block": "Text"}
        self._converter = PdfConverter(artifact_dict=models, config=config)
        self._text = text_from_rendered

    def convert(self, pdf: Path, out: Path) -> int:
        rendered = self._converter(str(pdf))
        out.write_text(self._text(rendered)[0], encoding="utf-8")
        return int(self._converter.page_count or 0)


def _timed(convert, pdf: Path, out: Path) -> tuple[int, float]:
    started = time.perf_counter()
    pages = convert(pdf, out)
    return pages, time.perf_counter() - started


def _score(quality: ModuleType, pairs: list[tuple[Path, Path]]) -> tuple[list[dict], dict]:
    rows = [quality.score(str(pdf), md.read_text(encoding="utf-8")) for pdf, md in pairs]
    mean: dict = {}
    for key in FIGURES:
        values = [r[key] for r in rows if r[key] is not None]
        mean[key] = round(statistics.mean(values), 4) if values else None
    mean["coverage_min"] = min((r["coverage"] for r in rows), default=None)
    mean["documents"] = len(rows)
    mean["with_outline"] = sum(r["head_recall"] is not None for r in rows)
    return rows, mean


def _anchor_convert(pdf: Path, out: Path) -> None:
    import pymupdf4llm

    out.write_text(pymupdf4llm.to_markdown(str(pdf)), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=Path, default=SHARED / "data" / "papers")
    parser.add_argument("--anchor", action="store_true", help="also convert with pymupdf4llm")
    parser.add_argument("--limit", type=int, default=0, help="only the first N papers")
    parser.add_argument("--keep", type=Path, help="write the markdown here (else a temp dir)")
    parser.add_argument(
        "--scans",
        action="store_true",
        help="also OCR image-only copies through the package (benchmarks/scans.py)",
    )
    parser.add_argument("--scan-papers", type=int, help="--scans: only the first N papers")
    parser.add_argument("--scan-pages", type=int, help="--scans: only their first N pages")
    args = parser.parse_args(argv)
    if not args.papers.is_dir():
        sys.exit(f"fidelity: {args.papers} not found")
    if args.anchor and importlib.util.find_spec("pymupdf4llm") is None:
        sys.exit("fidelity: --anchor needs pymupdf4llm: pip install '.[anchor]'")

    from workflows.research.academic_lit_review.paper_processor.context import Context

    font = Context().resolved_font_path()
    if font:
        os.environ.setdefault("FONT_PATH", font)  # before marker loads its settings
    from workflows.research.academic_lit_review.paper_processor.conversion import worker

    quality = _md_quality()
    pdfs = _text_pdfs(args.papers, quality)
    if args.limit:
        pdfs = pdfs[: args.limit]
    with tempfile.TemporaryDirectory(prefix="fidelity-") as tmp:
        work = args.keep or Path(tmp)
        stripped_root = Path(tmp) / "stripped"
        quality.copy_pages(str(args.papers), str(stripped_root))
        for sub in ("package", "stripped", "before", "anchor"):
            (work / sub).mkdir(parents=True, exist_ok=True)

        spec = worker.WorkerSpec(converter="marker", mode="text_layer", font_path=font)
        package = worker.MarkerConverter(spec)
        old = _OldTextLayer(package._models)  # the same loaded models: only the layout differs

        def new_convert(pdf: Path, out: Path) -> int:
            return package.convert(worker.Job(pdf_path=str(pdf), out_path=str(out)))

        # Warm both paths once (first-call costs are no per-page cost of either).
        new_convert(pdfs[0], work / "warm.md")
        old.convert(pdfs[0], work / "warm.md")

        seconds = {"before": 0.0, "package": 0.0}
        pages_total = 0
        pairs: dict[str, list[tuple[Path, Path]]] = {
            k: [] for k in ("package", "stripped", "anchor")
        }
        fallbacks = 0
        for pdf in pdfs:
            rel = pdf.relative_to(args.papers)
            name = str(rel).replace(os.sep, "__")[:-4] + ".md"
            pages, spent = _timed(old.convert, pdf, work / "before" / name)
            seconds["before"] += spent
            pages_total += pages
            _, spent = _timed(new_convert, pdf, work / "package" / name)
            seconds["package"] += spent
            fallbacks += len(package.structure.get("fallback_pages", ()))
            pairs["package"].append((pdf, work / "package" / name))
            new_convert(stripped_root / rel, work / "stripped" / name)
            pairs["stripped"].append((pdf, work / "stripped" / name))
            if args.anchor:
                _anchor_convert(pdf, work / "anchor" / name)
                pairs["anchor"].append((pdf, work / "anchor" / name))
            print(f"  converted {rel} ({pages} pages)", flush=True)
        package.close()

        report: dict = {}
        for kind in ("package", "stripped", "anchor"):
            if not pairs[kind]:
                report[kind] = None
                continue
            rows, mean = _score(quality, pairs[kind])
            print(f"\n{kind}:")
            for (pdf, _), row in zip(pairs[kind], rows, strict=True):
                print(f"  {pdf.relative_to(args.papers)}: {json.dumps(row)}")
            print(f"  mean: {json.dumps(mean)}")
            report[kind] = mean
        report["pages_per_s"] = {
            "text_layer_before": round(pages_total / seconds["before"], 3),
            "text_layer": round(pages_total / seconds["package"], 3),
        }
        report["pages"] = pages_total
        report["fallback_pages"] = fallbacks
    if args.scans:
        from scans import measure_scans  # benchmarks/ is this script's folder

        report["scans"] = measure_scans(papers=args.scan_papers, pages_per_paper=args.scan_pages)
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())

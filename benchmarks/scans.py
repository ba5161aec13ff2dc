"""OCR accuracy and speed on scans of the shared papers, converted by the package.

    .venv/bin/python benchmarks/scans.py [--ocr-engine auto|tesseract|rapidocr] [--papers N]
        [--pages-per-paper N] [--dpi 150] [--text-layer]

Image-only copies (what a scanner makes: no text layer) of the text papers of
`../shared/data/papers` are written with `../shared/tools/md_quality.py rasterize` into a temp
folder and run through the real graph (loopback host, marker in text-layer mode, the quality
stage's OCR). Word coverage is measured against the ORIGINALS' text layers (md_quality.py
`score`). `--text-layer` also converts the originals, for text-layer pages/s beside OCR pages/s
and the quality stage's share of conversion time, and lists every page it repaired.

The last line is JSON: `{"scans": {"coverage", "pages_per_s", ...}, "text_layer": {...}}`.
`--papers` and `--pages-per-paper` take the first papers (sorted by path) and their first pages,
so a run fits a small machine; the defaults take all of them.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio
import pypdfium2

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workflows.research.academic_lit_review.paper_processor.context import Context  # noqa: E402
from workflows.research.academic_lit_review.paper_processor.graph import graph  # noqa: E402
from workflows.research.academic_lit_review.paper_processor.testing.loopback import (  # noqa: E402
    serve_loopback,
)
from workflows.research.academic_lit_review.paper_processor.testing.openweb import (  # noqa: E402
    OpenWebHost,
    Respond,
)

SHARED = ROOT.parent / "shared"
PAPERS = SHARED / "data" / "papers"
MD_QUALITY = SHARED / "tools" / "md_quality.py"
SCANNED = {"small_ocr.pdf"}  # already a scan: no text layer to measure against
WORST_PAGES = 8  # listed by the quality stage's own page score


def _md_quality():
    spec = importlib.util.spec_from_file_location("md_quality", MD_QUALITY)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _first_pages(papers: list[Path], pages: int | None, out: Path) -> list[Path]:
    """Copies of the papers cut to their first `pages` pages (all where None)."""
    out.mkdir(parents=True)
    copies = []
    for number, paper in enumerate(papers):
        source = pypdfium2.PdfDocument(str(paper))
        copy = pypdfium2.PdfDocument.new()
        count = len(source) if pages is None else min(pages, len(source))
        copy.import_pages(source, list(range(count)))
        target = out / f"{number:02d}-{paper.stem}.pdf"
        copy.save(str(target))
        copy.close()
        source.close()
        copies.append(target)
    return copies


def _rasterize(src: Path, dst: Path, dpi: int) -> None:
    subprocess.run(
        [sys.executable, str(MD_QUALITY), "rasterize", str(src), str(dst), "--dpi", str(dpi)],
        check=True,
        capture_output=True,
    )


async def _convert(pdfs: list[Path], workspace: Path, ocr_engine: str) -> list[dict]:
    host = OpenWebHost()
    for number, pdf in enumerate(pdfs):
        host.add(f"/{number}.pdf", Respond(body=pdf))
    ctx = Context(
        workspace=str(workspace),
        allow_private_hosts=True,
        source_order=["oa_urls"],
        host_min_interval_s=0,
        converter="marker",
        marker_mode="text_layer",
        ocr_engine=ocr_engine,
        conversion_timeout_s=1800,
        check_right_paper=False,
    )
    with serve_loopback(host.app) as base:
        papers = [
            {"doi": f"10.5555/scan.{n}", "oa_urls": [f"{base}/{n}.pdf"]} for n in range(len(pdfs))
        ]
        result = await graph.ainvoke({"papers": papers}, context=ctx)
    return result["outcomes"]


def _pages_per_s(outcomes: list[dict]) -> float:
    converted = [o for o in outcomes if o["status"] == "converted"]
    seconds = sum(o["timings"]["convert_s"] for o in converted)
    return round(sum(o["pages"] for o in converted) / seconds, 3) if seconds else 0.0


def _quality_share(outcomes: list[dict]) -> float | None:
    convert_s = sum(o["timings"].get("convert_s", 0) for o in outcomes)
    quality_s = sum(o["timings"].get("quality_s", 0) for o in outcomes)
    return round(quality_s / convert_s, 4) if convert_s else None


def _repairs(outcomes: list[dict], names: list[str]) -> dict[str, list[dict]]:
    repaired = {}
    for name, outcome in zip(names, outcomes, strict=True):
        pages = (outcome.get("quality") or {}).get("pages", [])
        fixed = [
            {"page": p["page"], "flags": p["flags"], "repaired_by": p["repaired_by"]}
            for p in pages
            if p["repaired_by"]
        ]
        if fixed:
            repaired[name] = fixed
    return repaired


def _measure_scans(folder: Path, originals: list[Path], args, md_quality) -> dict:
    started = time.perf_counter()
    _rasterize(folder / "originals", folder / "scans", args.dpi)
    scans = sorted((folder / "scans").rglob("*.pdf"))
    assert [s.name for s in scans] == [o.name for o in originals], "rasterize lost a file"
    print(f"rasterized {len(scans)} papers in {time.perf_counter() - started:.1f} s")
    outcomes = anyio.run(_convert, scans, folder / "ws-scans", args.ocr_engine)
    coverages, per_paper, pages_scored = [], {}, []
    for original, outcome in zip(originals, outcomes, strict=True):
        markdown = outcome.get("markdown") or ""
        figure = md_quality.score(str(original), markdown)["coverage"]
        coverages.append(figure)
        per_paper[original.name] = figure
        for page in (outcome.get("quality") or {}).get("pages", []):
            pages_scored.append((page["score"], original.name, page["page"] + 1, page["flags"]))
        ocr_pages = sum(
            p["repaired_by"] == "ocr" for p in (outcome.get("quality") or {}).get("pages", [])
        )
        print(
            f"scan {original.name}: {outcome['status']}, {ocr_pages} page(s) by OCR,"
            f" coverage {figure:.3f}"
        )
    worst = sorted(pages_scored)[:WORST_PAGES]
    for score, name, page, flags in worst:
        print(f"worst page: {name} page {page}: score {score:.3f} {flags}")
    return {
        "coverage": round(statistics.mean(coverages), 3),
        "pages_per_s": _pages_per_s(outcomes),
        # The rest of convert_s is marker's own pass over the image-only pages.
        "quality_share_of_conversion": _quality_share(outcomes),
        "per_paper": per_paper,
        "worst_pages": [
            {"paper": name, "page": page, "score": score} for score, name, page, _ in worst
        ],
        "engine": args.ocr_engine,
        "papers": len(scans),
        "pages": sum(o.get("pages") or 0 for o in outcomes),
        "converted": sum(o["status"] == "converted" for o in outcomes),
        "dpi": args.dpi,
    }


def measure_scans(
    *,
    papers: int | None = None,
    pages_per_paper: int | None = None,
    dpi: int = 150,
    ocr_engine: str = "auto",
) -> dict:
    """The `"scans"` figures alone (what `benchmarks/fidelity.py --scans` reports)."""
    chosen = sorted(p for p in PAPERS.rglob("*.pdf") if p.name not in SCANNED)[:papers]
    settings = argparse.Namespace(dpi=dpi, ocr_engine=ocr_engine)
    with tempfile.TemporaryDirectory(prefix="scans-") as tmp:
        folder = Path(tmp)
        originals = _first_pages(chosen, pages_per_paper, folder / "originals")
        return _measure_scans(folder, originals, settings, _md_quality())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ocr-engine", default="auto", choices=["auto", "tesseract", "rapidocr"])
    parser.add_argument("--papers", type=int, default=None, help="first N papers (all)")
    parser.add_argument("--pages-per-paper", type=int, default=None, help="first N pages (all)")
    parser.add_argument("--dpi", type=int, default=150)
    parser.add_argument("--text-layer", action="store_true", help="also convert the originals")
    parser.add_argument(
        "--skip-scans", action="store_true", help="only the originals (with --text-layer)"
    )
    args = parser.parse_args(argv)
    if not PAPERS.is_dir():
        print(f"no shared papers at {PAPERS}", file=sys.stderr)
        return 2
    papers = sorted(p for p in PAPERS.rglob("*.pdf") if p.name not in SCANNED)[: args.papers]
    md_quality = _md_quality()
    with tempfile.TemporaryDirectory(prefix="scans-") as tmp:
        folder = Path(tmp)
        originals = _first_pages(papers, args.pages_per_paper, folder / "originals")
        result: dict = {}
        if not args.skip_scans:
            result["scans"] = _measure_scans(folder, originals, args, md_quality)
        if args.text_layer:
            text = anyio.run(_convert, originals, folder / "ws-text", args.ocr_engine)
            repairs = _repairs(text, [p.relative_to(PAPERS).as_posix() for p in papers])
            for name, fixed in repairs.items():
                print(f"repaired in {name}: {fixed}")
            result["text_layer"] = {
                "pages_per_s": _pages_per_s(text),
                "quality_share_of_conversion": _quality_share(text),
                "papers_with_repairs": len(repairs),
                "pages_repaired": sum(len(fixed) for fixed in repairs.values()),
                "pages": sum(o.get("pages") or 0 for o in text),
            }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

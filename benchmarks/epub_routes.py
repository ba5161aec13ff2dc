"""EPUB to markdown two ways, on ../shared/data/epub: the package's direct XHTML route, and
marker-pdf[full]'s EPUB path (ebooklib joins the documents, weasyprint renders a PDF, marker
converts it in text-layer mode). One JSON line per book and route.

    .venv/bin/python benchmarks/epub_routes.py direct
    # marker's route needs marker-pdf[full]'s extras; kept out of the project's venv:
    .venv/bin/pip install --target /tmp/marker-full --no-deps EbookLib==0.18 weasyprint==63.1 \\
        pydyf==0.13.0 pyphen==0.18.1 tinycss2==1.5.1 tinyhtml5==2.1.0 cssselect2==0.10.1 \\
        webencodings==0.6.1 lxml==6.1.3 brotli==1.2.1 zopfli==0.4.3
    PYTHONPATH=.:/tmp/marker-full .venv/bin/python benchmarks/epub_routes.py marker

Figures (the same as tests/test_epub.py and ../shared/tools/md_quality.py): head_recall is the
share of the EPUB's table-of-contents entries found as markdown headings; coverage the share of
the words of the spine documents' XHTML body text found in the markdown; para_med the median
words per paragraph; walls the paragraphs over 350 words.
"""

from __future__ import annotations

import collections
import json
import os
import re
import sys
import time
from pathlib import Path

from workflows.research.academic_lit_review.paper_processor.acquisition.epub_package import (
    open_epub,
)
from workflows.research.academic_lit_review.paper_processor.conversion.epub import convert_epub
from workflows.research.academic_lit_review.paper_processor.conversion.epub_nav import read_toc
from workflows.research.academic_lit_review.paper_processor.testing.epubs import body_text

EPUB_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "epub"
CAP = 1 << 29
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def norm(text: str) -> str:
    return " ".join(words(text))


def score(path: Path, md: str) -> dict:
    book = convert_epub(path, max_unpacked_bytes=CAP)  # which documents the spine reads
    with open_epub(path, max_unpacked_bytes=CAP) as archive:
        package = archive.package()
        toc = read_toc(archive, package)
        need: collections.Counter[str] = collections.Counter()
        for document in book.documents:
            need.update(words(body_text(archive.read(document.path))))
    gold = [norm(e.label) for e in toc if e.path and e.path != package.nav_path and norm(e.label)]
    heads = [norm(line.lstrip("#")) for line in md.splitlines() if re.match(r"^#{1,6}\s+\S", line)]
    found = sum(any(g in h or (len(h) > 8 and h in g) for h in heads) for g in gold)
    have = collections.Counter(words(md))
    lengths = sorted(len(words(p)) for p in re.split(r"\n\s*\n", md) if p.strip())
    return {
        "head_recall": round(found / len(gold), 3) if gold else None,
        "coverage": round(sum(min(c, have[w]) for w, c in need.items()) / sum(need.values()), 4),
        "head_lines": len(heads),
        "para_med": lengths[len(lengths) // 2] if lengths else 0,
        "walls": sum(n > 350 for n in lengths),
    }


def direct(files: list[Path]) -> None:
    for path in files:
        started = time.perf_counter()
        md = convert_epub(path, max_unpacked_bytes=CAP).markdown
        seconds = round(time.perf_counter() - started, 2)
        print(
            json.dumps(
                {"route": "direct", "file": path.name, "seconds": seconds, **score(path, md)}
            )
        )


def marker(files: list[Path]) -> None:
    os.environ.setdefault("FONT_PATH", FONT)
    started = time.perf_counter()
    from marker.converters.pdf import PdfConverter
    from marker.models import create_model_dict
    from marker.output import text_from_rendered

    models = create_model_dict()
    print(json.dumps({"marker_import_s": round(time.perf_counter() - started, 2)}), flush=True)
    config = {"mode": "fast", "disable_ocr": True, "force_layout_block": "Text"}
    for path in files:
        started = time.perf_counter()
        converter = PdfConverter(artifact_dict=models, config=dict(config))
        try:
            md, _ext, _images = text_from_rendered(converter(str(path)))
        except RuntimeError as exc:  # marker wraps the EPUB-to-PDF step's failures
            print(json.dumps({"route": "marker", "file": path.name, "error": str(exc)[:300]}))
            continue
        seconds = round(time.perf_counter() - started, 2)
        row = {"route": "marker", "file": path.name, "seconds": seconds}
        print(json.dumps({**row, "pages": converter.page_count, **score(path, md)}), flush=True)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("direct", "marker"):
        print(__doc__)
        return 2
    files = sorted(EPUB_DIR.glob("*.epub"))
    if not files:
        print(f"no EPUBs under {EPUB_DIR}")
        return 1
    (direct if argv[0] == "direct" else marker)(files)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

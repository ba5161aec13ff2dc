"""`make demo`: the paper processor end to end, fully offline.

    paper-processor demo --out demo-output

Seven generated papers are served from loopback fakes (real HTTP servers on 127.0.0.1): three
open-access PDFs that arrive at different times, a "PDF" link that answers with an HTML landing
page, a link that is 404, a paper with no open-access copy that only retrieve-academic holds,
and one published as an EPUB (converted from its XHTML, no converter worker needed).
The command line's run (live display, closing report) converts them with the real marker
converter into a fresh workspace inside --out (so the demo always does real work, and the
manifest's paths stay valid), and writes the markdown and the manifest to --out. Needs no extras: the fakes ship with the package.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import click

from .cli import main as command_line
from .cli.config import context_from
from .cli.run import convert_and_report
from .testing.epubs import paper_epub
from .testing.loopback import serve_loopback
from .testing.openweb import OpenWebHost, Respond, html_page
from .testing.pdfs import paper_text, write_paper_pdf
from .testing.retrieve_service import RetrieveService

# The held paper's retrieve-academic job completes this long after submission.
RETRIEVE_READY_AFTER_S = 1.5


@dataclass(frozen=True)
class DemoPaper:
    seed: int
    pages: int
    serve: str  # "pdf", "epub", "html", "missing" (404) or "retrieve" (no open-access copy)
    delay_s: float = 0.0


PAPERS = (
    DemoPaper(seed=1, pages=2, serve="pdf", delay_s=0.3),
    DemoPaper(seed=2, pages=3, serve="pdf", delay_s=0.8),
    DemoPaper(seed=3, pages=1, serve="pdf", delay_s=1.4),
    DemoPaper(seed=4, pages=1, serve="html"),
    DemoPaper(seed=5, pages=1, serve="missing"),
    DemoPaper(seed=6, pages=2, serve="retrieve"),
    DemoPaper(seed=7, pages=1, serve="epub", delay_s=0.5),
)


def stage_papers(
    folder: Path, *, host: OpenWebHost, web_url: str, service: RetrieveService
) -> list[dict]:
    """Write each demo paper's PDF (or EPUB), put it where its scenario says, return the input
    papers."""
    papers = []
    for demo in PAPERS:
        title, paragraphs = paper_text(demo.seed)
        doi = f"10.5555/demo.{demo.seed}"
        pdf = write_paper_pdf(
            folder / f"paper-{demo.seed}.pdf",
            title=title,
            authors=["Ada Lovelace", "Alan Turing"],
            paragraphs=paragraphs,
            pages=demo.pages,
            doi=doi,
        )
        paper: dict = {
            "doi": doi,
            "title": title,
            "authors": ["Ada Lovelace", "Alan Turing"],
            "year": 2024,
            "relevance": 1.0 - demo.seed / 10,
        }
        if demo.serve == "pdf":
            host.add(f"/papers/{demo.seed}.pdf", Respond(body=pdf, delay_s=demo.delay_s))
            paper["oa_urls"] = [f"{web_url}/papers/{demo.seed}.pdf"]
        elif demo.serve == "epub":
            epub = paper_epub(title, paragraphs, doi=doi)
            host.add(
                f"/books/{demo.seed}.epub",
                Respond(body=epub, content_type="application/epub+zip", delay_s=demo.delay_s),
            )
            paper["oa_urls"] = [f"{web_url}/books/{demo.seed}.epub"]
        elif demo.serve == "html":
            landing = html_page(title, f"<h1>{title}</h1><p>Subscribe to read the full text.</p>")
            host.add(
                f"/papers/{demo.seed}.pdf",
                Respond(body=landing, content_type="text/html; charset=utf-8"),
            )
            paper["oa_urls"] = [f"{web_url}/papers/{demo.seed}.pdf"]
        elif demo.serve == "missing":
            paper["oa_urls"] = [f"{web_url}/papers/{demo.seed}.pdf"]  # not added: 404
        else:
            service.hold(doi, pdf, ready_after_s=RETRIEVE_READY_AFTER_S)
        papers.append(paper)
    return papers


# The demo's own workspace, inside --out: emptied at the start so the demo always does real work,
# kept afterwards so every markdown_path in the manifest exists.
WORKSPACE_NAME = ".demo-workspace"


def run_demo(out_dir: Path) -> int:
    """Run the paper processor on generated papers served by loopback fakes; the exit code."""
    out_dir = out_dir.resolve()
    workspace = out_dir / WORKSPACE_NAME
    shutil.rmtree(workspace, ignore_errors=True)
    # The fakes live on 127.0.0.1, which the downloader refuses unless told otherwise.
    os.environ["PAPER_PROCESSOR_ALLOW_PRIVATE_HOSTS"] = "1"
    os.environ.setdefault("PAPER_PROCESSOR_RETRIEVE_POLL_INTERVAL_S", "0.5")
    # Offline: only the papers' own OA URLs, not doi.org, arXiv, Unpaywall or OpenAlex.
    os.environ.setdefault("PAPER_PROCESSOR_SOURCE_ORDER", '["oa_urls"]')
    with tempfile.TemporaryDirectory(prefix="paper-processor-demo-") as tmp:
        folder = Path(tmp)
        host, service = OpenWebHost(), RetrieveService()
        with serve_loopback(host.app) as web_url, serve_loopback(service.app) as retrieve_url:
            papers = stage_papers(folder, host=host, web_url=web_url, service=service)
            ctx = context_from(workspace=str(workspace), retrieve_url=retrieve_url)
            code = convert_and_report(papers, ctx, out_dir)
    if code == 0:
        written = sorted(p.name for p in out_dir.glob("*.md"))
        click.echo(f"\ndemo: {len(written)} markdown files in {out_dir}")
        for name in written:
            click.echo(f"  {name}")
        click.echo(f"demo: one line per paper in {out_dir / 'manifest.jsonl'}")
    return code


if __name__ == "__main__":  # `python -m ...demo --out DIR`, the same as `paper-processor demo`
    sys.exit(command_line.main(["demo", *sys.argv[1:]], prog_name="paper-processor"))

"""The seeded benchmark workload: which papers exist, where they come from, how long each takes.

Everything random is drawn from one `random.Random(seed)`, so a seed names one workload and the
graph and the baseline see exactly the same papers, delays and PDFs.

    80% open access   the loopback host answers after a log-normal delay (median 0.3 s,
                      99th percentile at the tail cap of 8 s, capped there)
    20% no OA copy    sent to the fake retrieve-academic service; jobs finish after 1-10 s,
                      5% of them fail
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal

from fpdf import FPDF

from workflows.research.academic_lit_review.paper_processor.acquisition.validate import inspect_pdf
from workflows.research.academic_lit_review.paper_processor.errors import SourceFailed

Converter = Literal["calibrated", "marker"]
Variant = Literal["balanced", "conversion-heavy", "acquisition-heavy"]
Source = Literal["open_access", "retrieve", "retrieve_fails"]

VARIANTS: tuple[Variant, ...] = ("balanced", "conversion-heavy", "acquisition-heavy")
# Total conversion work (Σc/k) relative to the estimated acquisition span, per variant.
WORK_TO_SPAN = {"balanced": 1.0, "conversion-heavy": 3.0, "acquisition-heavy": 1.0 / 3.0}

# The shared corpus, relative to the project root; absent in a user's clone.
SHARED_PAPERS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "papers"
# "Huge" corpus files are skipped: they would dominate a marker run on a laptop.
MAX_CORPUS_BYTES = 5 * 1024 * 1024
MAX_CORPUS_PAGES = 20

# Per-paper acquisition cost besides the server delay (HTTP round trip, pdfium, store), used
# only to estimate the acquisition span when calibrating the converter.
_ACQUIRE_COST_S = 0.005
# Patched per paper into a template PDF; same length as `paper_tag`, so xref offsets stay valid.
_PLACEHOLDER = b"PAPERID0000000000"


@dataclass(frozen=True)
class WorkloadShape:
    """The knobs of the generated workload (command-line options)."""

    papers: int = 200
    seed: int = 0
    converter: Converter = "calibrated"
    variant: Variant = "balanced"
    workers: int = 1
    download_concurrency: int = 8
    download_median_s: float = 0.3
    download_tail_s: float = 8.0
    no_oa_fraction: float = 0.20
    retrieve_min_s: float = 1.0
    retrieve_max_s: float = 10.0
    retrieve_fail_fraction: float = 0.05
    poll_interval_s: float = 0.5
    pages_median: int = 10
    pages_max: int = 40
    # Scaling mode: tiny one-page PDFs, no delays, a conversion that takes ~0 s.
    tiny: bool = False


@dataclass(frozen=True)
class PaperSpec:
    index: int
    doi: str
    title: str | None  # None for corpus PDFs: their real titles are not known here
    relevance: float
    source: Source
    delay_s: float  # OA: server delay before the response; retrieve: job runtime
    pages: int
    pdf: str  # file served for this paper
    sha256: str

    def as_input(self, oa_base_url: str) -> dict:
        """The paper as the graph's input (`PaperInput`)."""
        paper = {
            "doi": self.doi,
            "authors": ["Bench Mark"],
            "year": 2024,
            "relevance": self.relevance,
        }
        if self.title:
            paper["title"] = self.title
        if self.source == "open_access":
            paper["oa_urls"] = [f"{oa_base_url}{oa_path(self.index)}"]
        return paper


@dataclass(frozen=True)
class Workload:
    shape: WorkloadShape
    papers: list[PaperSpec]
    seconds_per_page: float
    estimated_span_s: float
    pdf_origin: str  # "generated" or "corpus"
    notes: list[str] = field(default_factory=list)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self)))

    @classmethod
    def load(cls, path: Path) -> Workload:
        raw = json.loads(path.read_text())
        return cls(
            shape=WorkloadShape(**raw["shape"]),
            papers=[PaperSpec(**p) for p in raw["papers"]],
            seconds_per_page=raw["seconds_per_page"],
            estimated_span_s=raw["estimated_span_s"],
            pdf_origin=raw["pdf_origin"],
            notes=raw["notes"],
        )

    def converted_pages(self) -> int:
        return sum(p.pages for p in self.papers if p.source != "retrieve_fails")


def oa_path(index: int) -> str:
    return f"/oa/{index}.pdf"


def download_sigma(shape: WorkloadShape) -> float:
    """Log-normal sigma that puts the 99th percentile at the tail cap."""
    z99 = 2.326
    return math.log(shape.download_tail_s / shape.download_median_s) / z99


def build_workload(shape: WorkloadShape, folder: Path) -> Workload:
    """Draw the workload for `shape` and write its PDFs into `folder`."""
    rng = random.Random(shape.seed)
    folder.mkdir(parents=True, exist_ok=True)
    corpus = usable_corpus() if shape.converter == "marker" else []
    notes = []
    if shape.converter == "marker" and not corpus:
        notes.append(f"no usable PDFs under {SHARED_PAPERS}; marker converts generated PDFs")
    sigma = download_sigma(shape)
    papers = []
    for index in range(shape.papers):
        source = _draw_source(rng, shape)
        delay = _draw_delay(rng, shape, source, sigma)
        relevance = round(rng.random(), 4)
        tag = paper_tag(shape.seed, index)
        doi, title = f"10.5555/bench.{tag}", f"Benchmark paper {tag}"
        pdf = folder / f"paper-{index}.pdf"
        if corpus:
            original = corpus[index % len(corpus)]
            # A trailing comment keeps each copy distinct (the store is content-addressed).
            pdf.write_bytes(original.read_bytes() + f"\n%bench-paper {doi}\n".encode())
            pages, title = _pages_of(pdf), None
        else:
            pages = 1 if shape.tiny else _draw_pages(rng, shape)
            pdf.write_bytes(paper_pdf_bytes(pages, tag))
        papers.append(
            PaperSpec(
                index=index,
                doi=doi,
                title=title,
                relevance=relevance,
                source=source,
                delay_s=round(delay, 4),
                pages=pages,
                pdf=str(pdf),
                sha256=_sha256(pdf),
            )
        )
    span = estimate_acquisition_span(papers, shape)
    pages = sum(p.pages for p in papers if p.source != "retrieve_fails")
    seconds_per_page = (
        0.0
        if shape.tiny or not pages
        else (WORK_TO_SPAN[shape.variant] * span * shape.workers / pages)
    )
    return Workload(
        shape,
        papers,
        round(seconds_per_page, 6),
        round(span, 3),
        "corpus" if corpus else "generated",
        notes,
    )


def _draw_source(rng: random.Random, shape: WorkloadShape) -> Source:
    if rng.random() >= shape.no_oa_fraction:
        return "open_access"
    return "retrieve_fails" if rng.random() < shape.retrieve_fail_fraction else "retrieve"


def _draw_delay(rng: random.Random, shape: WorkloadShape, source: Source, sigma: float) -> float:
    if shape.tiny:
        # Memory mode: acquisition as quick as the fakes allow (retrieve jobs still poll).
        return 0.0 if source == "open_access" else 0.05
    if source == "open_access":
        return min(
            rng.lognormvariate(math.log(shape.download_median_s), sigma), shape.download_tail_s
        )
    return rng.uniform(shape.retrieve_min_s, shape.retrieve_max_s)


def _draw_pages(rng: random.Random, shape: WorkloadShape) -> int:
    # Real papers: mostly 6-20 pages, a few short notes and long journal articles.
    pages = round(rng.lognormvariate(math.log(shape.pages_median), 0.5))
    return max(1, min(pages, shape.pages_max))


def estimate_acquisition_span(papers: list[PaperSpec], shape: WorkloadShape) -> float:
    """When the last convertible paper is on disk, simulating the acquire workers.

    `download_concurrency` workers take papers in input order; an OA paper holds its worker for
    its server delay; a retrieve paper is submitted at once and lands half a polling interval
    (on average) after its job finishes.
    """
    free_at = [0.0] * shape.download_concurrency
    last = 0.0
    for paper in papers:
        worker = min(range(len(free_at)), key=free_at.__getitem__)
        start = free_at[worker]
        if paper.source == "open_access":
            free_at[worker] = start + paper.delay_s + _ACQUIRE_COST_S
            last = max(last, free_at[worker])
        else:
            free_at[worker] = start + _ACQUIRE_COST_S
            if paper.source == "retrieve":
                last = max(last, free_at[worker] + paper.delay_s + shape.poll_interval_s / 2)
    return last


def paper_tag(seed: int, index: int) -> str:
    """A fixed-width id per paper: names its DOI and title, and is printed in its PDF."""
    return hashlib.sha256(f"{seed}/{index}".encode()).hexdigest()[: len(_PLACEHOLDER)]


@cache
def _pdf_template(pages: int) -> bytes:
    """An uncompressed text PDF of `pages` pages whose text holds a fixed-width placeholder.

    Page 1 prints the title and DOI, so the package's right-paper check accepts it.
    """
    pdf = FPDF(format="A4")
    pdf.set_compression(False)  # keeps the placeholder greppable, so copies can be patched
    placeholder = _PLACEHOLDER.decode()
    pdf.set_title(f"Benchmark paper {placeholder}")
    body = "The benchmark measures scheduling, not conversion quality. " * 12
    for page in range(pages):
        pdf.add_page()
        pdf.set_font("Helvetica", size=11)
        if page == 0:
            pdf.multi_cell(0, 6, f"Benchmark paper {placeholder}", new_x="LMARGIN", new_y="NEXT")
            pdf.multi_cell(0, 6, f"DOI: 10.5555/bench.{placeholder}", new_x="LMARGIN", new_y="NEXT")
        pdf.multi_cell(0, 6, f"Page {page + 1}. {body}")
    return bytes(pdf.output())


def paper_pdf_bytes(pages: int, tag: str) -> bytes:
    """A distinct PDF per paper in microseconds: the template with the paper's tag patched in.

    Same length keeps every xref offset valid; distinct bytes keep content-addressed store
    entries (and the benchmark's sha-to-paper map) one per paper.
    """
    return _pdf_template(pages).replace(_PLACEHOLDER, tag.encode())


def usable_corpus() -> list[Path]:
    """Corpus PDFs that open, have a text layer and are not huge, in a stable order."""
    if not SHARED_PAPERS.is_dir():
        return []
    usable = []
    for path in sorted(SHARED_PAPERS.rglob("*.pdf")):
        if path.stat().st_size > MAX_CORPUS_BYTES:
            continue
        try:
            info = inspect_pdf(path)
        except SourceFailed:
            continue
        if info.pages <= MAX_CORPUS_PAGES and info.first_page_text.strip():
            usable.append(path)
    return usable


def _pages_of(path: Path) -> int:
    return inspect_pdf(path).pages


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()

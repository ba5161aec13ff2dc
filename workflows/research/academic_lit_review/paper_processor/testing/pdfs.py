"""Generate real PDFs (fpdf2) shaped like papers, and broken variants."""

from __future__ import annotations

import random
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

_FONT = "Helvetica"
_SECTION_NAMES = [
    "Introduction",
    "Methods",
    "Results",
    "Discussion",
    "Conclusion",
    "Limitations",
    "Related Work",
    "Future Work",
]
# Core fonts are latin-1 only; map common typography to ASCII look-alikes
# before the lossy fallback so text stays readable.
_REPLACEMENTS = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u2013": "-",
    "\u2014": "-",
    "\u2026": "...",
    "\u00a0": " ",
    "\u2212": "-",
}


def sanitise(text: str) -> str:
    """Make `text` encodable in latin-1 (what the core fonts support)."""
    for src, dst in _REPLACEMENTS.items():
        text = text.replace(src, dst)
    return text.encode("latin-1", errors="replace").decode("latin-1")


def _new_pdf() -> FPDF:
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_margins(15, 15, 15)
    return pdf


def _line(pdf: FPDF, height: float, text: str) -> None:
    pdf.multi_cell(0, height, sanitise(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _section_name(index: int) -> str:
    name = _SECTION_NAMES[index] if index < len(_SECTION_NAMES) else f"Section {index + 1}"
    return f"{index + 1} {name}"


def _split(paragraphs: list[str], pages: int) -> list[list[str]]:
    """Spread paragraphs over `pages` groups, as evenly as possible, in order."""
    groups: list[list[str]] = [[] for _ in range(pages)]
    for i, paragraph in enumerate(paragraphs):
        groups[i * pages // max(len(paragraphs), 1)].append(paragraph)
    return groups


def write_paper_pdf(
    path: str | Path,
    *,
    title: str,
    authors: list[str],
    paragraphs: list[str],
    pages: int = 1,
    doi: str | None = None,
) -> Path:
    """Write a paper-like PDF with exactly `pages` pages; raise if text overflows."""
    if pages < 1:
        raise ValueError("pages must be >= 1")
    pdf = _new_pdf()
    pdf.set_title(sanitise(title))
    pdf.set_author(sanitise(", ".join(authors)))
    section = 0
    for page_index, group in enumerate(_split(paragraphs, pages)):
        pdf.add_page()
        if page_index == 0:
            pdf.set_font(_FONT, style="B", size=16)
            _line(pdf, 8, title)
            pdf.ln(2)
            pdf.set_font(_FONT, size=11)
            _line(pdf, 6, ", ".join(authors))
            if doi:
                _line(pdf, 6, f"DOI: {doi}")
            pdf.ln(4)
        if not group:
            # A page still needs text, or it would look like a scanned page.
            group_items: list[str | None] = [None]
        else:
            group_items = list(group)
        for paragraph in group_items:
            pdf.set_font(_FONT, style="B", size=13)
            _line(pdf, 7, _section_name(section))
            section += 1
            pdf.set_font(_FONT, size=11)
            _line(pdf, 6, paragraph if paragraph is not None else "This section is left brief.")
            pdf.ln(3)
        if pdf.page_no() != page_index + 1:
            raise ValueError(f"paragraphs overflow {pages} page(s); pass more pages")
    out = Path(path)
    pdf.output(str(out))
    return out


_ADJECTIVES = [
    "Adaptive",
    "Sparse",
    "Robust",
    "Latent",
    "Coupled",
    "Stochastic",
    "Hierarchical",
    "Bayesian",
]
_NOUNS = [
    "Lattice Models",
    "Graph Kernels",
    "Flow Estimators",
    "Signal Priors",
    "Tensor Sketches",
    "Mixture Fields",
]
_TOPICS = [
    "Coral Reef Decline",
    "Glacier Retreat",
    "Soil Carbon",
    "Urban Heat",
    "River Sediment",
    "Forest Canopy",
]
_FINDINGS = [
    "reduces estimation error by a wide margin",
    "remains stable under heavy sensor noise",
    "explains most of the seasonal variance",
    "outperforms the strongest published baseline",
    "scales linearly with the number of sites",
    "recovers the known ground truth in simulation",
]
_METHODS = [
    "a two-stage sampling design across field sites",
    "repeated cross-validation over held-out regions",
    "a calibrated ensemble of gradient boosted trees",
    "paired transects surveyed in consecutive years",
    "an open archive of satellite observations",
]


def paper_text(seed: int) -> tuple[str, list[str]]:
    """A deterministic fake paper: (title, 3-4 distinctive paragraphs)."""
    rng = random.Random(seed)
    topic = rng.choice(_TOPICS)
    title = f"{rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)} for {topic} {seed}"
    methods = rng.sample(_METHODS, 2)
    findings = rng.sample(_FINDINGS, 2)
    paragraphs = [
        f"Specimen {seed} introduces a study of {topic.lower()} using {methods[0]}.",
        f"Specimen {seed} methods rely on {methods[1]} with careful controls.",
        f"Specimen {seed} results show that the approach {findings[0]}.",
    ]
    if rng.random() < 0.5:
        paragraphs.append(f"Specimen {seed} discussion notes that it also {findings[1]}.")
    return title, paragraphs


def truncate_pdf(src: str | Path, dst: str | Path, keep_fraction: float = 0.5) -> Path:
    """Copy the first `keep_fraction` of `src`'s bytes to `dst` (a cut-off download)."""
    data = Path(src).read_bytes()
    out = Path(dst)
    out.write_bytes(data[: int(len(data) * keep_fraction)])
    return out


def write_encrypted_pdf(path: str | Path, *, title: str, user_password: str = "secret") -> Path:
    """Write a PDF that cannot be opened without `user_password`."""
    pdf = _new_pdf()
    pdf.set_encryption(owner_password=user_password + "-owner", user_password=user_password)
    pdf.add_page()
    pdf.set_font(_FONT, style="B", size=16)
    _line(pdf, 8, title)
    out = Path(path)
    pdf.output(str(out))
    return out


def write_blank_pdf(path: str | Path, pages: int = 1) -> Path:
    """Write a PDF whose pages hold no text (like an image-only scan)."""
    pdf = _new_pdf()
    for _ in range(pages):
        pdf.add_page()
    out = Path(path)
    pdf.output(str(out))
    return out

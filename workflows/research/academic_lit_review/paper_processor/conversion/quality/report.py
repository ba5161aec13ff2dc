"""One score (0-1) and named flags per page and per paper, from the page signals.

A page's score multiplies what can go wrong: the share of its text layer that reached the
markdown (or the OCR engine's confidence for a page read from its image), the share of clean
characters, of letters not run together, and of real words (relative to 0.5, which English
prose exceeds: the pages of the 32 text papers of the shared corpus have a median of 0.93,
reference lists 0.39 and more). A blank page scores 1: there was nothing to lose. A paper's
score is the mean over its pages.

Flags say what was found on the page as converted; `repaired_by` names the rung that replaced
its markdown. The paper's flags are those of pages no rung repaired: what is still wrong.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

from .signals import TextSignals

Flag = Literal["no_text_layer", "garbled_text", "missing_spaces", "low_coverage", "mostly_image"]
Rung = Literal["pdf_text", "ocr", "marker"]

# Thresholds, set on the 32 text papers of ../shared/data/papers (none of their pages trips one)
# and on generated and real damaged pages (each trips its own).
MIN_TEXT_LAYER_WORDS = 5  # fewer: the page has no usable text layer
MIN_IMAGE_SHARE = 0.05  # share of the page covered by images for it to hold anything to read
MOSTLY_IMAGE_SHARE = 0.5
NEAR_EMPTY_WORDS = 20
GARBLED_GARBAGE = 0.1
GARBLED_REAL_WORDS = 0.3  # reference lists go down to 0.39; letters shifted by a font, < 0.15
MISSING_SPACES = 0.15  # clean pages stay under 0.06
LOW_COVERAGE = 0.7
MIN_COVERAGE_WORDS = 20  # coverage of fewer text-layer words is too noisy to flag, unless 0
# Below this coverage marker lost (nearly) the whole page: pdfium's text replaces it. Above it
# (a chart whose tick labels marker dropped) the page keeps marker's structure, flagged.
LOST_COVERAGE = 0.2
# OCR of a page reading this share of its text layer's words confirms the layer.
LAYER_CONFIRMED = 0.5
_REAL_WORDS_FULL = 0.5
# A flagged page is repaired only below this score: a flag on a page that reads well (a full-page
# figure whose caption marker kept) calls for no work.
REPAIR_BELOW = 0.9
# A page the first OCR engine read below this score is read by the next engine too. Measured
# with tesseract on 150 dpi scans of the first 3 pages of the 32 shared papers: English pages
# 0.84-0.96 (RapidOCR re-read the six under 0.9 at 10-40 times tesseract's time, for +0.02
# coverage on those pages), the Chinese scan's pages 0.29-0.33 (RapidOCR reads them).
NEXT_ENGINE_BELOW = 0.7
# Papers under this score are "still poor" in the CLI's summary.
POOR_BELOW = 0.8


@dataclass(frozen=True)
class PageFacts:
    """What the PDF itself holds on a page: its text layer and the area its images cover."""

    text_layer: str
    image_share: float

    @property
    def has_images(self) -> bool:
        return self.image_share >= MIN_IMAGE_SHARE


@dataclass
class PageQuality:
    page: int  # 0-based, in the whole document
    score: float
    flags: list[Flag] = field(default_factory=list)
    repaired_by: Rung | None = None


@dataclass
class QualityReport:
    """The `quality` of a converted paper: `{"score", "pages", "flags", "rungs"}`.

    `rungs` are the repairs that were available when it was made: a stored paper is converted
    again when a rung that could repair its flagged pages has become available since.
    """

    pages: list[PageQuality]
    rungs: list[Rung]

    @property
    def score(self) -> float:
        if not self.pages:
            return 0.0
        return round(sum(p.score for p in self.pages) / len(self.pages), 3)

    @property
    def flags(self) -> list[Flag]:
        remaining = {flag for p in self.pages if p.repaired_by is None for flag in p.flags}
        return sorted(remaining)

    @classmethod
    def from_dict(cls, data: dict) -> QualityReport:
        return cls([PageQuality(**page) for page in data["pages"]], list(data.get("rungs", [])))

    def to_dict(self) -> dict:
        return {
            "score": self.score,
            "flags": self.flags,
            "pages": [asdict(p) for p in self.pages],
            "rungs": list(self.rungs),
        }


def _real_term(real_words: float | None) -> float:
    return 1.0 if real_words is None else min(1.0, real_words / _REAL_WORDS_FULL)


def text_score(text: TextSignals) -> float:
    """How clean a page's markdown is on its own: characters, spaces, words."""
    return (1.0 - text.garbage) * (1.0 - text.run_together) * _real_term(text.real_words)


def assess_page(
    facts: PageFacts,
    layer: TextSignals,
    markdown: TextSignals,
    coverage: float | None,
    *,
    words_judged: bool = True,
) -> tuple[float, list[Flag]]:
    """Score and flags of a page as marker converted it.

    `words_judged=False` leaves the English word list out: for a document whose text layer the
    page image confirmed (another language, not glyph soup).
    """
    flags: list[Flag] = []
    usable_layer = layer.words >= MIN_TEXT_LAYER_WORDS
    if not usable_layer and layer.garbage < GARBLED_GARBAGE and facts.has_images:
        flags.append("no_text_layer")
    garbage = max(layer.garbage, markdown.garbage)
    real = markdown.real_words if markdown.real_words is not None else layer.real_words
    if not words_judged:
        real = None
    if garbage >= GARBLED_GARBAGE or (real is not None and real < GARBLED_REAL_WORDS):
        flags.append("garbled_text")
    if markdown.run_together >= MISSING_SPACES:
        flags.append("missing_spaces")
    if coverage is not None and coverage < LOW_COVERAGE:
        if layer.words >= MIN_COVERAGE_WORDS or (coverage == 0 and layer.garbage == 0):
            flags.append("low_coverage")
    if facts.image_share >= MOSTLY_IMAGE_SHARE and markdown.words < NEAR_EMPTY_WORDS:
        flags.append("mostly_image")

    if layer.chars == 0 and not facts.has_images:
        return 1.0, flags  # a blank page: nothing to lose
    if "no_text_layer" in flags or (layer.chars and not usable_layer and garbage > 0.5):
        base = 0.0  # an unread picture, or glyphs without meaning
    elif coverage is None or layer.words < MIN_COVERAGE_WORDS:
        base = 1.0 if markdown.words or not layer.words else 0.0
    else:
        base = coverage
    score = base * (1.0 - garbage) * (1.0 - markdown.run_together) * _real_term(real)
    return round(max(0.0, min(1.0, score)), 3), flags


def repaired_score(markdown: TextSignals, confidence: float = 1.0) -> float:
    """Score of a page whose markdown a rung rewrote (OCR: times its mean confidence)."""
    if markdown.words == 0:
        return 0.0
    return round(max(0.0, min(1.0, confidence * text_score(markdown))), 3)


# Which rung repairs which flag (low_coverage: only where marker lost nearly the whole page).
RUNG_FOR_FLAG: dict[str, Rung] = {
    "missing_spaces": "pdf_text",
    "low_coverage": "pdf_text",
    "no_text_layer": "ocr",
    "garbled_text": "ocr",
    "mostly_image": "ocr",
}


def merge_reports(parts: list[dict]) -> dict:
    """One report for a document converted in page ranges, from the reports of its ranges."""
    reports = [QualityReport.from_dict(part) for part in parts]
    pages = sorted((page for report in reports for page in report.pages), key=lambda p: p.page)
    rungs = reports[0].rungs if reports else []
    return QualityReport(pages, rungs).to_dict()


def available_rungs(*, converter: str, ocr_engine: str) -> list[Rung]:
    """The rungs a run with these settings has (only marker's output is checked)."""
    if converter != "marker":
        return []
    return ["pdf_text", "ocr"] if ocr_engine != "off" else ["pdf_text"]


def improvable(quality: dict | None, rungs: list[str]) -> bool:
    """Whether a stored paper has a flagged, unrepaired page that a rung it lacked could repair."""
    if not quality:
        return False
    new = set(rungs) - set(quality.get("rungs", []))
    return any(
        RUNG_FOR_FLAG.get(flag) in new
        for page in quality.get("pages", [])
        if page.get("repaired_by") is None and page.get("score", 1.0) < REPAIR_BELOW
        for flag in page.get("flags", [])
    )


def quality_below(quality: dict | None, min_quality: float) -> str | None:
    """Why a paper fails `min_quality` (its score and flags), or None if it passes."""
    if quality is None or min_quality <= 0 or quality["score"] >= min_quality:
        return None
    flags = ", ".join(quality["flags"]) or "no flags"
    return f"quality score {quality['score']:.3f} is below min_quality {min_quality:g} ({flags})"

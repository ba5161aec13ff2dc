"""The records that flow through the paper processor.

`Paper` is one validated input paper; `Outcome` is the one final record every input paper gets.
Both serialise to plain JSON (they live in graph state, the manifest and the artifact store).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

_DOI_PREFIXES = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)
_DOI_SHAPE = re.compile(r"^10\.\d{4,9}/\S+$")
_ARXIV_DOI = re.compile(r"^10\.48550/arxiv\.(?P<id>.+)$", re.IGNORECASE)
_PMCID = re.compile(r"^(?:PMC)?(?P<digits>\d+)$", re.IGNORECASE)


class Stage(StrEnum):
    """Where a paper's processing ended."""

    PREPARE = "prepare"
    ACQUIRE = "acquire"
    RETRIEVE = "retrieve"
    CONVERT = "convert"


class Reason(StrEnum):
    """The closed set of reasons a paper can fail for."""

    NO_IDENTIFIER = "no_identifier"
    INVALID_INPUT = "invalid_input"
    DUPLICATE = "duplicate"
    NO_OPEN_ACCESS = "no_open_access"
    NOT_PDF = "not_pdf"  # bytes that are no supported format, from an open-access source
    UNSUPPORTED_FORMAT = "unsupported_format"  # a format the service returned that is not read
    HTML_PAGE = "html_page"
    HTML_CHALLENGE = "html_challenge"
    TOO_LARGE = "too_large"
    CORRUPT_PDF = "corrupt_pdf"
    CORRUPT_EPUB = "corrupt_epub"
    ENCRYPTED = "encrypted"
    WRONG_PAPER = "wrong_paper"
    HTTP_ERROR = "http_error"
    NETWORK_ERROR = "network_error"
    BLOCKED_URL = "blocked_url"
    TIMEOUT = "timeout"
    SERVICE_UNAVAILABLE = "service_unavailable"
    JOB_FAILED = "job_failed"
    JOB_TIMEOUT = "job_timeout"
    CONVERSION_FAILED = "conversion_failed"
    CONVERSION_TIMEOUT = "conversion_timeout"
    LOW_QUALITY = "low_quality"


# The formats a full text can arrive in; each outcome names its own.
DocumentFormat = Literal["pdf", "epub", "html"]
SUPPORTED_FILE_FORMATS: tuple[DocumentFormat, ...] = ("pdf", "epub")
# Converters other than marker and its test doubles, and the format each one reads.
_FORMAT_OF_CONVERTER: dict[str, DocumentFormat] = {"html": "html", "epub-xhtml": "epub"}


def format_of_converter(converter: str | None) -> DocumentFormat | None:
    """The format a stored markdown was made from, told by the converter that made it."""
    if converter is None:
        return None
    return _FORMAT_OF_CONVERTER.get(converter, "pdf")


def normalize_doi(raw: str) -> str:
    """Lower-case a DOI and strip URL or `doi:` prefixes; raise ValueError if it is not a DOI."""
    doi = _DOI_PREFIXES.sub("", raw.strip()).strip().lower()
    if not _DOI_SHAPE.match(doi) or "\x00" in doi:
        raise ValueError(f"not a DOI: {raw!r} (expected 10.<registrant>/<suffix>)")
    return doi


class Paper(BaseModel):
    """One input paper. Unknown fields are kept so callers can round-trip their own data."""

    # Titles, URLs and DOIs are unique per paper: caching them would only keep them alive.
    model_config = ConfigDict(extra="allow", str_strip_whitespace=True, cache_strings="keys")

    doi: str | None = None
    title: str | None = None
    authors: list[str] = Field(default_factory=list)
    year: int | None = None
    venue: str | None = None
    oa_urls: list[str] = Field(default_factory=list, description="Open-access URLs, best first.")
    pmcid: str | None = None
    arxiv_id: str | None = None
    relevance: float | None = Field(default=None, description="Higher converts first.")

    @field_validator("doi")
    @classmethod
    def _doi(cls, value: str | None) -> str | None:
        return normalize_doi(value) if value else None

    @field_validator("pmcid")
    @classmethod
    def _pmcid(cls, value: str | None) -> str | None:
        if not value:
            return None
        match = _PMCID.match(value.strip())
        if not match:
            raise ValueError(f"not a PMCID: {value!r} (expected PMC followed by digits)")
        return f"PMC{match['digits']}"

    @field_validator("authors", mode="before")
    @classmethod
    def _authors(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else (value or [])

    @field_validator("oa_urls", mode="before")
    @classmethod
    def _oa_urls(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else (value or [])

    @property
    def arxiv(self) -> str | None:
        """The arXiv id, given directly or through an arXiv DOI."""
        if self.arxiv_id:
            return self.arxiv_id.removeprefix("arXiv:").removeprefix("arxiv:")
        if self.doi and (match := _ARXIV_DOI.match(self.doi)):
            return match["id"]
        return None

    def key(self) -> str | None:
        """A stable identity: the DOI, else arXiv id, PMCID, or a hash of title and year."""
        if self.doi:
            return f"doi:{self.doi}"
        if self.arxiv:
            return f"arxiv:{self.arxiv.lower()}"
        if self.pmcid:
            return f"pmcid:{self.pmcid}"
        if self.title:
            folded = unicodedata.normalize("NFKC", self.title).casefold()
            words = " ".join(re.findall(r"\w+", folded))
            digest = hashlib.sha256(f"{words}|{self.year or ''}".encode()).hexdigest()[:20]
            return f"title:{digest}"
        return None


class Attempt(BaseModel):
    """One source tried for a paper and what became of it."""

    source: str
    url: str | None = None
    reason: Reason | None = None
    detail: str | None = None


class Heading(BaseModel):
    """One section heading of a converted document, in document order."""

    level: int = Field(description="1 for the title, 2 for top-level sections, deeper below.")
    text: str


class PageFallback(BaseModel):
    """A page the layout stage could not lay out: it was converted as plain page text."""

    page: int = Field(description="0-based page number in the PDF.")
    reason: str


class Outcome(BaseModel):
    """The final record of one input paper: converted, or failed with stage and reason."""

    index: int = Field(description="Position of the paper in the input list.")
    key: str | None
    doi: str | None = None
    title: str | None = None
    status: Literal["converted", "failed"]
    stage: Stage | None = None
    reason: Reason | None = None
    message: str | None = None
    source: str | None = Field(default=None, description="open_access or retrieve_academic.")
    source_url: str | None = None
    format: DocumentFormat | None = Field(
        default=None, description="What the full text arrived as: pdf, epub or html."
    )
    pages: int | None = None
    converter: str | None = Field(
        default=None, description="marker (pdf), epub-xhtml (epub), html (HTML full text)."
    )
    mode: str | None = Field(default=None, description="Conversion mode actually used.")
    mode_reason: str | None = None
    markdown_path: str | None = None
    markdown: str | None = None
    headings: list[Heading] = Field(
        default_factory=list, description="The document's headings, from the converter."
    )
    fallback_pages: list[PageFallback] = Field(
        default_factory=list,
        description="Pages converted as plain page text because their layout failed.",
    )
    cached: bool = False
    quality: dict[str, Any] | None = Field(
        default=None,
        description='Per page and paper: {"score", "flags", "pages": [{"page", "score", "flags",'
        ' "repaired_by"}], "rungs"} (conversion/quality/report.py).',
    )
    timings: dict[str, float] = Field(default_factory=dict)
    tried: list[Attempt] = Field(default_factory=list)


def failure(
    index: int,
    key: str | None,
    *,
    stage: Stage,
    reason: Reason,
    message: str,
    doi: str | None = None,
    title: str | None = None,
    tried: list[Attempt] | list[dict] | tuple = (),
    format: DocumentFormat | None = None,
) -> dict[str, Any]:
    """A `failed` outcome as the plain dict that graph state and the manifest hold."""
    return Outcome(
        index=index,
        key=key,
        doi=doi,
        title=title,
        status="failed",
        stage=stage,
        reason=reason,
        message=message,
        format=format,
        tried=[Attempt.model_validate(a) for a in tried],
    ).model_dump(mode="json")

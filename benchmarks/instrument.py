"""What a measured run records, and the one probe it needs inside the package.

Stage events say when a paper was acquired and when its markdown was stored, but not when the
converter process itself was busy: `converted` fires after the markdown is indexed.
`record_conversions` wraps `Place.convert`, through which every document reaches a converter
(no other change), and keeps the worker's own clock readings (`Done.started_at`, `seconds`), so
idle time between documents shows up as idle, and a document waiting in a worker's pipe counts
as waiting, not converting.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from workflows.research.academic_lit_review.paper_processor.conversion.places import Place
from workflows.research.academic_lit_review.paper_processor.conversion.worker import Done, Job


@dataclass(frozen=True)
class ConverterSpan:
    """One document in a converter worker: wall-clock start and end, pages converted."""

    sha256: str
    started: float
    ended: float
    pages: int


@contextlib.contextmanager
def record_conversions(*, enabled: bool = True) -> Iterator[list[ConverterSpan]]:
    """Record every conversion of this process (`Place.convert`) while the block runs."""
    original = Place.convert
    spans: list[ConverterSpan] = []
    if not enabled:
        yield spans
        return

    async def convert(self: Place, job: Job, **options: Any) -> Done:
        done = await original(self, job, **options)
        # Stored PDFs are named by their sha256, which maps the document back to its paper.
        spans.append(
            ConverterSpan(
                Path(job.pdf_path).stem,
                done.started_at,
                done.started_at + done.seconds,
                done.pages,
            )
        )
        return done

    Place.convert = convert  # type: ignore[method-assign]
    try:
        yield spans
    finally:
        Place.convert = original  # type: ignore[method-assign]


@dataclass
class PaperRecord:
    """One converted paper's measured times, in seconds since the run started."""

    index: int
    arrived: float  # validated PDF on disk and handed on (a_i)
    started: float  # converter began the document (its first page range, for long ones)
    ended: float  # converter finished it
    busy: float  # converter time spent on it (c_i); ended - started unless split in ranges
    stored: float  # markdown stored: the paper's markdown is available
    pages: int


@dataclass
class RawRun:
    """What a child process reports about one pipeline run."""

    pipeline: str
    makespan_s: float
    slots: int
    papers_in: int
    converted: int
    failed: int
    by_reason: dict[str, int]
    records: list[PaperRecord] = field(default_factory=list)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, raw: dict) -> RawRun:
        records = [PaperRecord(**r) for r in raw.pop("records")]
        return cls(**raw, records=records)


def join_records(
    t0: float,
    arrived: dict[int, float],
    stored: dict[int, float],
    spans: list[ConverterSpan],
    index_of_sha: dict[str, int],
) -> list[PaperRecord]:
    """Per-paper records from absolute clock readings (arrival, markdown stored, converter spans).

    A long document converted in page ranges has several spans; they make one record.
    """
    spans_of: dict[int, list[ConverterSpan]] = {}
    for span in spans:
        if span.sha256 in index_of_sha:
            spans_of.setdefault(index_of_sha[span.sha256], []).append(span)
    records = []
    for index, own in sorted(spans_of.items()):
        if index not in arrived or index not in stored:
            continue
        records.append(
            PaperRecord(
                index=index,
                arrived=arrived[index] - t0,
                started=min(s.started for s in own) - t0,
                ended=max(s.ended for s in own) - t0,
                busy=sum(s.ended - s.started for s in own),
                stored=stored[index] - t0,
                pages=sum(s.pages for s in own),
            )
        )
    return records

"""From measured per-paper times to the figures the benchmark reports.

Notation: a_i is when paper i's validated PDF was on disk and handed to conversion, c_i how
long the converter worked on it, k the number of converter slots; all times in seconds since
the run started. Only papers that were converted count (failed acquisitions never reach a
converter, in either pipeline).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass

from .instrument import PaperRecord, RawRun

DEFINITIONS = """\
definitions (a_i: validated PDF on disk, c_i: converter busy time, k: converter slots; s since start)
  makespan          run start -> result returned (graph: run_papers returned, outputs written; baseline: all markdown read)
  lower_bound       max(min_i a_i + sum_i c_i / k, max_i (a_i + c_i))
  ratio             makespan / lower_bound
  idle_fraction     idle converter slot-time that waiting papers could have used, i.e. the integral
                    of min(idle slots, papers waiting) over [first arrival, last conversion end],
                    divided by k x that window; "waiting" = arrived (a_i) but not yet in a converter
  first_markdown    run start -> first markdown stored; target: first a_i + its c_i + 50 ms
  overhead/paper    (makespan - ideal) / N, in ms; ideal = makespan of a greedy list schedule
                    (a slot never idles while a paper waits, most relevant first) simulated from
                    the same measured a_i, c_i and k, with zero cost per paper; N = all papers
  peak_rss          max over 20 ms samples of the summed RSS of the run's process and its
                    children (converter workers); the loopback servers run elsewhere
  relevance         mean relevance rank (1 = most relevant converted paper) of the first 10% to
                    start converting; fifo = the first 10% to arrive; ideal = the list schedule's"""


@dataclass(frozen=True)
class RunMetrics:
    makespan_s: float
    lower_bound_s: float
    ratio: float
    idle_fraction: float
    first_markdown_s: float
    overhead_ms_per_paper: float
    peak_rss_mb: float
    # Context for the figures above.
    ideal_makespan_s: float
    first_markdown_target_s: float
    converted: int
    failed: int

    def headline(self) -> dict[str, float]:
        """The keys of the JSON summary line."""
        return {
            "makespan_s": self.makespan_s,
            "lower_bound_s": self.lower_bound_s,
            "ratio": self.ratio,
            "idle_fraction": self.idle_fraction,
            "first_markdown_s": self.first_markdown_s,
            "overhead_ms_per_paper": self.overhead_ms_per_paper,
            "peak_rss_mb": self.peak_rss_mb,
        }


@dataclass(frozen=True)
class _Job:
    arrival: float
    duration: float
    relevance: float
    index: int


def lower_bound(records: Sequence[PaperRecord], slots: int) -> float:
    if not records:
        return 0.0
    work = sum(r.busy for r in records)
    return max(
        min(r.arrived for r in records) + work / slots, max(r.arrived + r.busy for r in records)
    )


def list_schedule(jobs: Sequence[_Job], slots: int) -> tuple[float, list[int]]:
    """Greedy non-delay schedule: (makespan, paper indices in start order)."""
    by_arrival = sorted(jobs, key=lambda j: j.arrival)
    free_at = [0.0] * slots
    waiting: list[tuple[float, float, int, _Job]] = []
    next_arrival, makespan, order = 0, 0.0, []
    while next_arrival < len(by_arrival) or waiting:
        now = heapq.heappop(free_at)
        if not waiting:
            now = max(now, by_arrival[next_arrival].arrival)
        while next_arrival < len(by_arrival) and by_arrival[next_arrival].arrival <= now:
            job = by_arrival[next_arrival]
            heapq.heappush(waiting, (-job.relevance, job.arrival, job.index, job))
            next_arrival += 1
        job = heapq.heappop(waiting)[3]
        heapq.heappush(free_at, now + job.duration)
        makespan = max(makespan, now + job.duration)
        order.append(job.index)
    return makespan, order


def ideal_schedule(
    records: Sequence[PaperRecord], relevance: dict[int, float], slots: int
) -> tuple[float, list[int]]:
    jobs = [_Job(r.arrived, r.busy, relevance[r.index], r.index) for r in records]
    return list_schedule(jobs, slots)


def idle_fraction(records: Sequence[PaperRecord], slots: int) -> float:
    """Idle slot-time usable by waiting papers over k x [first arrival, last end] (see DEFINITIONS)."""
    if not records:
        return 0.0
    changes: list[tuple[float, int, int]] = []  # (time, Δwaiting, Δbusy)
    for r in records:
        started = max(r.started, r.arrived)  # clock readings of two processes may cross by µs
        changes += [(r.arrived, +1, 0), (started, -1, +1), (r.ended, 0, -1)]
    changes.sort()
    window_start, window_end = changes[0][0], max(r.ended for r in records)
    waiting = busy = 0
    idle = 0.0
    previous = window_start
    for moment, d_waiting, d_busy in changes:
        if waiting > 0:
            idle += max(min(slots - busy, waiting), 0) * max(moment - previous, 0.0)
        waiting, busy, previous = waiting + d_waiting, busy + d_busy, moment
    span = window_end - window_start
    return idle / (slots * span) if span > 0 else 0.0


def first_markdown(records: Sequence[PaperRecord]) -> tuple[float, float]:
    """(time to first stored markdown, its target: first arrival + its conversion + 50 ms)."""
    if not records:
        return math.nan, math.nan
    first_in = min(records, key=lambda r: r.arrived)
    return min(r.stored for r in records), first_in.arrived + first_in.busy + 0.05


def run_metrics(raw: RawRun, relevance: dict[int, float], peak_rss_mb: float) -> RunMetrics:
    bound = lower_bound(raw.records, raw.slots)
    ideal, _order = ideal_schedule(raw.records, relevance, raw.slots)
    first, target = first_markdown(raw.records)
    return RunMetrics(
        makespan_s=round(raw.makespan_s, 3),
        lower_bound_s=round(bound, 3),
        ratio=round(raw.makespan_s / bound, 4) if bound else math.nan,
        idle_fraction=round(idle_fraction(raw.records, raw.slots), 5),
        first_markdown_s=round(first, 4),
        overhead_ms_per_paper=round(1000 * (raw.makespan_s - ideal) / max(raw.papers_in, 1), 3),
        peak_rss_mb=round(peak_rss_mb, 1),
        ideal_makespan_s=round(ideal, 3),
        first_markdown_target_s=round(target, 4),
        converted=raw.converted,
        failed=raw.failed,
    )


def _mean_rank(indices: Sequence[int], rank: dict[int, int]) -> float:
    return round(sum(rank[i] for i in indices) / len(indices), 2) if indices else math.nan


def relevance_report(raw: RawRun, relevance: dict[int, float]) -> dict[str, float]:
    """Mean relevance rank of the first 10% converted, against FIFO and the ideal schedule."""
    records = raw.records
    if not records:
        return {}
    by_relevance = sorted(records, key=lambda r: (-relevance[r.index], r.index))
    rank = {r.index: position + 1 for position, r in enumerate(by_relevance)}
    tenth = max(1, math.ceil(len(records) / 10))
    converted_first = [r.index for r in sorted(records, key=lambda r: r.started)][:tenth]
    arrived_first = [r.index for r in sorted(records, key=lambda r: r.arrived)][:tenth]
    _makespan, ideal_order = ideal_schedule(records, relevance, raw.slots)
    return {
        "first_10pct_mean_rank": _mean_rank(converted_first, rank),
        "fifo_mean_rank": _mean_rank(arrived_first, rank),
        "ideal_mean_rank": _mean_rank(ideal_order[:tenth], rank),
        "random_mean_rank": round((len(records) + 1) / 2, 2),
        "papers_in_first_10pct": tenth,
    }

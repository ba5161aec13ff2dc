"""Serve a workload on loopback: the open-access host and the retrieve-academic service.

The servers run in the benchmark's parent process, while each measured pipeline runs in a
child process: the servers' CPU time and memory (request logs, routes) then count against
neither the graph nor the baseline, as a remote publisher's would not.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from workflows.research.academic_lit_review.paper_processor.testing.loopback import serve_loopback
from workflows.research.academic_lit_review.paper_processor.testing.openweb import (
    OpenWebHost,
    Respond,
)
from workflows.research.academic_lit_review.paper_processor.testing.retrieve_service import (
    ERROR_CODES,
    RetrieveService,
)

from .workload import Workload, oa_path


@dataclass(frozen=True)
class Endpoints:
    open_web: str
    retrieve: str


def _open_web_host(workload: Workload, *, immediate: bool) -> OpenWebHost:
    host = OpenWebHost()
    for paper in workload.papers:
        if paper.source == "open_access":
            delay = 0.0 if immediate else paper.delay_s
            host.add(oa_path(paper.index), Respond(body=Path(paper.pdf), delay_s=delay))
    return host


def _retrieve_service(workload: Workload) -> RetrieveService:
    service = RetrieveService()
    for paper in workload.papers:
        if paper.source == "retrieve":
            service.hold(paper.doi, pdf=Path(paper.pdf), ready_after_s=paper.delay_s)
        elif paper.source == "retrieve_fails":
            code = ERROR_CODES[paper.index % len(ERROR_CODES)]
            service.fail(
                paper.doi, error_code=code, error=f"benchmark: {code}", after_s=paper.delay_s
            )
    return service


@contextlib.contextmanager
def serve_workload(workload: Workload, *, immediate: bool = False) -> Iterator[Endpoints]:
    """Fresh servers for one run. `immediate` answers every download at once (throughput runs)."""
    host = _open_web_host(workload, immediate=immediate)
    service = _retrieve_service(workload)
    with serve_loopback(host.app) as open_web, serve_loopback(service.app) as retrieve:
        yield Endpoints(open_web=open_web, retrieve=retrieve)

"""Resident memory of one marker converter worker: the figure `conversion_workers=auto` sizes by.

Starts one worker as a run does (text-layer marker with the quality stage, OCR as configured),
reads its resident set once it is ready, converts papers from the shared corpus, and reads its
peak resident set (the kernel's VmHWM: every page it ever had resident, sampled by nobody).
Prints one JSON line; conversion/sizing.py's WORKER_RSS_MB is the peak rounded up.

    python -m benchmarks.worker_rss [--papers 8]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import pypdfium2

from workflows.research.academic_lit_review.paper_processor.context import Context
from workflows.research.academic_lit_review.paper_processor.conversion.local_backend import (
    LocalBackend,
)
from workflows.research.academic_lit_review.paper_processor.conversion.worker import (
    Job,
    WorkerSpec,
)

CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "papers"
MIB = 1024 * 1024


def _status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise KeyError(field)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=8)
    args = parser.parse_args()
    ctx = Context()
    spec = WorkerSpec(
        converter="marker",
        mode="text_layer",
        font_path=ctx.resolved_font_path(),
        check_quality=True,
        ocr_engine=ctx.ocr_engine,
    )
    pdfs = sorted(CORPUS.resolve().rglob("*.pdf"))[: args.papers]
    backend = LocalBackend()
    started = time.perf_counter()
    worker = backend.launch(spec)
    try:
        backend.wait_ready(worker, 300)
        ready_s = time.perf_counter() - started
        pid = worker.process.pid
        ready_mb = _status_kib(pid, "VmRSS") / 1024
        pages = 0
        with tempfile.TemporaryDirectory() as out:
            for number, pdf in enumerate(pdfs):
                count = len(pypdfium2.PdfDocument(pdf))
                worker.conn.send(Job(str(pdf), f"{out}/{number}.md", pages=count))
                worker.receive(600)
                pages += count
        peak_mb = _status_kib(pid, "VmHWM") / 1024
        now_mb = _status_kib(pid, "VmRSS") / 1024
    finally:
        backend.stop(worker)
    print(
        json.dumps(
            {
                "ready_s": round(ready_s, 2),
                "ready_rss_mb": round(ready_mb),
                "after_rss_mb": round(now_mb),
                "peak_rss_mb": round(peak_mb),
                "papers": len(pdfs),
                "pages": pages,
            }
        )
    )


if __name__ == "__main__":
    main()

"""Benchmark: conversion throughput as converter workers are added, local pool or Ray actors.

    .venv/bin/python benchmarks/scaling_workers.py --backend ray --scaling-workers 1,2
    .venv/bin/python benchmarks/scaling_workers.py --backend local --workers 2
        [--papers 40] [--seconds-per-page 0.2] [--ray-address HOST:PORT]

The real graph runs in this process with the calibrated converter (it holds its worker for a set
time per page, so workers scale as far as the scheduling around them allows) over N one-page
papers that a loopback host serves instantly, so conversion is the bottleneck. For each worker
count k, with a fresh workspace:

    throughput(k) = (N - k) / (t_converted[N] - t_converted[k])   papers per second

i.e. measured from the moment the k-th paper is converted (every worker is warm and busy) to the
last one, which leaves worker start-up (a Ray actor: a new process) out and measures the steady
state; the whole run's N / makespan is printed beside it. scaling_efficiency = thr(2) / (2 thr(1))
for --scaling-workers 1,2 (generally thr(k_max) / (k_max / k_min * thr(k_min))).

With --backend ray and no --ray-address, a real Ray head node is started on 127.0.0.1 for the
benchmark (its own process group, stopped at the end). The last line printed is one JSON object:
{"backend": "ray", "throughput": {"1": ..., "2": ...}, "scaling_efficiency": ...}.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from workflows.research.academic_lit_review.paper_processor.context import Context  # noqa: E402
from workflows.research.academic_lit_review.paper_processor.graph import graph  # noqa: E402
from workflows.research.academic_lit_review.paper_processor.testing.loopback import (  # noqa: E402
    serve_loopback,
)
from workflows.research.academic_lit_review.paper_processor.testing.openweb import (  # noqa: E402
    OpenWebHost,
    Respond,
)
from workflows.research.academic_lit_review.paper_processor.testing.pdfs import (  # noqa: E402
    paper_text,
    write_paper_pdf,
)

TARGET_EFFICIENCY = 0.9


def make_papers(folder: Path, count: int, host: OpenWebHost, base_url: str) -> list[dict]:
    papers = []
    for seed in range(count):
        title, paragraphs = paper_text(seed)
        doi = f"10.5555/scaling.{seed}"
        pdf = write_paper_pdf(
            folder / f"{seed}.pdf",
            title=title,
            authors=["Ada Lovelace"],
            paragraphs=paragraphs[:2],
            pages=1,
            doi=doi,
        )
        host.add(f"/{seed}.pdf", Respond(body=pdf))
        papers.append({"doi": doi, "title": title, "oa_urls": [f"{base_url}/{seed}.pdf"]})
    return papers


def context_for(
    args: argparse.Namespace, workers: int, workspace: Path, ray_address: str | None
) -> Context:
    values = dict(
        workspace=str(workspace),
        allow_private_hosts=True,
        converter="calibrated",
        calibrated_seconds_per_page=args.seconds_per_page,
        conversion_workers=workers,
        conversion_timeout_s=120,
        download_timeout_s=60,
        download_concurrency=16,
        # One loopback host serves every paper: politeness would make downloads the bottleneck.
        host_concurrency=16,
        host_min_interval_s=0.0,
        conversion_backend=args.backend,
        ray_address=ray_address,
    )
    return Context(**{k: v for k, v in values.items() if k in Context.model_fields})


async def measure(papers: list[dict], ctx: Context) -> dict:
    converted: list[float] = []
    failed = 0
    started = time.perf_counter()
    async for mode, chunk in graph.astream(
        {"papers": papers}, context=ctx, stream_mode=["custom", "updates"]
    ):
        if mode != "custom":
            continue
        if chunk.get("stage") == "converted":
            converted.append(time.perf_counter())
        elif chunk.get("stage") == "failed":
            failed += 1
    makespan = time.perf_counter() - started
    k, n = ctx.conversion_workers, len(converted)
    if failed or n != len(papers):
        raise RuntimeError(f"{n} of {len(papers)} papers converted, {failed} failed")
    converted.sort()
    steady = (n - k) / (converted[-1] - converted[k - 1])
    return {
        "workers": k,
        "papers": n,
        "throughput": steady,
        "makespan_s": makespan,
        "overall_throughput": n / makespan,
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["local", "ray"], default="ray")
    parser.add_argument("--workers", type=int, default=1, help="converter workers (one run)")
    parser.add_argument(
        "--scaling-workers",
        type=str,
        default=None,
        help="comma-separated worker counts, e.g. 1,2 (scaling mode)",
    )
    parser.add_argument("--papers", type=int, default=40)
    parser.add_argument("--seconds-per-page", type=float, default=0.2)
    parser.add_argument(
        "--ray-address",
        default=None,
        help="an existing Ray cluster; default: start one on loopback",
    )
    args = parser.parse_args(argv)
    counts = (
        [int(x) for x in args.scaling_workers.split(",")]
        if args.scaling_workers
        else [args.workers]
    )
    if any(k < 1 for k in counts) or any(args.papers <= k for k in counts):
        parser.error("worker counts must be >= 1 and below --papers")
    args.counts = counts
    return args


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="scaling-workers-"))
    with contextlib.ExitStack() as stack:
        stack.callback(shutil.rmtree, scratch, ignore_errors=True)
        ray_address = args.ray_address
        if args.backend == "ray" and ray_address is None:
            from workflows.research.academic_lit_review.paper_processor.testing.ray_cluster import (
                LoopbackRayCluster,
            )

            print(
                f"starting a Ray head node on 127.0.0.1 ({max(args.counts) + 1} CPUs)...",
                flush=True,
            )
            ray_address = stack.enter_context(LoopbackRayCluster(num_cpus=max(args.counts) + 1))
        host = OpenWebHost()
        base_url = stack.enter_context(serve_loopback(host.app))
        (scratch / "pdfs").mkdir()
        papers = make_papers(scratch / "pdfs", args.papers, host, base_url)
        print(
            f"{args.papers} one-page papers served instantly, calibrated converter at "
            f"{args.seconds_per_page:g} s/page, backend {args.backend}"
        )
        results: dict[int, dict] = {}
        for k in args.counts:
            ctx = context_for(args, k, scratch / f"workspace-{k}", ray_address)
            results[k] = asyncio.run(measure(papers, ctx))
            r = results[k]
            print(
                f"  {k} worker(s): {r['throughput']:.3f} papers/s steady "
                f"(ideal {k / args.seconds_per_page:.3f}), {r['overall_throughput']:.3f} papers/s "
                f"over the whole run ({r['makespan_s']:.2f} s)",
                flush=True,
            )
    report: dict = {
        "backend": args.backend,
        "throughput": {str(k): round(r["throughput"], 4) for k, r in results.items()},
    }
    if len(args.counts) > 1:
        low, high = min(args.counts), max(args.counts)
        efficiency = results[high]["throughput"] / (high / low * results[low]["throughput"])
        report["scaling_efficiency"] = round(efficiency, 4)
        print(
            f"scaling efficiency thr({high}) / ({high}/{low} x thr({low})) = {efficiency:.4f} "
            f"[{'met' if efficiency >= TARGET_EFFICIENCY else 'MISSED'}] >= {TARGET_EFFICIENCY}"
        )
    report.update(
        papers=args.papers,
        seconds_per_page=args.seconds_per_page,
        overall_throughput={str(k): round(r["overall_throughput"], 4) for k, r in results.items()},
    )
    print(json.dumps(report))
    return report


if __name__ == "__main__":
    main()

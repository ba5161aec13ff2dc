"""`conversion_workers=auto`: as many converters as the machine's cores and memory carry.

A marker converter is CPU-bound (text-layer mode) and large: its resident size was measured
with `benchmarks/worker_rss.py` (one worker started as a run starts it — text-layer marker,
layout and quality stages, OCR engines loaded on demand — converting 8 papers of
`../shared/data/papers`; the kernel's peak resident set, VmHWM). Workers beyond the cores only
time-slice; workers beyond the memory swap or meet the OOM killer. So `auto` is the smaller of
the usable cores and the available memory (kept HEADROOM for everything else) divided by that
size, and at least one. The run's own process (downloads, the event loop) needs little CPU.

On the Ray backend `auto` is what the cluster's resources hold: its CPUs (GPUs, when each actor
asks for some) over what each actor reserves; with no address (a local cluster a run would
start) it is this machine's figure, found without starting a cluster.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

from ..context import Context

# Peak resident MiB of one marker converter worker: 1081 measured (benchmarks/worker_rss.py,
# 8 papers, 143 pages, 2026-12-01), rounded up.
WORKER_RSS_MB = 1100
# The calibrated test converters are a Python interpreter with the package imported.
TEST_WORKER_RSS_MB = 150
# Of the available memory, what converters may take: the rest is the run's and the system's.
HEADROOM = 0.8
MIB = 1024 * 1024


@dataclass(frozen=True)
class WorkerSizing:
    """What `auto` chose and why, in one line a user can check (doctor, config)."""

    count: int
    reason: str


def auto_workers(ctx: Context) -> WorkerSizing:
    """Blocking (reads /proc, or asks the Ray cluster): the converter count for `auto`."""
    if ctx.conversion_backend == "ray":
        return _ray_workers(ctx)
    per_worker_mb = WORKER_RSS_MB if ctx.converter == "marker" else TEST_WORKER_RSS_MB
    return size_for(usable_cores(), available_memory_mb(), per_worker_mb)


def size_for(cores: int, available_mb: float | None, per_worker_mb: int) -> WorkerSizing:
    if available_mb is None:
        return WorkerSizing(cores, f"{cores} usable core(s); available memory unknown")
    by_memory = math.floor(available_mb * HEADROOM / per_worker_mb)
    count = max(1, min(cores, by_memory))
    limit = "cores" if cores <= by_memory else "memory"
    return WorkerSizing(
        count,
        f"{cores} usable core(s), {available_mb / 1024:.1f} GiB available memory at"
        f" {per_worker_mb} MiB per converter worker (measured): {count}, set by {limit}",
    )


def usable_cores() -> int:
    """Cores this process may run on, within a cgroup CPU quota (containers) where one is set."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    quota = _read("/sys/fs/cgroup/cpu.max")
    if quota and not quota.startswith("max"):
        allowed, period = (int(part) for part in quota.split()[:2])
        cores = min(cores, max(1, allowed // period))
    return cores


def available_memory_mb() -> float | None:
    """Memory the system can give without swapping (MemAvailable), within a cgroup limit."""
    available: float | None = None
    meminfo = _read("/proc/meminfo")
    if meminfo:
        for line in meminfo.splitlines():
            if line.startswith("MemAvailable:"):
                available = int(line.split()[1]) / 1024
    limit, used = _read("/sys/fs/cgroup/memory.max"), _read("/sys/fs/cgroup/memory.current")
    if limit and used and limit.strip() != "max":
        in_cgroup = (int(limit) - int(used)) / MIB
        available = in_cgroup if available is None else min(available, in_cgroup)
    return available


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text()
    except OSError:
        return None


def _ray_workers(ctx: Context) -> WorkerSizing:
    from .ray_cluster import connect, import_ray

    if ctx.ray_address is None and not os.environ.get("RAY_ADDRESS"):
        # A run would start a local cluster on this machine: size for this machine, without
        # starting one (doctor and config must not).
        per_worker_mb = WORKER_RSS_MB if ctx.converter == "marker" else TEST_WORKER_RSS_MB
        local = size_for(usable_cores(), available_memory_mb(), per_worker_mb)
        return WorkerSizing(local.count, f"a local Ray cluster on this machine: {local.reason}")
    connect(ctx.ray_address)
    resources = import_ray().cluster_resources()
    cpus, gpus = resources.get("CPU", 0.0), resources.get("GPU", 0.0)
    fits = [math.floor(cpus / ctx.ray_num_cpus)] if ctx.ray_num_cpus else []
    if ctx.ray_num_gpus:
        fits.append(math.floor(gpus / ctx.ray_num_gpus))
    count = max(1, min(fits)) if fits else 1
    return WorkerSizing(
        count,
        f"Ray cluster: {cpus:g} CPU, {gpus:g} GPU; {ctx.ray_num_cpus:g} CPU and"
        f" {ctx.ray_num_gpus:g} GPU per actor: {count}",
    )


def describe_workers(ctx: Context) -> str:
    """The worker count a run with `ctx` gets here, and why, for `doctor` and `config`.

    Blocking (see auto_workers). For example: "2 (auto: 2 usable core(s), 20.5 GiB available
    memory at 1100 MiB per converter worker (measured): 2, set by cores)", or "3 (set)".
    """
    if ctx.conversion_workers != "auto":
        return f"{ctx.conversion_workers} (set)"
    sizing = auto_workers(ctx)
    return f"{sizing.count} (auto: {sizing.reason})"

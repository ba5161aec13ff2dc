"""Build the converter pool a run asks for, with the conversion mode decided up front.

The pool is the run's (places, deadlines, crash policy: pool.py); its converters come from the
process's stock for that backend and spec (stock.py), so a second run in the same process —
a LangGraph server's next run, a program's second invoke — finds them started and warm.
"""

from __future__ import annotations

import sys

import anyio.to_thread

from ..context import Context
from ..errors import ConfigurationError
from .converters import ConverterBackend
from .local_backend import LocalBackend
from .mode import ModeDecision, decide_mode
from .pool import ConverterPool
from .quality.ocr import engine_available
from .sizing import auto_workers
from .stock import close_all, shared_stock
from .worker import WorkerSpec

# What the marker node drives; the name it knew the pool by.
ConversionPool = ConverterPool


async def open_converter_pool(ctx: Context) -> tuple[ConverterPool, ModeDecision]:
    """The run's pool (enter it to start its converters) and the mode they convert in."""
    if ctx.converter in {"calibrated", "faulty"}:
        decision = ModeDecision(
            "text_layer", f"calibrated converter: {ctx.calibrated_seconds_per_page:g} s per page"
        )
    elif ctx.conversion_backend == "ray" and ctx.marker_mode != "text_layer":
        from .ray_backend import decide_mode_on_cluster

        # Probe where the converters run (a GPU node), not on the driver.
        decision = await decide_mode_on_cluster(
            ctx.marker_mode,
            ctx.inference_url,
            address=ctx.ray_address,
            num_cpus=ctx.ray_num_cpus,
            num_gpus=ctx.ray_num_gpus,
        )
    else:
        decision = await anyio.to_thread.run_sync(decide_mode, ctx.marker_mode, ctx.inference_url)
    spec = WorkerSpec(
        converter=ctx.converter,
        mode=decision.mode,
        font_path=ctx.resolved_font_path(),
        inference_url=decision.inference_url,
        seconds_per_page=ctx.calibrated_seconds_per_page,
        check_quality=ctx.converter == "marker",
        ocr_engine=ctx.ocr_engine,
    )
    if spec.check_quality and ctx.ocr_engine != "off" and not engine_available(ctx.ocr_engine):
        # Said once, up front, rather than by every worker failing to start.
        raise ConfigurationError(
            f"ocr_engine={ctx.ocr_engine} is not installed here; install it or set ocr_engine=off"
        )
    backend: ConverterBackend
    if ctx.conversion_backend == "ray":
        from .ray_backend import RayBackend

        backend = RayBackend(
            address=ctx.ray_address, num_cpus=ctx.ray_num_cpus, num_gpus=ctx.ray_num_gpus
        )
    else:
        backend = LocalBackend()
    workers = ctx.conversion_workers
    if workers == "auto":
        workers = (await anyio.to_thread.run_sync(auto_workers, ctx)).count
    pool = ConverterPool(
        backend,
        spec,
        workers=workers,
        timeout_s=ctx.conversion_timeout_s,
        max_docs_per_worker=ctx.max_docs_per_worker,
        stock=shared_stock(backend, spec, idle_s=ctx.converter_idle_s),
    )
    return pool, decision


def stop_local_services() -> None:
    """Blocking: stop what conversion started in this process that outlives a run.

    That is the converters kept warm for later runs (stock.py; also stopped at interpreter exit
    and after `converter_idle_s` unused), then the local Ray cluster the ray backend starts when
    given no address (it serves every run of the process). A process that never used Ray
    imports nothing of it.
    """
    close_all()
    ray_cluster = sys.modules.get(f"{__package__}.ray_cluster")
    if ray_cluster is not None:
        ray_cluster.stop_local_cluster()

"""Build the converter pool a run asks for, with the conversion mode decided up front."""

from __future__ import annotations

import sys
from contextlib import AbstractAsyncContextManager
from typing import Protocol

import anyio.to_thread

from ..context import Context
from ..errors import ConfigurationError
from .mode import ModeDecision, decide_mode
from .places import OnStart, Place
from .pool import ConverterPool
from .quality.ocr import engine_available
from .worker import Done, Job, WorkerSpec


class ConversionPool(Protocol):
    """What the marker node uses of a pool: ConverterPool (local) and RayConverterPool (ray).

    `place()` reserves a converter that can take a document now (or, locally, as soon as its
    current one ends); the marker node picks the most relevant waiting paper only then, in
    `slots` loops. convert() raises pool.ConversionFailed for one document and calls `on_start`
    when a converter turns to it.
    """

    spec: WorkerSpec
    slots: int

    async def __aenter__(self) -> ConversionPool: ...

    async def __aexit__(self, *exc_info: object) -> bool | None: ...

    def place(self) -> AbstractAsyncContextManager[Place]: ...

    async def convert(self, job: Job, *, on_start: OnStart = None) -> Done: ...


async def open_converter_pool(ctx: Context) -> tuple[ConversionPool, ModeDecision]:
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
    if ctx.conversion_backend == "ray":
        from .ray_backend import RayConverterPool

        pool: ConversionPool = RayConverterPool(
            spec,
            workers=ctx.conversion_workers,
            timeout_s=ctx.conversion_timeout_s,
            address=ctx.ray_address,
            num_cpus=ctx.ray_num_cpus,
            num_gpus=ctx.ray_num_gpus,
            max_docs_per_worker=ctx.max_docs_per_worker,
        )
    else:
        pool = ConverterPool(
            spec,
            workers=ctx.conversion_workers,
            timeout_s=ctx.conversion_timeout_s,
            max_docs_per_worker=ctx.max_docs_per_worker,
        )
    return pool, decision


def stop_local_services() -> None:
    """Blocking: stop what conversion started in this process that outlives a run.

    That is the local Ray cluster the ray backend starts when given no address (it serves every
    run of the process); converter pools stop their own workers and actors when they close.
    Imports nothing: a process that never used Ray has nothing to stop.
    """
    ray_cluster = sys.modules.get(f"{__package__}.ray_cluster")
    if ray_cluster is not None:
        ray_cluster.stop_local_cluster()

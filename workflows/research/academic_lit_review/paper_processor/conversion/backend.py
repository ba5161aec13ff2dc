"""Build the converter pool a run asks for, with the conversion mode decided up front."""

from __future__ import annotations

import anyio.to_thread

from ..context import Context
from .mode import ModeDecision, decide_mode
from .pool import ConverterPool
from .worker import WorkerSpec


async def open_converter_pool(ctx: Context) -> tuple[ConverterPool, ModeDecision]:
    if ctx.converter in {"calibrated", "faulty"}:
        decision = ModeDecision(
            "text_layer", f"calibrated converter: {ctx.calibrated_seconds_per_page:g} s per page"
        )
    else:
        decision = await anyio.to_thread.run_sync(decide_mode, ctx.marker_mode, ctx.inference_url)
    spec = WorkerSpec(
        converter=ctx.converter,
        mode=decision.mode,
        font_path=ctx.resolved_font_path(),
        inference_url=decision.inference_url,
        seconds_per_page=ctx.calibrated_seconds_per_page,
    )
    pool = ConverterPool(spec, workers=ctx.conversion_workers, timeout_s=ctx.conversion_timeout_s,
                         max_docs_per_worker=ctx.max_docs_per_worker)
    return pool, decision

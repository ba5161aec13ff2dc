"""Per-paper stage events on LangGraph's custom stream.

Each event is a small JSON object: `{"event": "paper", "stage": ..., "index": ..., "key": ...,
"t": ...}` plus stage-specific fields. Studio, the CLI and a parent graph (streaming with
`subgraphs=True`) see papers move live.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from langgraph.config import get_stream_writer

Emit = Callable[..., None]


def paper_events() -> Emit:
    """Return `emit(stage, index=..., key=..., **fields)` bound to the current node's stream."""
    try:
        writer = get_stream_writer()
    except RuntimeError:  # called outside a graph run (unit use of a node helper)
        writer = None

    def emit(stage: str, *, index: int, key: str | None, **fields: Any) -> None:
        if writer is not None:
            writer(
                {
                    "event": "paper",
                    "stage": stage,
                    "index": index,
                    "key": key,
                    "t": time.time(),
                    **{k: v for k, v in fields.items() if v is not None},
                }
            )

    return emit

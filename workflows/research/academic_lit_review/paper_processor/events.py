"""Per-paper stage events on LangGraph's custom stream.

Each event is a small JSON object: `{"event": "paper", "stage": ..., "index": ..., "key": ...,
"t": ...}` plus stage-specific fields. Studio, the CLI and a parent graph (streaming with
`subgraphs=True`) see papers move live.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from langgraph.config import get_stream_writer


class PaperStage(StrEnum):
    """The stages a paper event names, in pipeline order; the one vocabulary of events."""

    QUEUED = "queued"  # validated by prepare, not answered from the store
    CACHED = "cached"  # answered from the store: converted by an earlier run
    DOWNLOADING = "downloading"  # trying an open-access URL (`url`)
    DOWNLOADED = "downloaded"  # full text on disk and validated (`cached`: from the store)
    RETRIEVE_SUBMITTED = "retrieve_submitted"  # sent to retrieve-academic (`job_id`)
    RETRIEVE_REATTACHED = "retrieve_reattached"  # a resumed run is back on its job (`job_id`)
    RETRIEVE_STATUS = "retrieve_status"  # the job's status as the service said it (`status`)
    WAITING_ON_OTHER_RUN = "waiting_on_other_run"  # another run sharing the workspace converts it
    CONVERTING = "converting"  # a converter turned to it (`pages`)
    CONVERTED = "converted"  # its markdown is stored (`pages`, `seconds`, `quality`)
    FAILED = "failed"  # its failed outcome is recorded (`reason`)


Emit = Callable[..., None]


def paper_events() -> Emit:
    """Return `emit(stage, index=..., key=..., **fields)` bound to the current node's stream."""
    try:
        writer = get_stream_writer()
    except RuntimeError:  # called outside a graph run (unit use of a node helper)
        writer = None

    def emit(stage: PaperStage, *, index: int, key: str | None, **fields: Any) -> None:
        stage = PaperStage(stage)  # a stage outside the vocabulary is a bug, run or no run
        if writer is not None:
            writer(
                {
                    "event": "paper",
                    "stage": stage.value,
                    "index": index,
                    "key": key,
                    "t": time.time(),
                    **{k: v for k, v in fields.items() if v is not None},
                }
            )

    return emit

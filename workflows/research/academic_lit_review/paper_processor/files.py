"""File-system work for async code, off the event loop.

The LangGraph server refuses blocking calls on its loop (`langgraph dev` raises `BlockingError`),
and even where it does not, one slow disk would stall every run sharing the loop.
"""

from __future__ import annotations

import os

import anyio


async def discard(*paths: str | os.PathLike[str]) -> None:
    """Remove files that may or may not exist (temporary files on any exit path).

    Shielded: it runs in cleanup code, often while the surrounding task is being cancelled.
    """
    with anyio.CancelScope(shield=True):
        for path in paths:
            await anyio.Path(path).unlink(missing_ok=True)

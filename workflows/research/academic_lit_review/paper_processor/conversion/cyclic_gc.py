"""Python's cyclic garbage collector, kept out of a converter worker's way.

A worker holds marker's models and imports (about half a million objects that live as long as
the worker) and makes hundreds of thousands of short-lived objects per document (pdftext's
per-character records, marker's pydantic blocks). With the collector's defaults, every full
collection walks the long-lived heap again: about a quarter of a text-layer conversion's time,
found by profiling (benchmarks/profile_worker.py). So once the converter is built, everything
alive is frozen out of the collector (`gc.freeze`, never scanned again), and each document
converts with the collector paused and one collection after it: the document's reference
cycles are freed when it is done, not while it converts.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


def freeze_long_lived() -> None:
    """Move every object alive now out of the collector's generations, for good."""
    gc.collect()
    gc.freeze()


@contextmanager
def paused() -> Iterator[None]:
    """No automatic collection inside the block; one full collection when it ends."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
        gc.collect()

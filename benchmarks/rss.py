"""Peak resident memory of a process and its children, sampled from outside.

Sampling from the parent keeps the measured process free of measuring code. Converter workers
are children of the run, so they count; the loopback servers live in the parent, so they don't.

A child caught between fork and exec still maps its parent's memory and would show the
parent's whole RSS a second time (the pool replaces workers now and then), so a child still
running the parent's command line is not counted.
"""

from __future__ import annotations

import threading

import psutil

SAMPLE_EVERY_S = 0.02
MIB = 1024 * 1024


def tree_rss_bytes(root: psutil.Process) -> int:
    total = root.memory_info().rss
    command = root.cmdline()
    for child in root.children(recursive=True):
        try:
            if child.cmdline() != command:  # else forked, not yet exec'd: the parent's pages
                total += child.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass  # a worker that exited between listing and reading
    return total


class PeakRss:
    """`with PeakRss(pid) as peak: ...; peak.mb` — the largest tree RSS seen while open."""

    def __init__(self, pid: int) -> None:
        self._root = psutil.Process(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="peak-rss", daemon=True)
        self.peak_bytes = 0

    def _sample(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak_bytes = max(self.peak_bytes, tree_rss_bytes(self._root))
            except psutil.NoSuchProcess:
                return
            self._stop.wait(SAMPLE_EVERY_S)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def mb(self) -> float:
        return self.peak_bytes / MIB

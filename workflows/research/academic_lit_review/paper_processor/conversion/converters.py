"""What a kind of converter is: the interface both backends implement, and one converter's record.

A converter is a marker converter built once in a place of its own: a local worker process
(`local_backend.py`) or a Ray actor (`ray_backend.py`). A backend says how one is started, sent a
document, answered and stopped; everything else — sharing converters between runs, replacing
them, idle timeouts (`stock.py`), places, deadlines and the crash policy (`pool.py`) — is written
once, for both, the way anyio writes task groups once over its asyncio and Trio backends.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any, Protocol

from .worker import Done, Failed, Job, WorkerSpec


class ConverterGone(Exception):
    """The converter died (a native crash, an OOM kill, a lost node) or was killed."""


class ConverterBackend(Protocol):
    """How converters of one kind start, convert and stop.

    `launch`, `wait_ready`, `stop` and `kill` block (they run in threads of the stock);
    `send` is quick and `answered_within` / `receive` are awaited by the run that sent the job.
    """

    kind: str  # "local" or "ray"
    noun: str  # what a converter is called in messages: "worker", "Ray actor"
    # Documents one converter holds at once: its current one and, locally, the next one, which
    # waits in the worker's pipe so that the worker never idles through a round trip.
    places_per_converter: int

    def key(self) -> Hashable:
        """Converters of backends with equal keys (and equal specs) are interchangeable."""

    def connect(self) -> None:
        """Blocking: whatever must exist before a converter can be launched (a Ray connection)."""

    def launch(self, spec: WorkerSpec) -> Any:
        """Blocking, quick: create the converter (a process, an actor) and return its handle."""

    def wait_ready(self, handle: Any, timeout_s: float) -> dict[str, Any]:
        """Blocking: until the converter is built; what it says of itself. ConfigurationError
        when it cannot start (the stock then kills it)."""

    def send(self, handle: Any, job: Job) -> Any:
        """Hand `job` to the converter; a ticket for `receive`. ConverterGone if it is dead."""

    async def answered_within(self, handle: Any, ticket: Any, seconds: float) -> bool:
        """Whether the answer to `ticket` is there within `seconds` (pipelined backends only)."""

    async def receive(self, handle: Any, ticket: Any) -> Done | Failed:
        """The converter's answer to `ticket`; ConverterGone if the converter died first."""

    def stop(self, handle: Any) -> None:
        """Blocking: let the converter close its models, kill it if it lingers."""

    def kill(self, handle: Any) -> None:
        """Blocking: end the converter now."""


@dataclass(eq=False)
class Converter:
    """One started converter, as long as it lives (across the runs that use it)."""

    handle: Any
    info: dict[str, Any] = field(default_factory=dict)  # what it said when ready (pid, node...)
    sent: int = 0  # documents handed to it, over its life
    documents: int = 0  # documents it answered

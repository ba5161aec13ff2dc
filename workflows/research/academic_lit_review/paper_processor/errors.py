"""Exceptions of the paper processor.

    PaperProcessorError
    ├── ConfigurationError     the configuration cannot work (raised before any work starts)
    ├── InvalidInput           the input papers are not a list of papers
    └── RunAborted             another node of the same streaming superstep failed

One paper's failure is never an exception that leaves a node: it becomes an `Outcome`.
Inside acquisition and retrieval, `SourceFailed` carries a per-source failure with its reason
to the loop that tries the next source.
"""

from __future__ import annotations

from .models import Reason


class PaperProcessorError(Exception):
    """Root of the errors this package raises to its callers."""


class ConfigurationError(PaperProcessorError):
    """The configuration cannot work, e.g. full marker mode forced where no models exist."""


class InvalidInput(PaperProcessorError, ValueError):
    """The input as a whole is unusable (not a list, not objects)."""


class RunAborted(PaperProcessorError):
    """A sibling node of the streaming superstep failed; this node must not commit."""


class SourceFailed(Exception):
    """One source of one paper failed; the caller records it and tries the next source."""

    def __init__(self, reason: Reason, detail: str, *, status: int | None = None) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail
        self.status = status  # the HTTP status, when an HTTP answer caused the failure

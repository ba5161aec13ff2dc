"""The paper processor: papers in, markdown full texts out, as a streaming LangGraph subgraph.

Importing this package is cheap (converter worker processes import it). The compiled graph is
`paper_processor.graph.graph` (as in the LangGraph templates); it is not re-exported here,
where the name `graph` belongs to that submodule.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Context", "Outcome", "Paper"]


def __getattr__(name: str) -> Any:
    if name == "Context":
        from .context import Context

        return Context
    if name in {"Outcome", "Paper"}:
        from . import models

        return getattr(models, name)
    raise AttributeError(name)

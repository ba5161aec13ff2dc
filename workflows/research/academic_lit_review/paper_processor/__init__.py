"""The paper processor: papers in, markdown full texts out, as a streaming LangGraph subgraph.

Importing this package is cheap (converter worker processes import it); the graph and its
dependencies load on first use of `graph` or `build_graph`.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Context", "Outcome", "Paper", "build_graph", "graph"]


def __getattr__(name: str) -> Any:
    if name in {"graph", "build_graph"}:
        from . import graph as graph_module

        return getattr(graph_module, name)
    if name == "Context":
        from .context import Context

        return Context
    if name in {"Outcome", "Paper"}:
        from . import models

        return getattr(models, name)
    raise AttributeError(name)

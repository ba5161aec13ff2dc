"""Entry point named in langgraph.json."""

from workflows.research.academic_lit_review.graph import graph

__all__ = ["graph"]

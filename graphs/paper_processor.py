"""Entry point named in langgraph.json."""

from workflows.research.academic_lit_review.paper_processor.graph import graph

__all__ = ["graph"]

"""finalize: one outcome per input paper, in input order, with the markdown of each converted one."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import anyio.to_thread
from langgraph.runtime import Runtime

from ..context import Context, context_or_default
from ..models import Reason, Stage, failure
from ..state import State, Summary
from ..store import ArtifactStore


def _read_markdown(outcomes: list[dict]) -> None:
    for outcome in outcomes:
        if outcome["status"] == "converted" and outcome.get("markdown_path"):
            outcome["markdown"] = Path(outcome["markdown_path"]).read_text(encoding="utf-8")


async def finalize(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    ctx = context_or_default(runtime.context)
    results = state.get("results", {})
    outcomes: list[dict] = []
    for index, paper in enumerate(state.get("papers", [])):
        outcome = results.get(str(index))
        if outcome is None:  # a bug, but the paper still gets its one outcome
            paper = paper if isinstance(paper, dict) else {}
            outcome = failure(
                index,
                None,
                stage=Stage.PREPARE,
                reason=Reason.INVALID_INPUT,
                message="internal error: no stage decided this paper's fate",
                doi=paper.get("doi"),
                title=paper.get("title"),
            )
        outcomes.append(dict(outcome))
    await anyio.to_thread.run_sync(_read_markdown, outcomes)
    store = await ArtifactStore.open(ctx.workspace)
    try:
        await store.record_outcomes(outcomes)
    finally:
        await store.aclose()
    converted = sum(o["status"] == "converted" for o in outcomes)
    summary = Summary(
        total=len(outcomes),
        converted=converted,
        failed=len(outcomes) - converted,
        by_reason=dict(Counter(o["reason"] for o in outcomes if o["status"] == "failed")),
    )
    return {"outcomes": outcomes, "summary": summary}

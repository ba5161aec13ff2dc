"""prepare: validate and key the input papers; answer papers the store already converted."""

from __future__ import annotations

import uuid
from typing import Any

from langgraph.runtime import Runtime
from pydantic import ValidationError

from ..context import Context, context_or_default
from ..errors import InvalidInput
from ..events import PaperStage, paper_events
from ..models import Paper, Reason, Stage, failure
from ..state import State
from ..store import ArtifactStore


def _validation_message(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first.get("loc", ())) or "paper"
    return f"{where}: {first.get('msg', 'invalid')}"


async def prepare(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    ctx = context_or_default(runtime.context)
    papers = state.get("papers")
    if not isinstance(papers, list):
        raise InvalidInput(f"'papers' must be a list of paper objects, got {type(papers).__name__}")
    emit = paper_events()
    store = await ArtifactStore.open(ctx.workspace, rungs=ctx.quality_rungs())
    results: dict[str, dict] = {}
    work: list[int] = []
    first_index_of: dict[str, int] = {}
    try:
        for index, raw in enumerate(papers):
            outcome = None
            if not isinstance(raw, dict):
                outcome = failure(
                    index,
                    None,
                    stage=Stage.PREPARE,
                    reason=Reason.INVALID_INPUT,
                    message=f"paper #{index} is a {type(raw).__name__}, not an object",
                )
            else:
                try:
                    paper = Paper.model_validate(raw)
                except ValidationError as exc:
                    outcome = failure(
                        index,
                        None,
                        stage=Stage.PREPARE,
                        reason=Reason.INVALID_INPUT,
                        message=_validation_message(exc),
                        title=raw.get("title"),
                    )
                else:
                    outcome = await _triage(index, paper, store, first_index_of)
            if outcome is not None:
                results[str(index)] = outcome
                emit(
                    PaperStage.CACHED if outcome["cached"] else PaperStage(outcome["status"]),
                    index=index,
                    key=outcome["key"],
                    reason=outcome.get("reason"),
                )
            else:
                work.append(index)
                emit(PaperStage.QUEUED, index=index, key=paper.key())
    finally:
        await store.aclose()
    return {"run_key": uuid.uuid4().hex, "work": work, "results": results}


async def _triage(
    index: int, paper: Paper, store: ArtifactStore, first_index_of: dict[str, int]
) -> dict | None:
    """The paper's outcome if prepare decides it (no key, duplicate, converted before), else None."""
    key = paper.key()
    if key is None:
        return failure(
            index,
            None,
            stage=Stage.PREPARE,
            reason=Reason.NO_IDENTIFIER,
            message="paper has no DOI, arXiv id, PMCID or title",
        )
    if key in first_index_of:
        first = first_index_of[key]
        return failure(
            index,
            key,
            stage=Stage.PREPARE,
            reason=Reason.DUPLICATE,
            doi=paper.doi,
            title=paper.title,
            message=f"same paper as input #{first} ({key}); processed there",
        )
    first_index_of[key] = index
    artifacts = await store.lookup(key)
    if artifacts is not None and artifacts.markdown_path is not None:
        return artifacts.cached_outcome(index, doi=paper.doi, title=paper.title)
    return None

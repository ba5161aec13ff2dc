"""Vocabularies defined once: every paper stage is shown by the CLI, an unknown stage is a bug,
and httpx's errors become the same reasons wherever they are met."""

from __future__ import annotations

import httpx
import pytest

from workflows.research.academic_lit_review.paper_processor.cli.report import (
    BUCKET_OF_STAGE,
    StageBoard,
    describe,
)
from workflows.research.academic_lit_review.paper_processor.errors import SourceFailed
from workflows.research.academic_lit_review.paper_processor.events import (
    PaperStage,
    paper_events,
)
from workflows.research.academic_lit_review.paper_processor.http_policy import (
    httpx_errors_as_failures,
)
from workflows.research.academic_lit_review.paper_processor.models import Reason


@pytest.mark.parametrize("stage", list(PaperStage))
def test_every_stage_has_a_bucket_and_a_sentence(stage: PaperStage) -> None:
    assert stage in BUCKET_OF_STAGE
    board = StageBoard(total=1)
    board.move({"stage": stage.value, "index": 0})
    assert board.counts()[BUCKET_OF_STAGE[stage]] == 1
    assert describe({"stage": stage.value, "index": 0, "key": "doi:10.1/x"}).startswith(
        "#0 doi:10.1/x: "
    )


def test_waiting_on_another_run_reads_as_a_sentence() -> None:
    line = describe({"stage": "waiting_on_other_run", "index": 3, "key": None})
    assert line == "#3: waiting: another run sharing the workspace converts it"


def test_a_stage_outside_the_vocabulary_is_refused() -> None:
    emit = paper_events()
    emit(PaperStage.QUEUED, index=0, key=None)
    with pytest.raises(ValueError):
        emit("half_converted", index=0, key=None)


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (httpx.ConnectTimeout("slow"), Reason.TIMEOUT),
        (httpx.ReadTimeout("slow"), Reason.TIMEOUT),
        (httpx.InvalidURL("bad"), Reason.BLOCKED_URL),
        (httpx.ConnectError("refused"), Reason.NETWORK_ERROR),
        (httpx.RemoteProtocolError("cut"), Reason.NETWORK_ERROR),
    ],
)
def test_httpx_errors_become_reasons(error: Exception, reason: Reason) -> None:
    with pytest.raises(SourceFailed) as failed, httpx_errors_as_failures("http://host/x"):
        raise error
    assert failed.value.reason is reason and failed.value.__cause__ is error

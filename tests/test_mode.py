"""The conversion mode is decided up front from facts, never discovered by hanging."""

from __future__ import annotations

import pytest

from workflows.research.academic_lit_review.paper_processor.conversion.mode import decide_mode
from workflows.research.academic_lit_review.paper_processor.errors import ConfigurationError


def test_auto_without_models_chooses_text_layer_and_says_why(monkeypatch):
    monkeypatch.delenv("SURYA_INFERENCE_URL", raising=False)
    decision = decide_mode("auto")
    assert decision.mode == "text_layer"
    assert "cannot run" in decision.reason


def test_auto_uses_a_configured_inference_server_that_answers(inference_server):
    decision = decide_mode("auto", inference_server)
    assert (decision.mode, decision.inference_url) == ("full", inference_server)


def test_an_inference_server_that_does_not_answer_falls_back(monkeypatch):
    monkeypatch.setenv("SURYA_INFERENCE_URL", "http://127.0.0.1:9")
    decision = decide_mode("auto")
    assert decision.mode == "text_layer" and "does not answer" in decision.reason


def test_full_mode_without_models_fails_at_once(monkeypatch):
    monkeypatch.delenv("SURYA_INFERENCE_URL", raising=False)
    with pytest.raises(ConfigurationError, match="models cannot run"):
        decide_mode("full")

"""Decide up front whether marker's models can run here, instead of finding out by hanging.

marker 2's model stages are clients of a surya inference server. "Models available" means an
inference server URL is set and answers, or surya could spawn one: Docker with an NVIDIA GPU
(vLLM), or a `llama-server` binary. Otherwise marker runs in text-layer mode, which reads the
PDF's own text layer and needs no model.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from typing import Literal

import httpx

from ..errors import ConfigurationError

TEXT_LAYER = "text_layer"
FULL = "full"


@dataclass(frozen=True)
class ModeDecision:
    mode: Literal["full", "text_layer"]
    reason: str
    # The configured surya inference server, in text-layer mode too: there the quality stage
    # re-converts the pages still bad after its other repairs in full mode when it answers.
    inference_url: str | None = None


def inference_server_answers(url: str) -> bool:
    """Whether a surya inference server answers at `url` (blocking, 3 s at most)."""
    try:
        response = httpx.get(f"{url.rstrip('/')}/v1/models", timeout=3.0)
    except httpx.HTTPError:
        return False
    return response.status_code < 500


def _gpu_present() -> bool:
    if not shutil.which("nvidia-smi"):
        return False
    try:
        result = subprocess.run(["nvidia-smi", "-L"], capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0 and b"GPU" in result.stdout


def _docker_engine_runs() -> bool:
    if not shutil.which("docker"):
        return False
    try:
        result = subprocess.run(["docker", "info"], capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


def probe_models(inference_url: str | None = None) -> ModeDecision:
    """What full marker would run on here; blocking (subprocess and HTTP probes)."""
    url = inference_url or os.environ.get("SURYA_INFERENCE_URL")
    if url:
        if inference_server_answers(url):
            return ModeDecision(FULL, f"surya inference server at {url} answers", url)
        return ModeDecision(TEXT_LAYER, f"inference server {url} does not answer", url)
    if shutil.which("llama-server"):
        return ModeDecision(FULL, "llama-server is installed; surya spawns it for marker's models")
    gpu = _gpu_present()
    if gpu and _docker_engine_runs():
        return ModeDecision(FULL, "NVIDIA GPU and a Docker engine: surya spawns vLLM")
    missing = "no NVIDIA GPU" if not gpu else "a GPU but no running Docker engine"
    return ModeDecision(
        TEXT_LAYER,
        f"no SURYA_INFERENCE_URL, no llama-server, {missing}: marker's models cannot run,"
        " so marker reads the PDF text layer",
    )


def decide_mode(requested: str, inference_url: str | None = None) -> ModeDecision:
    """Resolve the configured marker mode (auto, full, text_layer) to the one to use."""
    if requested == TEXT_LAYER:
        url = inference_url or os.environ.get("SURYA_INFERENCE_URL")
        return ModeDecision(TEXT_LAYER, "text-layer mode requested in configuration", url)
    decision = probe_models(inference_url)
    if requested == FULL and decision.mode != FULL:
        raise ConfigurationError(f"marker_mode=full, but models cannot run: {decision.reason}")
    return decision

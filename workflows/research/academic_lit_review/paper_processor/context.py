"""Run configuration: the graph's context schema.

Every field is plain JSON so the LangGraph server can render it. Precedence: values the caller
passes beat `PAPER_PROCESSOR_*` environment variables, which beat the defaults below.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_FONT_PATHS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
)


def default_workspace() -> str:
    return str(Path(platformdirs.user_cache_dir("paper-processor")) / "workspace")


class Context(BaseSettings):
    """Configuration of one paper-processor run."""

    model_config = SettingsConfigDict(env_prefix="PAPER_PROCESSOR_", extra="ignore")

    workspace: str = Field(
        default_factory=default_workspace,
        description="Artifact store directory (PDFs, markdown, job ids, outcomes). Keep it outside the project.",
    )
    allow_private_hosts: bool = Field(
        default=False, description="Allow loopback, link-local and private addresses (tests, demos)."
    )
    contact_email: str | None = Field(
        default=None, description="Contact address sent in the User-Agent, as polite pools ask."
    )
    download_concurrency: int = Field(default=8, ge=1, description="Papers acquired at once.")
    max_pdf_bytes: int = Field(default=100 * 1024 * 1024, ge=1024, description="Size cap per download.")
    connect_timeout_s: float = Field(default=10.0, gt=0)
    read_timeout_s: float = Field(default=30.0, gt=0, description="Longest silence while reading.")
    download_timeout_s: float = Field(default=180.0, gt=0, description="Total deadline per download.")
    max_redirects: int = Field(default=10, ge=0)

    retrieve_url: str | None = Field(
        default=None, description="Base URL of the retrieve-academic service; unset disables it."
    )
    retrieve_api_key: SecretStr | None = Field(
        default=None,
        description="Bearer credential for retrieve-academic; never logged or put in outcomes.",
    )
    retrieve_job_timeout_s: float = Field(
        default=900.0, gt=0, description="Per-job deadline, transient polling errors included."
    )
    retrieve_poll_interval_s: float = Field(default=2.0, gt=0)
    retrieve_service_timeout_s: int = Field(
        default=600, gt=0, description="timeout_seconds sent with each retrieve request."
    )

    converter: Literal["marker", "calibrated", "faulty"] = Field(
        default="marker",
        description=(
            "marker converts for real. Test doubles: calibrated holds a slot for a set time per"
            " page (benchmarks); faulty is calibrated that crashes or hangs on documents whose"
            " first page says CRASH-CONVERTER or HANG-CONVERTER (fault tests)."
        ),
    )
    marker_mode: Literal["auto", "full", "text_layer"] = Field(
        default="auto",
        description="auto: full marker where models are available, text-layer mode otherwise.",
    )
    conversion_workers: int = Field(default=1, ge=1, description="Converter worker processes.")
    conversion_timeout_s: float = Field(
        default=600.0, gt=0, description="Deadline per document (per page range for long ones)."
    )
    max_pages: int = Field(default=2000, ge=1, description="Longer documents fail as too_large.")
    pages_per_chunk: int = Field(
        default=200, ge=1, description="Longer documents are converted in page ranges and joined."
    )
    max_docs_per_worker: int = Field(
        default=200, ge=1, description="Converter workers are replaced after this many documents."
    )
    calibrated_seconds_per_page: float = Field(default=0.05, ge=0)
    font_path: str | None = Field(
        default=None, description="TTF font for marker; default: DejaVuSans where installed."
    )

    def resolved_font_path(self) -> str | None:
        if self.font_path:
            return self.font_path
        return next((p for p in DEFAULT_FONT_PATHS if Path(p).exists()), None)

    def user_agent(self) -> str:
        contact = f"; mailto:{self.contact_email}" if self.contact_email else ""
        return f"paper-processor/0.1 (academic full-text retrieval{contact})"


def context_or_default(context: Context | dict | None) -> Context:
    """`runtime.context` is None when the caller passes none; dicts come from the server."""
    if context is None:
        return Context()
    if isinstance(context, dict):
        return Context(**context)
    return context

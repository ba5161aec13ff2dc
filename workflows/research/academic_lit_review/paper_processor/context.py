"""Run configuration: the graph's context schema.

Every field is plain JSON so the LangGraph server can render it. Precedence: values the caller
passes beat `PAPER_PROCESSOR_*` environment variables, which beat the defaults below.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

import platformdirs
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_FONT_PATHS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
)


SourceName = Literal["oa_urls", "arxiv", "pmc", "doi_landing", "unpaywall", "openalex", "crossref"]
DEFAULT_SOURCE_ORDER: tuple[SourceName, ...] = (
    "oa_urls",
    "arxiv",
    "pmc",
    "doi_landing",
    "unpaywall",
    "openalex",
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
        default=False,
        description="Allow loopback, link-local and private addresses (tests, demos).",
    )
    contact_email: str | None = Field(
        default=None, description="Contact address sent in the User-Agent, as polite pools ask."
    )
    download_concurrency: int = Field(default=8, ge=1, description="Papers acquired at once.")
    max_pdf_bytes: int = Field(
        default=100 * 1024 * 1024, ge=1024, description="Size cap per download."
    )
    max_epub_unpacked_bytes: int = Field(
        default=512 * 1024 * 1024,
        ge=1024,
        description="Cap on what an EPUB's entries declare they unpack to, checked before any is"
        " inflated (zip bombs).",
    )
    connect_timeout_s: float = Field(
        default=10.0, gt=0, description="Deadline to connect to a host."
    )
    read_timeout_s: float = Field(default=30.0, gt=0, description="Longest silence while reading.")
    download_timeout_s: float = Field(
        default=180.0, gt=0, description="Total deadline per download."
    )
    max_redirects: int = Field(
        default=10, ge=0, description="Redirects followed per URL, each hop checked."
    )

    # -- where open-access copies are looked for (acquisition/resolvers.py) -----------------------
    source_order: list[SourceName] = Field(
        default_factory=lambda: list(DEFAULT_SOURCE_ORDER),
        description="Routes tried per paper, in order: oa_urls, arxiv, pmc, doi_landing, unpaywall,"
        " openalex, crossref. Unpaywall, OpenAlex and Crossref are asked only when the paper has"
        " no oa_urls.",
    )
    arxiv_base: str = Field(default="https://arxiv.org", description="arXiv PDFs: {base}/pdf/{id}.")
    pmc_base: str = Field(
        default="https://pmc.ncbi.nlm.nih.gov",
        description="PubMed Central: {base}/articles/{PMCID}/pdf/, article page as HTML fallback.",
    )
    doi_resolver_base: str = Field(default="https://doi.org", description="DOI landing pages.")
    unpaywall_base: str = Field(
        default="https://api.unpaywall.org",
        description="Unpaywall API ({base}/v2/{doi}?email=); used only with contact_email set.",
    )
    openalex_base: str = Field(default="https://api.openalex.org", description="OpenAlex API.")
    openalex_api_key: SecretStr | None = Field(
        default=None, description="OpenAlex API key (optional); never recorded in outcomes."
    )
    crossref_base: str = Field(default="https://api.crossref.org", description="Crossref REST API.")
    html_fulltext: bool = Field(
        default=True,
        description="Accept an article's HTML full text (as markdown) when no source yields a PDF.",
    )
    html_min_words: int = Field(
        default=1500, ge=1, description="Words an HTML page needs to count as full text."
    )
    check_right_paper: bool = Field(
        default=True,
        description="Compare a PDF's first page with the paper's title and DOI before conversion.",
    )

    # -- politeness towards each host (acquisition/politeness.py) -------------------------------
    host_concurrency: int = Field(default=2, ge=1, description="Requests in flight per host.")
    host_min_interval_s: float = Field(
        default=0.5, ge=0, description="Least time between the starts of two requests to a host."
    )
    retry_after_cap_s: float = Field(
        default=60.0,
        ge=0,
        description="Longest Retry-After (429/503) waited out; a longer one fails the source.",
    )
    retry_attempts: int = Field(
        default=3, ge=1, description="Tries per URL for Retry-After and transient errors."
    )
    backoff_base_s: float = Field(
        default=0.5,
        ge=0,
        description="Exponential backoff (with full jitter) after transient errors.",
    )
    backoff_max_s: float = Field(default=10.0, ge=0, description="Longest backoff between tries.")
    breaker_failures: int = Field(
        default=5,
        ge=1,
        description="Consecutive failures that pause a host for breaker_cooldown_s.",
    )
    breaker_cooldown_s: float = Field(
        default=120.0, ge=0, description="How long an open circuit breaker keeps a host paused."
    )
    reputation_window_s: float = Field(
        default=7 * 24 * 3600.0,
        ge=0,
        description="How long a host that served a challenge page (or a Retry-After) is tried last.",
    )

    retrieve_url: str | None = Field(
        default=None, description="Base URL of the retrieve-academic service; unset disables it."
    )
    retrieve_api_key: SecretStr | None = Field(
        default=None,
        description="Bearer credential for retrieve-academic; never logged or put in outcomes.",
    )
    retrieve_job_timeout_s: float = Field(
        default=900.0,
        gt=0,
        description="Per-job deadline, transient service errors (submitting, polling) included.",
    )
    retrieve_poll_interval_s: float = Field(
        default=2.0, gt=0, description="Pause between polling rounds of pending jobs."
    )
    retrieve_service_timeout_s: int = Field(
        default=600, gt=0, description="timeout_seconds sent with each retrieve request."
    )
    preferred_formats: list[Literal["pdf", "epub"]] = Field(
        default_factory=lambda: ["pdf", "epub"],
        min_length=1,
        description="preferred_formats sent with each retrieve request, best first; the job's"
        " file_format says which came back.",
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
    inference_url: str | None = Field(
        default=None,
        description=(
            "URL of a running surya inference server (marker 2's shared model server) that"
            " every converter worker uses; default: SURYA_INFERENCE_URL from the environment."
        ),
    )
    conversion_workers: Annotated[int, Field(ge=1)] | Literal["auto"] = Field(
        default="auto",
        description="Converter worker processes (Ray: actors). auto: as many as the usable cores"
        " and the available memory carry, at the measured size of one marker worker"
        " (conversion/sizing.py); `paper-processor doctor` says what it chose.",
    )
    converter_idle_s: float = Field(
        default=300.0,
        gt=0,
        description="Converters stay started between the runs of one process (a LangGraph"
        " server, a program invoking the graph again) and stop after this long unused.",
    )
    conversion_timeout_s: float = Field(
        default=600.0, gt=0, description="Deadline per document (per page range for long ones)."
    )
    max_pages: int = Field(default=2000, ge=1, description="Longer documents fail as too_large.")
    pages_per_chunk: int = Field(
        default=100,
        ge=1,
        description="Longer documents are converted in page ranges and joined (bounds memory).",
    )
    max_docs_per_worker: int = Field(
        default=200, ge=1, description="Converter workers are replaced after this many documents."
    )
    calibrated_seconds_per_page: float = Field(
        default=0.05, ge=0, description="Slot time per page of the calibrated test converter."
    )
    font_path: str | None = Field(
        default=None, description="TTF font for marker; default: DejaVuSans where installed."
    )

    # -- the quality stage after marker (conversion/quality/) ------------------------------------
    ocr_engine: Literal["auto", "tesseract", "rapidocr", "off"] = Field(
        default="auto",
        description="OCR for pages with no usable text layer or garbled text. auto: tesseract"
        " (apt-get install tesseract-ocr tesseract-ocr-eng), then RapidOCR (PP-OCRv4 models"
        " inside the rapidocr-onnxruntime wheel; reads Chinese) for pages tesseract reads"
        " poorly, each where installed; tesseract or rapidocr: that engine alone; off: no OCR.",
    )
    min_quality: float = Field(
        default=0.0,
        ge=0.0,
        le=1.0,
        description="Papers whose quality score (0-1) stays below this after repairs fail as"
        " low_quality; 0 keeps every paper, flagged.",
    )

    # -- where conversion runs (conversion/backend.py, conversion/ray_backend.py) ----------------
    conversion_backend: Literal["local", "ray"] = Field(
        default="local",
        description="local: converter worker processes on this machine. ray: Ray actors on a"
        " cluster (pip install '.[ray]'); conversion_workers actors, one document each. The"
        " workspace must then be a filesystem shared by every node, at the same path.",
    )
    ray_address: str | None = Field(
        default=None,
        description="Ray cluster address for conversion_backend=ray (host:6379, ray://host:10001"
        " or auto); default: RAY_ADDRESS, else a local cluster started in this process.",
    )
    ray_num_cpus: float = Field(
        default=1.0, ge=0, description="CPUs reserved per Ray converter actor."
    )
    ray_num_gpus: float = Field(
        default=0.0,
        ge=0,
        description="GPUs per Ray converter actor (fractions share a GPU, e.g. 0.5: two per GPU).",
    )

    def resolved_font_path(self) -> str | None:
        if self.font_path:
            return self.font_path
        return next((p for p in DEFAULT_FONT_PATHS if Path(p).exists()), None)

    def quality_rungs(self) -> list[str]:
        """The page repairs this configuration has (stored papers made without one are redone)."""
        from .conversion.quality.report import available_rungs

        return list(available_rungs(converter=self.converter, ocr_engine=self.ocr_engine))

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


def configuration_table() -> str:
    """Every field as a markdown table row: environment variable, default, meaning (README)."""
    rows = [
        "| field | environment variable | default | what it does |",
        "|---|---|---|---|",
    ]
    for name, field in Context.model_fields.items():
        if name == "workspace":
            default: object = "~/.cache/paper-processor/workspace"
        elif field.default_factory is not None:
            default = field.default_factory()
        else:
            default = field.default
        if isinstance(default, list | tuple):
            default = json.dumps(list(default))
        shown = "unset" if default is None else f"`{default}`"
        description = (field.description or "").replace("|", "\\|")
        rows.append(f"| `{name}` | `PAPER_PROCESSOR_{name.upper()}` | {shown} | {description} |")
    return "\n".join(rows) + "\n"

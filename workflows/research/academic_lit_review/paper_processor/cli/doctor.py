"""`paper-processor doctor`: what this machine will do, and what is reachable.

Marker's version, the conversion mode and why, torch and the GPU, the font, OCR engines, the
workspace, the conversion backend, and each source of papers: retrieve-academic always (not
configured, or its URL, health and VPN state), and the base URL of each open-access route.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import click
import httpx

from ..context import Context
from ..conversion.sizing import describe_workers
from ..errors import ConfigurationError
from .config import context_from, retrieve_option, workspace_option
from .errors import EXIT_FAILED, EXIT_OK

# importing torch alone takes seconds; past this the doctor reports "no answer" and moves on
TORCH_PROBE_TIMEOUT_S = 30.0
SOURCE_PROBE_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Check:
    """One line of the doctor's report."""

    name: str
    detail: str
    problem: bool = False


@dataclass(frozen=True)
class Source:
    """A place papers come from that the doctor can probe. Add sources here as they appear."""

    name: str
    url: str
    probe_path: str = ""
    describe_answer: Callable[[httpx.Response], tuple[str, bool]] | None = None


# The base URL each open-access route of `source_order` talks to (oa_urls has none of its own).
_ROUTE_BASES = {
    "arxiv": "arxiv_base",
    "pmc": "pmc_base",
    "doi_landing": "doi_resolver_base",
    "unpaywall": "unpaywall_base",
    "openalex": "openalex_base",
    "crossref": "crossref_base",
}


def configured_sources(ctx: Context) -> list[Source]:
    sources = [
        Source(route, getattr(ctx, _ROUTE_BASES[route]).rstrip("/"))
        for route in ctx.source_order
        if route in _ROUTE_BASES
    ]
    if ctx.retrieve_url:
        sources.append(
            Source(
                "retrieve-academic",
                ctx.retrieve_url.rstrip("/"),
                "/health",
                _describe_retrieve_health,
            )
        )
    return sources


def _describe_retrieve_health(response: httpx.Response) -> tuple[str, bool]:
    """Health in retrieve-academic's terms, judged as the run's gate judges it."""
    from ..retrieve.client import Health

    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}, health is not JSON", True
    if not isinstance(body, dict):
        return f"HTTP {response.status_code}, health is not a JSON object", True
    health = Health(status=str(body.get("status", "")), vpn_connected=body.get("vpn_connected"))
    vpn = {True: "VPN connected", False: "VPN NOT connected", None: "VPN unknown"}[
        health.vpn_connected if isinstance(health.vpn_connected, bool) else None
    ]
    healthy = health.ok and health.vpn_connected is not False
    return f"health {health.status or '?'!r}, {vpn}", not healthy


def probe_source(source: Source) -> Check:
    url = f"{source.url}{source.probe_path}"
    started = time.perf_counter()
    try:
        response = httpx.get(url, timeout=SOURCE_PROBE_TIMEOUT_S, follow_redirects=True)
    except httpx.HTTPError as exc:
        return Check(
            f"source {source.name}",
            f"{source.url} unreachable ({type(exc).__name__}: {exc})",
            problem=True,
        )
    took_ms = (time.perf_counter() - started) * 1000
    detail = (
        f"{source.url} reachable (GET {source.probe_path or '/'}:"
        f" HTTP {response.status_code}, {took_ms:.0f} ms)"
    )
    problem = response.status_code >= 500
    if source.describe_answer is not None:
        answer, problem = source.describe_answer(response)
        detail = f"{detail}; {answer}"
    return Check(f"source {source.name}", detail, problem=problem)


def check_backend(ctx: Context) -> Check:
    if ctx.conversion_backend == "local":
        return Check("conversion backend", f"local worker processes: {describe_workers(ctx)}")
    address = ctx.ray_address or os.environ.get("RAY_ADDRESS") or "a local cluster started per run"
    return Check(
        "conversion backend",
        f"ray at {address}, {ctx.ray_num_gpus:g} GPU per actor, actors: {describe_workers(ctx)}",
    )


def check_marker() -> Check:
    try:
        return Check("marker", f"marker-pdf {metadata.version('marker-pdf')}")
    except metadata.PackageNotFoundError:
        return Check("marker", "marker-pdf is not installed", problem=True)


def check_conversion_mode(ctx: Context) -> list[Check]:
    from ..conversion.mode import decide_mode

    checks = []
    if ctx.converter != "marker":
        checks.append(
            Check("converter", f"{ctx.converter} (a stand-in for benchmarks: marker is not used)")
        )
    try:
        decision = decide_mode(ctx.marker_mode)
    except ConfigurationError as exc:
        return [*checks, Check("conversion mode", str(exc), problem=True)]
    return [*checks, Check("conversion mode", f"{decision.mode} — {decision.reason}")]


_TORCH_PROBE = (
    "import json, torch\n"
    "gpu = torch.cuda.is_available()\n"
    "name = torch.cuda.get_device_name(0) if gpu else None\n"
    "print(json.dumps({'version': torch.__version__, 'gpu': gpu, 'name': name}))\n"
)


def check_torch_gpu() -> Check:
    """torch.cuda.is_available(), asked in a child process: importing torch is slow, and a
    broken CUDA setup can hang it; the timeout keeps the doctor quick."""
    try:
        result = subprocess.run(
            [sys.executable, "-c", _TORCH_PROBE],
            capture_output=True,
            text=True,
            timeout=TORCH_PROBE_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return Check("torch", f"no answer within {TORCH_PROBE_TIMEOUT_S:g} s", problem=True)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        return Check("torch", f"cannot be imported ({last})", problem=True)
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    if answer["gpu"]:
        return Check("torch", f"{answer['version']}, GPU available ({answer['name']})")
    return Check("torch", f"{answer['version']}, no GPU (torch.cuda.is_available() is False)")


def check_font(ctx: Context) -> Check:
    font = ctx.resolved_font_path()
    if font is None:
        return Check(
            "font",
            "none found: install fonts-dejavu-core or set PAPER_PROCESSOR_FONT_PATH",
            problem=True,
        )
    if not Path(font).is_file():
        return Check("font", f"{font} does not exist", problem=True)
    return Check("font", font)


def check_ocr(ctx: Context) -> list[Check]:
    """The configured OCR (a problem if it cannot run), and each engine: installed or how to."""
    from ..conversion.quality.ocr import AUTO_ORDER, engine_available

    installs = {
        "tesseract": "apt-get install tesseract-ocr tesseract-ocr-eng",
        "rapidocr": "pip install rapidocr-onnxruntime==1.4.4",
    }
    if ctx.ocr_engine == "off":
        checks = [Check("ocr", "off: pages without a usable text layer stay flagged")]
    elif engine_available(ctx.ocr_engine):
        used = [e for e in AUTO_ORDER if engine_available(e)] if ctx.ocr_engine == "auto" else []
        order = f" ({', then '.join(used)})" if used else ""
        checks = [Check("ocr", f"{ctx.ocr_engine}{order}, for pages without a usable text layer")]
    else:
        checks = [Check("ocr", f"{ctx.ocr_engine} cannot run: no engine installed", problem=True)]
    for engine in AUTO_ORDER:
        state = "installed" if engine_available(engine) else f"missing ({installs[engine]})"
        checks.append(Check(f"ocr {engine}", state))
    return checks


def check_workspace(ctx: Context) -> Check:
    root = Path(ctx.workspace).expanduser()
    if not root.exists():
        return Check("workspace", f"{root} (not created yet)")
    return Check("workspace", f"{root.resolve()} ({_human_size(_tree_size(root))})")


def _tree_size(root: Path) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            try:
                total += (Path(dirpath) / name).lstat().st_size
            except OSError:
                pass  # removed while we walked (another run's temp file)
    return total


def _human_size(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TB"


def doctor_checks(ctx: Context) -> list[Check]:
    """Every check, the slow ones (subprocesses, network) run side by side."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        mode = pool.submit(check_conversion_mode, ctx)
        torch_gpu = pool.submit(check_torch_gpu)
        sources = [pool.submit(probe_source, s) for s in configured_sources(ctx)]
        checks = [
            check_marker(),
            *mode.result(),
            torch_gpu.result(),
            check_font(ctx),
            *check_ocr(ctx),
            check_workspace(ctx),
            check_backend(ctx),
        ]
        if not ctx.retrieve_url:  # configured, it is one of the probed sources
            checks.append(
                Check(
                    "source retrieve-academic",
                    "not configured (set PAPER_PROCESSOR_RETRIEVE_URL or --retrieve-url)",
                )
            )
        checks.extend(s.result() for s in sources)
    return checks


@click.command("doctor")
@workspace_option
@retrieve_option
def doctor_command(workspace: Path | None, retrieve_url: str | None) -> int:
    """Report marker's version, the conversion mode and why, GPU, font, workspace, sources."""
    ctx = context_from(workspace=str(workspace) if workspace else None, retrieve_url=retrieve_url)
    checks = doctor_checks(ctx)
    for check in checks:
        click.echo(f"{'!! ' if check.problem else ''}{check.name}: {check.detail}")
    problems = sum(c.problem for c in checks)
    click.echo(f"{problems} problem(s) found" if problems else "all checks passed")
    return EXIT_FAILED if problems else EXIT_OK

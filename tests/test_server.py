"""Both graphs behind a real `langgraph dev` server, driven by the real langgraph-sdk client.

The server runs in a subprocess with the project's langgraph.json (as `make serve` runs it), from a
temporary folder that also holds its workspace. Every paper comes from loopback fakes served by this
process: no internet. One server serves the whole module.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from workflows.research.academic_lit_review.paper_processor.store import ArtifactStore
from workflows.research.academic_lit_review.paper_processor.testing.loopback import serve_loopback
from workflows.research.academic_lit_review.paper_processor.testing.openweb import (
    OpenWebHost,
    Respond,
    challenge_page,
    html_page,
)
from workflows.research.academic_lit_review.paper_processor.testing.pdfs import (
    paper_text,
    truncate_pdf,
    write_encrypted_pdf,
    write_paper_pdf,
)
from workflows.research.academic_lit_review.paper_processor.testing.retrieve_service import (
    RetrieveService,
)

pytest.importorskip("langgraph_api", reason="langgraph dev needs langgraph-cli[inmem]")
langgraph_sdk = pytest.importorskip("langgraph_sdk")

ROOT = Path(__file__).resolve().parents[1]
LANGGRAPH = shutil.which("langgraph", path=str(Path(sys.executable).parent)) or shutil.which(
    "langgraph"
)
GRAPHS = ("paper_processor", "lit_review")
STARTUP_TIMEOUT_S = 60.0
RUN_TIMEOUT_S = 90.0
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_API_URL = re.compile(r"API: (http://127\.0\.0\.1:\d+)")

# Nothing the server does may try the internet: no tracing, analytics or version check.
OFFLINE_ENV = {
    "LANGSMITH_TRACING": "false",
    "LANGGRAPH_CLI_NO_ANALYTICS": "1",
    "LANGGRAPH_NO_VERSION_CHECK": "true",
}


@dataclass
class Server:
    url: str
    workspace: Path
    log: Path
    open_web: OpenWebHost
    open_web_url: str
    retrieve: RetrieveService
    pdfs: Path
    pid: int
    seeds: Iterator[int] = field(default_factory=lambda: itertools.count(100))

    def papers(self, count: int, *, retrieved: int = 1) -> list[dict]:
        """`count` new papers; the last `retrieved` of them only retrieve-academic holds."""
        papers = []
        for position in range(count):
            seed = next(self.seeds)
            title, paragraphs = paper_text(seed)
            doi = f"10.5555/server.{seed}"
            pdf = write_paper_pdf(
                self.pdfs / f"{seed}.pdf",
                title=title,
                authors=["Ada Lovelace"],
                paragraphs=paragraphs,
                doi=doi,
            )
            if position >= count - retrieved:
                self.retrieve.hold(doi, pdf, ready_after_s=0.3)
                papers.append({"doi": doi, "title": title})
            else:
                self.open_web.add(f"/{seed}.pdf", Respond(body=pdf))
                papers.append(
                    {"doi": doi, "title": title, "oa_urls": [f"{self.open_web_url}/{seed}.pdf"]}
                )
        return papers

    def troubled(self) -> list[tuple[dict, tuple[str, str | None], str | None]]:
        """A batch mixing papers that convert with every common failure.

        Each entry: the paper, its expected (status, reason), and the reason its first
        open-access attempt must record (the server has retrieve-academic configured, so a paper
        whose open-access copy fails goes on to the service, which does not hold it).
        """
        seeds = [next(self.seeds) for _ in range(10)]
        made = {}
        for seed in seeds:
            title, paragraphs = paper_text(seed)
            made[seed] = (title, paragraphs, f"10.5555/server.{seed}")

        def pdf(seed: int, *, first_words: str | None = None, title: str | None = None) -> Path:
            own_title, paragraphs, doi = made[seed]
            return write_paper_pdf(
                self.pdfs / f"{seed}{'-' + first_words if first_words else ''}.pdf",
                title=title or own_title,
                authors=["Ada Lovelace"],
                paragraphs=[first_words, *paragraphs] if first_words else paragraphs,
                doi=doi if title is None else None,
            )

        def oa(seed: int, behaviour: Respond | None) -> dict:
            title, _, doi = made[seed]
            if behaviour is not None:
                self.open_web.add(f"/{seed}.pdf", behaviour)
            return {"doi": doi, "title": title, "oa_urls": [f"{self.open_web_url}/{seed}.pdf"]}

        good, crash, missing, html, wall, cut, locked, wrong, blocked, held = seeds
        self.retrieve.fail(made[blocked][2], error_code="SOURCE_BLOCKED", error="publisher says no")
        self.retrieve.hold(made[held][2], pdf(held), ready_after_s=0.3)
        wrong_title = paper_text(next(self.seeds))[0]
        return [
            (oa(good, Respond(body=pdf(good))), ("converted", None), None),
            (
                oa(crash, Respond(body=pdf(crash, first_words="CRASH-CONVERTER here"))),
                ("failed", "conversion_failed"),
                None,
            ),
            (oa(missing, None), ("failed", "job_failed"), "http_error"),  # a 404
            (
                oa(
                    html,
                    Respond(
                        body=html_page("Article", "<p>Read it online</p>"),
                        content_type="application/pdf",
                    ),
                ),
                ("failed", "job_failed"),
                "html_page",
            ),
            (
                oa(wall, Respond(body=challenge_page(), status=403, content_type="text/html")),
                ("failed", "job_failed"),
                "html_challenge",
            ),
            (
                oa(cut, Respond(body=truncate_pdf(pdf(cut), self.pdfs / f"{cut}-cut.pdf", 0.4))),
                ("failed", "job_failed"),
                "corrupt_pdf",
            ),
            (
                oa(
                    locked,
                    Respond(
                        body=write_encrypted_pdf(
                            self.pdfs / f"{locked}-locked.pdf", title=made[locked][0]
                        )
                    ),
                ),
                ("failed", "job_failed"),
                "encrypted",
            ),
            (
                oa(wrong, Respond(body=pdf(wrong, title=wrong_title))),
                ("failed", "job_failed"),
                "wrong_paper",
            ),
            ({"doi": made[blocked][2], "title": made[blocked][0]}, ("failed", "job_failed"), None),
            ({"doi": made[held][2], "title": made[held][0]}, ("converted", None), None),
        ]

    def conversions(self, papers: list[dict]) -> list[int]:
        store = ArtifactStore(self.workspace)
        try:
            return [store.count("conversion", f"doi:{p['doi']}") for p in papers]
        finally:
            store.close()

    def converter_workers(self, grace_s: float = 5.0) -> list[str]:
        """Converter worker processes alive in the server's process group ("pid: command"),
        once none is left or after `grace_s`."""
        deadline = time.monotonic() + grace_s
        while True:
            alive = []
            for proc in psutil.process_iter(["pid", "cmdline"]):
                try:
                    command = " ".join(proc.info["cmdline"] or [])
                    if os.getpgid(proc.pid) == self.pid and "conversion.worker" in command:
                        alive.append(f"{proc.pid}: {command}")
                except (ProcessLookupError, psutil.Error):
                    continue
            if not alive or time.monotonic() > deadline:
                return alive
            time.sleep(0.1)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_config(folder: Path) -> Path:
    """The project's langgraph.json, its paths made absolute, for a server run from `folder`.

    The server keeps its threads, runs and queue in `.langgraph_api/` under its working folder and
    resumes the runs it finds there when it starts. From a temporary folder it starts clean and
    writes nothing into the project.
    """
    config = json.loads((ROOT / "langgraph.json").read_text())
    assert set(GRAPHS) <= set(config["graphs"]), config["graphs"]
    config["dependencies"] = [
        str((ROOT / dep).resolve()) if dep.startswith(".") else dep
        for dep in config["dependencies"]
    ]
    config["graphs"] = {
        name: str((ROOT / spec).resolve()) if spec.startswith(".") else spec
        for name, spec in config["graphs"].items()
    }
    path = folder / "langgraph.json"
    path.write_text(json.dumps(config))
    return path


def _wait_until_ready(process: subprocess.Popen, log: Path) -> str:
    """The server's URL once /ok answers; it may have picked another port (it says so in the log)."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    url = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"langgraph dev exited with {process.returncode}:\n{log.read_text()[-4000:]}"
            )
        text = _ANSI.sub("", log.read_text(errors="replace"))
        if url is None and (match := _API_URL.search(text)):
            url = match[1]
        if url is not None:
            try:
                if httpx.get(f"{url}/ok", timeout=1).status_code == 200:
                    return url
            except httpx.TransportError:
                pass
        time.sleep(0.1)
    raise TimeoutError(
        f"langgraph dev not ready in {STARTUP_TIMEOUT_S} s:\n{log.read_text()[-4000:]}"
    )


def _stop(process: subprocess.Popen) -> None:
    """End the server's whole process group: the server and any converter worker it started."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        pass
    # Whatever is left in the group (a hung server, a worker it left behind) goes now.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(5)


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    if LANGGRAPH is None:
        pytest.skip("the langgraph CLI is not installed (langgraph-cli[inmem])")
    tmp = tmp_path_factory.mktemp("server")
    open_web, retrieve = OpenWebHost(), RetrieveService()
    with serve_loopback(open_web.app) as open_web_url, serve_loopback(retrieve.app) as retrieve_url:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PAPER_PROCESSOR_")}
        env.update(OFFLINE_ENV)
        env.update(
            {
                "PAPER_PROCESSOR_ALLOW_PRIVATE_HOSTS": "1",
                "PAPER_PROCESSOR_WORKSPACE": str(tmp / "workspace"),
                "PAPER_PROCESSOR_CONVERTER": "calibrated",
                "PAPER_PROCESSOR_RETRIEVE_URL": retrieve_url,
                "PAPER_PROCESSOR_RETRIEVE_POLL_INTERVAL_S": "0.2",
                # Only the routes the fakes answer (arXiv, DOI landing pages, ... are on the internet).
                "PAPER_PROCESSOR_SOURCE_ORDER": '["oa_urls"]',
                "PAPER_PROCESSOR_HOST_MIN_INTERVAL_S": "0",
                # Converters stay warm between runs, then stop: not for the whole module.
                "PAPER_PROCESSOR_CONVERTER_IDLE_S": "30",
            }
        )
        log = tmp / "server.log"
        with log.open("wb") as log_file:
            process = subprocess.Popen(
                [
                    LANGGRAPH,
                    "dev",
                    "--no-browser",
                    "--no-reload",
                    "--port",
                    str(_free_port()),
                    "--config",
                    str(_server_config(tmp)),
                ],
                cwd=tmp,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            url = _wait_until_ready(process, log)
            yield Server(
                url, tmp / "workspace", log, open_web, open_web_url, retrieve, tmp, process.pid
            )
        finally:
            _stop(process)
    # The server refuses blocking calls on its event loop (blockbuster); none may have happened.
    assert "BlockingError" not in log.read_text(errors="replace"), log.read_text()[-4000:]


@dataclass
class Part:
    at: float
    event: str
    data: Any

    @property
    def paper_event(self) -> bool:
        return (
            self.event.split("|")[0] == "custom"
            and isinstance(self.data, dict)
            and self.data.get("event") == "paper"
        )


async def _stream(
    client, thread_id: str, graph: str, payload: dict | None, *, context: dict, on_part=None
) -> list[Part]:
    parts: list[Part] = []
    async with asyncio.timeout(RUN_TIMEOUT_S):
        async for chunk in client.runs.stream(
            thread_id,
            graph,
            input=payload,
            context=context,
            stream_mode=["custom", "updates"],
            stream_subgraphs=True,
        ):
            part = Part(time.monotonic(), chunk.event, chunk.data)
            parts.append(part)
            if on_part is not None:
                await on_part(part)
    errors = [p for p in parts if p.event == "error"]
    assert not errors, errors
    return parts


def _final_position(parts: list[Part], graph: str) -> int | None:
    """Where the run's own (top-level) update carrying the outcomes arrived, if it did."""
    node = "finalize" if graph == "paper_processor" else "paper_processor"
    for position, part in enumerate(parts):
        if part.event == "updates" and "outcomes" in ((part.data or {}).get(node) or {}):
            return position
    return None


async def test_schemas_of_both_graphs(server):
    client = langgraph_sdk.get_client(url=server.url)
    expected_output = {
        "paper_processor": {"outcomes", "summary"},
        "lit_review": {"corpus", "outcomes", "summary"},
    }
    for graph in GRAPHS:
        (assistant,) = await client.assistants.search(graph_id=graph)
        schemas = await client.assistants.get_schemas(assistant["assistant_id"])
        assert set(schemas["input_schema"]["properties"]) == {"papers"}
        assert set(schemas["output_schema"]["properties"]) == expected_output[graph]
        context = schemas["context_schema"]["properties"]
        assert {
            "workspace",
            "retrieve_url",
            "retrieve_api_key",
            "converter",
            "marker_mode",
            "conversion_workers",
            "download_concurrency",
        } <= set(context)
        assert context["converter"]["enum"] == ["marker", "calibrated", "faulty"]
        # The credential renders as a password field; its value is never part of the schema.
        password = {"type": "string", "format": "password", "writeOnly": True}
        assert password in context["retrieve_api_key"]["anyOf"]


@pytest.mark.parametrize("graph", GRAPHS)
async def test_stream_shows_each_paper_before_the_run_ends(server, graph):
    client = langgraph_sdk.get_client(url=server.url)
    papers = server.papers(4)
    thread = await client.threads.create()

    parts = await _stream(
        client,
        thread["thread_id"],
        graph,
        {"papers": papers},
        context={"calibrated_seconds_per_page": 0.2},
    )

    paper_parts = [p for p in parts if p.paper_event]
    if graph == "lit_review":  # the subgraph's events, under its node's namespace
        assert all(p.event.startswith("custom|paper_processor:") for p in paper_parts)
    else:
        assert all(p.event == "custom" for p in paper_parts)
    by_paper = {i: [p.data["stage"] for p in paper_parts if p.data["index"] == i] for i in range(4)}
    assert all(
        stages[0] == "queued" and stages[-1] == "converted" for stages in by_paper.values()
    ), by_paper
    assert "retrieve_submitted" in by_paper[3], by_paper[3]

    # Papers move live: the first paper's events arrive long before the outcomes do.
    final = _final_position(parts, graph)
    assert final is not None, [p.event for p in parts]
    first_converted = next(
        i for i, p in enumerate(parts) if p.paper_event and p.data["stage"] == "converted"
    )
    assert parts.index(paper_parts[0]) < first_converted < final
    # Four conversions of 0.2 s one after another: three were still to come.
    assert parts[final].at - parts[first_converted].at > 0.3

    state = await client.threads.get_state(thread["thread_id"])
    values = state["values"]
    assert [o["status"] for o in values["outcomes"]] == ["converted"] * 4
    assert [o["source"] for o in values["outcomes"]] == ["open_access"] * 3 + ["retrieve_academic"]
    assert values["summary"]["converted"] == 4
    # The context given to the run reached the (sub)graph: 0.2 s per page, not the default 0.05.
    assert all(o["timings"]["convert_s"] >= 0.18 for o in values["outcomes"])
    if graph == "lit_review":
        assert [r["doi"] for r in values["corpus"]] == [p["doi"] for p in papers]
        assert all(r["word_count"] > 0 for r in values["corpus"])
    assert server.conversions(papers) == [1, 1, 1, 1]
    # The converters stay started for the server's next run (test_a_second_run_...).
    assert server.converter_workers(grace_s=0)


async def test_a_second_run_reuses_the_first_runs_converters(server):
    client = langgraph_sdk.get_client(url=server.url)
    context = {"calibrated_seconds_per_page": 0.15}
    first_papers, second_papers = server.papers(3), server.papers(3)
    await _stream(
        client,
        (await client.threads.create())["thread_id"],
        "paper_processor",
        {"papers": first_papers},
        context=context,
    )
    warm = set(server.converter_workers(grace_s=0))
    assert warm
    seen: set[str] = set()

    async def watch_workers(part: Part) -> None:
        if part.paper_event and part.data["stage"] in {"converting", "converted"}:
            seen.update(server.converter_workers(grace_s=0))

    await _stream(
        client,
        (await client.threads.create())["thread_id"],
        "paper_processor",
        {"papers": second_papers},
        context=context,
        on_part=watch_workers,
    )
    # No converter process started for the second run: the same ones converted its papers.
    assert seen and seen <= warm, (seen, warm)
    assert server.conversions(second_papers) == [1, 1, 1]


@pytest.mark.parametrize("graph", GRAPHS)
async def test_cancelled_run_resumes_on_its_thread_converting_each_paper_once(server, graph):
    client = langgraph_sdk.get_client(url=server.url)
    papers = server.papers(6)
    context = {"calibrated_seconds_per_page": 0.3}
    thread_id = (await client.threads.create())["thread_id"]
    run: dict[str, Any] = {}

    async def cancel_after_first_conversion(part: Part) -> None:
        if part.event == "metadata":
            run["id"] = part.data["run_id"]
        elif part.paper_event and part.data["stage"] == "converted" and "cancelled" not in run:
            run["cancelled"] = True
            run["workers"] = server.converter_workers(grace_s=0)
            await client.runs.cancel(thread_id, run["id"])

    first = await _stream(
        client,
        thread_id,
        graph,
        {"papers": papers},
        context=context,
        on_part=cancel_after_first_conversion,
    )
    await client.runs.join(thread_id, run["id"])
    assert (await client.runs.get(thread_id, run["id"]))["status"] == "interrupted"
    assert _final_position(first, graph) is None  # it never got to its outcomes
    done_before = server.conversions(papers)
    assert 1 <= sum(done_before) < len(papers), done_before
    assert (await client.threads.get_state(thread_id))["next"]
    # The cancelled run killed the converter workers that held its documents (they are
    # replaced; the others stay warm for the next run).
    assert run["workers"]
    deadline = time.monotonic() + 5
    while set(run["workers"]) <= set(server.converter_workers(grace_s=0)):
        assert time.monotonic() < deadline, run["workers"]
        await asyncio.sleep(0.1)

    resumed = await _stream(client, thread_id, graph, None, context=context)

    assert _final_position(resumed, graph) is not None
    values = (await client.threads.get_state(thread_id))["values"]
    outcomes = values["outcomes"]
    assert [o["status"] for o in outcomes] == ["converted"] * 6
    # Papers converted before the cancel are reused, not converted again.
    assert sum(o["cached"] for o in outcomes) >= sum(done_before)
    assert server.conversions(papers) == [1] * 6
    if graph == "lit_review":
        assert [r["doi"] for r in values["corpus"]] == [p["doi"] for p in papers]


@pytest.mark.parametrize("graph", GRAPHS)
async def test_ordinary_failures_end_as_outcomes_and_the_run_succeeds(server, graph):
    """Under the server's rules (no blocking call on its loop) the failure paths run too."""
    client = langgraph_sdk.get_client(url=server.url)
    batch = server.troubled()
    papers = [paper for paper, _, _ in batch]
    thread_id = (await client.threads.create())["thread_id"]
    run: dict[str, Any] = {}

    async def remember_run(part: Part) -> None:
        if part.event == "metadata":
            run["id"] = part.data["run_id"]

    parts = await _stream(
        client,
        thread_id,
        graph,
        {"papers": papers},
        # The faulty converter is the calibrated one, but its worker dies on CRASH-CONVERTER.
        context={"converter": "faulty", "retrieve_job_timeout_s": 20},
        on_part=remember_run,
    )

    assert (await client.runs.get(thread_id, run["id"]))["status"] == "success"
    assert _final_position(parts, graph) is not None
    outcomes = (await client.threads.get_state(thread_id))["values"]["outcomes"]
    assert [o["index"] for o in outcomes] == list(range(len(papers)))
    assert [(o["status"], o["reason"]) for o in outcomes] == [want for _, want, _ in batch]
    for outcome, (_, _, first_try) in zip(outcomes, batch, strict=True):
        if first_try is not None:
            assert outcome["tried"][0]["reason"] == first_try, outcome["tried"]
    assert "crashed" in outcomes[1]["message"], outcomes[1]
    assert "SOURCE_BLOCKED" in outcomes[8]["message"], outcomes[8]
    # One terminal event per paper, as it happened.
    terminal = [
        p.data["index"]
        for p in parts
        if p.paper_event and p.data["stage"] in {"converted", "failed"}
    ]
    assert sorted(terminal) == list(range(len(papers)))
    assert "BlockingError" not in server.log.read_text(errors="replace")

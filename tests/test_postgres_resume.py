"""The graph under a real PostgreSQL checkpointer: SIGKILL mid-run, resume, each paper converted once.

The server is Debian's PostgreSQL, started on loopback by the `postgres_dsn` fixture; the run is a
child process (`python -m tests.postgres`) so it can be killed like a crashed server process.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip(
    "langgraph.checkpoint.postgres",
    reason="the postgres extra is not installed: pip install -e '.[postgres]'",
)

from workflows.research.academic_lit_review.paper_processor.testing.openweb import Respond  # noqa: E402

from .conftest import assert_each_converted_once  # noqa: E402
from .postgres import postgres_dsn  # noqa: E402,F401 - a fixture

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def ray_cluster():
    """A real Ray head node on loopback, for the ray-backend cases of this module."""
    pytest.importorskip("ray", reason="the ray extra is not installed: pip install -e '.[ray]'")
    from workflows.research.academic_lit_review.paper_processor.testing.ray_cluster import (
        LoopbackRayCluster,
    )

    cluster = LoopbackRayCluster(num_cpus=3)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(params=["local", "ray"])
def backend(request) -> list[str]:
    """Child-process flags: the local worker pool, or Ray actors on the module's cluster."""
    if request.param == "local":
        return ["--backend", "local"]
    return ["--backend", "ray", "--ray-address", request.getfixturevalue("ray_cluster").address]


def _child(dsn: str, thread: str, papers_file: Path, workspace: Path, *flags: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "tests.postgres",
        "--dsn",
        dsn,
        "--thread",
        thread,
        "--papers",
        str(papers_file),
        "--workspace",
        str(workspace),
        "--seconds-per-page",
        "0.5",
        *flags,
    ]


def test_sigkill_then_resume_under_postgres_converts_each_paper_once(
    postgres_dsn,
    open_web,
    make_paper,
    tmp_path,
    backend,  # noqa: F811
):
    import psycopg

    papers = []
    for seed in range(6):
        paper = make_paper(seed)
        open_web.host.add(f"/{seed}.pdf", Respond(body=paper.pdf, delay_s=0.2 * seed))
        papers.append(
            {"doi": paper.doi, "title": paper.title, "oa_urls": [open_web.url(f"/{seed}.pdf")]}
        )
    papers_file = tmp_path / "papers.json"
    papers_file.write_text(json.dumps(papers))
    workspace = tmp_path / "workspace"
    thread = f"pg-resume-{os.getpid()}-{time.monotonic_ns()}"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            [str(PROJECT_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
        ),
    }
    if "ray" in backend:
        from workflows.research.academic_lit_review.paper_processor.testing.ray_cluster import (
            LOOPBACK_ENV,
        )

        env.update(LOOPBACK_ENV)

    first = subprocess.Popen(
        _child(postgres_dsn, thread, papers_file, workspace, *backend),
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    events: list[dict] = []
    try:
        deadline = time.monotonic() + 90
        assert first.stdout is not None
        while time.monotonic() < deadline:
            line = first.stdout.readline()
            if not line:
                break
            events.append(json.loads(line))
            if [e["stage"] for e in events].count("converted") >= 2:
                break
    finally:
        os.killpg(first.pid, signal.SIGKILL)  # the run and its converter workers, at once
        first.wait(10)
    stderr = first.stderr.read() if first.stderr else ""
    converted_before = [e["index"] for e in events if e["stage"] == "converted"]
    assert len(converted_before) >= 2, (events[-5:], stderr[-2000:])
    assert not any(e["stage"] == "output" for e in events), "the first run finished before the kill"

    # The checkpoint is in Postgres: the thread stopped in the streaming superstep.
    with psycopg.connect(postgres_dsn) as conn:
        (checkpoints,) = conn.execute(
            "SELECT count(*) FROM checkpoints WHERE thread_id = %s", (thread,)
        ).fetchone()
    assert checkpoints >= 1

    second = subprocess.run(
        _child(postgres_dsn, thread, papers_file, workspace, *backend, "--resume"),
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert second.returncode == 0, second.stderr[-3000:]
    lines = [json.loads(line) for line in second.stdout.splitlines() if line.startswith("{")]
    output = next(line["output"] for line in lines if line["stage"] == "output")
    outcomes = output["outcomes"]
    assert [o["status"] for o in outcomes] == ["converted"] * 6
    # What the killed run converted is reused, not converted again.
    assert all(outcomes[i]["cached"] for i in converted_before)

    assert_each_converted_once(workspace, papers)


async def test_langgraph_server_with_postgres_checkpointer_and_ray_converters(
    postgres_dsn,
    ray_cluster,
    make_paper,
    tmp_path,  # noqa: F811
):
    """The deployment sketch in miniature: the graph on a LangGraph server whose checkpointer is
    Postgres, converting on Ray actors; the thread's checkpoints are in Postgres."""
    import langgraph_sdk
    import psycopg

    from workflows.research.academic_lit_review.paper_processor.testing.loopback import (
        serve_loopback,
    )
    from workflows.research.academic_lit_review.paper_processor.testing.openweb import OpenWebHost
    from workflows.research.academic_lit_review.paper_processor.testing.ray_cluster import (
        LOOPBACK_ENV,
    )

    from . import test_server

    if test_server.LANGGRAPH is None:
        pytest.skip("the langgraph CLI is not installed (langgraph-cli[inmem])")
    config_path = test_server._server_config(tmp_path)
    config = json.loads(config_path.read_text())
    config["checkpointer"] = {"path": f"{PROJECT_ROOT / 'tests' / 'postgres.py'}:checkpointer"}
    config_path.write_text(json.dumps(config))
    host = OpenWebHost()
    cluster = ray_cluster
    with serve_loopback(host.app) as web:
        papers = []
        for seed in range(4):
            paper = make_paper(seed)
            host.add(f"/{seed}.pdf", Respond(body=paper.pdf))
            papers.append(
                {"doi": paper.doi, "title": paper.title, "oa_urls": [f"{web}/{seed}.pdf"]}
            )
        env = {k: v for k, v in os.environ.items() if not k.startswith("PAPER_PROCESSOR_")}
        env.update(test_server.OFFLINE_ENV)
        env.update(LOOPBACK_ENV)
        env.update(
            {
                "POSTGRES_URI": postgres_dsn,
                "PAPER_PROCESSOR_ALLOW_PRIVATE_HOSTS": "1",
                "PAPER_PROCESSOR_WORKSPACE": str(tmp_path / "workspace"),
                "PAPER_PROCESSOR_CONVERTER": "calibrated",
                "PAPER_PROCESSOR_SOURCE_ORDER": '["oa_urls"]',
                "PAPER_PROCESSOR_HOST_MIN_INTERVAL_S": "0",
                "PAPER_PROCESSOR_CONVERSION_BACKEND": "ray",
                "PAPER_PROCESSOR_RAY_ADDRESS": cluster.address,
            }
        )
        log = tmp_path / "server.log"
        with log.open("wb") as log_file:
            server = subprocess.Popen(
                [
                    test_server.LANGGRAPH,
                    "dev",
                    "--no-browser",
                    "--no-reload",
                    "--port",
                    str(test_server._free_port()),
                    "--config",
                    str(config_path),
                ],
                cwd=tmp_path,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            url = test_server._wait_until_ready(server, log)
            client = langgraph_sdk.get_client(url=url)
            thread = await client.threads.create()
            output = await client.runs.wait(
                thread["thread_id"],
                "paper_processor",
                input={"papers": papers},
                context={"calibrated_seconds_per_page": 0.2, "conversion_workers": 2},
                raise_error=True,
            )
        finally:
            test_server._stop(server)
        # The conversions ran on the cluster's converter actors.
        actor_logs = Path(cluster.temp_dir, "session_latest", "logs").glob("worker-*.out")
        assert any(
            ":actor_name:ConverterActor" in p.read_text(errors="replace") for p in actor_logs
        )
    server_log = log.read_text(errors="replace")
    assert [o["status"] for o in output["outcomes"]] == ["converted"] * 4, server_log[-3000:]
    assert "BlockingError" not in server_log, server_log[-4000:]
    assert "Configuring custom checkpointer" in server_log
    with psycopg.connect(postgres_dsn) as conn:
        (checkpoints,) = conn.execute(
            "SELECT count(*) FROM checkpoints WHERE thread_id = %s", (thread["thread_id"],)
        ).fetchone()
    assert checkpoints >= 3  # input, after prepare, after the streaming superstep, after finalize

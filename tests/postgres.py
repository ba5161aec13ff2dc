"""A real PostgreSQL server on loopback for the tests, and a graph run under AsyncPostgresSaver.

- `postgres_dsn` (session fixture): finds Debian's PostgreSQL (installing the `postgresql`
  package with apt-get when it is missing and we are root), `initdb`s a throw-away cluster in a
  temporary folder and starts it on 127.0.0.1 at a free port (unix socket in that folder too, so
  it never touches /var/run/postgresql or port 5432). initdb refuses to run as root, so as root
  the server runs as the `postgres` user (or `nobody`). Stopped and deleted at teardown. Skips
  with the reason only where PostgreSQL can be neither found nor installed, or does not start.
- `python -m tests.postgres --dsn ... --thread ... --papers FILE --workspace DIR [--resume]`:
  runs the paper-processor graph with the Postgres checkpointer and prints each custom event
  as a JSON line, then `{"stage": "output", ...}`; the test SIGKILLs it mid-run and resumes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import glob
import json
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


def _find_binaries() -> Path | None:
    """The folder holding initdb and pg_ctl: PATH first, then Debian's versioned folders."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(folder, "initdb").exists() and Path(folder, "pg_ctl").exists():
            return Path(folder)
    return None


def _install_postgres() -> str | None:
    """apt-get install postgresql (root only); the reason it could not, or None."""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return "PostgreSQL is not installed, and apt-get is unavailable or we are not root"
    # No `main` cluster on port 5432: the tests start their own server.
    try:
        Path("/etc/postgresql-common/createcluster.d").mkdir(parents=True, exist_ok=True)
        Path("/etc/postgresql-common/createcluster.d/no-main-cluster.conf").write_text(
            "create_main_cluster = false\n"
        )
    except OSError:
        pass
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "postgresql"],
    ):
        try:
            result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"{' '.join(command)}: {exc}"
        if result.returncode != 0:
            return f"{' '.join(command)} failed: {result.stderr.strip()[-500:]}"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    """One throw-away PostgreSQL cluster on 127.0.0.1."""

    def __init__(self, binaries: Path) -> None:
        self.binaries = binaries
        self.root = Path(tempfile.mkdtemp(prefix="pg-", dir="/tmp"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.user = None
        if os.geteuid() == 0:  # initdb refuses root
            for name in ("postgres", "nobody"):
                try:
                    self.user = pwd.getpwnam(name)
                    break
                except KeyError:
                    continue
            if self.user is None:
                raise RuntimeError("running as root, and there is no postgres or nobody user")
            os.chown(self.root, self.user.pw_uid, self.user.pw_gid)
        os.chmod(self.root, 0o700)

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        kwargs = {}
        if self.user is not None:
            kwargs = {"user": self.user.pw_uid, "group": self.user.pw_gid, "extra_groups": []}
        return subprocess.run(
            [str(self.binaries / args[0]), *args[1:]],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.root,
            stdin=subprocess.DEVNULL,
            env={"PATH": os.environ.get("PATH", ""), "LC_ALL": "C.UTF-8", "HOME": str(self.root)},
            **kwargs,
        )

    def start(self) -> None:
        result = self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed: {result.stderr.strip()[-1000:]}")
        options = (
            f"-k {self.root} -p {self.port} -c listen_addresses=127.0.0.1"
            " -c fsync=off -c full_page_writes=off"
        )
        result = self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.root / "server.log"),
            "-w",
            "-t",
            "60",
            "-o",
            options,
            "start",
        )
        if result.returncode != 0:
            log = self.root / "server.log"
            detail = log.read_text(errors="replace")[-1000:] if log.exists() else result.stderr
            raise RuntimeError(f"pg_ctl start failed: {detail.strip()}")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "-t", "30", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_dsn() -> Iterator[str]:
    binaries = _find_binaries()
    if binaries is None:
        reason = _install_postgres()
        binaries = _find_binaries()
        if binaries is None:
            pytest.skip(f"no PostgreSQL server: {reason or 'installed, but initdb is not found'}")
    server = PostgresServer(binaries)
    try:
        server.start()
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
        server.stop()
        pytest.skip(f"PostgreSQL did not start: {exc}")
    try:
        yield server.dsn
    finally:
        server.stop()


# -- the checkpointer of a LangGraph server ------------------------------------------------------------


@contextlib.asynccontextmanager
async def checkpointer():
    """A LangGraph server's checkpointer in Postgres: langgraph.json
    `"checkpointer": {"path": "<this file>:checkpointer"}`, the database from POSTGRES_URI."""
    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
    from psycopg.rows import dict_row
    from psycopg_pool import AsyncConnectionPool

    async with AsyncConnectionPool(
        os.environ["POSTGRES_URI"],
        min_size=1,
        max_size=8,
        open=False,
        kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
    ) as pool:
        saver = AsyncPostgresSaver(pool)
        await saver.setup()
        yield saver


# -- the graph run, in a child process --------------------------------------------------------------


async def _run(args: argparse.Namespace) -> None:
    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

    from workflows.research.academic_lit_review.paper_processor.context import Context
    from workflows.research.academic_lit_review.paper_processor.graph import build_graph

    ctx = Context(
        workspace=args.workspace,
        allow_private_hosts=True,
        converter="calibrated",
        calibrated_seconds_per_page=args.seconds_per_page,
        download_timeout_s=30,
        conversion_timeout_s=120,
        conversion_workers=args.workers,
        conversion_backend=args.backend,
        ray_address=args.ray_address,
    )
    papers = json.loads(Path(args.papers).read_text())
    config = {"configurable": {"thread_id": args.thread}}
    async with AsyncPostgresSaver.from_conn_string(args.dsn) as saver:
        await saver.setup()
        graph = build_graph().compile(checkpointer=saver)
        async for mode, chunk in graph.astream(
            None if args.resume else {"papers": papers},
            context=ctx,
            config=config,
            stream_mode=["custom", "updates"],
        ):
            if mode == "custom":
                print(json.dumps(chunk, default=str), flush=True)
            elif "finalize" in chunk:
                print(
                    json.dumps({"stage": "output", "output": chunk["finalize"]}, default=str),
                    flush=True,
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--thread", required=True)
    parser.add_argument("--papers", required=True)
    parser.add_argument("--workspace", required=True)
    parser.add_argument("--seconds-per-page", type=float, default=0.5)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--backend", choices=["local", "ray"], default="local")
    parser.add_argument("--ray-address", default=None)
    parser.add_argument("--resume", action="store_true")
    asyncio.run(_run(parser.parse_args()))


if __name__ == "__main__":
    main()

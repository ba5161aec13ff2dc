"""A run of the command line leaves nothing running behind it, however it ends.

Each test runs `paper-processor run` (this checkout's copy, `python -m ...cli`) in a session of
its own against loopback fakes, watches every process it starts while it runs, and checks that
within a few seconds of its exit none is left: not in its process tree as seen during the run,
not in its session (processes re-parented to init keep it), and no Ray process holding a file
of the Ray session its driver started. Both backends; for Ray with no address, so the command
starts and must stop a local Ray cluster. Three endings each: normal, interrupted mid-run (Ctrl-C;
SIGTERM too for the local backend), and failing.
"""

from __future__ import annotations

import glob
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest

from .test_cli import Fakes, _env, _Lines, fakes, write_json  # noqa: F401 - fakes: a fixture

# After the command exits, how long its processes get to be gone.
LEFTOVER_WINDOW_S = 5.0
RUN_TIMEOUT_S = 120
_CLI = "workflows.research.academic_lit_review.paper_processor.cli"
_REPO = Path(__file__).resolve().parents[1]
# Processes every local Ray cluster has (the names Ray gives them).
_RAY_CORE = {"raylet", "gcs_server"}
_WORKER_MODULE = "paper_processor.conversion.worker"

_NO_RAY = pytest.mark.skipif(
    importlib.util.find_spec("ray") is None,
    reason="the ray extra is not installed: pip install -e '.[ray]'",
)
BACKENDS = ["local", pytest.param("ray", marks=_NO_RAY)]
# How a run is interrupted: Ctrl-C at a terminal reaches the command's whole process group;
# `kill`, `timeout` and process managers send SIGTERM to the command. SIGTERM with one backend
# is enough to show it ends a run as Ctrl-C does (each Ray run starts a cluster: seconds).
INTERRUPTS = [
    ("local", "ctrl-c"),
    ("local", "sigterm"),
    pytest.param("ray", "ctrl-c", marks=_NO_RAY),
]


def _interrupt(pid: int, how: str) -> None:
    if how == "ctrl-c":
        os.killpg(pid, signal.SIGINT)
    else:
        os.kill(pid, signal.SIGTERM)


class ProcessWatch:
    """Every process of one command: its tree and its session, looked at until it exits."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.root = psutil.Process(process.pid)
        self.session = process.pid  # started with start_new_session: session id = its pid
        # Each process seen, with its name and command line as they were while it ran.
        self.seen: dict[psutil.Process, tuple[str, str]] = {}
        self.names: set[str] = set()  # every name any of them had
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._done.wait(0.1):
            for process in self._members():
                # Looked at again each time: Ray's processes rename themselves once started.
                name, command = _name(process), " ".join(_cmdline(process))
                if name == "?":
                    continue  # gone meanwhile
                # An exited process not yet reaped keeps its name but has no command line.
                self.seen[process] = (name, command or self.seen.get(process, ("", ""))[1])
                self.names.add(name)

    def _members(self) -> set[psutil.Process]:
        members: set[psutil.Process] = set()
        try:
            members.update(self.root.children(recursive=True))
        except psutil.Error:
            pass  # the command exited
        for process in psutil.process_iter():
            try:
                if process.pid != self.root.pid and os.getsid(process.pid) == self.session:
                    members.add(process)
            except (OSError, psutil.Error):
                continue
        return members

    def stop(self) -> None:
        self._done.set()
        self._thread.join()

    def converter_workers(self) -> int:
        return sum(_WORKER_MODULE in command for _name, command in self.seen.values())

    def leftovers(self) -> list[psutil.Process]:
        """What is still alive of everything the command started, by every view."""
        candidates = set(self.seen) | self._members() | _ray_session_processes(self.session)
        return sorted((p for p in candidates if _alive(p)), key=lambda p: p.pid)

    def kill_leftovers(self) -> None:
        """After a failed check: end what the command left, so it burdens no later test."""
        for process in self.leftovers():
            try:
                process.kill()  # psutil checks first that the pid was not reused
            except psutil.Error:
                pass

    def wait_until_nothing_is_left(self) -> list[str]:
        """Empty once nothing is left (within LEFTOVER_WINDOW_S); else what is left, described."""
        deadline = time.monotonic() + LEFTOVER_WINDOW_S
        while (left := self.leftovers()) and time.monotonic() < deadline:
            time.sleep(0.2)
        return [f"{p.pid} {_name(p)} (parent {_parent(p)})" for p in left]


def _ray_session_processes(driver_pid: int) -> set[psutil.Process]:
    """Processes holding a file of the Ray session a driver with this pid started open.

    Ray names a session directory after the driver's pid; its processes keep their logs there.
    """
    temp = os.environ.get("RAY_TMPDIR", "/tmp")  # where Ray puts its sessions on Linux
    roots = [d + os.sep for d in glob.glob(f"{temp}/ray/session_*_{driver_pid}")]
    found: set[psutil.Process] = set()
    if not roots:
        return found
    for process in psutil.process_iter():
        try:
            if any(f.path.startswith(tuple(roots)) for f in process.open_files()):
                found.add(process)
        except psutil.Error:
            continue
    return found


def _alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _name(process: psutil.Process) -> str:
    try:
        return process.name()
    except psutil.Error:
        return "?"


def _cmdline(process: psutil.Process) -> list[str]:
    try:
        return process.cmdline()
    except psutil.Error:
        return []


def _parent(process: psutil.Process) -> int | str:
    try:
        return process.ppid()
    except psutil.Error:
        return "?"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def start_cli(tmp_path: Path) -> Iterator[Callable[..., tuple[subprocess.Popen, ProcessWatch]]]:
    """`start_cli(papers, backend, **env)`: the command, started and watched. Afterwards it is
    killed, with whatever it left running (only a failed check leaves something)."""
    started: list[tuple[subprocess.Popen, ProcessWatch]] = []

    def start(
        papers: list[dict], backend: str, **env: str
    ) -> tuple[subprocess.Popen, ProcessWatch]:
        process = _start(tmp_path, papers, backend, **env)
        started.append((process, ProcessWatch(process)))
        return started[-1]

    yield start
    for process, watch in started:
        process.kill()
        process.wait()
        watch.stop()
        watch.kill_leftovers()


def _start(tmp_path: Path, papers: list[dict], backend: str, **env: str) -> subprocess.Popen:
    papers_file = write_json(tmp_path / "papers.json", papers)
    command = [sys.executable, "-m", _CLI, "run", str(papers_file), "--json"]
    command += ["--out", str(tmp_path / "out"), "--workspace", str(tmp_path / "ws")]
    command += ["--backend", backend, "--workers", "2"]
    environment = _env(**env)
    # As a user would start it: no address (the command starts a local cluster), no Ray settings
    # from this suite (the loopback cluster of other tests turns authentication off), and a home
    # of its own, where Ray would write a token file.
    for name in ("RAY_ADDRESS", "RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH"):
        environment.pop(name, None)
    environment["HOME"] = str(_home(tmp_path))
    # This checkout's copy of the package, whatever the installed console script points at.
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_REPO), env.get("PYTHONPATH")]))
    return subprocess.Popen(
        command,
        cwd=_REPO,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own session and process group, as at a terminal
        # A suite started in the background has SIGINT ignored, and children inherit that.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def _home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return home


def _assert_started_what_it_should(watch: ProcessWatch, backend: str, tmp_path: Path) -> None:
    """The watch saw the processes a run of this backend starts (so it can see leftovers)."""
    if backend == "ray":
        assert _RAY_CORE <= watch.names, watch.names
        assert any(name.startswith("ray::") for name in watch.names), watch.names
        # Nor a file that turns authentication on for every later `ray start` on the machine.
        assert not (tmp_path / "home" / ".ray" / "auth_token").exists()
    else:
        assert watch.converter_workers() >= 2, watch.names


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_finished_run_leaves_nothing_running(
    tmp_path: Path, fakes: Fakes, start_cli, backend: str
) -> None:
    process, watch = start_cli([fakes.open_access(seed) for seed in range(3)], backend)
    stdout, stderr = process.communicate(timeout=RUN_TIMEOUT_S)
    watch.stop()
    assert process.returncode == 0, stderr
    summary = json.loads(stdout.splitlines()[-1])
    assert (summary["converted"], summary["failed"]) == (3, 0)
    _assert_started_what_it_should(watch, backend, tmp_path)
    assert watch.wait_until_nothing_is_left() == []


@pytest.mark.parametrize(("backend", "how"), INTERRUPTS)
def test_an_interrupted_run_leaves_nothing_running(
    tmp_path: Path, fakes: Fakes, start_cli, backend: str, how: str
) -> None:
    papers = [fakes.open_access(1), fakes.open_access(2, delay_s=120)]  # the second never comes
    process, watch = start_cli(papers, backend)
    lines = _Lines(process)
    # Converters are up and the run is mid-way: one paper done, one downloading.
    lines.wait_for(lambda line: '"converted"' in line, timeout_s=RUN_TIMEOUT_S)
    if backend == "local":  # both workers seen (they start with the run, in threads of their own)
        deadline = time.monotonic() + 30
        while watch.converter_workers() < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
    _interrupt(process.pid, how)
    process.wait(timeout=60)
    stderr = process.stderr.read() if process.stderr else ""
    watch.stop()
    assert process.returncode == 130, stderr
    assert "--resume" in stderr and "Traceback" not in stderr
    _assert_started_what_it_should(watch, backend, tmp_path)
    assert watch.wait_until_nothing_is_left() == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_failing_run_leaves_nothing_running(fakes: Fakes, start_cli, backend: str) -> None:
    # Full marker forced with its inference server down: the run fails once the mode is decided,
    # on the Ray backend where the converters run, so after the local cluster has started.
    process, watch = start_cli(
        [fakes.open_access(1)],
        backend,
        PAPER_PROCESSOR_CONVERTER="marker",
        PAPER_PROCESSOR_MARKER_MODE="full",
        PAPER_PROCESSOR_INFERENCE_URL=f"http://127.0.0.1:{_closed_port()}",
    )
    _stdout, stderr = process.communicate(timeout=RUN_TIMEOUT_S)
    watch.stop()
    assert process.returncode == 2, stderr
    assert "models cannot run" in stderr and "Traceback" not in stderr
    if backend == "ray":
        assert _RAY_CORE <= watch.names, watch.names
    assert watch.wait_until_nothing_is_left() == []

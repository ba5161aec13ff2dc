"""A real Ray cluster on loopback, for tests, benchmarks and a one-machine demo.

A test harness, not part of conversion: `conversion/ray_cluster.py` connects a run to a cluster
(or starts a lean local one); this starts a separate head node with `ray start` that tests and
benchmarks attach to by address, in its own process group, and stops it whole.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ..conversion.ray_cluster import import_ray
from ..errors import ConfigurationError

# Ray advertises a node's external address even when told 127.0.0.1; this keeps every address on
# loopback (what Ray itself does on macOS and Windows). Needed by `ray start` and by the driver.
# Authentication off on both sides, explicitly: `ray start` otherwise turns it on whenever a
# ~/.ray/auth_token exists (a local `ray.init()` writes one), and the driver sends no token.
LOOPBACK_ENV = {
    "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
    "RAY_USAGE_STATS_ENABLED": "0",
    "RAY_AUTH_MODE": "disabled",
}


def use_loopback_in_this_process() -> None:
    """Make this process's Ray driver use 127.0.0.1 (call before connecting)."""
    os.environ.update(LOOPBACK_ENV)

    constants = sys.modules.get("ray._private.ray_constants")
    if constants is not None:  # ray was imported before the variable was set
        constants.ENABLE_RAY_CLUSTER = False


class LoopbackRayCluster:
    """A real Ray head node on 127.0.0.1, in its own process group, stopped as a whole.

    `with LoopbackRayCluster(num_cpus=4) as address: ... ray_address=address ...`. Never uses
    `ray stop`, which would stop every Ray cluster on the machine.
    """

    def __init__(self, *, num_cpus: int = 4, start_timeout_s: float = 120.0) -> None:
        self.num_cpus = num_cpus
        self.start_timeout_s = start_timeout_s
        self.address: str | None = None
        self.temp_dir: str | None = None
        self._pgid: int | None = None

    def start(self) -> str:

        ray_cli = Path(sys.executable).with_name("ray")
        if not ray_cli.exists():
            found = shutil.which("ray")
            if not found:
                raise ConfigurationError("the `ray` command is missing: pip install -e '.[ray]'")
            ray_cli = Path(found)
        # Short: Ray's unix sockets live under it (the path limit is 107 bytes).
        self.temp_dir = tempfile.mkdtemp(prefix="ray-", dir="/tmp")
        # Every fixed default port made free, so several clusters (test runs) can share a machine.
        gcs_port, client_port, agent_port, dashboard_port = _free_ports(4)
        command = [
            str(ray_cli),
            "start",
            "--head",
            "--node-ip-address=127.0.0.1",
            f"--port={gcs_port}",
            f"--ray-client-server-port={client_port}",
            f"--dashboard-agent-listen-port={agent_port}",
            f"--dashboard-port={dashboard_port}",
            f"--num-cpus={self.num_cpus}",
            "--num-gpus=0",
            "--include-dashboard=false",
            "--disable-usage-stats",
            f"--temp-dir={self.temp_dir}",
        ]
        log_path = Path(self.temp_dir) / "ray-start.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                command,
                env={**os.environ, **LOOPBACK_ENV},
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self._pgid = process.pid
        try:
            code = process.wait(self.start_timeout_s)
        except subprocess.TimeoutExpired:
            code = None
        if code != 0:
            text = log_path.read_text(errors="replace")
            self.stop()
            raise ConfigurationError(f"`ray start --head` failed ({code}): {text[-2000:]}")
        self.address = f"127.0.0.1:{gcs_port}"
        return self.address

    def stop(self) -> None:

        ray = import_ray()
        if ray.is_initialized():
            ray.shutdown()
        if self._pgid is not None:
            for sig, wait_s in ((signal.SIGTERM, 2.0), (signal.SIGKILL, 10.0)):  # gcs ignores TERM
                if not _group_alive(self._pgid):
                    break
                _signal_group(self._pgid, sig)
                deadline = time.monotonic() + wait_s
                while time.monotonic() < deadline and _group_alive(self._pgid):
                    time.sleep(0.2)
            self._pgid = None
        if self.temp_dir is not None:
            shutil.rmtree(self.temp_dir, ignore_errors=True)
            self.temp_dir = None

    def __enter__(self) -> str:
        use_loopback_in_this_process()
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def _group_alive(pgid: int) -> bool:
    """Whether a live (not zombie) process is left in the group; reads /proc (Linux)."""

    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:  # state, ppid, pgrp
            return True
    return False


def _free_ports(count: int) -> list[int]:

    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()

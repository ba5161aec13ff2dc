"""This process's connection to Ray: attach to a given cluster, or start a lean local one and
stop it whole.

With no address (and no RAY_ADDRESS) `ray.init()` starts a single-node cluster inside this
process: the GCS server, the raylet, the autoscaler monitor, a log monitor, an API server and,
started by the raylet, a dashboard agent, a runtime-env agent and the worker processes of tasks
and actors. Ray ties the driver's children to the THREAD that called `ray.init` (Linux
PR_SET_PDEATHSIG): called from a pool thread, the raylet was killed when that thread ended
(at the latest when `asyncio.run` closed its executor), and its two agents, orphaned, ignored
SIGTERM and lingered for minutes (ray 2.60, measured after each CLI run: `ray::DashboardAgent`
~135 MB, `ray::RuntimeEnvAgent` ~95 MB). So a cluster this module starts is

- started from a thread of its own that lives until the cluster is stopped;
- lean: no dashboard (its head and nine module processes), no usage stats;
- stopped completely: every process of the cluster is noted (the driver's Ray children with
  their descendants, and any Ray process holding a file of the cluster's session directory
  open), `ray.shutdown()` runs, and whatever of them is alive a moment later is killed (none,
  measured, when the raylet lived to the end; the agents, when it did not);
- stopped by `stop_local_cluster()` (the CLI calls it when its run ends, however it ends), and at
  interpreter exit otherwise: in a LangGraph server the cluster serves every run of the server.

A cluster this process attached to (an address, RAY_ADDRESS) is left running: only the
connection to it ends, at interpreter exit, as Ray does by itself.
"""

from __future__ import annotations

import atexit
import logging
import os
import secrets
import sys
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from ..errors import ConfigurationError

NAMESPACE = "paper-processor"
# After ray.shutdown(), how long the cluster's processes get to exit before they are killed.
SHUTDOWN_GRACE_S = 2.0
_KILL_WAIT_S = 5.0

_lock = threading.Lock()
# The local cluster this process started, while it runs: its session directory, and the
# event that lets the thread that started it end.
_local_session_dir: str | None = None
_local_owner_release: threading.Event | None = None


def import_ray() -> Any:
    try:
        import ray
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ConfigurationError(
            "conversion_backend=ray needs Ray: pip install -e '.[ray]'"
        ) from exc
    return ray


def connect(address: str | None) -> None:
    """Blocking: connect this process to the Ray cluster once (a local one if no address).

    Several runs in one process (a LangGraph server) share the connection; a run never ends it,
    because another run may still hold actors. `address=None` honours RAY_ADDRESS and otherwise
    starts a local single-node cluster inside this process, which `stop_local_cluster` stops.
    """
    ray = import_ray()
    with _lock:
        if ray.is_initialized():
            return
        # ray.init runs in a worker thread (it blocks); it then says it set no SIGTERM handler.
        logging.getLogger("ray._private.worker").addFilter(_NoSigtermNotice())
        try:
            if address is None and not os.environ.get("RAY_ADDRESS"):
                _start_local_cluster()
            else:
                ray.init(address=address, **_DRIVER_OPTIONS)
        except Exception as exc:
            raise ConfigurationError(
                f"cannot connect to the Ray cluster at {address or 'a new local cluster'}: {exc}"
            ) from exc
        _errors_to_stderr()


# How this process's driver talks to any cluster.
_DRIVER_OPTIONS: dict[str, Any] = dict(
    namespace=NAMESPACE,
    # Actors' prints (marker's progress bars) must not reach the CLI's stdout.
    log_to_driver=False,
    logging_level="WARNING",
    configure_logging=True,
)


def _start_local_cluster() -> None:
    """Blocking: start a lean local cluster from a thread that lives as long as the cluster.

    Ray starts the raylet, the monitors and the API server with PR_SET_PDEATHSIG, which fires
    when the THREAD that started them ends, not the process: started from an anyio worker
    thread (ended after 10 s idle, and when the run's event loop ends), the raylet was killed
    under a live driver and its agents were orphaned. The owner thread waits until
    `stop_local_cluster` has stopped the cluster; a daemon, it never holds up the interpreter's
    exit.
    """
    global _local_session_dir, _local_owner_release
    ray = import_ray()
    # A user's explicit choice stands; unset, a run reports nothing anywhere.
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    _authenticate_without_a_token_file()
    started: Future[Any] = Future()
    release = threading.Event()

    def own() -> None:
        try:
            # No dashboard: its head and nine module processes serve nothing a run needs.
            started.set_result(ray.init(include_dashboard=False, **_DRIVER_OPTIONS))
        except BaseException as exc:  # handed to the caller, raised there
            started.set_exception(exc)
            return
        release.wait()

    threading.Thread(target=own, name="ray-local-cluster", daemon=True).start()
    context = started.result()
    _local_session_dir = context.address_info["session_dir"]
    _local_owner_release = release
    # Registered after ray.init registered its own shutdown: atexit runs this one first.
    atexit.register(stop_local_cluster)


def _authenticate_without_a_token_file() -> None:
    """Give the local cluster a token of this process's own unless the user configured one.

    Ray turns token authentication on for a local cluster and, finding no token, writes one to
    ~/.ray/auth_token. That file outlives the run and changes the machine: every later
    `ray start` turns authentication on with it, and drivers that send no token can no longer
    attach. A token in this process's environment (Ray's processes inherit it) protects the
    cluster just as well and goes with the process.
    """
    configured = ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH")
    if any(os.environ.get(name) for name in configured):
        return
    if (Path.home() / ".ray" / "auth_token").exists():
        return  # the user's own token: Ray uses it and writes nothing
    os.environ["RAY_AUTH_TOKEN"] = secrets.token_hex(32)  # what Ray would generate


def stop_local_cluster() -> None:
    """Blocking: stop the local cluster this process started, every process of it.

    Does nothing when this process started none (it attached to a cluster, or never used Ray).
    Takes about SHUTDOWN_GRACE_S when processes linger; safe to call more than once.
    """
    global _local_session_dir, _local_owner_release
    with _lock:
        session_dir, _local_session_dir = _local_session_dir, None
        release, _local_owner_release = _local_owner_release, None
        if session_dir is None or release is None:
            return
        import psutil

        ray = import_ray()
        cluster = _cluster_processes(session_dir)
        try:
            ray.shutdown()
        finally:
            _gone, alive = psutil.wait_procs(cluster, timeout=SHUTDOWN_GRACE_S)
            # Survivors (the raylet's agents ignore SIGTERM), and any process of the cluster
            # that started after the first look.
            leftovers = {*alive, *_cluster_processes(session_dir)}
            for process in leftovers:
                try:
                    process.kill()  # psutil checks first that the pid was not reused
                except psutil.Error:
                    pass
            psutil.wait_procs(leftovers, timeout=_KILL_WAIT_S)
            release.set()  # only now may the owner thread end


def _cluster_processes(session_dir: str) -> set[Any]:
    """The live processes of the local cluster whose session directory is `session_dir`.

    Two views, because either alone can miss some: this process's children that name the
    session directory on their command line (gcs_server, raylet, monitors) with all their
    descendants (the agents, the workers); and Ray processes anywhere that hold a file under the
    session directory open (its logs), which finds the ones re-parented to init when the raylet
    died first. Ray processes only: a user's `tail -f` of a Ray log is not the cluster's.
    """
    import psutil

    found: set[Any] = set()
    me = psutil.Process()
    try:
        children = me.children()
    except psutil.Error:
        children = []
    for child in children:
        try:
            if any(session_dir in arg for arg in child.cmdline()):
                found.add(child)
                found.update(child.children(recursive=True))
        except psutil.Error:
            continue  # exited meanwhile
    ray_binaries = str(Path(import_ray().__file__).resolve().parent) + os.sep
    interpreter = os.path.realpath(sys.executable)
    inside = session_dir.rstrip(os.sep) + os.sep
    for process in psutil.process_iter():
        if process.pid == me.pid or process in found:
            continue
        try:
            exe = process.exe()
            if exe != interpreter and not exe.startswith(ray_binaries):
                continue
            if any(f.path.startswith(inside) for f in process.open_files()):
                found.add(process)
        except psutil.Error:
            continue  # exited meanwhile, or not ours to look at
    return found


class _NoSigtermNotice(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "SIGTERM handler is not set" not in record.getMessage()


def _errors_to_stderr() -> None:
    """Ray prints cluster error notices ("(raylet) A worker died...") on the driver's STDOUT,
    whatever log_to_driver says; the CLI's stdout is JSON lines, so send them to stderr."""
    from ray._private import worker as ray_worker

    original = getattr(ray_worker, "print_to_stdstream", None)
    if original is None or getattr(original, "_to_stderr", False):
        return

    def to_stderr(data: dict, *args: Any, **kwargs: Any) -> None:
        original({**data, "is_err": True}, *args, **kwargs)

    to_stderr._to_stderr = True  # type: ignore[attr-defined]
    ray_worker.print_to_stdstream = to_stderr

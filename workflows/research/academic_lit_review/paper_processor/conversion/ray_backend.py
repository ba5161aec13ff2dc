"""Conversion on a Ray cluster: a pool of Ray actors, each holding one converter built once.

`RayConverterPool` has the interface of the local `ConverterPool` (async context manager,
`slots`, `spec`, `async convert(job) -> Done` raising `ConversionFailed`), so the marker node
does not know which one it drives, and keeps what the local pool guarantees:

- **bounded in-flight work**: one document per actor, at most `slots` (= actors) submitted at
  once; the rest wait in the marker node's relevance queue on the driver, never in the cluster.
  Jobs carry file PATHS, not bytes, so the object store holds no backlog of PDFs. The actors read
  the PDF and write the markdown in the workspace, so in a multi-node cluster the workspace must
  be a filesystem shared by the driver and every worker node (NFS, CephFS, EFS...) at the same
  path;
- **per-document deadlines**: a document with no result within `timeout_s` fails with
  `conversion_timeout`; its actor is killed (`ray.kill`) and replaced;
- **crash isolation**: an actor that dies while holding a document (a native crash, OOM kill,
  `ray.kill`, a lost node) is replaced, and the document is retried ONCE on another actor; if that
  actor dies too, the document fails with `conversion_failed`. A timeout is not retried (the
  deadline is the deadline). So killing an actor mid-conversion loses no paper, and a document
  that crashes every converter still fails alone;
- **streaming and relevance order**: `convert` is awaited per document as it arrives, and the
  marker node's queue picks the most relevant waiting paper whenever a slot frees.

Actors are plain (non-detached) actors of this driver: when the driver process dies, Ray
removes them. The converter code must be importable on the worker nodes: install this project
in the workers' Python environment (the same image as the driver).

Ray is an optional dependency (`pip install -e ".[ray]"`); it is imported only when the ray
backend is used.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import anyio.lowlevel
import anyio.to_thread
from anyio.abc import TaskGroup

from ..errors import ConfigurationError
from ..models import Reason
from .mode import ModeDecision, decide_mode
from .places import PlacePool
from .pool import _PROJECT_ROOT, ConversionFailed
from .worker import Done, Failed, Job, WorkerSpec, _short, build_converter

NAMESPACE = "paper-processor"
ACTOR_PREFIX = "converter-"
_init_lock = threading.Lock()


def _ray():
    try:
        import ray
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ConfigurationError(
            "conversion_backend=ray needs Ray: pip install -e '.[ray]'"
        ) from exc
    return ray


def connect(address: str | None) -> None:
    """Blocking: connect this process to the Ray cluster once (a local one if no address).

    Several runs in one process (a LangGraph server) share the connection; it is never shut
    down here, because another run may still hold actors. `address=None` honours RAY_ADDRESS and
    otherwise starts a local single-node cluster inside this process.
    """
    ray = _ray()
    with _init_lock:
        if ray.is_initialized():
            return
        # ray.init runs in a worker thread (it blocks); it then says it set no SIGTERM handler.
        logging.getLogger("ray._private.worker").addFilter(_NoSigtermNotice())
        try:
            ray.init(
                address=address,
                namespace=NAMESPACE,
                # Actors' prints (marker's progress bars) must not reach the CLI's stdout.
                log_to_driver=False,
                logging_level="WARNING",
                configure_logging=True,
            )
        except Exception as exc:
            raise ConfigurationError(
                f"cannot connect to the Ray cluster at {address or 'a new local cluster'}: {exc}"
            ) from exc
        _errors_to_stderr()


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


def actor_runtime_env(spec: WorkerSpec) -> dict[str, Any]:
    """Environment of every converter actor: the project on its path, marker's inference server."""
    env_vars = {
        "PYTHONPATH": os.pathsep.join(
            [_PROJECT_ROOT, *filter(None, [os.environ.get("PYTHONPATH")])]
        ),
    }
    if spec.inference_url:
        # marker 2's model stages are clients of this shared surya server (MarkerConverter also
        # sets it from the spec; the actor's environment has it before anything is imported).
        env_vars["SURYA_INFERENCE_URL"] = spec.inference_url
    if spec.font_path:
        env_vars["FONT_PATH"] = spec.font_path
    return {"env_vars": env_vars}


class ConverterActor:
    """The body of one Ray actor: builds its converter once, then converts documents by path."""

    def __init__(self, spec: WorkerSpec) -> None:
        self._converter = build_converter(spec)

    def ready(self) -> dict[str, Any]:
        return {
            "pid": os.getpid(),
            "node": os.uname().nodename,
            "inference_url": os.environ.get("SURYA_INFERENCE_URL"),
        }

    def convert(self, job: Job) -> Done | Failed:
        started_at, started = time.time(), time.perf_counter()
        try:
            pages = self._converter.convert(job)
        except Exception as exc:  # noqa: BLE001 - one bad document must not end the actor
            return Failed(type(exc).__name__, _short(exc))
        structure = getattr(self._converter, "structure", {})
        return Done(pages, time.perf_counter() - started, started_at, **structure)

    def close(self) -> None:
        self._converter.close()


def _probe_mode(requested: str, inference_url: str | None) -> ModeDecision:
    return decide_mode(requested, inference_url)


async def decide_mode_on_cluster(
    requested: str,
    inference_url: str | None,
    *,
    address: str | None,
    num_cpus: float,
    num_gpus: float,
    timeout_s: float = 180.0,
) -> ModeDecision:
    """Decide marker's mode where the converters will run (a GPU node), not on the driver."""
    # Importing ray, connecting and submitting block (file I/O, RPCs): never on the event loop.
    await anyio.to_thread.run_sync(connect, address)
    ray = _ray()

    def submit() -> Any:
        probe = ray.remote(_probe_mode).options(
            num_cpus=num_cpus,
            num_gpus=num_gpus,
            max_retries=0,
            runtime_env=actor_runtime_env(
                WorkerSpec(converter="marker", mode="auto", inference_url=inference_url)
            ),
        )
        return probe.remote(requested, inference_url)

    ref = await anyio.to_thread.run_sync(submit)
    try:
        with anyio.fail_after(timeout_s):
            return await ref
    except TimeoutError as exc:
        ray.cancel(ref, force=True)
        raise ConfigurationError(
            f"the Ray cluster ran no mode probe within {timeout_s:g} s (resources:"
            f" {num_cpus:g} CPU, {num_gpus:g} GPU per converter)"
        ) from exc
    except ray.exceptions.RayTaskError as exc:
        cause = exc.as_instanceof_cause()
        if isinstance(cause, ConfigurationError):
            raise ConfigurationError(str(cause).splitlines()[-1]) from None
        raise


@dataclass(eq=False)
class _Actor:
    handle: Any
    documents: int = 0


class RayConverterPool(PlacePool[_Actor]):
    """`async with RayConverterPool(spec, workers=k, ...) as pool: await pool.convert(job)`."""

    def __init__(
        self,
        spec: WorkerSpec,
        *,
        workers: int,
        timeout_s: float,
        address: str | None = None,
        num_cpus: float = 1.0,
        num_gpus: float = 0.0,
        max_docs_per_worker: int | None = None,
        start_timeout_s: float = 180.0,
    ) -> None:
        super().__init__()
        self.spec = spec
        self.slots = workers
        self._timeout_s = timeout_s
        self._address = address
        self._num_cpus = num_cpus
        self._num_gpus = num_gpus
        self._max_docs = max_docs_per_worker
        self._start_timeout_s = start_timeout_s
        self._actors: set[_Actor] = set()
        self._task_group: TaskGroup | None = None
        self._actor_class: Any = None
        self._actor_options: dict[str, Any] = {}
        self.worker_starts = 0
        self.retried = 0
        self.in_flight = 0  # documents submitted to the cluster and not yet answered
        self.peak_in_flight = 0
        self.actor_info: list[dict[str, Any]] = []  # what each started actor reported

    async def __aenter__(self) -> RayConverterPool:
        # Importing ray and connecting block (file I/O, RPCs): never on the event loop.
        await anyio.to_thread.run_sync(connect, self._address)
        ray = _ray()
        self._actor_class = ray.remote(ConverterActor)
        self._actor_options = dict(
            namespace=NAMESPACE,
            num_cpus=self._num_cpus,
            num_gpus=self._num_gpus,
            runtime_env=actor_runtime_env(self.spec),
            max_restarts=0,  # this pool replaces dead actors itself (and decides about the document)
            max_task_retries=0,
        )
        self._task_group = anyio.create_task_group()
        await self._task_group.__aenter__()
        # Actors start in the background so model loading overlaps the first downloads.
        for _ in range(self.slots):
            self._task_group.start_soon(self._start_actor)
        return self

    async def __aexit__(self, *exc_info: object) -> bool | None:
        assert self._task_group is not None
        self._task_group.cancel_scope.cancel()
        with anyio.CancelScope(shield=True):
            actors = list(self._actors)
            self._actors.clear()
            if actors:
                await anyio.to_thread.run_sync(_stop_all, [a.handle for a in actors])
            self._close_places()
        try:
            return await self._task_group.__aexit__(*exc_info)
        except BaseExceptionGroup as group:
            config_errors = group.subgroup(ConfigurationError)
            if config_errors is not None:
                raise config_errors.exceptions[0] from None
            raise

    async def _start_actor(self) -> None:
        ray = _ray()
        await anyio.lowlevel.checkpoint()  # a cancelled pool starts no more actors
        # Named, so operators (and tests) can find them: ray.util.list_named_actors(True).
        name = f"{ACTOR_PREFIX}{uuid.uuid4().hex[:12]}"
        create = self._actor_class.options(name=name, **self._actor_options).remote
        with anyio.CancelScope(shield=True):  # an actor created is an actor tracked
            actor = _Actor(await anyio.to_thread.run_sync(create, self.spec))
            self._actors.add(actor)
        self.worker_starts += 1
        try:
            with anyio.fail_after(self._start_timeout_s):
                info = await actor.handle.ready.remote()
        except TimeoutError as exc:
            await self._discard(actor)
            raise ConfigurationError(
                f"Ray converter actor did not start within {self._start_timeout_s:g} s (does the"
                f" cluster have {self._num_cpus:g} CPU and {self._num_gpus:g} GPU free per actor?)"
            ) from exc
        except ray.exceptions.RayError as exc:
            await self._discard(actor)
            raise ConfigurationError(f"Ray converter actor did not start: {_cause(exc)}") from exc
        except BaseException:
            await self._discard(actor)
            raise
        self.actor_info.append({"name": name, **info})
        try:
            self._places_send.send_nowait(actor)
        except BaseException:  # the pool closed meanwhile
            await self._discard(actor)
            raise

    async def _discard(self, actor: _Actor) -> None:
        self._actors.discard(actor)
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(_kill, actor.handle)

    async def _retire(self, actor: _Actor) -> None:
        self._actors.discard(actor)
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(_stop_all, [actor.handle])

    def _replace(self, actor: _Actor, *, recycle: bool = False) -> None:
        """Retire an actor (killed, or stopped gracefully when recycled) and start another."""
        assert self._task_group is not None
        self._task_group.start_soon(self._retire if recycle else self._discard, actor)
        self._task_group.start_soon(self._start_actor)

    async def _convert_on(
        self, actor: _Actor, job: Job, on_start: Callable[[], None] | None
    ) -> Done:
        ray = _ray()
        if on_start is not None:
            on_start()
        for attempt in (1, 2):
            if attempt == 2:
                actor = await self._take()
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
            try:
                with anyio.fail_after(self._timeout_s):
                    message = await actor.handle.convert.remote(job)
            except TimeoutError as exc:
                self._replace(actor)
                raise ConversionFailed(
                    Reason.CONVERSION_TIMEOUT,
                    f"no result within {self._timeout_s:g} s; Ray actor killed",
                ) from exc
            except ray.exceptions.RayTaskError as exc:
                # The call itself raised (e.g. the job could not be unpickled): the actor is fine.
                self._give_back(actor)
                raise ConversionFailed(Reason.CONVERSION_FAILED, _cause(exc)) from exc
            except ray.exceptions.RayError as exc:
                # The actor died holding the document (crash, OOM kill, ray.kill, lost node).
                self._replace(actor)
                if attempt == 1:
                    self.retried += 1
                    continue
                raise ConversionFailed(
                    Reason.CONVERSION_FAILED,
                    f"converter actor crashed twice on this document ({_cause(exc)})",
                ) from exc
            except BaseException:
                self._replace(actor)  # cancelled: the actor may still be busy with it
                raise
            finally:
                self.in_flight -= 1
            break
        actor.documents += 1
        if self._max_docs is not None and actor.documents >= self._max_docs:
            self._replace(actor, recycle=True)
        else:
            self._give_back(actor)
        if isinstance(message, Failed):
            raise ConversionFailed(Reason.CONVERSION_FAILED, f"{message.error}: {message.detail}")
        assert isinstance(message, Done)
        return message


def _cause(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:300]


def _kill(handle: Any) -> None:
    ray = _ray()
    try:
        ray.kill(handle, no_restart=True)
    except Exception:  # noqa: BLE001 - already dead, or the cluster is gone
        pass


def _stop_all(handles: list[Any]) -> None:
    """Blocking: let each actor close its converter (a few seconds at most), then kill it."""
    ray = _ray()
    refs = []
    for handle in handles:
        try:
            refs.append(handle.close.remote())
        except Exception:  # noqa: BLE001
            pass
    if refs:
        try:
            ray.wait(refs, num_returns=len(refs), timeout=10)
        except Exception:  # noqa: BLE001
            pass
    for handle in handles:
        _kill(handle)


# -- a real Ray cluster on loopback, for tests, benchmarks and a one-machine demo ------------------

# Ray advertises a node's external address even when told 127.0.0.1; this keeps every address on
# loopback (what Ray itself does on macOS and Windows). Needed by `ray start` and by the driver.
LOOPBACK_ENV = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_USAGE_STATS_ENABLED": "0"}


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

        ray = _ray()
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

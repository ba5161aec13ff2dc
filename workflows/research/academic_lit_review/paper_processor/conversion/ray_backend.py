"""Converters as Ray actors (conversion_backend=ray): the Ray backend of the converter pool.

`RayBackend` implements `converters.ConverterBackend`, so the lifecycle (stock.py: start,
share, replace, close), the places, deadlines and the crash policy (pool.py) are the local
backend's, and the marker node does not know which one it drives. What is Ray's own:

- **bounded in-flight work**: one document per actor, at most `slots` (= actors) submitted at
  once; the rest wait in the marker node's relevance queue on the driver, never in the cluster.
  Jobs carry file PATHS, not bytes, so the object store holds no backlog of PDFs. The actors read
  the PDF and write the markdown in the workspace, so in a multi-node cluster the workspace must
  be a filesystem shared by the driver and every worker node (NFS, CephFS, EFS...) at the same
  path;
- a dead actor (native crash, OOM kill, `ray.kill`, a lost node) is `ConverterGone`, and a call
  that raised inside the actor is that document's `Failed`: the pool's one crash policy decides;
- the marker mode is probed where the converters run (`decide_mode_on_cluster`).

Actors are plain (non-detached) actors of this driver: when the driver process dies, Ray
removes them. The converter code must be importable on the worker nodes: install this project
in the workers' Python environment (the same image as the driver). The loopback cluster tests
and benchmarks start is in `testing/ray_cluster.py`.

Ray is an optional dependency (`pip install -e ".[ray]"`); it is imported only when the ray
backend is used.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

import anyio
import anyio.to_thread

from ..errors import ConfigurationError
from .converters import ConverterGone
from .local_backend import PROJECT_ROOT
from .mode import ModeDecision, decide_mode
from .pool import ConverterPool
from .ray_cluster import NAMESPACE, connect, import_ray
from .worker import (
    Done,
    Failed,
    Job,
    WorkerSpec,
    _short,
    build_worker,
    convert_document,
)

ACTOR_PREFIX = "converter-"


def actor_runtime_env(spec: WorkerSpec) -> dict[str, Any]:
    """Environment of every converter actor: the project on its path, marker's inference server."""
    env_vars = {
        "PYTHONPATH": os.pathsep.join(
            [PROJECT_ROOT, *filter(None, [os.environ.get("PYTHONPATH")])]
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
        self._converter, self._checker = build_worker(spec)
        self._pause_gc = spec.freeze_gc

    def ready(self) -> dict[str, Any]:
        return {
            "name": import_ray().get_runtime_context().get_actor_name(),
            "pid": os.getpid(),
            "node": os.uname().nodename,
            "inference_url": os.environ.get("SURYA_INFERENCE_URL"),
        }

    def convert(self, job: Job) -> Done | Failed:
        try:
            return convert_document(self._converter, self._checker, job, pause_gc=self._pause_gc)
        except Exception as exc:  # noqa: BLE001 - one bad document must not end the actor
            return Failed(type(exc).__name__, _short(exc))

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
    ray = import_ray()

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


class RayBackend:
    """Converters as Ray actors; see ConverterBackend. One document per actor at a time."""

    kind = "ray"
    noun = "Ray actor"
    places_per_converter = 1

    def __init__(
        self, *, address: str | None = None, num_cpus: float = 1.0, num_gpus: float = 0.0
    ) -> None:
        self._address = address
        self._num_cpus = num_cpus
        self._num_gpus = num_gpus
        self._actor_class: Any = None

    def key(self) -> tuple:
        return ("ray", self._address, self._num_cpus, self._num_gpus)

    def connect(self) -> None:
        connect(self._address)
        if self._actor_class is None:
            self._actor_class = import_ray().remote(ConverterActor)

    def launch(self, spec: WorkerSpec) -> Any:
        # Named, so operators (and tests) can find them: ray.util.list_named_actors(True).
        return self._actor_class.options(
            name=f"{ACTOR_PREFIX}{uuid.uuid4().hex[:12]}",
            namespace=NAMESPACE,
            num_cpus=self._num_cpus,
            num_gpus=self._num_gpus,
            runtime_env=actor_runtime_env(spec),
            max_restarts=0,  # the stock replaces dead actors itself (the pool decides the document)
            max_task_retries=0,
        ).remote(spec)

    def wait_ready(self, handle: Any, timeout_s: float) -> dict[str, Any]:
        ray = import_ray()
        try:
            return ray.get(handle.ready.remote(), timeout=timeout_s)
        except ray.exceptions.GetTimeoutError as exc:
            raise ConfigurationError(
                f"Ray converter actor did not start within {timeout_s:g} s (does the"
                f" cluster have {self._num_cpus:g} CPU and {self._num_gpus:g} GPU free per actor?)"
            ) from exc
        except ray.exceptions.RayError as exc:
            raise ConfigurationError(f"Ray converter actor did not start: {_cause(exc)}") from exc

    def send(self, handle: Any, job: Job) -> Any:
        return handle.convert.remote(job)

    async def answered_within(self, handle: Any, ticket: Any, seconds: float) -> bool:
        raise NotImplementedError("one document per actor: nothing is pipelined")

    async def receive(self, handle: Any, ticket: Any) -> Done | Failed:
        ray = import_ray()
        try:
            return await ticket
        except ray.exceptions.RayTaskError as exc:
            # The call itself raised (e.g. the job could not be unpickled): the actor is fine.
            return Failed(type(exc).__name__, _cause(exc))
        except ray.exceptions.RayError as exc:
            raise ConverterGone(_cause(exc)) from exc

    def stop(self, handle: Any) -> None:
        _stop_all([handle])

    def kill(self, handle: Any) -> None:
        _kill(handle)


def RayConverterPool(  # noqa: N802 - a pool, built like one
    spec: WorkerSpec,
    *,
    workers: int,
    timeout_s: float,
    address: str | None = None,
    num_cpus: float = 1.0,
    num_gpus: float = 0.0,
    max_docs_per_worker: int | None = None,
    start_timeout_s: float = 180.0,
) -> ConverterPool:
    """A converter pool of Ray actors of its own (the graph's runs share a stock instead)."""
    return ConverterPool(
        RayBackend(address=address, num_cpus=num_cpus, num_gpus=num_gpus),
        spec,
        workers=workers,
        timeout_s=timeout_s,
        max_docs_per_worker=max_docs_per_worker,
        start_timeout_s=start_timeout_s,
    )


def _cause(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:300]


def _kill(handle: Any) -> None:
    ray = import_ray()
    try:
        ray.kill(handle, no_restart=True)
    except Exception:  # noqa: BLE001 - already dead, or the cluster is gone
        pass


def _stop_all(handles: list[Any]) -> None:
    """Blocking: let each actor close its converter (a few seconds at most), then kill it."""
    ray = import_ray()
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

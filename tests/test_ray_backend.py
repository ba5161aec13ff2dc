"""The ray conversion backend against a real Ray cluster that these tests start on loopback.

One head node (127.0.0.1, its own process group) per module; the converters are Ray actors, each
its own worker process. The streaming and conversion-fault scenarios of the local pool are run
as they are, with only the backend switched; then the ray-only guarantees: an actor killed
mid-conversion loses no paper, the inference server URL reaches every actor, in-flight work is
bounded by the actors.
"""

from __future__ import annotations

import time

import anyio
import pytest

ray = pytest.importorskip("ray", reason="the ray extra is not installed: pip install -e '.[ray]'")

from workflows.research.academic_lit_review.paper_processor.conversion import ray_backend  # noqa: E402
from workflows.research.academic_lit_review.paper_processor.conversion.pool import ConversionFailed  # noqa: E402
from workflows.research.academic_lit_review.paper_processor.conversion.ray_backend import (  # noqa: E402
    RayConverterPool,
    decide_mode_on_cluster,
)
from workflows.research.academic_lit_review.paper_processor.conversion.stock import (  # noqa: E402
    close_all,
    shared_stocks,
)
from workflows.research.academic_lit_review.paper_processor.conversion.worker import Job, WorkerSpec  # noqa: E402
from workflows.research.academic_lit_review.paper_processor.errors import ConfigurationError  # noqa: E402
from workflows.research.academic_lit_review.paper_processor.graph import graph  # noqa: E402
from workflows.research.academic_lit_review.paper_processor.store import ArtifactStore  # noqa: E402
from workflows.research.academic_lit_review.paper_processor.testing.openweb import Respond  # noqa: E402
from workflows.research.academic_lit_review.paper_processor.testing.ray_cluster import (  # noqa: E402
    LoopbackRayCluster,
)

from . import test_conversion_isolation as isolation  # noqa: E402
from . import test_streaming as streaming  # noqa: E402
from .conftest import run_graph  # noqa: E402


@pytest.fixture(scope="module")
def ray_cluster():
    """A real Ray head node on loopback for this module; 4 logical CPUs, one per actor."""
    cluster = LoopbackRayCluster(num_cpus=4)
    try:
        with cluster as address:
            yield address
    finally:
        cluster.stop()


@pytest.fixture
def ray_context(context, ray_cluster):
    """The conftest `context`, with conversion on the module's Ray cluster."""

    def make(**overrides):
        return context(**{"conversion_backend": "ray", "ray_address": ray_cluster, **overrides})

    return make


async def test_streaming_scenario_on_ray(open_web, retrieve_service, make_paper, ray_context):
    await streaming.test_first_conversion_starts_before_the_slowest_download_finishes(
        open_web, retrieve_service, make_paper, ray_context
    )


async def test_relevance_order_on_ray(open_web, make_paper, ray_context):
    await streaming.test_waiting_papers_convert_most_relevant_first(
        open_web, make_paper, ray_context
    )


async def test_crashing_and_hanging_documents_fail_alone_on_ray(
    open_web, make_paper, ray_context, tmp_path
):
    await isolation.test_crashing_and_hanging_documents_fail_alone(
        open_web, make_paper, ray_context, tmp_path
    )


async def test_long_documents_in_page_ranges_on_ray(open_web, make_paper, ray_context, tmp_path):
    await isolation.test_workers_are_recycled_and_long_documents_go_in_page_ranges(
        open_web, make_paper, ray_context, tmp_path
    )


async def test_killing_an_actor_mid_conversion_loses_no_paper(
    open_web, make_paper, ray_context, tmp_path
):
    papers = []
    for seed in range(8):
        paper = make_paper(seed)
        open_web.host.add(f"/{seed}.pdf", Respond(body=paper.pdf))
        papers.append(
            {"doi": paper.doi, "title": paper.title, "oa_urls": [open_web.url(f"/{seed}.pdf")]}
        )
    ctx = ray_context(conversion_workers=2, calibrated_seconds_per_page=1.0)
    events: list[dict] = []
    killed: dict[str, object] = {}

    def kill_on_the_first_conversion(event: dict) -> None:
        # "converting" is sent once the document is in its actor's hands (submitted), and it
        # takes 1 s there: the moment to kill, with no sleep. Both actors go; one holds it.
        # Once both actors are up (an actor killed while it starts is a start failure).
        stocks = shared_stocks()
        if killed or event.get("stage") != "converting" or len(stocks[0].infos) < 2:
            return
        in_hand = event["index"]
        assert not any(e.get("stage") == "converted" and e["index"] == in_hand for e in events)
        killed["index"], killed["at"] = in_hand, len(events)
        killed["actors"] = [info["name"] for info in stocks[0].infos]
        for name in killed["actors"]:
            ray.kill(ray.get_actor(name, namespace=ray_backend.NAMESPACE), no_restart=True)

    with anyio.fail_after(120):
        async for mode, chunk in graph.astream(
            {"papers": papers}, context=ctx, stream_mode=["custom", "updates"]
        ):
            if mode == "custom":
                events.append(chunk)
                kill_on_the_first_conversion(chunk)
            elif "finalize" in chunk:
                output = chunk["finalize"]

    assert len(killed["actors"]) == 2
    assert [o["status"] for o in output["outcomes"]] == ["converted"] * 8
    # The document in the killed actor's hands converted after the kill, on a replacement.
    converted_at = [
        at
        for at, e in enumerate(events)
        if e.get("stage") == "converted" and e["index"] == killed["index"]
    ]
    assert converted_at and converted_at[0] > killed["at"]
    (stock,) = shared_stocks()
    assert stock.starts == 4  # two actors, two replacements
    store = ArtifactStore(tmp_path / "workspace")
    try:
        for paper in papers:
            assert store.count("conversion", f"doi:{paper['doi']}") == 1, paper["doi"]
    finally:
        store.close()
    # The run's actors stay warm for the process's next run, until the process closes them.
    assert len(_converter_actors()) == 2
    await anyio.to_thread.run_sync(close_all)
    await _no_actors_left()


async def test_an_actor_killed_while_it_holds_a_document_is_replaced_and_the_document_retried(
    ray_cluster, make_paper, tmp_path
):
    paper = make_paper(3)
    spec = WorkerSpec(converter="calibrated", mode="text_layer", seconds_per_page=2.0)
    async with RayConverterPool(spec, workers=1, timeout_s=30, address=ray_cluster) as pool:
        kill: dict[str, float] = {}

        async def kill_the_busy_actor() -> None:
            # in_flight counts documents submitted to an actor and not answered: the moment it
            # is 1, the only actor holds the document (2 s of work), no sleep needed.
            while pool.in_flight == 0:
                await anyio.sleep(0.01)
            (victim,) = _converter_actors()
            kill["at"] = time.time()
            ray.kill(ray.get_actor(victim, namespace=ray_backend.NAMESPACE), no_restart=True)

        async with anyio.create_task_group() as tg:
            tg.start_soon(kill_the_busy_actor)
            done = await pool.convert(
                Job(pdf_path=str(paper.pdf), out_path=str(tmp_path / "1.md"), pages=1)
            )
    assert done.pages == 1 and (tmp_path / "1.md").read_text().startswith("# ")
    # Converted by the replacement, started after the kill: the first actor died holding it.
    assert done.started_at > kill["at"]
    assert (pool.retried, pool.worker_starts) == (1, 2)


async def test_a_document_that_kills_every_actor_fails_alone_after_two(
    ray_cluster, make_paper, tmp_path
):
    crash = isolation._poison(tmp_path, "crash", "CRASH-CONVERTER")
    good = make_paper(3)
    spec = WorkerSpec(converter="faulty", mode="text_layer", seconds_per_page=0.0)
    async with RayConverterPool(spec, workers=1, timeout_s=30, address=ray_cluster) as pool:
        with pytest.raises(ConversionFailed, match="crashed twice on this document"):
            await pool.convert(Job(pdf_path=str(crash), out_path=str(tmp_path / "c.md")))
        done = await pool.convert(
            Job(pdf_path=str(good.pdf), out_path=str(tmp_path / "g.md"), pages=1)
        )
    assert done.pages == 1
    assert (pool.retried, pool.worker_starts) == (1, 3)


async def test_in_flight_work_is_bounded_by_the_actors_and_actors_are_recycled(
    ray_cluster, make_paper, tmp_path
):
    paper = make_paper(3)
    spec = WorkerSpec(converter="calibrated", mode="text_layer", seconds_per_page=0.1)
    async with RayConverterPool(
        spec, workers=1, timeout_s=30, address=ray_cluster, max_docs_per_worker=2
    ) as pool:
        async with anyio.create_task_group() as tg:
            for number in range(5):  # five callers at once, one actor
                tg.start_soon(
                    pool.convert,
                    Job(pdf_path=str(paper.pdf), out_path=str(tmp_path / f"{number}.md"), pages=1),
                )
        starts = pool.worker_starts
    assert pool.peak_in_flight == 1  # the other four waited on the driver, not in the cluster
    assert starts == 3  # documents 1-2, 3-4, 5
    assert all((tmp_path / f"{n}.md").exists() for n in range(5))


async def test_inference_url_reaches_every_actor_and_the_mode_probe(
    ray_cluster, inference_server, make_paper, tmp_path
):  # noqa: F811
    decision = await decide_mode_on_cluster(
        "auto", inference_server, address=ray_cluster, num_cpus=1, num_gpus=0
    )
    assert (decision.mode, decision.inference_url) == ("full", inference_server)
    spec = WorkerSpec(converter="calibrated", mode="full", inference_url=inference_server)
    async with RayConverterPool(spec, workers=2, timeout_s=30, address=ray_cluster) as pool:
        paper = make_paper(1)
        await pool.convert(Job(pdf_path=str(paper.pdf), out_path=str(tmp_path / "1.md"), pages=1))
        while len(pool.converter_info) < 2:
            await anyio.sleep(0.1)
    assert [info["inference_url"] for info in pool.converter_info] == [inference_server] * 2
    assert len({info["pid"] for info in pool.converter_info}) == 2  # two worker processes


async def test_a_document_that_fails_in_the_converter_fails_alone(ray_cluster, tmp_path):
    spec = WorkerSpec(converter="faulty", mode="text_layer")
    async with RayConverterPool(spec, workers=1, timeout_s=30, address=ray_cluster) as pool:
        with pytest.raises(ConversionFailed) as failed:
            await pool.convert(
                Job(pdf_path=str(tmp_path / "missing.pdf"), out_path=str(tmp_path / "x.md"))
            )
        assert failed.value.reason.value == "conversion_failed"
        assert pool.worker_starts == 1  # the actor survives a Python exception


async def test_actors_the_cluster_cannot_place_are_a_configuration_error(ray_cluster):
    spec = WorkerSpec(converter="calibrated", mode="text_layer")
    with pytest.raises(ConfigurationError, match="did not start within 3 s.*1 GPU"):
        async with RayConverterPool(
            spec, workers=1, timeout_s=30, address=ray_cluster, num_gpus=1, start_timeout_s=3
        ) as pool:
            await pool.convert(Job(pdf_path="/nonexistent.pdf", out_path="/nonexistent.md"))
    await _no_actors_left()


@pytest.mark.marker
async def test_real_marker_converts_in_a_ray_actor(open_web, make_paper, ray_context, monkeypatch):
    # The mode is probed on the cluster (where the converters run): no models there either.
    monkeypatch.delenv("SURYA_INFERENCE_URL", raising=False)
    generated = [make_paper(seed) for seed in range(2)]
    papers = []
    for paper in generated:
        open_web.host.add(f"/{paper.seed}.pdf", Respond(body=paper.pdf))
        papers.append(
            {
                "doi": paper.doi,
                "title": paper.title,
                "oa_urls": [open_web.url(f"/{paper.seed}.pdf")],
            }
        )
    with anyio.fail_after(180):
        run = await run_graph(
            graph, {"papers": papers}, context=ray_context(converter="marker", marker_mode="auto")
        )
    for paper, outcome in zip(generated, run.output["outcomes"], strict=True):
        assert outcome["status"] == "converted", outcome
        assert (outcome["converter"], outcome["mode"]) == ("marker", "text_layer")
        assert paper.title in " ".join(outcome["markdown"].replace("#", "").split())


async def _no_actors_left() -> None:
    with anyio.fail_after(10):
        while _converter_actors():
            await anyio.sleep(0.1)


def _converter_actors() -> list[str]:
    return sorted(
        a["name"]
        for a in ray.util.list_named_actors(all_namespaces=True)
        if a["namespace"] == ray_backend.NAMESPACE
        and a["name"].startswith(ray_backend.ACTOR_PREFIX)
    )

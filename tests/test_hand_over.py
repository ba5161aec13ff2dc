"""The idle hand-over between concurrent runs, built on purpose instead of found by chance.

Run A holds the only converter with nothing to convert: its place is reserved for a paper whose
conversion claim run B holds. B then waits for a converter to convert that very paper. Unless A
hands its idle converter over (pool.py `_hand_over_when_wanted`, woken by the stock through
`Lease.when_wanted`), neither run moves. tests/test_shared_store.py meets this interleaving about
one time in three; here events order it every time: A holds the converter before B asks.

Real parts: one converter stock with a real worker process (the calibrated converter), two
ConverterPools leasing from it, and the conversion claims of a real artifact store.
"""

from __future__ import annotations

from pathlib import Path

import anyio
import anyio.to_thread

from workflows.research.academic_lit_review.paper_processor.conversion.local_backend import (
    LocalBackend,
)
from workflows.research.academic_lit_review.paper_processor.conversion.pool import ConverterPool
from workflows.research.academic_lit_review.paper_processor.conversion.stock import ConverterStock
from workflows.research.academic_lit_review.paper_processor.conversion.worker import (
    Job,
    WorkerSpec,
)
from workflows.research.academic_lit_review.paper_processor.store import ArtifactStore, Claims

PAPER = "doi:10.1234/shared"
# A failure deadline, not a synchronisation: the two runs deadlock without the hand-over.
_DEADLOCK_S = 20.0


def _job(tmp_path: Path, name: str) -> Job:
    return Job(str(tmp_path / "paper.pdf"), str(tmp_path / f"{name}.md"), pages=1)


async def test_a_run_holding_the_only_converter_idle_hands_it_to_the_run_it_waits_on(
    tmp_path: Path,
) -> None:
    spec = WorkerSpec(converter="calibrated", mode="text_layer", seconds_per_page=0.01)
    stock = ConverterStock(LocalBackend(), spec)
    store = await ArtifactStore.open(tmp_path / "workspace")
    order: list[str] = []
    b_has_the_paper = anyio.Event()
    a_holds_the_converter = anyio.Event()

    async def run_a() -> None:
        await b_has_the_paper.wait()
        async with (
            ConverterPool(LocalBackend(), spec, workers=1, timeout_s=30, stock=stock) as pool,
            Claims(store, "run-a").kept_alive() as claims,
        ):
            # As the marker node does: a place first, then the paper for it.
            async with pool.place() as place:
                order.append("A holds the converter")
                a_holds_the_converter.set()
                async with claims.claim(PAPER) as claim:
                    # Waits (the store's own polling) while B holds the claim; B gives it up
                    # without storing markdown, so A then converts the paper itself.
                    assert await claim.take()
                    order.append("A has the paper")
                    await place.convert(_job(tmp_path, "a"))
                    order.append("A converted")

    async def run_b() -> None:
        async with Claims(store, "run-b").kept_alive() as claims:
            async with claims.claim(PAPER) as claim:
                assert await claim.take()
                order.append("B has the paper")
                b_has_the_paper.set()
                await a_holds_the_converter.wait()
                async with ConverterPool(
                    LocalBackend(), spec, workers=1, timeout_s=30, stock=stock
                ) as pool:
                    await pool.convert(_job(tmp_path, "b"))
                    order.append("B converted")

    (tmp_path / "paper.pdf").write_bytes(b"%PDF-1.4\n")  # the calibrated converter reads no PDF
    try:
        with anyio.fail_after(_DEADLOCK_S):
            async with anyio.create_task_group() as tg:
                tg.start_soon(run_b)
                tg.start_soon(run_a)
    finally:
        await store.aclose()
        await anyio.to_thread.run_sync(stock.close)

    assert order == [
        "B has the paper",
        "A holds the converter",
        "B converted",
        "A has the paper",
        "A converted",
    ]
    assert stock.starts == 1  # B converted on A's converter: none was started for it
    assert (tmp_path / "a.md").exists() and (tmp_path / "b.md").exists()

"""The cyclic collector in a converter worker: frozen after start, paused per document."""

from __future__ import annotations

import gc
import weakref

from workflows.research.academic_lit_review.paper_processor.conversion import cyclic_gc, worker


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


def test_a_paused_block_frees_its_cycles_when_it_ends_not_before():
    assert gc.isenabled()
    with cyclic_gc.paused():
        assert not gc.isenabled()
        node = _Node()
        alive = weakref.ref(node)
        del node
        for _ in range(5_000):  # enough allocations to trigger collections, were it enabled
            _Node()
        assert alive() is not None
    assert alive() is None
    assert gc.isenabled()


def test_a_pause_inside_a_pause_leaves_the_collector_off():
    gc.disable()
    try:
        with cyclic_gc.paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_worker_freezes_what_it_built_only_when_asked(tmp_path):
    spec = worker.WorkerSpec(converter="calibrated", mode="text_layer", seconds_per_page=0.0)
    try:
        for freeze in (False, True):
            gc.unfreeze()
            converter, checker = worker.build_worker(
                worker.WorkerSpec(**{**vars(spec), "freeze_gc": freeze})
            )
            assert (gc.get_freeze_count() > 0) is freeze
            with cyclic_gc.paused():
                pass
            assert (gc.get_freeze_count() > 0) is freeze  # a document's collection keeps it
            done = worker.convert_document(
                converter,
                checker,
                worker.Job(str(tmp_path / "in.pdf"), str(tmp_path / "out.md"), pages=2),
                pause_gc=freeze,
            )
            assert done.pages == 2 and gc.isenabled()
    finally:
        gc.unfreeze()

"""The benchmark runs end to end on a small, fast workload and ends with its JSON summary.

Timings on a shared machine are the benchmark's business, never a test's: what is checked here
holds on any machine, however loaded — the figures agree with each other (a ratio is its
quotient, a lower bound is not beaten, a fraction is a fraction).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
RUN_KEYS = {
    "makespan_s",
    "lower_bound_s",
    "ratio",
    "idle_fraction",
    "first_markdown_s",
    "overhead_ms_per_paper",
    "peak_rss_mb",
}


def test_benchmark_prints_one_json_summary_last() -> None:
    # Short downloads and retrieve jobs keep the two runs (graph, baseline) to seconds.
    result = subprocess.run(
        [
            sys.executable,
            "benchmarks/pipeline.py",
            "--papers",
            "12",
            "--converter",
            "calibrated",
            "--download-median",
            "0.05",
            "--download-tail",
            "0.5",
            "--retrieve-min",
            "0.2",
            "--retrieve-max",
            "1",
            "--poll-interval",
            "0.2",
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    summary = json.loads(result.stdout.strip().splitlines()[-1])

    assert summary["papers"] == 12
    assert summary["converter"] == "calibrated"
    for name in ("graph", "baseline"):
        run = summary[name]
        assert RUN_KEYS <= set(run), run
        assert all(isinstance(run[key], (int, float)) for key in RUN_KEYS)
        # No schedule beats the lower bound; the ratio is what it says.
        assert run["makespan_s"] >= run["lower_bound_s"] > 0, run
        _assert_ratio_of(run)
        assert 0 <= run["idle_fraction"] <= 1, run
        assert 0 < run["first_markdown_s"] <= run["makespan_s"], run
        assert run["peak_rss_mb"] > 0 and run["overhead_ms_per_paper"] >= 0, run
    graph, baseline = summary["graph"], summary["baseline"]
    assert summary["speedup"] == pytest.approx(
        baseline["makespan_s"] / graph["makespan_s"], abs=2e-3
    )
    relevance = summary["relevance"]
    assert {"first_10pct_mean_rank", "fifo_mean_rank"} <= set(relevance)
    for key in ("first_10pct_mean_rank", "fifo_mean_rank", "ideal_mean_rank", "random_mean_rank"):
        assert 1 <= relevance[key] <= summary["papers"], relevance


def test_warm_and_cold_figures_count_the_converters_each_run_started(tmp_path) -> None:
    """The `warm`/`cold` keys of `--converter marker`, on calibrated conversions (seconds)."""
    sys.path.insert(0, str(PROJECT_ROOT))
    from benchmarks.pipeline import Scratch, warm_and_cold
    from benchmarks.workload import WorkloadShape, build_workload

    shape = WorkloadShape(
        papers=6,
        workers=2,
        download_median_s=0.05,
        download_tail_s=0.3,
        retrieve_min_s=0.2,
        retrieve_max_s=0.5,
        poll_interval_s=0.1,
    )
    workload = build_workload(shape, tmp_path / "pdfs")
    (tmp_path / "runs").mkdir()
    figures = warm_and_cold(workload, Scratch(tmp_path / "runs"))

    cold, warm = figures["cold"], figures["warm"]
    # Counted in the run's process: the first run started both converters, the second none.
    assert (cold["converters_started"], warm["converters_started"]) == (2, 0)
    assert cold["converter_ready_s"] > 0 and warm["converter_ready_s"] == 0
    for run in (cold, warm):
        assert run["makespan_s"] >= run["lower_bound_s"] > 0, run
        _assert_ratio_of(run)
        assert 0 <= run["idle_fraction"] <= 1 and run["first_markdown_s"] > 0, run
    # The cold bound counts from the first converter's start: no paper converts before it.
    assert cold["target_s"] > cold["converter_ready_s"]


def _assert_ratio_of(run: dict) -> None:
    """`ratio` is makespan / lower bound, computed before both were rounded to the millisecond
    (on sub-second runs that rounding alone moves the quotient by up to ~0.003)."""
    ratio = run["makespan_s"] / run["lower_bound_s"]
    slack = ratio * 5e-4 * (1 / run["makespan_s"] + 1 / run["lower_bound_s"]) + 1e-4
    assert run["ratio"] == pytest.approx(ratio, abs=slack)

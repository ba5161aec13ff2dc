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
        assert run["ratio"] == pytest.approx(run["makespan_s"] / run["lower_bound_s"], abs=2e-3)
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

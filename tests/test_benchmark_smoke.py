"""The benchmark runs end to end on a small, fast workload and ends with its JSON summary.

Only the shape of the output is checked: timings on a shared machine are the benchmark's
business, never a test's.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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
    for run in ("graph", "baseline"):
        assert RUN_KEYS <= set(summary[run]), summary[run]
        assert all(isinstance(summary[run][key], (int, float)) for key in RUN_KEYS)
    assert {"speedup", "gain_realised", "relevance"} <= set(summary)
    assert {"first_10pct_mean_rank", "fifo_mean_rank"} <= set(summary["relevance"])

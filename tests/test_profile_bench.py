"""The profiles benchmark script still runs (smallest settings) and both sides agree. No speed asserted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_bench_profiles_runs() -> None:
    out = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "bench_profiles.py"), "--repeat", "1", "--regions", "2",
         "--draws", "20"],
        capture_output=True, text=True, timeout=300, check=True,
    ).stdout
    assert "ratio naive/nqpf" in out and "max |gain difference| 0.00e+00" in out and "identical ranks: True" in out

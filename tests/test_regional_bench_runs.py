"""benchmarks/bench_regional.py still runs (smallest settings). Nothing about speed is asserted here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_bench_regional_runs() -> None:
    out = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "bench_regional.py"), "--repeat", "1", "--sizes", "31,300",
         "--permutations", "99"],
        capture_output=True, text=True, timeout=300, check=True,
    ).stdout
    assert "resampled to scale" in out and "permutations/s" in out
    assert "Dagum" in out and "max |diff|" in out

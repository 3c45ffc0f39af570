"""The benchmark scripts still run (smallest settings). Nothing about speed is asserted here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_bench_index_runs() -> None:
    out = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "bench_index.py"), "--repeat", "1", "--sizes", "200",
         "--variants", "20"],
        capture_output=True, text=True, timeout=600, check=True,
    ).stdout
    assert "ratio pymcdm/nqpf" in out and "31 provinces" in out
    assert "200 regions x 15 years" in out and "cheaper" in out

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


def test_bench_check_runs() -> None:
    out = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "bench_check.py"), "--repeat", "1", "--scale", "1"],
        capture_output=True, text=True, timeout=300, check=True,
    ).stdout
    assert "ratio naive/nqpf" in out and "same as the baseline" in out


def test_bench_store_runs() -> None:
    out = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "bench_store.py"), "--mb", "1", "--repeat", "1", "--pandas-mb", "1",
         "--pk-baseline"],
        capture_output=True, text=True, timeout=600, check=True,
    ).stdout
    assert "ratio nqpf/duckdb " in out and "ratio nqpf/duckdb+insert" in out and "ratio large/empty" in out
    assert "ratio old key/no key" in out and out.count("machine: load ") == 2 and "CPU ratio nqpf/duckdb" in out
    assert "ratio pandas path/nqpf" in out and "peak RSS nqpf" in out
    assert "scaled real data, not new statistics" in out


def test_bench_productivity_runs() -> None:
    """Tiny scale: 2 provincial years, 40 resampled units, one run, Dask left out (its backend is
    tested in test_productivity_dea); the labels and the equality check are exercised."""
    out = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "bench_productivity.py"), "--repeat", "1", "--years", "2018:2019",
         "--units", "40", "--big-years", "2018:2019", "--no-dask"],
        capture_output=True, text=True, timeout=600, check=True,
    ).stdout
    assert "Real provincial panel 2018-2019 (30 provinces)" in out and "linprog loop" in out
    assert "RESAMPLED real data (40 units" in out and "not new statistics" in out
    assert "ratio HiGHS reuse/this" in out and "median of 1" in out

"""The innovation benchmark scripts still run, at the smallest settings. Nothing about speed is asserted here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _run(args: list[str]) -> str:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=600, check=True).stdout


def test_bench_qualifier_runs_on_several_files() -> None:
    data = REPO / "benchmarks" / "data"
    out = _run([str(REPO / "benchmarks" / "bench_qualifier.py"), "--data", str(data / "qualifier_fresh2_dev_A.csv"),
                str(data / "qualifier_fresh2_dev_B.csv"), "--split", "all", "--repeat", "1"])
    assert "NQPF qualifier (hybrid) on the 'all' part of 2 file(s): 144 descriptions" in out
    assert "confusion matrix" in out and "reliability of the confidence" in out and "descriptions/s" in out
    per_file = out.split("per file: accuracy and recall per class")[1].split("2. reliability")[0]
    rows = {line.split()[0]: line.split()[1:] for line in per_file.strip().splitlines()[2:]}
    assert set(rows) == {"qualifier_fresh2_dev_A.csv", "qualifier_fresh2_dev_B.csv"}
    assert all(r[0] == "72" and float(r[1]) >= 0.9 for r in rows.values()), rows


def test_bench_innovation_runs_at_tiny_scale(data_dir: Path) -> None:
    out = _run([str(REPO / "benchmarks" / "bench_innovation.py"), "--data", str(data_dir), "--files", "12",
                "--naive-mb", "0.05", "--dask-mb", "0.5", "--repeat", "1", "--no-command"])
    assert "speed ratio matcher / naive" in out and "matcher == exact reference (naive_count) on a 50,000-character slice: True" in out
    assert "REAL CORPUS REPEATED" in out and "2 worker(s): wall" in out and "parallel efficiency" in out
    assert "CPU per worker" in out and "cores obtained" in out


def test_bench_innovation_command_part_alternates_and_reports_phases(data_dir: Path) -> None:
    out = _run([str(REPO / "benchmarks" / "bench_innovation.py"), "--data", str(data_dir), "--files", "6", "--skip-local",
                "--no-engine", "--command-mb", "0.3", "--repeat", "1"])
    runs = [line for line in out.splitlines() if line.strip().startswith("k=")]
    assert [r.split(":")[0].strip() for r in runs] == ["k=1", "k=2"]
    assert all("exit 0" in r and "processes left after exit: 0" in r for r in runs)
    assert all(f" {p} " in r for r in runs for p in ("startup", "start", "run", "close", "output", "exit"))
    assert "speed-up" in out and "per pair" in out and "processes left after the 2 commands: 0" in out

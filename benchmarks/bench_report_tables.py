"""Benchmark: the run workbook against the usual pandas way of writing every table to Excel.

Run as a script from the repository root::

    python benchmarks/bench_report_tables.py --run nqpf-output [--repeat 3]

``--run`` is a folder written by ``nqpf run --out DIR`` (real data; without it the script builds
one into a temporary folder from ../shared/data: the 2.0 three-elements and HQD indices with
their regional tables, on a temporary store).

Same work on both sides: every CSV of the run, one sheet each, same sheet names.

- nqpf: :func:`nqpf.report.workbook.write_workbook` (xlsxwriter, constant memory, typed cells,
  formats, widths, frozen header, README sheet).
- baseline: ``pd.read_csv`` then ``DataFrame.to_excel`` into one ``pd.ExcelWriter`` with the
  openpyxl engine (what ``nqpf.linkage.tables.to_excel`` does), no formatting at all; and the
  same with the xlsxwriter engine, the baseline at its best setting.

Also timed: :func:`nqpf.report.latex.write_latex_tables`. Times are medians of ``--repeat`` runs
in the same process (CPU seconds and wall seconds).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from nqpf.report.latex import write_latex_tables
from nqpf.report.run_tables import run_tables
from nqpf.report.workbook import sheet_names, write_workbook

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def build_run(out: Path) -> Path:
    """A real run (two 2.0 indices, regional tables) on a temporary store."""
    from nqpf import services
    from nqpf.data.store import Store

    store = Store(out / "store.duckdb")
    services.run_job(store, frameworks=["nqpf-three-elements", "hqd-four-channels"], out=out / "run",
                     data=DATA, html=False)
    return out / "run"


def pandas_baseline(run: Path, path: Path, engine: str) -> None:
    """Every CSV through pandas into one workbook, no formatting."""
    tables = run_tables(run)
    with pd.ExcelWriter(path, engine=engine) as xw:
        for t, name in zip(tables, sheet_names(tables), strict=True):
            pd.read_csv(t.path, dtype={"region_code": str}).to_excel(xw, sheet_name=name, index=False)


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    cpu, wall = [], []
    for _ in range(repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        fn()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return statistics.median(cpu), statistics.median(wall)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--run", type=Path, default=None)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="nqpf-bench-report-"))
    os.environ.setdefault("NQPF_STORE", str(tmp / "store.duckdb"))
    run = args.run or build_run(tmp)
    tables = run_tables(run)
    cells = sum(len(pd.read_csv(t.path)) * len(pd.read_csv(t.path, nrows=0).columns) for t in tables)
    print(f"run {run}: {len(tables)} tables, {cells:,} cells (real data)")
    res = {
        "nqpf write_workbook": timed(lambda: write_workbook(run, tmp / "nqpf.xlsx"), args.repeat),
        "pandas to_excel, openpyxl": timed(lambda: pandas_baseline(run, tmp / "po.xlsx", "openpyxl"), args.repeat),
        "pandas to_excel, xlsxwriter": timed(lambda: pandas_baseline(run, tmp / "px.xlsx", "xlsxwriter"), args.repeat),
    }
    base = res["nqpf write_workbook"][0]
    for name, (cpu, wall) in res.items():
        print(f"{name:30s} cpu {cpu:7.2f} s  wall {wall:7.2f} s  cpu / nqpf {cpu / base:5.2f}x")
    cpu, wall = timed(lambda: write_latex_tables(run, tmp / "tex"), args.repeat)
    print(f"{'nqpf write_latex_tables':30s} cpu {cpu:7.2f} s  wall {wall:7.2f} s")


if __name__ == "__main__":
    main()

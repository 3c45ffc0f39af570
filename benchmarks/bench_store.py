"""Benchmark: importing a large tidy CSV into the store, and small imports into a large store.

Run as a script from the repository root::

    python benchmarks/bench_store.py [--mb 200] [--repeat 3]

1. **Throughput.** The real panel (../shared/data/panel/provinces.csv) is resampled to about
   ``--mb`` megabytes: its rows repeated under suffixed variable ids (``gdp_r17``), so every
   value is a real published value and every (variable, region, year) key is distinct. This is
   *scaled real data, not new statistics*. ``nqpf`` (``Store.import_files``: parse, validate,
   write with provenance) is timed against DuckDB's bare ``read_csv`` of the same file into a
   table, each in a fresh process so that peak memory (max RSS) is measured per side. Medians
   of ``--repeat`` runs.
2. **Store size.** A small real import (panel/national.csv, 262 values) into the large store
   just built, against the same import into an empty store. Imports are transactions on the
   store file (no copy), so both should cost about the same.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

CHILD = r"""
import json, resource, sys, time
kind, path, store = sys.argv[1:4]
import duckdb  # imports happen before the clock starts
from nqpf.data.store import Store
import nqpf.data.importers, nqpf.data.validate
t = time.perf_counter()
if kind == "duckdb":
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?, header=true)", [path])
    n = con.execute("SELECT count(*) FROM t").fetchone()[0]
else:
    rep = Store(store, wait=0).import_files([path], progress=False)
    n = rep.n_values
dt = time.perf_counter() - t
print(json.dumps({"seconds": dt, "rows": n,
                  "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def resampled(target_mb: float, out: Path) -> Path:
    """Write the real panel rows repeated (variable ids suffixed) to about ``target_mb`` MB."""
    src = pd.read_csv(DATA / "panel" / "provinces.csv", dtype=str, keep_default_na=False)
    one = src.to_csv(index=False, header=False).encode()
    copies = max(1, round(target_mb * 1e6 / len(one)))
    f = out / f"panel_resampled_{target_mb:g}mb.csv"
    with f.open("w", encoding="utf-8") as fh:
        fh.write(",".join(src.columns) + "\n")
        for i in range(copies):
            fh.write(src.assign(variable=src["variable"] + f"_r{i}").to_csv(index=False, header=False))
    return f


def run(kind: str, path: Path, store: Path) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", CHILD, kind, str(path), str(store)],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


def median_of(fn, repeat: int) -> tuple[float, list[dict[str, float]]]:  # type: ignore[no-untyped-def]
    runs = [fn() for _ in range(repeat)]
    return statistics.median(r["seconds"] for r in runs), runs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=200.0, help="size of the resampled CSV, MB")
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement (median)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="nqpf_bench_store_"))
    try:
        big = resampled(args.mb, work)
        size = big.stat().st_size / 1e6
        print(f"file: real panel values resampled to {size:.0f} MB ({big.name}; scaled real data, "
              "not new statistics)")
        t_duck, duck = median_of(lambda: run("duckdb", big, work / "unused.duckdb"), args.repeat)
        stores: list[Path] = []

        def nqpf_once() -> dict[str, float]:
            s = work / f"big{len(stores)}.duckdb"
            stores.append(s)
            return run("nqpf", big, s)

        t_nqpf, nq = median_of(nqpf_once, args.repeat)
        rows = int(nq[0]["rows"])
        print(f"rows: {rows:,} values")
        print(f"DuckDB bare read_csv : {t_duck:8.2f} s  {rows / t_duck:12,.0f} rows/s  "
              f"peak {max(r['max_rss_mb'] for r in duck):6.0f} MB")
        print(f"nqpf import          : {t_nqpf:8.2f} s  {rows / t_nqpf:12,.0f} rows/s  "
              f"peak {max(r['max_rss_mb'] for r in nq):6.0f} MB")
        print(f"ratio nqpf/duckdb    : {t_nqpf / t_duck:8.2f}x  (goal: within 5x, under 1 GB)")

        small = DATA / "panel" / "national.csv"
        large = stores[0]
        big_size = large.stat().st_size / 1e6

        def into(base: Path | None) -> dict[str, float]:
            s = work / "target.duckdb"
            for p in work.glob("target.duckdb*"):
                p.unlink()
            if base is not None:
                shutil.copyfile(base, s)  # setup, not timed
            t = time.perf_counter()
            r = run("nqpf", small, s)
            r["wall"] = time.perf_counter() - t
            return r

        t_empty, _ = median_of(lambda: into(None), args.repeat)
        t_large, _ = median_of(lambda: into(large), args.repeat)
        print(f"small import (262 values) into an empty store   : {t_empty:6.3f} s")
        print(f"small import (262 values) into a {big_size:5.0f} MB store : {t_large:6.3f} s")
        print(f"ratio large/empty    : {t_large / t_empty:8.2f}x  (goal: about 1, no copy)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

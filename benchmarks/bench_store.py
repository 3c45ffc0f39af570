"""Benchmark: importing large tidy CSVs into the store, and small imports into a large store.

Run as a script from the repository root::

    python benchmarks/bench_store.py [--mb 20,200] [--repeat 3] [--pandas-mb 20]

1. **Throughput.** The real panel (../shared/data/panel/provinces.csv) is resampled to about
   each ``--mb`` size: its rows repeated under suffixed variable ids (``gdp_r17``), so every
   value is a real published value and every (variable, region, year) key is distinct. This is
   *scaled real data, not new statistics*. Each measurement runs in a fresh process, so peak
   memory (max RSS of that process, ``resource.getrusage``) is measured per side:

   * ``duckdb read_csv``: DuckDB's bare ``CREATE TABLE t AS SELECT * FROM read_csv(file)``
     (in memory, types sniffed; the issue's baseline);
   * ``duckdb read_csv+insert``: the same rows read and inserted into a store file with the
     store's ``observations`` schema (version 2: no primary key; the same storage work nqpf
     does); with ``--pk-baseline`` also into the version-1 table with its primary key
     (``duckdb +insert (old key)``), to show what the key cost;
   * ``nqpf import``: ``Store.import_files`` (parse, validate every row, catalog, provenance,
     one transaction) on the bulk path (DuckDB reader, :mod:`nqpf.data.importers.bulk`);
   * ``nqpf pandas path``: the same import forced onto the pandas reader
     (``NQPF_BULK_MB`` above the file size), at ``--pandas-mb`` only (the path before).

   Medians of ``--repeat`` runs; ratios against both DuckDB baselines of the same run. The
   1/5/15-minute load average is printed before and after each size's measurements (the
   machine may be shared: ratios of one run compare like with like, absolute times do not).
2. **Store size.** A small real import (panel/national.csv, 262 values) into the store the
   largest file was imported into, against the same import into an empty store. Imports are
   transactions on the store file (no copy), so both should cost about the same.
"""

from __future__ import annotations

import argparse
import json
import os
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
from nqpf.data.store import Store, _DDL, OBSERVATIONS_V1
import nqpf.data.importers, nqpf.data.validate, nqpf.data.screen
t = time.perf_counter()
if kind == "duckdb":
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?, header=true)", [path])
    n = con.execute("SELECT count(*) FROM t").fetchall()[0][0]
elif kind in ("duckdb_store", "duckdb_store_pk"):
    con = duckdb.connect(store)
    con.execute(_DDL[-1] if kind == "duckdb_store" else OBSERVATIONS_V1)
    con.execute("BEGIN TRANSACTION")
    con.execute("INSERT INTO observations SELECT 1, variable, CAST(region_code AS VARCHAR), year, value, "
                "0, '' FROM read_csv(?, header=true)", [path])
    con.execute("COMMIT")
    con.execute("CHECKPOINT")
    n = con.execute("SELECT count(*) FROM observations").fetchall()[0][0]
else:
    rep = Store(store, wait=0).import_files([path], progress=False)
    n = rep.n_values
dt = time.perf_counter() - t
ru = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"seconds": dt, "rows": n, "max_rss_mb": ru.ru_maxrss / 1024,
                  "cpu": ru.ru_utime + ru.ru_stime}))
"""

LABELS = {"duckdb": "duckdb read_csv", "duckdb_store": "duckdb read_csv+insert",
          "duckdb_store_pk": "duckdb +insert (old key)", "nqpf": "nqpf import",
          "pandas": "nqpf pandas path"}


def load() -> str:
    """The 1, 5 and 15-minute load averages and the core count, e.g. ``"load 1.2 0.9 0.8 on 2 cores"``."""
    a, b, c = os.getloadavg()
    return f"load {a:.1f} {b:.1f} {c:.1f} on {os.cpu_count()} cores"


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
    """One measurement in a fresh process (``pandas`` = nqpf with the bulk path off)."""
    env = dict(os.environ)
    # nqpf takes the bulk path for files of 8 MB and more; forced here so tiny smoke runs
    # measure it too, and forced off for the pandas path
    env["NQPF_BULK_MB"] = "1e9" if kind == "pandas" else "0"
    child_kind = "nqpf" if kind == "pandas" else kind
    for p in store.parent.glob(store.name + "*"):
        p.unlink()
    out = subprocess.run([sys.executable, "-c", CHILD, child_kind, str(path), str(store)],
                         capture_output=True, text=True, check=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


def medians(kind: str, path: Path, store: Path, repeat: int) -> dict[str, float]:
    """Median seconds and the largest peak RSS of ``repeat`` runs."""
    runs = [run(kind, path, store) for _ in range(repeat)]
    return {"seconds": statistics.median(r["seconds"] for r in runs), "rows": runs[0]["rows"],
            "max_rss_mb": max(r["max_rss_mb"] for r in runs),
            "cpu": statistics.median(r["cpu"] for r in runs)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", default="20,200", help="sizes of the resampled CSVs, MB, comma-separated")
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement (median)")
    ap.add_argument("--pandas-mb", type=float, default=20.0,
                    help="also time the pandas path at this size (0: never)")
    ap.add_argument("--pk-baseline", action="store_true",
                    help="also time DuckDB's insert into the old (version-1) table with its primary key")
    args = ap.parse_args()
    sizes = [float(x) for x in str(args.mb).split(",") if x.strip()]
    work = Path(tempfile.mkdtemp(prefix="nqpf_bench_store_"))
    try:
        large = work / "large.duckdb"
        for mb in sizes:
            big = resampled(mb, work)
            size = big.stat().st_size / 1e6
            print(f"\nfile: real panel values resampled to {size:.0f} MB ({big.name}; scaled real data, "
                  "not new statistics)")
            kinds = (["duckdb", "duckdb_store"] + (["duckdb_store_pk"] if args.pk_baseline else [])
                     + ["nqpf"] + (["pandas"] if mb == args.pandas_mb else []))
            before = load()
            res = {k: medians(k, big, work / f"{k}.duckdb", args.repeat) for k in kinds}
            rows = int(res["nqpf"]["rows"])
            print(f"rows: {rows:,} values; medians of {args.repeat} run(s), each in a fresh process")
            print(f"machine: {before} before, {load()} after")
            for k in kinds:
                r = res[k]
                print(f"{LABELS[k]:24s}: {r['seconds']:8.2f} s  {rows / r['seconds']:12,.0f} rows/s  "
                      f"peak RSS {r['max_rss_mb']:6.0f} MB  CPU {r['cpu']:7.2f} s")
            t = res["nqpf"]["seconds"]
            print(f"ratio nqpf/duckdb        : {t / res['duckdb']['seconds']:8.2f}x  (goal: within 5x)")
            print(f"ratio nqpf/duckdb+insert : {t / res['duckdb_store']['seconds']:8.2f}x")
            print(f"CPU ratio nqpf/duckdb    : {res['nqpf']['cpu'] / res['duckdb']['cpu']:8.2f}x  (process CPU "
                  "seconds, all threads: less sensitive to other jobs than wall time)")
            if "duckdb_store_pk" in res:
                print(f"ratio old key/no key     : {res['duckdb_store_pk']['seconds'] / res['duckdb_store']['seconds']:8.2f}x"
                      "  (DuckDB's own insert, with / without the primary key)")
            if "pandas" in res:
                print(f"ratio pandas path/nqpf   : {res['pandas']['seconds'] / t:8.2f}x  (the bulk path's gain)")
            print(f"peak RSS nqpf            : {res['nqpf']['max_rss_mb']:8.0f} MB  (goal: under 1 GB)")
            shutil.copyfile(work / "nqpf.duckdb", large)  # the last (largest) import's store
            big.unlink()

        small = DATA / "panel" / "national.csv"
        big_size = large.stat().st_size / 1e6

        def into(base: Path | None) -> dict[str, float]:
            s = work / "target.duckdb"
            for p in work.glob("target.duckdb*"):
                p.unlink()
            if base is not None:
                shutil.copyfile(base, s)  # setup, not timed
                # flushed now: else the import's checkpoint (an fsync of the store) would pay
                # for writing the copy's dirty pages to disk
                with s.open("rb+") as fh:
                    os.fsync(fh.fileno())
            t = time.perf_counter()
            r = _run_keep(small, s)  # both sides on the path a small file takes by default
            r["wall"] = time.perf_counter() - t
            return r

        before = load()
        t_empty = statistics.median(into(None)["seconds"] for _ in range(args.repeat))
        t_large = statistics.median(into(large)["seconds"] for _ in range(args.repeat))
        print(f"\nsmall import (262 values) into an empty store        : {t_empty:6.3f} s")
        print(f"small import (262 values) into the {big_size:5.0f} MB store   : {t_large:6.3f} s  "
              f"(holding the {max(sizes):g} MB file's values)")
        print(f"ratio large/empty    : {t_large / t_empty:8.2f}x  (goal: about 1, no copy)")
        print(f"machine: {before} before, {load()} after")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run_keep(path: Path, store: Path) -> dict[str, float]:
    """Like :func:`run` for nqpf, but into the store as it is (not removed first) and with
    the environment as given (a small file takes the path it takes by default)."""
    out = subprocess.run([sys.executable, "-c", CHILD, "nqpf", str(path), str(store)],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


if __name__ == "__main__":
    main()

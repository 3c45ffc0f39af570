"""Benchmark: the full Malmquist run (all distance programs), four ways, in one run.

Run as a script from the repository root::

    python benchmarks/bench_productivity.py [--repeat 3] [--units 3000] [--big-years 2018:2019]

Data: real provincial DEA inputs (capital stock by perpetual inventory, urban-unit employment,
energy) and output (real GDP), 2011-2019, from ../shared/data, 30 provinces (Tibet has no
energy total). The large case RESAMPLES these real provinces with replacement to ``--units``
units (labelled: resampled real data, not new statistics) over ``--big-years``.

Compared on the same programs with the same numbers:

- ``linprog loop``: one ``scipy.optimize.linprog(method="highs")`` call per program (naive baseline);
- ``HiGHS reuse``: one highspy model per reference year, only coefficients and bounds changed
  between programs (all programs, no pruning);
- ``HiGHS reuse + pruning``: cross-period programs against the efficient units only (nqpf default);
- ``Dask 1 / 2 workers``: the default on a local Dask cluster, cluster start-up included, and
  once more on a 2-worker cluster already running (the compute alone).

Times are medians of ``--repeat`` runs; ratios are against the linprog loop measured in the
same run. The machine is shared: read ratios, not absolute seconds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from nqpf.data.store import Store
from nqpf.productivity.capital import PerpetualInventory
from nqpf.productivity.malmquist import Malmquist
from nqpf.productivity.measure import INPUTS, dea_data

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def median_time(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    """Median wall time of ``repeat`` calls (seconds) and the last result."""
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def real_cube(start: int, end: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(T, 3, n) inputs and (T, 1, n) output of the provinces complete in every year."""
    store = Path(tempfile.mkdtemp(prefix="nqpf-bench-")) / "store.duckdb"
    s = Store(store)
    s.import_files([DATA / "panel"], progress=False)
    s.import_files([f for f in sorted((DATA / "extension").glob("*.csv")) if f.name != "variables.csv"],
                   progress=False)
    p = s.panel()
    d = dea_data(p, PerpetualInventory().fit(p).stock)
    d = d[d["year"].between(start, end)].dropna(subset=[*INPUTS, "real_gdp"])
    counts = d.groupby("region_code").size()
    regs = sorted(counts.index[counts == end - start + 1])
    d = d.set_index(["year", "region_code"])
    arr = np.stack([d.loc[y].loc[regs, [*INPUTS, "real_gdp"]].to_numpy().T for y in range(start, end + 1)])
    return arr[:, :3], arr[:, 3:], regs


def compare(label: str, X: np.ndarray, Y: np.ndarray, repeat: int, with_linprog: bool = True) -> None:
    """Time the four ways on one cube and print seconds and ratios."""
    T, _, n = X.shape
    rows: list[tuple[str, float]] = []
    ref = None
    ways: list[tuple[str, Malmquist]] = []
    if with_linprog:
        ways.append(("linprog loop (scipy, per program)", Malmquist(backend="linprog", prune=False)))
    ways += [("HiGHS reuse (all programs)", Malmquist(prune=False)),
             ("HiGHS reuse + pruning (default)", Malmquist()),
             ("Dask, 1 worker", Malmquist(backend="dask", workers=1)),
             ("Dask, 2 workers", Malmquist(backend="dask", workers=2))]
    from nqpf.productivity.dask_backend import start_cluster

    client = start_cluster(2)
    ways.append(("Dask, 2 workers (cluster running)", Malmquist(backend="dask", client=client)))
    for name, model in ways:
        sec, res = median_time(lambda m=model: m.fit(X, Y), repeat)
        if ref is None:
            ref = res.index.to_numpy()  # type: ignore[attr-defined]
        else:
            diff = float(np.nanmax(np.abs(res.index.to_numpy() - ref)))  # type: ignore[attr-defined]
            assert diff < 1e-6, f"{name} differs from the first way by {diff}"
        rows.append((name, sec))
    cluster = client.cluster
    client.close()
    cluster.close()
    print(f"\n{label}: {n} units x {T} years, {T * n + 2 * (T - 1) * n} distance programs, median of {repeat}")
    base = rows[0][1]
    for name, sec in rows:
        print(f"  {name:<36} {sec:8.2f} s   ratio {rows[0][0].split(' (')[0]}/this = {base / sec:6.2f}")
    sys.stdout.flush()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--units", type=int, default=3000)
    ap.add_argument("--big-years", default="2018:2019", help="years of the resampled case, e.g. 2018:2019")
    ap.add_argument("--big-linprog", action="store_true", help="also run the slow linprog loop on the large case")
    a = ap.parse_args()
    X, Y, regs = real_cube(2011, 2019)
    compare(f"Real provincial panel 2011-2019 ({len(regs)} provinces)", X, Y, a.repeat)
    y0, y1 = (int(v) for v in a.big_years.split(":"))
    idx = np.random.default_rng(2024).integers(0, len(regs), a.units)
    sl = slice(y0 - 2011, y1 - 2011 + 1)
    compare(f"RESAMPLED real data ({a.units} units drawn with replacement from the {len(regs)} provinces), "
            f"{y0}-{y1}", X[sl][:, :, idx], Y[sl][:, :, idx], max(1, a.repeat // 3), with_linprog=a.big_linprog)


if __name__ == "__main__":
    main()

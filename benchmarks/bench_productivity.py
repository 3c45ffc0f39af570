"""Benchmark: the full Malmquist run (all distance programs), several ways, in one run.

Run as a script from the repository root::

    python benchmarks/bench_productivity.py [--repeat 3] [--units 3000] [--big-years 2017:2019] [--only-big]

Data: real provincial DEA inputs (capital stock by perpetual inventory, urban-unit employment,
energy) and output (real GDP), ``--years`` (default 2011-2019), from ../shared/data, 30 provinces
(Tibet has no energy total). The large case RESAMPLES these real provinces with replacement to
``--units`` units (labelled: resampled real data, not new statistics) over ``--big-years``
(default 2017-2019: 3 years, 3,000 x 3 own-period and 2 x 3,000 x 2 cross-period programs).

Compared on the same programs with the same numbers (every way's indices are checked equal
to the first way's to 1e-6 before any time is printed):

- ``linprog loop``: one ``scipy.optimize.linprog(method="highs")`` call per program (naive
  baseline; on the large case only with ``--big-linprog``, about 0.2 s a program);
- ``HiGHS reuse``: one highspy model per reference year, only coefficients and bounds changed
  between programs (all programs, no pruning);
- ``HiGHS reuse + pruning``: cross-period programs against the efficient units only (nqpf default);
- ``Dask, 1 / 2 workers (start-up included)``: the default on a fresh local Dask cluster (the
  provincial case only: start-up is a fixed cost);
- ``Dask, 1 / 2 workers (cluster running)``: on a cluster started beforehand (the compute alone).

Times are medians of ``--repeat`` runs of every way; ratios are against the first way measured
in the same run. The machine is shared: read ratios, not absolute seconds.
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


def compare(label: str, X: np.ndarray, Y: np.ndarray, repeat: int, *, with_linprog: bool = True,
            with_startup: bool = True, with_dask: bool = True) -> list[tuple[str, float]]:
    """Time each way on one cube (median of ``repeat``), print seconds and ratios, return them."""
    from nqpf.productivity.dask_backend import start_cluster

    T, _, n = X.shape
    ways: list[tuple[str, Callable[[], Malmquist]]] = []
    if with_linprog:
        ways.append(("linprog loop (scipy, per program)", lambda: Malmquist(backend="linprog", prune=False)))
    ways += [("HiGHS reuse (all programs)", lambda: Malmquist(prune=False)),
             ("HiGHS reuse + pruning (default)", lambda: Malmquist())]
    if with_startup and with_dask:
        ways += [("Dask, 1 worker (start-up included)", lambda: Malmquist(backend="dask", workers=1)),
                 ("Dask, 2 workers (start-up included)", lambda: Malmquist(backend="dask", workers=2))]
    rows: list[tuple[str, float]] = []
    ref = None

    def timed(name: str, model: Malmquist) -> None:
        nonlocal ref
        sec, res = median_time(lambda: model.fit(X, Y), repeat)
        if ref is None:
            ref = res.index.to_numpy()  # type: ignore[attr-defined]
        else:
            diff = float(np.nanmax(np.abs(res.index.to_numpy() - ref)))  # type: ignore[attr-defined]
            assert diff < 1e-6, f"{name} differs from the first way by {diff}"
        rows.append((name, sec))
        print(f"    ... {name}: {sec:.2f} s", file=sys.stderr, flush=True)

    for name, make in ways:
        timed(name, make())
    for w in (1, 2) if with_dask else ():
        client = start_cluster(w)
        try:
            timed(f"Dask, {w} worker{'s' if w > 1 else ''} (cluster running)", Malmquist(backend="dask", client=client))
        finally:
            cluster = client.cluster
            client.close()
            cluster.close()
    print(f"\n{label}: {n} units x {T} years, {T * n + 2 * (T - 1) * n} distance programs, median of {repeat}")
    base_name, base = rows[0]
    for name, sec in rows:
        print(f"  {name:<40} {sec:8.2f} s   ratio {base_name.split(' (')[0]}/this = {base / sec:6.2f}")
    sys.stdout.flush()
    return rows


def _years(text: str) -> tuple[int, int]:
    a, b = (int(v) for v in text.split(":"))
    return a, b


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="runs of every way; the median is printed")
    ap.add_argument("--years", default="2011:2019", help="years of the provincial case")
    ap.add_argument("--units", type=int, default=3000, help="units of the resampled case (0: skip it)")
    ap.add_argument("--big-years", default="2017:2019", help="years of the resampled case, e.g. 2015:2019")
    ap.add_argument("--big-linprog", action="store_true", help="also run the slow linprog loop on the large case")
    ap.add_argument("--no-dask", action="store_true", help="leave out the Dask ways (smoke test)")
    ap.add_argument("--only-big", action="store_true", help="run the resampled case only")
    a = ap.parse_args()
    y0, y1 = _years(a.years)
    X, Y, regs = real_cube(y0, y1)
    if not a.only_big:
        compare(f"Real provincial panel {y0}-{y1} ({len(regs)} provinces)", X, Y, a.repeat, with_dask=not a.no_dask)
    if a.units <= 0:
        return
    b0, b1 = _years(a.big_years)
    if not (y0 <= b0 < b1 <= y1):
        X, Y, regs = real_cube(b0, b1)
        y0 = b0
    idx = np.random.default_rng(2024).integers(0, len(regs), a.units)
    sl = slice(b0 - y0, b1 - y0 + 1)
    compare(f"RESAMPLED real data ({a.units} units drawn with replacement from the {len(regs)} provinces; "
            f"not new statistics), {b0}-{b1}", X[sl][:, :, idx], Y[sl][:, :, idx], a.repeat,
            with_linprog=a.big_linprog, with_startup=False, with_dask=not a.no_dask)


if __name__ == "__main__":
    main()

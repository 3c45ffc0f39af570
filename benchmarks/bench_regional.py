"""Benchmark: the Dagum decomposition against an n^2 implementation, Moran permutations against esda.

Run as a script from the repository root::

    python benchmarks/bench_regional.py [--repeat 5] [--sizes 31,300,3000] [--permutations 9999] [--lisa]

Data: the real 2019 values of the ``nqpf-three-elements`` index for the 31 provinces
(../shared/data/panel/provinces.csv). For n = 300 and 3,000 units the 31 real values are
resampled with replacement, each copy keeping its province's NBS region (labelled: real
provincial values resampled to scale, not new statistics). Both sides decompose the same
numbers into the same four groups.

- Dagum: nqpf's O(n log n) sort-and-cumsum decomposition against the same formulas computed
  with n^2 pairwise difference matrices (NumPy broadcasting, the fastest form of the n^2 method)
  and, for n <= 300, a plain Python double loop. Exactness: the largest absolute difference of
  any term (overall, within, between, contributions).
- Moran: permutations per second of the global Moran's I test, nqpf (all permutations in one
  matrix product) against ``esda.Moran`` on the same queen weights (Hainan linked to Guangdong),
  row-standardised. ``--lisa`` adds local Moran against ``esda.Moran_Local`` (numba; compiled
  before timing, n_jobs=1).

Times are medians of ``--repeat`` runs measured in the same process (a run of a fast call
repeats it for at least 50 ms and takes the mean per call).
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from nqpf.index.build import build_index
from nqpf.panel import Panel
from nqpf.regional.dagum import dagum_decompose
from nqpf.regional.spatial import _conditional_sims, local_moran_values, moran_i
from nqpf.regional.weights import SpatialWeights
from nqpf.regions import REGISTRY

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def median_time(fn: Callable[[], object], repeat: int, min_run: float = 0.05) -> float:
    """Median over ``repeat`` runs of the time per call, seconds; a run repeats a fast call
    until it lasts ``min_run`` seconds, so scheduler noise on a shared machine averages out."""
    t = time.perf_counter()
    fn()
    once = time.perf_counter() - t
    inner = max(1, int(min_run / max(once, 1e-6)))
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        for _ in range(inner):
            fn()
        times.append((time.perf_counter() - t) / inner)
    return statistics.median(times)


def dagum_n2(groups: dict[str, np.ndarray]) -> dict[str, float]:
    """Dagum (1997) with n^2 difference matrices (NumPy broadcasting)."""
    keys = list(groups)
    allv = np.concatenate([groups[k] for k in keys])
    n, mu = allv.size, allv.mean()
    out = {"gini": float(np.abs(allv[:, None] - allv[None, :]).sum() / (2 * n * n * mu))}
    p = {k: groups[k].size / n for k in keys}
    s = {k: groups[k].size * groups[k].mean() / (n * mu) for k in keys}
    gw = 0.0
    for k, v in groups.items():
        gjj = np.abs(v[:, None] - v[None, :]).sum() / (2 * v.size**2 * v.mean())
        out[f"within_{k}"] = float(gjj)
        gw += gjj * p[k] * s[k]
    gnb = gt = 0.0
    for i, j in enumerate(keys):
        for h in keys[i + 1:]:
            diff = groups[j][:, None] - groups[h][None, :]
            m = diff.size
            gjh = np.abs(diff).sum() / (m * (groups[j].mean() + groups[h].mean()))
            d, pp = np.maximum(diff, 0).sum() / m, np.maximum(-diff, 0).sum() / m
            d, pp = max(d, pp), min(d, pp)
            djh = (d - pp) / (d + pp)
            w = p[j] * s[h] + p[h] * s[j]
            gnb += gjh * w * djh
            gt += gjh * w * (1 - djh)
            out[f"between_{j}_{h}"] = float(gjh)
    out.update(g_w=float(gw), g_nb=float(gnb), g_t=float(gt))
    return out


def dagum_loop(groups: dict[str, np.ndarray]) -> float:
    """The overall Gini and within terms as a plain Python double loop (the n^2 cost, unvectorised)."""
    allv = [float(x) for k in groups for x in groups[k]]
    total = 0.0
    for a in allv:
        for b in allv:
            total += abs(a - b)
    for v in groups.values():
        for a in v:
            for b in v:
                total += abs(a - b)
    return total


def fast_terms(groups: dict[str, np.ndarray]) -> dict[str, float]:
    p = dagum_decompose(groups)
    out = {"gini": float(p.gini), "g_w": float(p.g_w), "g_nb": float(p.g_nb), "g_t": float(p.g_t)}
    out.update({f"within_{k}": float(v) for k, v in p.within.items()})
    out.update({f"between_{j}_{h}": float(v) for (j, h), v in p.between.items()})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--sizes", default="31,300,3000")
    ap.add_argument("--permutations", type=int, default=9999)
    ap.add_argument("--lisa", action="store_true", help="also time local Moran against esda (numba compile first)")
    args = ap.parse_args()

    panel = Panel(pd.read_csv(DATA / "panel" / "provinces.csv", dtype={"region_code": str}),
                  pd.read_csv(DATA / "panel" / "variables.csv"))
    res = build_index("nqpf-three-elements@1.0", panel)
    year = res.years[-1]
    y31 = res.index[-1]
    lab31 = np.array([REGISTRY.group_of(r, "nbs4").key for r in res.regions])
    print(f"data: nqpf-three-elements index {year}, 31 provinces (real); larger n = the 31 real values "
          "resampled with replacement, each keeping its NBS region (labelled: resampled to scale)")
    print(f"timings: median of {args.repeat} runs\n")

    print("Dagum Gini decomposition (4 NBS regions)")
    print(f"{'n':>6} {'nqpf ms':>10} {'n^2 numpy ms':>13} {'ratio':>8} {'n^2 loop ms':>12} {'ratio':>8} {'max |diff|':>11}")
    rng = np.random.default_rng(0)
    for n in [int(s) for s in args.sizes.split(",")]:
        if n == 31:
            y, lab = y31, lab31
        else:
            idx = rng.integers(0, 31, n)
            y, lab = y31[idx], lab31[idx]
        groups = {k: y[lab == k] for k in ("east", "central", "west", "northeast")}
        t_fast = median_time(lambda g=groups: dagum_decompose(g), args.repeat)
        t_n2 = median_time(lambda g=groups: dagum_n2(g), args.repeat)
        fast, slow = fast_terms(groups), dagum_n2(groups)
        err = max(abs(fast[k] - slow[k]) for k in slow)
        parts = fast["g_w"] + fast["g_nb"] + fast["g_t"] - fast["gini"]
        if n <= 300:
            t_loop = median_time(lambda g=groups: dagum_loop(g), max(1, min(args.repeat, 3)), min_run=0.0)
            loop = f"{t_loop * 1e3:12.1f} {t_loop / t_fast:7.1f}x"
        else:
            loop = f"{'(skipped)':>12} {'':>8}"
        print(f"{n:>6} {t_fast * 1e3:10.3f} {t_n2 * 1e3:13.2f} {t_n2 / t_fast:7.1f}x {loop} {err:11.1e}"
              f"   (terms - Gini: {parts:+.1e})")

    print(f"\nGlobal Moran's I, {args.permutations} permutations, queen weights (Hainan-Guangdong link), row-standardised")
    import esda

    w = SpatialWeights.queen(res.regions)
    wr = w.row_standardised()
    lw = w.to_libpysal("r")

    def ours() -> None:
        perm = np.random.default_rng(1).permuted(np.broadcast_to(y31, (args.permutations, 31)), axis=1)
        moran_i(perm, wr)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_ours = median_time(ours, args.repeat)
        t_esda = median_time(lambda: esda.Moran(y31, lw, permutations=args.permutations), args.repeat)
        i_esda = esda.Moran(y31, lw, permutations=0).I
    p = args.permutations
    print(f"  nqpf {p / t_ours:12,.0f} permutations/s   esda {p / t_esda:10,.0f} permutations/s   "
          f"ratio {t_esda / t_ours:.1f}x   (I: nqpf {float(moran_i(y31, wr)):.12f}, esda {i_esda:.12f})")

    if args.lisa:
        print(f"\nLocal Moran, {p} conditional permutations per region")
        z = local_moran_values(y31, wr)[1]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.perf_counter()
            esda.Moran_Local(y31, lw, permutations=99, seed=1, n_jobs=1)
            print(f"  (esda numba compile and first call: {time.perf_counter() - t0:.1f}s, not timed below)")
            t_l_esda = median_time(lambda: esda.Moran_Local(y31, lw, permutations=p, seed=1, n_jobs=1), args.repeat)
        t_l_ours = median_time(lambda: _conditional_sims(z, wr, p, np.random.default_rng(2)), args.repeat)
        print(f"  nqpf {p / t_l_ours:12,.0f} permutations/s   esda {p / t_l_esda:10,.0f} permutations/s   "
              f"ratio {t_l_esda / t_l_ours:.1f}x")


if __name__ == "__main__":
    main()

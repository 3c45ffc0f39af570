"""Benchmark: priorities' marginal gains and the investor view's rank intervals, nqpf vs naive.

Run as a script from the repository root::

    python benchmarks/bench_profiles.py [--repeat 5] [--regions 31] [--draws 1000]

1. Marginal gains of every indicator for ``--regions`` provinces of the real index
   ``nqpf-three-elements``: nqpf scores the province as it is and with each indicator improved in
   one frozen-scale call (rows stacked); the naive baseline rescores the whole cube once per
   indicator (what a loop over ``result.score`` would do). Both give the same gains (checked).
2. Rank intervals of the investor matrix under ``--draws`` Monte Carlo draws (±25% weight noise
   and one-at-a-time component exclusion, :func:`nqpf.profiles.investor.weight_draws`): nqpf's
   batched einsum + ranking over the draw axis vs a per-draw pandas loop. Same draws, same ranks (checked).

Medians of ``--repeat`` runs, same process, same inputs; real data only.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from nqpf.index.build import build_index
from nqpf.index.frozen import score_indicators
from nqpf.panel import Panel
from nqpf.profiles.investor import _ranks, _weighted, weight_draws
from nqpf.profiles.priorities import priorities

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def median_time(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def naive_gains(res, codes: list[str], step_share: float = 0.1) -> np.ndarray:
    ti = len(res.years) - 1
    tp = res.stages["treat"].params
    fmin, fmax = np.asarray(tp["fitted_min"], float), np.asarray(tp["fitted_max"], float)
    direction = np.array([i.direction for i in res.framework.indicators if i.id in res.indicators])
    base = score_indicators(res, res.raw).index
    out = np.zeros((len(codes), len(res.indicators)))
    for a, code in enumerate(codes):
        ri = res.regions.index(code)
        for k in range(len(res.indicators)):
            cur = res.filled[ti, ri, k]
            if not np.isfinite(cur):
                continue
            v = res.raw.copy()
            v[ti, ri, k] = np.clip(cur + direction[k] * step_share * (fmax[k] - fmin[k]), fmin[k], fmax[k])
            out[a, k] = score_indicators(res, v).index[ti, ri] - base[ti, ri]
    return out


def nqpf_gains(res, codes: list[str]) -> np.ndarray:
    rows = []
    for code in codes:
        t = priorities(res, code).table.set_index("indicator")
        rows.append(t.loc[res.indicators, "gain"].to_numpy())
    return np.array(rows)


def naive_intervals(cube: np.ndarray, wd: np.ndarray) -> np.ndarray:
    out = np.empty((wd.shape[0], cube.shape[0], cube.shape[1]))
    for d in range(wd.shape[0]):
        score = pd.DataFrame(np.nansum(cube * wd[d], axis=-1) / np.sum(np.isfinite(cube) * wd[d], axis=-1))
        out[d] = score.rank(ascending=False, method="min").to_numpy()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--regions", type=int, default=31)
    ap.add_argument("--draws", type=int, default=1000)
    a = ap.parse_args()
    panel = Panel(pd.read_csv(DATA / "panel" / "provinces.csv", dtype={"region_code": str}),
                  pd.read_csv(DATA / "panel" / "variables.csv"))
    res = build_index("nqpf-three-elements@1.0", panel)
    codes = res.regions[: a.regions]
    t_n, g_n = median_time(lambda: nqpf_gains(res, codes), a.repeat)
    t_b, g_b = median_time(lambda: naive_gains(res, codes), max(1, min(a.repeat, 3)))
    diff = float(np.max(np.abs(np.asarray(g_n) - np.asarray(g_b))))
    print(f"marginal gains, {len(codes)} provinces x {len(res.indicators)} indicators (real data):")
    print(f"  nqpf (one stacked frozen-scale call per province, with profile tables) {t_n:.3f}s")
    print(f"  naive (rescore the whole cube per indicator)                          {t_b:.3f}s")
    print(f"  ratio naive/nqpf {t_b / t_n:.1f}x; max |gain difference| {diff:.2e}")

    rng = np.random.default_rng(0)
    # components of 31 provinces x 7 sectors x 8 components, from the real index's normalised values
    ti = len(res.years) - 1
    base = np.nan_to_num(res.normalised[ti, :, :8])
    cube = np.repeat(base[:, None, :], 7, axis=1) * rng.uniform(0.9, 1.1, size=(1, 7, 8))
    w = np.array([0.25, 0.15, 0.15, 0.15, 0.1, 0.05, 0.1, 0.05])
    wd, _ = weight_draws(w, a.draws, noise=0.25, exclusion=True, seed=0)
    t_v, r_v = median_time(lambda: _ranks(_weighted(cube, wd)), a.repeat)
    t_l, r_l = median_time(lambda: naive_intervals(cube, wd), max(1, min(a.repeat, 3)))
    same = bool(np.array_equal(np.asarray(r_v), np.asarray(r_l)))
    print(f"rank intervals, {a.draws} draws (weight noise + component exclusion) x 31 provinces x 7 sectors "
          "(real index values, jittered):")
    print(f"  nqpf (einsum + vectorised ranks) {t_v:.4f}s; naive (pandas loop per draw) {t_l:.4f}s")
    print(f"  ratio naive/nqpf {t_l / t_v:.1f}x; identical ranks: {same}")


if __name__ == "__main__":
    main()

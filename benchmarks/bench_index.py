"""Benchmark of the index engine: fair peer comparison, scale, and batches of variants.

Run from the repository root (medians of ``--repeat`` runs, all measured in this one run)::

    python benchmarks/bench_index.py [--repeat 5] [--sizes 3000,30000] [--variants 1000]

1. **The same work as pymcdm.** Pooled min-max (1..100), entropy weights and TOPSIS over all
   region-years of the real ``nqpf-three-elements`` indicator cube, nqpf's vectorised core
   against one pymcdm call on the same pooled matrix with its input validation off (its
   fastest call); and the per-year variant (one ranking per year) against pymcdm looped over
   years, validation off. The numbers are checked equal before timing.
2. **What nqpf's extra features cost.** A whole ``build_index`` (formulas, screening,
   imputation with its record, outlier treatment, fitted scales kept, the tree, ranks).
3. **Scale.** Builds on real values resampled to N regions x 15 years (each synthetic region
   is a randomly drawn real province's series: real values, synthetic size; labelled so):
   time and peak memory of the build and of the tidy export, each size in a fresh process.
4. **Batches.** The cost per variant of one batch of V weight-and-exclusion variants against
   V single builds (``build_index`` each, and the cheaper ``regenerate`` from the weight step).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from nqpf.frameworks import load_framework
from nqpf.index import aggregate as agg
from nqpf.index import normalize as norm
from nqpf.index import weights as wts
from nqpf.index.build import build_index
from nqpf.panel import Panel

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
FW = "nqpf-three-elements"


def median_time(fn: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``repeat`` calls, seconds."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def real_panel() -> Panel:
    return Panel(pd.read_csv(DATA / "panel" / "provinces.csv", dtype={"region_code": str}),
                 pd.read_csv(DATA / "panel" / "variables.csv"))


# -- 1. the same work as pymcdm ------------------------------------------------------------------
def nqpf_pooled(cube: np.ndarray, d: np.ndarray) -> np.ndarray:
    xn = norm.normalize(cube, "minmax", d, scope="pooled", out_range=(1.0, 100.0))
    return agg.topsis(xn, wts.entropy(xn.reshape(-1, xn.shape[-1])))


def pymcdm_pooled(cube: np.ndarray, d: np.ndarray) -> np.ndarray:
    from pymcdm.methods import TOPSIS
    from pymcdm.normalizations import minmax_normalization
    from pymcdm.weights import entropy_weights

    m = cube.reshape(-1, cube.shape[-1])
    types = d.astype(int)
    nm = 1 + 99 * np.column_stack([minmax_normalization(m[:, k], types[k] < 0) for k in range(m.shape[1])])
    w = entropy_weights(nm)
    return TOPSIS(normalization_function=minmax_normalization)(m, w, types, validation=False).reshape(cube.shape[:2])


def nqpf_per_year(cube: np.ndarray, d: np.ndarray) -> np.ndarray:
    xn = norm.normalize(cube, "minmax", d, scope="per_year", out_range=(1.0, 100.0))
    w = wts.entropy(xn)  # (T, K): one weight vector per year
    return agg.topsis(xn, w[:, None, :], batch_dims=1)


def pymcdm_per_year(cube: np.ndarray, d: np.ndarray) -> np.ndarray:
    return np.stack([pymcdm_pooled(cube[t : t + 1], d)[0] for t in range(cube.shape[0])])


# -- 3. scale, in a child process ------------------------------------------------------------------
def resampled_panel(n: int, seed: int = 0) -> Panel:
    """N synthetic regions, each a randomly drawn real province's whole series (real values)."""
    base = real_panel()
    obs = base.observations
    obs = obs[obs["variable"].isin(load_framework(FW).variables())]
    provinces = sorted(obs["region_code"].unique())
    draw = np.random.default_rng(seed).choice(provinces, size=n)
    by_prov = {p: g for p, g in obs.groupby("region_code")}
    parts = [by_prov[p].assign(region_code=f"{900000 + i:06d}" if i < 100000 else str(i)) for i, p in enumerate(draw)]
    return Panel(pd.concat(parts, ignore_index=True), base.catalog)


def child(n: int) -> None:
    panel = resampled_panel(n)
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    res = build_index(FW, panel, years="2010:2024", allow_drop=True)
    t_build = time.perf_counter() - t
    rss_build = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    tidy = res.to_tidy()
    tidy.to_parquet(f"/tmp/nqpf-bench-{n}.parquet", index=False)
    t_tidy = time.perf_counter() - t
    rss_tidy = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"n": n, "years": len(res.years), "indicators": len(res.indicators), "rows": len(tidy),
                      "build_s": t_build, "tidy_s": t_tidy, "build_mb": (rss_build - base_rss) / 1024,
                      "peak_mb": rss_tidy / 1024, "extra_mb": (rss_tidy - base_rss) / 1024,
                      "dropped": res.stages["screen"].params["dropped"]}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--sizes", default="3000,30000", help="resampled region counts (real values, synthetic size)")
    ap.add_argument("--variants", type=int, default=1000)
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child)
        return

    panel = real_panel()
    res = build_index(FW, panel)
    cube = res.filled
    keep = ~np.isnan(cube).reshape(-1, cube.shape[-1]).any(axis=0)
    cube = cube[:, :, keep]
    d = np.array([i.direction for i in res.framework.indicators if i.id in res.indicators], dtype=float)[keep]
    print(f"real panel: {cube.shape[0]} years x {cube.shape[1]} provinces x {cube.shape[2]} indicators ({FW}); "
          f"medians of {args.repeat} runs")

    print("\n1. the same work as pymcdm (validation off, its fastest call), numbers checked equal")
    for reps in sorted({1, 10, 100}):
        c = np.tile(cube, (1, reps, 1))
        label = "real" if reps == 1 else f"real x{reps} regions (tiled: real values, synthetic size)"
        for name, ours, peer in (("pooled", nqpf_pooled, pymcdm_pooled), ("per-year", nqpf_per_year, pymcdm_per_year)):
            np.testing.assert_allclose(ours(c, d), peer(c, d), rtol=1e-9, atol=1e-12)
            t_o, t_p = median_time(lambda c=c, f=ours: f(c, d), args.repeat), median_time(lambda c=c, f=peer: f(c, d), args.repeat)
            print(f"  [{label}] {c.shape[1]:>5} regions {name:8}: nqpf {t_o * 1e3:8.2f} ms | pymcdm {t_p * 1e3:8.2f} ms"
                  f" | ratio pymcdm/nqpf {t_p / t_o:5.2f}x")

    print("\n2. what the extra features cost: a whole build_index on the real panel")
    t_build = median_time(lambda: build_index(FW, panel), args.repeat)
    t_core = median_time(lambda: nqpf_pooled(cube, d), args.repeat)
    print(f"  build_index ({len(res.scores)} nodes; formulas, screening, imputation record, treatment, fitted scales, "
          f"tree, ranks): {t_build * 1e3:.1f} ms = {t_build / t_core:.0f}x the bare pooled core ({t_core * 1e3:.2f} ms)")

    print("\n3. scale: real values resampled to N regions x 15 years (synthetic size), fresh process each")
    for n in [int(s) for s in args.sizes.split(",") if s]:
        out = subprocess.run([sys.executable, __file__, "--child", str(n)], capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"  {r['n']:>6} regions x {r['years']} years x {r['indicators']} indicators: build {r['build_s']:.2f} s "
              f"(+{r['build_mb']:.0f} MB), tidy export {r['rows']:,} rows {r['tidy_s']:.2f} s; end to end "
              f"{r['build_s'] + r['tidy_s']:.2f} s, peak RSS {r['peak_mb']:.0f} MB (+{r['extra_mb']:.0f} MB over the panel)"
              + (f"; dropped for too little data in 2010-2024: {', '.join(r['dropped'])}" if r["dropped"] else ""))

    print(f"\n4. batches: {args.variants} variants (weight noise +-25% on every node, one random indicator excluded in half)")
    rng = np.random.default_rng(0)
    v, k = args.variants, len(res.indicators)
    excl = np.zeros((v, k), dtype=bool)
    excl[np.arange(v), rng.integers(0, k, v)] = rng.random(v) < 0.5
    nodes = res.stages["weight"].params["nodes"]
    factors = {n: 1 + rng.uniform(-0.25, 0.25, (v, len(info["children"]))) for n, info in nodes.items()}
    t_batch = median_time(lambda: res.evaluate_variants(exclude=excl, weight_factors=factors), args.repeat)
    n_single = min(v, 50)
    t_single = median_time(lambda: [build_index(FW, panel, exclude=[res.indicators[j] for j in np.flatnonzero(excl[i])])
                                    for i in range(n_single)], 1) / n_single
    t_regen = median_time(lambda: [res.regenerate(exclude=[res.indicators[j] for j in np.flatnonzero(excl[i])],
                                                  from_step="weight") for i in range(n_single)], 1) / n_single
    per = t_batch / v
    print(f"  batch: {t_batch * 1e3:.1f} ms for {v} = {per * 1e6:.1f} us per variant")
    print(f"  single build_index per variant ({n_single} timed): {t_single * 1e3:.1f} ms -> batch is {t_single / per:.0f}x cheaper")
    print(f"  regenerate from the weight step per variant: {t_regen * 1e3:.1f} ms -> batch is {t_regen / per:.0f}x cheaper")


if __name__ == "__main__":
    main()

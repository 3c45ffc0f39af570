"""Benchmark: one entropy-TOPSIS index over the full real panel, nqpf vs a per-year pymcdm loop.

Run as a script from the repository root::

    python benchmarks/bench_index.py [--repeat 5] [--scale 10]

Both sides get the same evaluated, imputed indicator cube of the shipped framework
``nqpf-three-elements@1.0`` on ../shared/data/panel/provinces.csv. The pymcdm baseline is what many
studies do: loop over years, min-max normalise, compute entropy weights and TOPSIS per year
(so its years are not comparable — nqpf pools them, which is the point). The timing compares
the computational core (normalise, weight, aggregate) and, separately, the whole
``build_index`` (formulas, screening, imputation, treatment, normalisation, weights, tree).

``--scale N`` repeats the 31 real provinces N times along the region axis (labelled: scaled
real data, not new statistics) to show how both sides grow with the number of regions.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from nqpf.frameworks import load_framework
from nqpf.index import aggregate as agg
from nqpf.index import impute as imp
from nqpf.index import normalize as norm
from nqpf.index import weights as wts
from nqpf.index.build import build_index
from nqpf.panel import Panel

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def best_of(fn: Callable[[], object], repeat: int) -> float:
    """Best wall time of ``repeat`` calls, seconds."""
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def nqpf_core(cube: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """Pooled min-max (to 1..100), pooled entropy weights, pooled TOPSIS over all years at once."""
    xn = norm.normalize(cube, "minmax", directions, scope="pooled", out_range=(1.0, 100.0))
    w = wts.entropy(xn.reshape(-1, xn.shape[-1]))
    return agg.topsis(xn, w)


def pymcdm_loop(cube: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """The common practice: one pymcdm entropy + TOPSIS call per year."""
    from pymcdm.methods import TOPSIS
    from pymcdm.normalizations import minmax_normalization
    from pymcdm.weights import entropy_weights

    out = np.empty(cube.shape[:2])
    types = directions.astype(int)
    for t in range(cube.shape[0]):
        m = cube[t]
        # min-max to 1..100 (pymcdm's entropy needs strictly positive values)
        nm = 1 + 99 * np.column_stack([minmax_normalization(m[:, k], types[k] < 0) for k in range(m.shape[1])])
        w = entropy_weights(nm)
        out[t] = TOPSIS(normalization_function=minmax_normalization)(m, w, types)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--scale", type=int, default=10, help="repeat the provinces N times (scaled real data)")
    args = ap.parse_args()

    panel = Panel(pd.read_csv(DATA / "panel" / "provinces.csv", dtype={"region_code": str}),
                  pd.read_csv(DATA / "panel" / "variables.csv"))
    fw = load_framework("nqpf-three-elements@1.0")  # version 1.0 reads the panel alone
    result = build_index(fw, panel)
    years = result.years
    cube, _ = imp.impute(fw.evaluate(panel, years=years).values, "linear+group_mean")
    keep = ~np.isnan(cube).reshape(-1, cube.shape[-1]).any(axis=0)
    cube = cube[:, :, keep]
    directions = np.array([i.direction for i in fw.indicators], dtype=float)[keep]
    print(f"real panel: {cube.shape[0]} years x {cube.shape[1]} provinces x {cube.shape[2]} indicators "
          f"({fw.id})")

    for scale in sorted({1, args.scale}):
        c = np.tile(cube, (1, scale, 1))
        label = "real data" if scale == 1 else f"real data scaled x{scale} along regions (synthetic size, real values)"
        t_ours = best_of(lambda c=c: nqpf_core(c, directions), args.repeat)
        t_peer = best_of(lambda c=c: pymcdm_loop(c, directions), args.repeat)
        print(f"[{label}] {c.shape[1]} regions: nqpf pooled core {t_ours * 1e3:8.2f} ms | "
              f"pymcdm per-year loop {t_peer * 1e3:8.2f} ms | ratio peer/nqpf {t_peer / t_ours:6.1f}x")

    t_build = best_of(lambda: build_index(fw, panel), max(1, args.repeat // 2))
    t_peer = best_of(lambda: pymcdm_loop(cube, directions), args.repeat)
    print(f"whole build_index (formulas..tree, {len(result.scores)} nodes): {t_build * 1e3:.1f} ms; "
          f"pymcdm per-year loop on the prepared cube: {t_peer * 1e3:.1f} ms; ratio {t_peer / t_build:.2f}x")


if __name__ == "__main__":
    main()

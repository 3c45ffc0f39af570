"""Benchmark: the vectorised jump and outlier checks of ``nqpf data check`` vs a naive loop.

Run as a script from the repository root::

    python benchmarks/bench_check.py [--repeat 5] [--scale 4]

Both sides get the same long table: the real panel plus the extension tidy files
(../shared/data), provinces only. The baseline is what a script written series by series does:
loop over variables and provinces, walk the years, take the cross-province medians per year
pair with ``statistics.median``; it must find exactly the same jump and outlier flags (checked
before timing). ``--scale N`` repeats every variable N times under new names (labelled:
resampled real data, not new statistics) to show how both sides grow with the number of series.
Medians of ``--repeat`` runs; the ratio is baseline time / nqpf time.
"""

from __future__ import annotations

import argparse
import itertools
import math
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from nqpf.data.check import jumps, outliers
from nqpf.regions import REGISTRY

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def load(scale: int) -> pd.DataFrame:
    ext = sorted(p for p in (DATA / "extension").glob("*.csv") if p.name != "variables.csv")
    files = [DATA / "panel" / "provinces.csv", *ext]
    d = pd.concat([pd.read_csv(f, dtype={"region_code": str}, usecols=["region_code", "year", "variable", "value"])
                   for f in files])
    d = d.drop_duplicates(["region_code", "year", "variable"], keep="last")
    codes = {r.code for r in REGISTRY.provinces()}
    d = d[d["region_code"].isin(codes)]
    return pd.concat([d.assign(variable=d["variable"] + (f"__r{i}" if i else "")) for i in range(scale)],
                     ignore_index=True)


def naive_jumps(d: pd.DataFrame, ratio: float = 1.5, excess: float = 1.4) -> set[tuple[str, str, int]]:
    """Series by series: consecutive positive values, log change, compared with the year's median."""
    series: dict[tuple[str, str], dict[int, float]] = defaultdict(dict)
    for v, r, y, x in zip(d["variable"], d["region_code"], d["year"], d["value"], strict=True):
        series[(v, r)][int(y)] = float(x)
    steps: dict[tuple[str, int], list[tuple[str, float]]] = defaultdict(list)
    for (v, r), s in series.items():
        pos = sorted(y for y, x in s.items() if x > 0)
        for a, b in itertools.pairwise(pos):
            if b - a == 1:
                steps[(v, b)].append((r, math.log(s[b] / s[a])))
    out = set()
    for (v, y), lst in steps.items():
        med = statistics.median(lr for _, lr in lst) if len(lst) >= 10 else 0.0
        for r, lr in lst:
            if abs(lr) >= math.log(ratio) and abs(lr - med) >= math.log(excess):
                out.add((v, r, y))
    return out


def naive_outliers(d: pd.DataFrame, z: float = 3.5) -> set[tuple[str, str]]:
    """Per variable and year: modified z-score of the log values, by loops."""
    by: dict[tuple[str, int], list[tuple[str, float]]] = defaultdict(list)
    mins: dict[str, float] = {}
    for v, r, y, x in zip(d["variable"], d["region_code"], d["year"], d["value"], strict=True):
        by[(v, int(y))].append((r, float(x)))
        mins[v] = min(mins.get(v, math.inf), float(x))
    out = set()
    for (v, _), lst in by.items():
        if len(lst) < 10:
            continue
        xs = [math.log(x) if mins[v] > 0 else x for _, x in lst]
        med = statistics.median(xs)
        mad = statistics.median(abs(x - med) for x in xs)
        if mad == 0:
            continue
        for (r, _), x in zip(lst, xs, strict=True):
            if abs(0.6745 * (x - med) / mad) > z:
                out.add((v, r))
    return out


def median_time(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--scale", type=int, default=4, help="repeat every variable N times (resampled real data)")
    args = ap.parse_args()
    for scale in sorted({1, args.scale}):
        d = load(scale)
        label = "real data" if scale == 1 else f"real data resampled x{scale} (variables repeated)"
        ours_j = jumps(d)
        assert {(r.variable, r.region_code, r.year_to) for r in ours_j.itertuples()} == naive_jumps(d)
        ours_o = outliers(d)
        assert {(r.variable, r.region_code) for r in ours_o.itertuples()} == naive_outliers(d)
        tj = median_time(lambda d=d: jumps(d), args.repeat)
        tjn = median_time(lambda d=d: naive_jumps(d), args.repeat)
        to = median_time(lambda d=d: outliers(d), args.repeat)
        ton = median_time(lambda d=d: naive_outliers(d), args.repeat)
        print(f"[{label}] {len(d):,} values, {d['variable'].nunique()} variables, 31 provinces "
              f"({len(ours_j)} jump flags, {len(ours_o)} outlier flags, same as the baseline)")
        print(f"  jumps:    nqpf {tj * 1e3:8.1f} ms | naive loop {tjn * 1e3:8.1f} ms | ratio naive/nqpf {tjn / tj:5.2f}")
        print(f"  outliers: nqpf {to * 1e3:8.1f} ms | naive loop {ton * 1e3:8.1f} ms | ratio naive/nqpf {ton / to:5.2f}")


if __name__ == "__main__":
    main()

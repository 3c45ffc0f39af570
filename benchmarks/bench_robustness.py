"""Robustness speed: 10,000 Monte Carlo draws over normalisation x weighting x aggregation x
indicator exclusion x ±25% weight noise on the real panel, with rank bands and pairwise
probabilities, against a loop that regenerates one index per draw, and Dask at 1 and 2 workers.

Run: ``python benchmarks/bench_robustness.py [--draws 10000] [--repeats 3] [--loop 40]``.
The regenerate loop is timed on ``--loop`` draws of the same design and scaled to the draws
(its per-draw cost is flat); it rebuilds each draw's categorical choices and exclusion but not its
weight noise, so the ratio is conservative. Data: the real provincial panel (../shared/data).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import pandas as pd

from nqpf.index.build import build_index
from nqpf.panel import Panel
from nqpf.robustness import UncertaintySpec, uncertainty
from nqpf.robustness.sampling import block_uniforms, draw_parameters

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _median_time(fn, repeats: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--draws", type=int, default=10_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--loop", type=int, default=40)
    ap.add_argument("--framework", default="nqpf-three-elements@1.0")
    ap.add_argument("--no-dask", action="store_true")
    args = ap.parse_args()

    panel = Panel(pd.read_csv(DATA / "panel" / "provinces.csv", dtype={"region_code": str}),
                  pd.read_csv(DATA / "panel" / "variables.csv"))
    res = build_index(args.framework, panel)
    spec = UncertaintySpec.from_dict({"factors": [
        {"step": "normalisation", "choices": ["minmax", "rank"]},
        {"step": "weighting", "choices": ["entropy", "equal"]},
        {"step": "aggregation", "choices": ["arithmetic", "geometric"]},
        {"step": "exclusion", "mode": "one_at_a_time"},
        {"step": "weight_noise", "range": 0.25},
    ]}, res)
    n = args.draws
    print(f"real panel, {args.framework}: {len(res.years)} years x {len(res.regions)} regions x "
          f"{len(res.indicators)} indicators; {n} draws over {', '.join(spec.describe())}")

    u = block_uniforms(2, args.loop, spec.dims)[0]
    params = draw_parameters(spec, u)

    def loop() -> None:
        for row in params.itertuples():
            excl = [x for x in str(row.excluded).split(";") if x]
            r = res.regenerate(normalisation=row.normalisation, weighting=row.weighting,
                               aggregation=row.aggregation, exclude=excl)
            _ = r.ranks

    uncertainty(res, spec, n=200, seed=0)  # warm-up
    # batched run and regenerate loop interleaved, so both see the same machine load
    batch_times, loop_times = [], []
    for _ in range(args.repeats):
        batch_times.append(_median_time(lambda: uncertainty(res, spec, n=n, seed=1), 1))
        loop_times.append(_median_time(loop, 1) / args.loop)
    t_batch, t_loop = statistics.median(batch_times), statistics.median(loop_times)
    print(f"batched: {n} draws with rank bands and pairwise P(A above B): {t_batch:.2f} s "
          f"(median of {args.repeats}; {t_batch / n * 1e6:.0f} us/draw)")
    print(f"regenerate loop: {t_loop * 1e3:.1f} ms/draw -> {t_loop * n:.0f} s for {n} draws (measured on "
          f"{args.loop} draws, median of {args.repeats})")
    print(f"speed-up batched vs regenerate loop: {t_loop * n / t_batch:.0f}x "
          f"(per repeat: {', '.join(f'{lt * n / bt:.0f}x' for bt, lt in zip(batch_times, loop_times, strict=True))})")
    import os

    print(f"machine load average (1 min) during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")

    if args.no_dask:
        return
    from nqpf.robustness.dask_backend import start_cluster

    times = {}
    for w in (1, 2):
        client = start_cluster(w)
        try:
            addr = client.scheduler.address
            uncertainty(res, spec, n=2000, seed=0, scheduler=addr)  # warm the workers
            times[w] = _median_time(lambda a=addr: uncertainty(res, spec, n=n, seed=1, scheduler=a), args.repeats)
        finally:
            cluster = client.cluster
            client.close()
            cluster.close()
        print(f"dask, {w} worker(s): {times[w]:.2f} s for {n} draws")
    print(f"dask scaling 1 -> 2 workers: {times[1] / times[2]:.2f}x (2 cores shared with other work)")


if __name__ == "__main__":
    main()

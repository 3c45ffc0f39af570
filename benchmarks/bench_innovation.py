"""Benchmark of NQPF text exposure: Aho-Corasick matcher vs a naive loop, and Dask scaling.

Run ``python benchmarks/bench_innovation.py [--data DIR] [--repeat K] [--naive-mb M]``. Prints:

1. Matching only, in memory, one core: MB/s (UTF-8 bytes of normalised text) of
   :class:`nqpf.innovation.matching.TermMatcher` vs the naive baseline, a loop of ``str.count``
   per taxonomy form, measured on the same text in the same run. (``str.count`` also counts
   forms nested in longer ones, so its totals are higher: it is a speed baseline only.) The
   matcher is also checked against :func:`naive_count` (the exact reference) on a slice.
2. End to end (read, parse, normalise, match) with the local backend, one core.
3. Dask bag backend with a ``LocalCluster`` of 1 and 2 single-threaded worker processes on
   the real corpus **repeated K times** (default 2; the same files listed K times), with
   MB/s, MB/s per core and the speed-up. Cluster start-up is timed separately.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from nqpf.innovation.corpus import discover, read_documents
from nqpf.innovation.dask_backend import run_dask, start_cluster
from nqpf.innovation.exposure import build_matcher, measure_exposure
from nqpf.innovation.matching import naive_count, normalize, normalize_pieces
from nqpf.innovation.taxonomy import Taxonomy
from nqpf.settings import default_data_dir


def _corpus_text(files: list, limit_chars: int) -> str:
    out: list[str] = []
    n = 0
    for cf in files:
        for doc in read_documents(cf):
            text = "".join(normalize_pieces(doc.pieces))
            out.append(text)
            n += len(text)
        if n >= limit_chars:
            break
    return "\n".join(out)


def bench_matching(files: list, naive_mb: float) -> None:
    tax = Taxonomy.default()
    matcher = build_matcher(tax)
    forms = list(matcher.payload)
    # an interleaved sample (every k-th file) so that all sources are represented
    step = 3
    text = _corpus_text(files[::step], limit_chars=int(naive_mb * 1e6 / 2.6))
    mb = len(text.encode("utf-8")) / 1e6

    t0 = time.perf_counter()
    ac = matcher.count(text)
    t_ac = time.perf_counter() - t0

    t0 = time.perf_counter()
    naive = {f: text.count(f) for f in forms}
    t_naive = time.perf_counter() - t0

    sl = text[:50_000]
    exact = matcher.count(sl) == naive_count(sl, tax.forms())
    print("1. Matching only (in memory, 1 core)")
    print(f"   text: {mb:.2f} MB normalised UTF-8 from every {step}rd file; {len(forms)} distinct forms")
    print(f"   Aho-Corasick leftmost-longest: {t_ac:.3f} s = {mb / t_ac:8.1f} MB/s per core, {sum(ac.values())} matches")
    print(f"   naive str.count per form     : {t_naive:.3f} s = {mb / t_naive:8.1f} MB/s per core, {sum(naive.values())} hits (nested forms counted again)")
    print(f"   speed ratio matcher / naive  : {t_naive / t_ac:.1f}x")
    print(f"   matcher == exact reference (naive_count) on a 50,000-character slice: {exact}")


def bench_end_to_end(files: list) -> None:
    res = measure_exposure(files, backend="local")
    print("2. End to end, local backend (read + parse + normalise + match, 1 core)")
    print(f"   {res.stats}")
    if res.failures:
        print(f"   failures: {len(res.failures)}")


def bench_dask(files: list, repeat: int) -> None:
    matcher = build_matcher(Taxonomy.default())
    scaled = list(files) * repeat
    mb = sum(cf.size for cf in scaled) / 1e6
    print(f"3. Dask bag backend, LocalCluster processes, real corpus x{repeat} by repetition ({len(scaled)} files, {mb:.1f} MB)")
    base = None
    for workers in (1, 2):
        t0 = time.perf_counter()
        client = start_cluster(workers)
        startup = time.perf_counter() - t0
        try:
            client.run(lambda: __import__("nqpf.innovation.exposure"))  # warm imports on the workers
            t0 = time.perf_counter()
            outcomes = run_dask(scaled, matcher, client=client)
            secs = time.perf_counter() - t0
        finally:
            cluster = client.cluster
            client.close()
            cluster.close()
        docs = sum(len(o.documents) for o in outcomes)
        rate = mb / secs
        base = base or rate
        print(f"   {workers} worker(s): {secs:6.2f} s, {docs} documents, {rate:6.1f} MB/s, {rate / workers:6.1f} MB/s per core, "
              f"speed-up {rate / base:.2f}x (cluster start-up {startup:.1f} s, not counted)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=None, help="the shared data folder (default: ../shared/data)")
    ap.add_argument("--repeat", type=int, default=2, help="repeat the real corpus K times for the Dask runs")
    ap.add_argument("--naive-mb", type=float, default=4.0, help="MB of text for the matcher-vs-naive comparison")
    args = ap.parse_args()
    data = args.data or default_data_dir()
    if data is None or not (data / "text").is_dir():
        sys.exit("text corpus not found: pass --data /path/to/shared/data")
    files = discover(data / "text")
    print(f"nqpf innovation benchmark: {len(files)} files, {sum(f.size for f in files) / 1e6:.1f} MB, "
          f"{os.cpu_count()} CPU(s); normalise check: {normalize('５Ｇ') == '5g'}")
    bench_matching(files, args.naive_mb)
    bench_end_to_end(files)
    bench_dask(files, args.repeat)


if __name__ == "__main__":
    main()

"""Benchmark of NQPF text exposure: Aho-Corasick matcher vs a naive loop, and Dask scaling.

Run ``python benchmarks/bench_innovation.py [--data DIR] [--repeat K] [--naive-mb M]``. Prints:

1. Matching only, in memory, one core: MB/s (UTF-8 bytes of normalised text) of
   :class:`nqpf.innovation.matching.TermMatcher` vs the naive baseline, a loop of ``str.count``
   per taxonomy form, measured on the same text in the same run. (``str.count`` also counts
   forms nested in longer ones, so its totals are higher: it is a speed baseline only.) The
   matcher is also checked against :func:`naive_count` (the exact reference) on a slice.
2. End to end (read, parse, normalise, match) with the local backend, one core.
3. Dask backend with a ``LocalCluster`` of 1 and 2 single-threaded worker processes on the
   real corpus **repeated to at least ``--dask-mb`` MB** (default 300; the same real files
   listed K times: a scale test, not a bigger corpus): wall time, MB/s, the speed-up of wall time
   and the parallel efficiency (speed-up / workers), medians of ``--repeat`` runs on one cluster
   per worker count (both clusters up, runs alternating so that both see the same load; start-up
   timed separately). Also the CPU seconds each
   worker process used (``psutil`` in the worker), their sum against one worker's (the cost of
   going parallel) and the cores obtained (CPU seconds / wall seconds): on a shared machine the
   wall speed-up is bounded by the cores the other users leave free, and this says how many; and
   the speed-up two free cores would give (one worker's CPU seconds over the busier worker's).
4. End to end, as a user runs it: ``nqpf innovation exposure --backend dask --workers k`` on a
   manifest listing the repeated corpus (``--command-mb``, default ``--dask-mb``), in a fresh
   process per run, ``--repeat`` runs per ``k`` alternating 1, 2, 1, 2 ... (start-up and close
   included): each run's wall time, load before it and its phases (``NQPF_PROFILE=1``:
   interpreter start-up and imports, taxonomy, discovery, matcher, cluster start, run, cluster
   close, output, process exit), then the median wall per ``k``, the speed-up of the medians and
   of each pair, and the median phases. After every run, a check that no process of the command
   survives it (processes are found by a token in their environment 1 s after it exited).

Every timing is a median of ``--repeat`` runs unless said otherwise. The machine's load is
printed: on a shared machine the speed-up is bounded by the cores actually free.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import psutil

from nqpf.innovation.corpus import discover, read_documents
from nqpf.innovation.dask_backend import (
    TASK_BYTES,
    close_cluster,
    run_dask,
    start_cluster,
    task_groups,
    worker_cpu_seconds,
)
from nqpf.innovation.exposure import build_matcher, measure_exposure
from nqpf.innovation.matching import naive_count, normalize, normalize_pieces
from nqpf.innovation.phases import PROFILE_ENV, parse
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


def _median_time(fn: object, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(max(repeat, 1)):
        t0 = time.perf_counter()
        out = fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def bench_matching(files: list, naive_mb: float, repeat: int) -> None:
    tax = Taxonomy.default()
    matcher = build_matcher(tax)
    forms = list(matcher.payload)
    # an interleaved sample (every k-th file) so that all sources are represented
    step = 3
    text = _corpus_text(files[::step], limit_chars=int(naive_mb * 1e6 / 2.6))
    mb = len(text.encode("utf-8")) / 1e6
    t_ac, ac = _median_time(lambda: matcher.count(text), repeat)
    t_naive, naive = _median_time(lambda: {f: text.count(f) for f in forms}, repeat)
    sl = text[:50_000]
    exact = matcher.count(sl) == naive_count(sl, tax.forms())
    print(f"1. Matching only (in memory, 1 core; medians of {repeat} runs)")
    print(f"   text: {mb:.2f} MB normalised UTF-8 from every {step}rd file; {len(forms)} distinct forms")
    print(f"   Aho-Corasick leftmost-longest: {t_ac:.3f} s = {mb / t_ac:8.1f} MB/s per core, {sum(ac.values())} matches")  # type: ignore[union-attr]
    print(f"   naive str.count per form     : {t_naive:.3f} s = {mb / t_naive:8.1f} MB/s per core, "
          f"{sum(naive.values())} hits (nested forms counted again)")  # type: ignore[union-attr]
    print(f"   speed ratio matcher / naive  : {t_naive / t_ac:.1f}x")
    print(f"   matcher == exact reference (naive_count) on a 50,000-character slice: {exact}")


def bench_end_to_end(files: list, repeat: int) -> None:
    secs, res = _median_time(lambda: measure_exposure(files, backend="local"), repeat)
    mb = sum(cf.size for cf in files) / 1e6
    print(f"2. End to end, local backend (read + parse + normalise + match, 1 core; median of {repeat} runs)")
    print(f"   {len(files)} files, {mb:.1f} MB in {secs:.2f} s = {mb / secs:.1f} MB/s; "
          f"{res.stats.documents} documents, {len(res.failures)} failures")  # type: ignore[union-attr]


def bench_dask(files: list, target_mb: float, repeat: int) -> None:
    matcher = build_matcher(Taxonomy.default())
    size = sum(cf.size for cf in files)
    k = max(1, -(-int(target_mb * 1e6) // size))
    scaled = list(files) * k
    mb = size * k / 1e6
    print(f"3. Dask backend, LocalCluster processes: REAL CORPUS REPEATED x{k} ({len(scaled)} files, {mb:.1f} MB; "
          f"the same {len(files)} real files listed {k} times), medians of {repeat} runs per cluster")
    print(f"   tasks: {len(task_groups(scaled, 1))} for 1 worker, {len(task_groups(scaled, 2))} for 2 "
          f"(about {TASK_BYTES / 1e6:.0f} MB each, at least 4 per worker)")
    print("   both clusters stay up and their runs alternate (1, 2, 1, 2 ...), so that both see the same load "
          "from other users; an idle worker costs no CPU")
    counts = (1, 2)
    clients: dict[int, Any] = {}
    startup: dict[int, float] = {}
    walls: dict[int, list[float]] = {w: [] for w in counts}
    cpus: dict[int, list[list[float]]] = {w: [] for w in counts}
    loads: dict[int, list[float]] = {w: [] for w in counts}
    docs: dict[int, int] = {}
    closing: dict[int, float] = {}
    try:
        for w in counts:
            t0 = time.perf_counter()
            clients[w] = start_cluster(w)
            startup[w] = time.perf_counter() - t0
            clients[w].run(lambda: __import__("nqpf.innovation.exposure"))  # warm imports on the workers
        for _ in range(max(repeat, 1)):
            for w in counts:
                c0 = worker_cpu_seconds(clients[w])
                t0 = time.perf_counter()
                outcomes = run_dask(scaled, matcher, client=clients[w])
                walls[w].append(time.perf_counter() - t0)
                c1 = worker_cpu_seconds(clients[w])
                cpus[w].append(sorted(c1[a] - c0[a] for a in c1))
                loads[w].append(os.getloadavg()[0])
                docs[w] = sum(len(o.documents) for o in outcomes)
    finally:
        for w, c in clients.items():
            t0 = time.perf_counter()
            close_cluster(c)
            closing[w] = time.perf_counter() - t0
    base_wall = statistics.median(walls[1])
    base_cpu = statistics.median(c[0] for c in cpus[1])
    for w in counts:
        wall = statistics.median(walls[w])
        cpu = [statistics.median(c[i] for c in cpus[w]) for i in range(w)]
        speedup = base_wall / wall
        print(f"   {w} worker(s): wall {wall:6.2f} s (runs {', '.join(f'{x:.1f}' for x in walls[w])}), {docs[w]} documents, "
              f"{mb / wall:5.1f} MB/s; speed-up {speedup:.2f}x, parallel efficiency {speedup / w:.0%}")
        print(f"      CPU per worker {' + '.join(f'{c:.1f}' for c in cpu)} s = {sum(cpu):.1f} s "
              f"(x{sum(cpu) / base_cpu:.2f} of 1 worker's); cores obtained {sum(cpu) / wall:.2f} of {w}; "
              f"load average after each run {', '.join(f'{x:.1f}' for x in loads[w])}")
    cpu2 = [statistics.median(c[i] for c in cpus[2]) for i in range(2)]
    print(f"   work split: the busier of 2 workers used {max(cpu2):.1f} s of CPU against {base_cpu:.1f} s for 1 worker: "
          f"the speed-up 2 free cores would give is {base_cpu / max(cpu2):.2f}x")
    print("   start-up and close of each cluster (not counted above): "
          + "; ".join(f"{w} worker(s) {startup[w]:.2f} s and {closing[w]:.2f} s" for w in counts))


def _token_processes(token: str) -> list[int]:
    out = []
    for p in psutil.process_iter(["pid"]):
        try:
            if p.environ().get("NQPF_BENCH_TOKEN") == token:
                out.append(p.pid)
        except psutil.Error:
            pass
    return out


PHASES = ("startup", "taxonomy", "discover", "matcher", "start", "run", "close", "output", "exit")
"""The command's phases, in order (``NQPF_PROFILE=1``, see :mod:`nqpf.innovation.phases`); ``exit``
is from the command's last line to the end of its process, measured here."""


def _run_command(manifest: Path, workers: int) -> dict[str, Any]:
    """One ``nqpf innovation exposure --backend dask`` run in a fresh process: wall seconds, exit
    code, phases, the load before it, and the processes of the command alive 1 s after it exited."""
    token = uuid.uuid4().hex
    env = {**os.environ, "NQPF_BENCH_TOKEN": token, PROFILE_ENV: "1"}
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", "from nqpf.cli import main; main()", "innovation", "exposure", str(manifest),
                           "--backend", "dask", "--workers", str(workers), "--no-progress", "--allow-outside"],
                          env=env, capture_output=True, text=True, check=False)
    secs = time.perf_counter() - t0
    t_end = time.time()
    time.sleep(1.0)
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("timings:")]
    phases = parse(lines[-1]) if lines else {}
    if "at" in phases:
        phases["exit"] = t_end - phases.pop("at")
    return {"workers": workers, "seconds": secs, "code": proc.returncode, "phases": phases, "load": load,
            "left": len(_token_processes(token)), "stderr": proc.stderr}


def bench_command(scaled: list, repeat: int) -> None:
    with tempfile.TemporaryDirectory(prefix="nqpf_bench_") as tmp:
        manifest = Path(tmp) / "manifest.csv"
        with manifest.open("w", encoding="utf-8") as fh:
            fh.write("path\n")
            for cf in scaled:
                fh.write(f"{cf.path}\n")
        mb = sum(cf.size for cf in scaled) / 1e6
        print(f"4. End to end command `nqpf innovation exposure MANIFEST --backend dask --workers k` on the repeated corpus "
              f"({mb:.1f} MB), a fresh process per run, start-up and close included; {repeat} run(s) per k, "
              "alternating (1, 2, 1, 2 ...)")
        runs: list[dict[str, Any]] = []
        for _ in range(max(repeat, 1)):
            for workers in (1, 2):
                r = _run_command(manifest, workers)
                runs.append(r)
                ph = " ".join(f"{k} {r['phases'][k]:.2f}" for k in PHASES if k in r["phases"])
                print(f"   k={workers}: exit {r['code']}, {r['seconds']:6.2f} s (load before {r['load']:.1f}); "
                      f"processes left after exit: {r['left']}; phases [s]: {ph}")
                if r["code"] != 0:
                    tail = r["stderr"].strip().splitlines()
                    print("      " + (tail[-1] if tail else "(no stderr)"))
        med = {w: statistics.median(r["seconds"] for r in runs if r["workers"] == w) for w in (1, 2)}
        pairs = [a["seconds"] / b["seconds"] for a, b in zip(runs[::2], runs[1::2], strict=True)]
        print(f"   median wall: 1 worker {med[1]:.2f} s = {mb / med[1]:.1f} MB/s, 2 workers {med[2]:.2f} s = {mb / med[2]:.1f} MB/s; "
              f"speed-up {med[1] / med[2]:.2f}x (goal 1.6x); per pair {', '.join(f'{x:.2f}x' for x in pairs)}")
        for w in (1, 2):
            ph = {k: statistics.median(r["phases"].get(k, float("nan")) for r in runs if r["workers"] == w) for k in PHASES}
            fixed = sum(v for k, v in ph.items() if k != "run")
            print(f"   median phases, {w} worker(s) [s]: " + ", ".join(f"{k} {v:.2f}" for k, v in ph.items())
                  + f"; all but run {fixed:.2f}")
        print(f"   processes left after the {len(runs)} commands: {sum(r['left'] for r in runs)}")


def _scheduler_note() -> str:
    """How Linux shares the CPU here: with autogroup on, every session (each developer's shell,
    CI job ...) gets an equal share, however many processes it runs, so 2 workers are only
    faster than 1 when the other sessions leave a second core free."""
    try:
        autogroup = Path("/proc/sys/kernel/sched_autogroup_enabled").read_text().strip() == "1"
    except OSError:
        return "CPU scheduler: autogroup unknown (not Linux?)"
    if not autogroup:
        return "CPU scheduler: autogroup off (CPU is shared per process)"
    for p in psutil.process_iter(["pid"]):  # the first call of cpu_percent starts its interval
        with contextlib.suppress(psutil.Error):
            p.cpu_percent(interval=None)
    time.sleep(1.0)
    busy = set()
    for p in psutil.process_iter(["pid"]):
        try:
            if p.cpu_percent(interval=None) > 20:
                busy.add(Path(f"/proc/{p.pid}/autogroup").read_text().split()[0])
        except (OSError, psutil.Error, IndexError):
            pass
    return (f"CPU scheduler: autogroup ON - each session gets an equal share of the CPU however many processes it runs; "
            f"{len(busy)} session(s) used over 20% of a core in the last second (this one included). With others busy, the workers of this "
            "benchmark share one session's share and 2 workers cannot beat 1 by much: measure on a quiet machine")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=None, help="the shared data folder (default: ../shared/data)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per timing (medians)")
    ap.add_argument("--dask-mb", type=float, default=300.0, help="repeat the real corpus to at least this many MB for Dask")
    ap.add_argument("--naive-mb", type=float, default=4.0, help="MB of text for the matcher-vs-naive comparison")
    ap.add_argument("--no-command", action="store_true", help="skip the end-to-end command runs (part 4)")
    ap.add_argument("--no-engine", action="store_true", help="skip the Dask runs on kept-up clusters (part 3)")
    ap.add_argument("--command-mb", type=float, default=None, help="MB of repeated corpus for part 4 (default: --dask-mb)")
    ap.add_argument("--skip-local", action="store_true", help="skip parts 1 and 2 (one-core matching and local end to end)")
    ap.add_argument("--files", type=int, default=None, help="use only N files, every k-th (a smoke run; default: all)")
    args = ap.parse_args()
    logging.getLogger("distributed").setLevel(logging.ERROR)  # closing one of two clusters would restore INFO for the other
    data = args.data or default_data_dir()
    if data is None or not (data / "text").is_dir():
        sys.exit("text corpus not found: pass --data /path/to/shared/data")
    files = discover(data / "text")
    if args.files:
        files = files[:: max(1, len(files) // args.files)][: args.files]
    print(f"nqpf innovation benchmark: {len(files)} files, {sum(f.size for f in files) / 1e6:.1f} MB, "
          f"{os.cpu_count()} CPU(s), load average {os.getloadavg()[0]:.1f}; normalise check: {normalize('５Ｇ') == '5g'}")
    print(_scheduler_note())
    if not args.skip_local:
        bench_matching(files, args.naive_mb, args.repeat)
        bench_end_to_end(files, args.repeat)
    size = sum(cf.size for cf in files)
    scaled = list(files) * max(1, -(-int(args.dask_mb * 1e6) // size))
    if not args.no_engine:
        bench_dask(files, args.dask_mb, args.repeat)
    if not args.no_command:
        if args.command_mb is not None:
            scaled = list(files) * max(1, -(-int(args.command_mb * 1e6) // size))
        bench_command(scaled, args.repeat)
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPU(s)")


if __name__ == "__main__":
    main()

"""Bounded load test on loopback: the scores, profile, what-if scenario and qualifier endpoints
beside a bare FastAPI route, all measured in the same run.

Run as a script: ``python benchmarks/bench_service.py [--requests 2000] [--concurrency 16]``.
It builds a real run (the panel and raw folders of ../shared/data) unless ``--run-dir`` is
given, starts two uvicorn servers in subprocesses (the nqpf app, and a bare FastAPI app whose one
route returns a constant JSON object), drives each with an asyncio httpx client (keep-alive,
fixed concurrency, a fixed number of requests after a warm-up) and prints requests per second
and p50/p99 latency, medians of ``--repeat`` rounds, and the ratio of each endpoint's
throughput to the bare route's. Goal: scores >= 50% of the bare route.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
FRAMEWORK = "nqpf-three-elements"
BARE = "from fastapi import FastAPI\napp = FastAPI()\n@app.get('/bare')\ndef bare():\n    return {'ok': True}\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(args: list[str], url: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    import os

    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, **(env or {})})
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return p
        except httpx.HTTPError:
            time.sleep(0.2)
    p.kill()
    raise SystemExit(f"server did not start: {args}")


async def load(url: str, n: int, conc: int, method: str = "GET", json: dict | None = None) -> tuple[float, float, float]:
    lat: list[float] = []
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=conc, max_keepalive_connections=conc),
                                 timeout=30) as c:
        for _ in range(conc):  # warm-up
            await c.request(method, url, json=json)
        todo = iter(range(n))

        async def worker() -> None:
            for _ in todo:
                t = time.perf_counter()
                r = await c.request(method, url, json=json)
                lat.append(time.perf_counter() - t)
                assert r.status_code == 200, r.text[:200]

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(conc)))
        wall = time.perf_counter() - t0
    lat.sort()
    return n / wall, lat[len(lat) // 2] * 1e3, lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1e3


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--run-dir", type=Path)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--qualifier-requests", type=int, default=200)
    ap.add_argument("--scenario-requests", type=int, default=100)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    run_dir = a.run_dir
    if run_dir is None:
        from nqpf import services
        from nqpf.data.store import Store

        tmp = Path(tempfile.mkdtemp(prefix="nqpf-bench-service-"))
        print("building a real run (panel + raw) ...", flush=True)
        services.run_job(Store(tmp / "s.duckdb"), frameworks=[FRAMEWORK], out=tmp / "run", html=False, data=DATA)
        run_dir = tmp / "run"
    bare_file = Path(tempfile.mkdtemp()) / "bare_app.py"
    bare_file.write_text(BARE)
    p1, p2 = free_port(), free_port()
    uv = [sys.executable, "-m", "uvicorn", "--host", "127.0.0.1", "--log-level", "warning", "--no-server-header"]
    nq = start([*uv, "--port", str(p1), "--factory", "nqpf.api.app:app_from_env"], f"http://127.0.0.1:{p1}/api/v1/regions",
               env={"NQPF_SERVE_RUN_DIR": str(run_dir)})
    bare = start([*uv, "--port", str(p2), "--app-dir", str(bare_file.parent), "bare_app:app"], f"http://127.0.0.1:{p2}/bare")
    text = "公司自主研发第三代半导体碳化硅功率芯片，打破国外垄断，显著降低新能源汽车能耗，创造就业并提高居民收入。"
    cases = [
        ("bare FastAPI route", f"http://127.0.0.1:{p2}/bare", "GET", None, a.requests),
        ("scores (node, year)", f"http://127.0.0.1:{p1}/api/v1/frameworks/{FRAMEWORK}/scores?year=2019", "GET", None, a.requests),
        ("profile", f"http://127.0.0.1:{p1}/api/v1/frameworks/{FRAMEWORK}/profiles/440000", "GET", None, a.requests // 4),
        ("what-if scenario", f"http://127.0.0.1:{p1}/api/v1/frameworks/{FRAMEWORK}/whatif", "POST",
         {"changes": [{"regions": ["Anhui"], "indicators": ["rd_to_gdp"], "kind": "relative", "value": 0.2}]},
         a.scenario_requests),
        ("qualifier", f"http://127.0.0.1:{p1}/api/v1/innovation/qualify", "POST", {"text": text}, a.qualifier_requests),
    ]
    try:
        res = {}
        for name, url, method, body, n in cases:
            runs = [asyncio.run(load(url, n, a.concurrency, method, body)) for _ in range(a.repeat)]
            res[name] = tuple(statistics.median(r[i] for r in runs) for i in range(3))
    finally:
        nq.terminate()
        bare.terminate()
    base = res["bare FastAPI route"][0]
    print(f"\nloopback, 1 uvicorn worker each, concurrency {a.concurrency}, medians of {a.repeat} rounds")
    print(f"{'endpoint':<22}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'vs bare':>10}")
    for name, (rps, p50, p99) in res.items():
        print(f"{name:<22}{rps:>10.0f}{p50:>10.2f}{p99:>10.2f}{rps / base:>10.0%}")
    ratio = res["scores (node, year)"][0] / base
    print(f"\nscores at {ratio:.0%} of the bare route's throughput (goal >= 50%): {'met' if ratio >= 0.5 else 'NOT met'}")


if __name__ == "__main__":
    main()

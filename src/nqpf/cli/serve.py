"""``nqpf serve``: the REST API and the bilingual dashboard (FastAPI under uvicorn)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from nqpf.cli.common import console, fail


def serve(
    run_dir: Annotated[Path, typer.Option("--run-dir", help="Folder written by `nqpf run` / 运行结果目录")] = Path("nqpf-output"),
    store: Annotated[Path | None, typer.Option("--store", help="Store to read variables and provenance from (read-only) / 数据库")] = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on / 监听地址")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port / 端口")] = 8000,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="Worker processes / 工作进程数")] = 1,
    allow_writes: Annotated[bool, typer.Option("--allow-writes", help="Enable endpoints that save (needs --token) / 允许写入")] = False,
    token: Annotated[str | None, typer.Option("--token", envvar="NQPF_SERVE_TOKEN", help="Bearer token for writes / 写入令牌")] = None,
    cors: Annotated[list[str] | None, typer.Option("--cors-origin", help="Allow this origin (CORS is closed by default) / 允许跨域来源")] = None,
) -> None:
    """Serve the dashboard and the API on http://HOST:PORT (docs at /api/docs)."""
    from nqpf.api.app import ENV_CORS, ENV_RUN_DIR, ENV_STORE, ENV_TOKEN, ENV_WRITES

    if not run_dir.is_dir() or not any(run_dir.glob("*/run.json")):
        fail(f"--run-dir {run_dir} holds no run (no */run.json); run `nqpf run --out {run_dir}` first")
    if store is not None and not store.is_file():
        fail(f"--store {store} is not a file; give the store written by `nqpf data import`")
    if allow_writes and not token:
        fail("--allow-writes needs --token TOKEN (or NQPF_SERVE_TOKEN); writes are never open without one")
    import uvicorn

    os.environ[ENV_RUN_DIR] = str(run_dir.resolve())
    os.environ[ENV_STORE] = str(store.resolve()) if store else ""
    os.environ[ENV_WRITES] = "1" if allow_writes else "0"
    os.environ[ENV_TOKEN] = token or ""
    os.environ[ENV_CORS] = ",".join(cors or [])
    shown = f"[{host}]" if ":" in host else host
    console.print(f"serving {run_dir} on http://{shown}:{port}/ (API docs /api/docs, {workers} worker(s)) / 服务已启动")
    uvicorn.run("nqpf.api.app:app_from_env", factory=True, host=host, port=port, workers=workers,
                log_level="warning", server_header=False, limit_concurrency=256, timeout_keep_alive=5)

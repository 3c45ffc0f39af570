"""``nqpf serve``: the REST API and the bilingual dashboard (FastAPI under uvicorn).

On a fresh clone there is no run yet: ``nqpf serve`` then runs the main job first (the same
as ``nqpf run --out RUN_DIR``: imports the real data into an empty store and builds the shipped
indices), with progress, and says so; ``--no-build`` serves an empty dashboard instead, whose
pages say how to build.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Annotated

import typer

from nqpf.cli.common import console, escape, fail, safe


def has_run(run_dir: Path) -> bool:
    """Whether ``run_dir`` holds at least one run folder (``*/run.json``)."""
    return run_dir.is_dir() and any(run_dir.glob("*/run.json"))


def first_build(run_dir: Path, store: Path | None, data: Path | None, frameworks: list[str] | None = None) -> Path:
    """Run the main job into ``run_dir`` (import into an empty store first; ``frameworks``:
    default all shipped); returns the store used."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from nqpf import services
    from nqpf.data.store import Store
    from nqpf.report.pages import RUN_PAGES

    console.print(f"[bold]No run in {escape(str(run_dir))}: running the main job first (nqpf run --out "
                  f"{escape(str(run_dir))}) / 尚无运行结果，先运行主任务[/]", soft_wrap=True)
    t0 = time.perf_counter()
    with Store(store) as st, Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                                      console=console, transient=False) as bar:
        task = bar.add_task("importing and building / 导入并构建", total=None)

        def log(text: str) -> None:
            bar.update(task, description=f"importing / 导入 {escape(text)[:120]}")

        def done(result: object, paths: dict[str, Path]) -> None:
            fid = getattr(getattr(result, "framework", None), "id", "?")
            bar.console.print(f"  built / 已构建 {escape(str(fid))} -> {escape(str(paths['scores_csv'].parent))}")
            bar.update(task, description="building / 构建")

        services.run_job(st, frameworks=frameworks or None, out=run_dir, data=data, log=log, on_result=done,
                         pages=RUN_PAGES)
        path = st.path
    console.print(f"[green]built in {time.perf_counter() - t0:.1f}s / 构建完成[/]")
    return Path(path)


def serve(
    run_dir: Annotated[Path, typer.Option("--run-dir", help="Folder written by `nqpf run` / 运行结果目录")] = Path("nqpf-output"),
    store: Annotated[Path | None, typer.Option("--store", help="Store to read variables and provenance from (read-only) / 数据库")] = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on / 监听地址")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port / 端口")] = 8000,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="Worker processes / 工作进程数")] = 1,
    allow_writes: Annotated[bool, typer.Option("--allow-writes", help="Enable endpoints that save (needs --token) / 允许写入")] = False,
    token: Annotated[str | None, typer.Option("--token", envvar="NQPF_SERVE_TOKEN", help="Bearer token for writes / 写入令牌")] = None,
    cors: Annotated[list[str] | None, typer.Option("--cors-origin", help="Allow this origin (CORS is closed by default) / 允许跨域来源")] = None,
    build: Annotated[bool, typer.Option("--build/--no-build", help="With no run in --run-dir, run the main job first (default) or serve an empty dashboard / 无结果时先构建")] = True,
    data: Annotated[Path | None, typer.Option("--data", help="Data folder for the first build (default ../shared/data) / 数据目录")] = None,
    framework: Annotated[list[str] | None, typer.Option("--framework", "-f", help="Frameworks of the first build (repeatable; default all shipped) / 首次构建的指标体系")] = None,
) -> None:
    """Serve the dashboard and the API on http://HOST:PORT (docs at /api/docs)."""
    from nqpf.api.app import ENV_CORS, ENV_RUN_DIR, ENV_STORE, ENV_TOKEN, ENV_WRITES

    if run_dir.exists() and not run_dir.is_dir():
        fail(f"--run-dir {run_dir} is a file; give the folder written by `nqpf run`")
    if allow_writes and not token:
        fail("--allow-writes needs --token TOKEN (or NQPF_SERVE_TOKEN); writes are never open without one")
    if store is not None and not store.is_file() and (has_run(run_dir) or not build):
        fail(f"--store {store} is not a file; give the store written by `nqpf data import`")
    if not has_run(run_dir):
        if build:
            with safe():
                store = first_build(run_dir, store, data, framework)
        else:
            console.print(f"[yellow]no run in {escape(str(run_dir))}: serving an empty dashboard; build with "
                          f"`nqpf run --out {escape(str(run_dir))}` and restart / 尚无运行结果[/]", soft_wrap=True)
    import uvicorn

    os.environ[ENV_RUN_DIR] = str(run_dir.resolve())
    os.environ[ENV_STORE] = str(store.resolve()) if store else ""
    os.environ[ENV_WRITES] = "1" if allow_writes else "0"
    os.environ[ENV_TOKEN] = token or ""
    os.environ[ENV_CORS] = ",".join(cors or [])
    shown = f"[{host}]" if ":" in host else host
    console.print(f"serving {escape(str(run_dir))} on http://{shown}:{port}/ (API docs /api/docs, {workers} worker(s)) / 服务已启动", soft_wrap=True)
    uvicorn.run("nqpf.api.app:app_from_env", factory=True, host=host, port=port, workers=workers,
                log_level="warning", server_header=False, limit_concurrency=256, timeout_keep_alive=5)

"""The served runs against the store: ``GET /api/v1/state`` (public: is the data newer than the
run, is a rebuild running) and the token-guarded rebuild (``POST /api/v1/admin/rebuild``,
``GET /api/v1/admin/rebuild/{job}``). The machinery is :mod:`nqpf.api.rebuild`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from nqpf.api.rebuild import FIX, STALE_EN, STALE_ZH, RebuildBusy, Served, start_rebuild
from nqpf.api.routes_admin import require_write
from nqpf.api.tables import json_bytes

public = APIRouter(prefix="/api/v1", tags=["index"])
admin = APIRouter(prefix="/api/v1/admin", tags=["admin"])

JobId = Annotated[str, Path(pattern=r"^[0-9]{8}T[0-9]{6}-[0-9a-f]{6}$", description="the job id from POST /admin/rebuild")]


def served(request: Request) -> Served:
    s: Served = request.app.state.served
    return s


def _public_job(job: dict[str, Any] | None) -> dict[str, Any] | None:
    if job is None:
        return None
    return {k: job.get(k) for k in ("job", "status", "step", "started_at", "finished_at", "generation", "error")}


def stale_rows(stale: dict[str, dict[str, int]], only: set[str] | None = None) -> list[dict[str, Any]]:
    """``[{framework, variables, cells}]`` of the stale runs (``only``: these variables)."""
    rows = []
    for fw, cells in stale.items():
        keep = {v: n for v, n in cells.items() if only is None or v in only}
        if keep:
            rows.append({"framework": fw, "variables": sorted(keep), "cells": sum(keep.values())})
    return rows


async def state_body(s: Served) -> dict[str, Any]:
    """The state document (also used by the import's answer)."""
    from nqpf.errors import NqpfError

    cat = s.current()
    try:
        stale = await run_in_threadpool(s.staleness)
        error = None
    except NqpfError as e:  # e.g. the store busy past the reader's wait: say so, do not guess
        stale, error = {}, str(e).splitlines()[0]
    rows = stale_rows(stale)
    runs = [{"framework": f, "created_at": cat.run(f).meta.get("created_at"), "data_hash": cat.run(f).meta.get("data_hash")}
            for f in cat.ids]
    return {"runs": runs, "generation": cat.generation or "home", "store": cat.store_path is not None,
            "stale": bool(rows), "stale_frameworks": rows, "stale_check_error": error,
            "message_en": STALE_EN if rows else "", "message_zh": STALE_ZH if rows else "",
            "fix": FIX if rows else "", "rebuild": _public_job(s.latest_job())}


@public.get("/state", summary="Are the served runs up to date with the store? Is a rebuild running? / 服务状态")
async def state(request: Request) -> Response:
    """``stale`` is true when a variable a served run reads has other values in the store now
    (``stale_frameworks``: which runs, which variables, how many cells); ``rebuild`` is the
    latest rebuild job (``running``, ``done`` or ``failed`` with its error)."""
    return Response(json_bytes(await state_body(served(request))), media_type="application/json",
                    headers={"Cache-Control": "no-cache"})


@admin.post("/rebuild", dependencies=[Depends(require_write)], status_code=202,
            summary="Rebuild the served runs on the store's data, in the background (writes; token needed) / 重算",
            responses={409: {"description": "a rebuild is running already, or no store/run to rebuild"}})
async def rebuild(request: Request) -> Response:
    """Runs the main job (what ``nqpf run`` runs) with the served runs' recorded options; the
    new runs replace the served ones atomically when all are written. Poll the job URL."""
    from nqpf.rerun import RerunError

    s = served(request)
    try:
        job = await run_in_threadpool(start_rebuild, s)
    except RebuildBusy as e:
        return JSONResponse({"detail": str(e)}, status_code=409)
    except RerunError as e:
        return JSONResponse({"detail": str(e)}, status_code=409)
    body = {**(_public_job(job) or {}), "frameworks": job["frameworks"], "url": f"/api/v1/admin/rebuild/{job['job']}"}
    return Response(json_bytes(body), media_type="application/json", status_code=202,
                    headers={"Location": body["url"]})


@admin.get("/rebuild/{job}", dependencies=[Depends(require_write)],
           summary="Status and progress of a rebuild (token needed) / 重算进度")
def rebuild_job(job: JobId, request: Request) -> Response:
    doc = served(request).job(job)
    if doc is None:
        return JSONResponse({"detail": f"no rebuild job {job!r}; POST /api/v1/admin/rebuild starts one"}, status_code=404)
    return Response(json_bytes(doc), media_type="application/json", headers={"Cache-Control": "no-cache"})

"""The FastAPI application: ``create_app(run_dir, store_path)`` serves the API and the dashboard.

It reads run folders written by ``nqpf run`` and, optionally, a store (read-only); it starts
nothing else. Worker processes build their own app from the environment
(:func:`app_from_env`), so several workers can serve one read-only store.
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from nqpf.api.security import MAX_BODY, MAX_SECONDS, Guard
from nqpf.api.state import BadRequest, Catalog, NotFound
from nqpf.errors import NqpfError

ENV_RUN_DIR, ENV_STORE, ENV_WRITES, ENV_TOKEN, ENV_CORS = (
    "NQPF_SERVE_RUN_DIR", "NQPF_SERVE_STORE", "NQPF_SERVE_WRITES", "NQPF_SERVE_TOKEN", "NQPF_SERVE_CORS")


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for e in exc.errors()[:5]:
        loc = ".".join(str(x) for x in e.get("loc", ()) if x != "body")
        parts.append(f"{loc}: {e.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def create_app(run_dir: str | Path, store_path: str | Path | None = None, *, allow_writes: bool = False,
               token: str | None = None, cors_origins: list[str] | None = None,
               max_body: int = MAX_BODY, max_seconds: float = MAX_SECONDS,
               max_upload: int | None = None, frameworks_dir: str | Path | None = None) -> FastAPI:
    """The application serving ``run_dir``'s runs (and ``store_path`` for data routes).

    ``allow_writes`` needs a ``token`` (clients send ``Authorization: Bearer <token>``);
    ``cors_origins`` is empty by default (CORS closed). ``max_upload`` (bytes, default
    :data:`nqpf.api.routes_uploads.MAX_UPLOAD`) limits an imported file; ``frameworks_dir``
    is where saved frameworks go (default :func:`nqpf.settings.default_frameworks_dir`).
    """
    from nqpf import __version__
    from nqpf.api import (
        pages,
        routes_admin,
        routes_data,
        routes_index,
        routes_innovation,
        routes_rebuild,
        routes_scenario,
        routes_uploads,
    )
    from nqpf.api.rebuild import Served
    from nqpf.api.whatif import ScenarioRequestError
    from nqpf.settings import default_frameworks_dir

    if allow_writes and not token:
        raise BadRequest("writes need a token: pass token= (or --token) when allow_writes is on")
    served = Served(run_dir, store_path)
    cat = served.current()
    app = FastAPI(
        title="nqpf: New Quality Productive Forces API / 新质生产力数据接口",
        version=__version__,
        description="Provincial indices of new quality productive forces and high-quality development: "
                    "scores, ranks, profiles, analyses, scenarios and the innovation qualifier. "
                    "Lists take `limit`/`offset` and `format=json|csv|xlsx`.",
        docs_url="/api/docs", redoc_url=None, openapi_url="/api/openapi.json",
    )
    app.state.served = served  # the generation served now: served.current(), swapped by a rebuild
    app.state.catalog = cat  # the generation at start (the OpenAPI choices)
    app.state.allow_writes = allow_writes
    app.state.token = token
    app.state.frameworks_dir = Path(frameworks_dir).expanduser() if frameworks_dir else default_frameworks_dir()

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=404)

    @app.exception_handler(ScenarioRequestError)
    async def _bad_field(request: Request, exc: ScenarioRequestError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.exception_handler(NqpfError)
    async def _bad(request: Request, exc: NqpfError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=400)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": _validation_message(exc)}, status_code=422)

    app.include_router(routes_index.router)
    app.include_router(routes_data.router)
    app.include_router(routes_innovation.router)
    app.include_router(routes_scenario.router)
    app.include_router(routes_rebuild.public)
    if allow_writes:
        app.include_router(routes_admin.router)
        app.include_router(routes_uploads.router)
        app.include_router(routes_rebuild.admin)
    app.include_router(pages.router)
    if cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=list(cors_origins), allow_methods=["GET", "POST"],
                           allow_headers=["Content-Type"])
    app.add_middleware(Guard, max_body=max_body, max_seconds=max_seconds,
                       max_upload=routes_uploads.MAX_UPLOAD if max_upload is None else max_upload,
                       upload_paths=routes_uploads.UPLOAD_PATHS if allow_writes else frozenset())
    _document_choices(app, cat)
    return app


def _document_choices(app: FastAPI, cat: Catalog) -> None:
    """The OpenAPI schema names the frameworks this server holds (an enum) and the years they
    cover, so clients and schema-driven testers see the valid values."""
    from fastapi.openapi.utils import get_openapi

    years = sorted({y for f in cat.ids for y in cat.run(f).years})

    def openapi() -> dict[str, object]:
        if app.openapi_schema is None:
            doc = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            for item in doc.get("paths", {}).values():
                for op in item.values():
                    for par in op.get("parameters", []) if isinstance(op, dict) else []:
                        sch = par.get("schema", {})
                        if par.get("name") == "framework" and par.get("in") == "path" and cat.ids:
                            sch["enum"] = list(cat.ids)
                        elif par.get("name") == "year" and years:
                            for alt in sch.get("anyOf", [sch]):
                                if alt.get("type") == "integer":
                                    alt["minimum"], alt["maximum"] = years[0], years[-1]
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def app_from_env() -> FastAPI:
    """The app of one uvicorn worker, configured by ``NQPF_SERVE_*`` (set by ``nqpf serve``)."""
    run_dir = os.environ.get(ENV_RUN_DIR, "nqpf-output")
    cors = [o for o in os.environ.get(ENV_CORS, "").split(",") if o]
    return create_app(run_dir, os.environ.get(ENV_STORE) or None,
                      allow_writes=os.environ.get(ENV_WRITES) == "1", token=os.environ.get(ENV_TOKEN) or None,
                      cors_origins=cors)

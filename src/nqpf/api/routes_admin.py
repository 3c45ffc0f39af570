"""Endpoints that change state: off unless the server starts with writes allowed and a token.

Saved scenarios go to ``<run_dir>/_saved/<framework>/<name>.json``; the name is checked against
a strict pattern, so no client text becomes an arbitrary path.
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Request
from fastapi.responses import Response

from nqpf.api.routes_index import Cat, FrameworkId, Scenario
from nqpf.api.security import token_ok
from nqpf.api.tables import json_bytes

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])


def require_write(request: Request, authorization: Annotated[str | None, Header(max_length=512)] = None) -> None:
    """Writes must be switched on (``--allow-writes``) and carry ``Authorization: Bearer <token>``."""
    if not request.app.state.allow_writes:
        raise HTTPException(403, "writes are off on this server (start with --allow-writes and a token) / 写入未开启")
    given = authorization[7:] if authorization and authorization.lower().startswith("bearer ") else None
    if not token_ok(given, request.app.state.token):
        raise HTTPException(401, "a valid bearer token is required / 需要有效令牌", headers={"WWW-Authenticate": "Bearer"})


@router.put("/frameworks/{framework}/scenarios/{name}", dependencies=[Depends(require_write)],
            summary="Save a scenario (writes; token needed) / 保存情景")
def save_scenario(framework: FrameworkId, body: Scenario, cat: Cat,
                  name: Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]) -> Response:
    cat.run(framework)
    folder = cat.home / "_saved" / framework
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps(body.model_dump(), ensure_ascii=False, indent=1), encoding="utf-8")
    return Response(json_bytes({"saved": name, "framework": framework, "changes": len(body.changes)}),
                    media_type="application/json", status_code=201)

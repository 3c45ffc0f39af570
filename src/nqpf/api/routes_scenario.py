"""The scenario endpoint of the dashboard's scenario page: indicator changes scored on the
frozen scale by the profiles' scenario engine (see :mod:`nqpf.api.whatif`)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from nqpf.api.routes_index import Cat, FrameworkId
from nqpf.api.tables import json_bytes
from nqpf.api.whatif import WhatIf, run_whatif

router = APIRouter(prefix="/api/v1", tags=["scenario"])


@router.post("/frameworks/{framework}/whatif",
             summary="What-if on indicators: new scores and ranks, who moved, implied HQD change / 情景模拟",
             responses={422: {"description": "a field that cannot be used, named in `detail`"}})
def whatif(framework: FrameworkId, body: WhatIf, cat: Cat) -> Response:
    """Change indicators of provinces and years (``set``, ``relative`` or ``peer_leader``) and
    score them on the run's frozen scale."""
    cat.run(framework)
    return Response(json_bytes(run_whatif(cat, framework, body)), media_type="application/json")

"""The scenario endpoints of the dashboard's scenario page: indicator changes scored on the
frozen scale by the profiles' scenario engine (see :mod:`nqpf.api.whatif`), as one JSON answer
or one of its tables for download (CSV with a BOM, or XLSX: the profile tables' writers)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path
from fastapi.responses import Response

from nqpf.api.routes_index import Cat, FrameworkId
from nqpf.api.tables import Page, json_bytes, table_response
from nqpf.api.whatif import WhatIf, run_whatif, whatif_frames

router = APIRouter(prefix="/api/v1", tags=["scenario"])

WhatIfTable = Literal["index", "moved", "changes", "effects", "implied", "out_of_range"]


@router.post("/frameworks/{framework}/whatif",
             summary="What-if on indicators: new scores and ranks, who moved, implied HQD change / 情景模拟",
             responses={422: {"description": "a field that cannot be used, named in `detail`"}})
def whatif(framework: FrameworkId, body: WhatIf, cat: Cat) -> Response:
    """Change indicators of provinces and years (``set``, ``relative`` or ``peer_leader``) and
    score them on the run's frozen scale."""
    cat.run(framework)
    return Response(json_bytes(run_whatif(cat, framework, body)), media_type="application/json")


@router.post("/frameworks/{framework}/whatif/tables/{table}",
             summary="One table of a what-if answer, for download (CSV or XLSX) / 情景模拟结果表格下载",
             responses={422: {"description": "a field that cannot be used, named in `detail`"}})
def whatif_table(framework: FrameworkId, body: WhatIf, cat: Cat, page: Annotated[Page, Depends()],
                 table: Annotated[WhatIfTable, Path(
                     description="index, moved, changes, effects, implied or out_of_range")]) -> Response:
    """The same request as ``/whatif``; the answer is the named table as a JSON page, CSV (UTF-8
    with BOM) or XLSX (``format=``), with the same columns as in the JSON answer."""
    cat.run(framework)
    frames, other = whatif_frames(cat, framework, body)
    meta = {"framework": framework, "node": other["node"], "table": table, "cells_changed": other["cells_changed"],
            "implied_note": other["implied"]["note"] if table == "implied" else None}
    return table_response(frames[table], page, f"scenario_{framework}_{table}", meta)

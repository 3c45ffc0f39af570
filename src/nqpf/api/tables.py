"""Tables out: JSON pages by default, CSV (UTF-8 with BOM, so Excel reads Chinese) or XLSX on request."""

from __future__ import annotations

import io
import json
import math
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from fastapi import Query
from fastapi.responses import Response

Format = Literal["json", "csv", "xlsx"]

#: the largest page a client may ask for (rows)
MAX_LIMIT = 20000
DEFAULT_LIMIT = 1000
BOM = "\ufeff"


class Page:
    """Pagination and format of a list request (a FastAPI dependency)."""

    def __init__(
        self,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="rows per page / 每页行数")] = DEFAULT_LIMIT,
        offset: Annotated[int, Query(ge=0, le=10_000_000, description="rows to skip / 跳过行数")] = 0,
        format: Annotated[Format, Query(description="json, csv (UTF-8 with BOM) or xlsx")] = "json",
    ) -> None:
        self.limit = limit
        self.offset = offset
        self.format = format


def _clean(v: Any) -> Any:
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float | np.floating):
        f = float(v)
        return None if math.isnan(f) or math.isinf(f) else f
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    return v


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-safe dicts (NaN -> null, numpy scalars -> Python)."""
    cols = [str(c) for c in df.columns]
    return [{c: _clean(v) for c, v in zip(cols, row, strict=True)} for row in df.itertuples(index=False, name=None)]


def json_bytes(obj: Any) -> bytes:
    """Compact UTF-8 JSON (Chinese kept as characters)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


def csv_bytes(df: pd.DataFrame) -> bytes:
    """CSV in UTF-8 with a byte-order mark (Excel then opens Chinese text correctly)."""
    return (BOM + df.to_csv(index=False)).encode("utf-8")


def xlsx_bytes(df: pd.DataFrame, sheet: str = "data") -> bytes:
    """One sheet of an XLSX workbook (openpyxl)."""
    buf = io.BytesIO()
    out = df.copy()
    for c in out.columns:  # Excel has no NA of nullable dtypes
        if str(out[c].dtype) in {"Int64", "Float64", "boolean", "string", "str"}:
            out[c] = out[c].astype(object).where(out[c].notna(), None)
    with pd.ExcelWriter(buf, engine="openpyxl") as xw:
        out.to_excel(xw, sheet_name=sheet[:31] or "data", index=False)
    return buf.getvalue()


def table_response(df: pd.DataFrame, page: Page, name: str, meta: dict[str, Any] | None = None) -> Response:
    """One page of ``df`` as JSON ``{total, limit, offset, next_offset, meta, items}``, or the
    page as CSV/XLSX (a download named ``name``)."""
    total = len(df)
    part = df.iloc[page.offset:page.offset + page.limit]
    nxt = page.offset + page.limit if page.offset + page.limit < total else None
    if page.format == "csv":
        return Response(csv_bytes(part), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"',
                                 "X-Total-Count": str(total)})
    if page.format == "xlsx":
        return Response(xlsx_bytes(part, name),
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"',
                                 "X-Total-Count": str(total)})
    body = {"total": total, "limit": page.limit, "offset": page.offset, "next_offset": nxt,
            "meta": meta or {}, "items": records(part)}
    return Response(json_bytes(body), media_type="application/json")

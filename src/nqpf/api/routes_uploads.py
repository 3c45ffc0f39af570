"""Write endpoints that take a file: import data into the served store, save a framework.

Both are off unless the server starts with writes allowed and a token (``require_write``).
The body is the file itself (``curl --data-binary @data.csv``); the client's file name is
used only for its extension and in messages, never as a path: the upload is written to a
private temporary folder and read from there.

* ``POST /api/v1/admin/import?filename=x.csv`` runs the store's import (same importers and
  validation as ``nqpf data import``; one transaction; the store's writer lock, not waited
  for: a busy store answers 423 with the holder). Validation errors answer 422 with
  ``file, line, cell, region, variable, problems``.
* ``POST /api/v1/admin/frameworks`` takes a framework YAML, reads it with
  :func:`nqpf.safeyaml.load_yaml`, checks it with the framework validator (and against the
  store's variables when a store is served), and saves it as ``<id>.yaml`` in the user's
  frameworks folder, from where ``nqpf run -f <id>`` builds it.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from nqpf.api.routes_admin import require_write
from nqpf.api.routes_index import Cat
from nqpf.api.tables import json_bytes

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])

#: the largest data file accepted by the import endpoint (bytes)
MAX_UPLOAD = 20_000_000
#: the largest framework YAML accepted (bytes)
MAX_FRAMEWORK = 200_000
#: routes whose body may be as large as :data:`MAX_UPLOAD` (the security guard reads this)
UPLOAD_PATHS = frozenset({"/api/v1/admin/import"})

FileName = Annotated[str, Query(min_length=5, max_length=120, pattern=r"^[^/\\:\x00]*\.(csv|CSV|xlsx|XLSX)$",
                                description="the file's name (only its extension is used): data.csv or data.xlsx")]


def _error(status: int, detail: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"detail": detail, **extra}, status_code=status)


def _scrub(text: str, tmp: Path, name: str) -> str:
    """A message with the private temporary path replaced by the client's file name."""
    return text.replace(str(tmp.resolve()), name).replace(str(tmp), name)


_WHERE = {"line": re.compile(r"\bline (\d+)"), "cell": re.compile(r"\bcell ([A-Z]{1,3}\d+)"),
          "region": re.compile(r"\bregion '?([^,':]+?)'?[,:]"), "variable": re.compile(r"\bvariable ([A-Za-z0-9_]+)")}


def _located(problem: str) -> dict[str, Any]:
    """One validation problem as ``{message, line, cell, region, variable}`` (the first place named)."""
    out: dict[str, Any] = {"message": problem}
    for key, rx in _WHERE.items():
        m = rx.search(problem)
        out[key] = (int(m.group(1)) if key == "line" else m.group(1)) if m else None
    return out


def _import(store_path: Path, path: Path, on_conflict: str) -> Any:
    import pandas as pd

    from nqpf.data.store import Store

    head = (pd.read_csv(path, nrows=0, encoding="utf-8-sig") if path.suffix == ".csv"
            else pd.read_excel(path, nrows=0, engine="openpyxl"))
    mapping = {"unit": "unit"} if "unit" in [str(c) for c in head.columns] else None
    store = Store(store_path, wait=0)
    return store.import_files([path], progress=False, on_conflict=on_conflict, importer="tidy", mapping=mapping)


async def _served_runs(request: Request, variables: set[str]) -> dict[str, Any]:
    """Which served runs read variables this import changed (their values differ from the run's
    now), and how to rebuild them."""
    from fastapi.concurrency import run_in_threadpool

    from nqpf.api.rebuild import FIX, STALE_EN, STALE_ZH
    from nqpf.api.routes_rebuild import stale_rows
    from nqpf.errors import NqpfError

    try:
        stale = await run_in_threadpool(request.app.state.served.staleness)
    except NqpfError as e:
        return {"changed_runs": None, "note": f"could not compare the served runs with the store: {str(e).splitlines()[0]}"}
    changed = stale_rows(stale, variables)
    if not changed:
        return {"changed_runs": [], "note": "no served run reads a value this import changed / 所服务的结果不受影响"}
    names = ", ".join(r["framework"] for r in changed)
    return {"changed_runs": changed, "rebuild": "POST /api/v1/admin/rebuild",
            "note": f"{STALE_EN} ({names}) / {STALE_ZH}. {FIX}"}


_CSV_XLSX = {"requestBody": {"required": True, "content": {
    "text/csv": {"schema": {"type": "string", "format": "binary"}},
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"schema": {"type": "string", "format": "binary"}}}}}
_YAML = {"requestBody": {"required": True, "content": {"application/yaml": {"schema": {"type": "string"}}}}}


@router.post("/import", dependencies=[Depends(require_write)], openapi_extra=_CSV_XLSX,
             summary="Import a tidy CSV/XLSX into the store (writes; token needed) / 导入数据",
             responses={413: {"description": "file over the size limit"}, 422: {"description": "invalid data: file, line, cell"},
                        423: {"description": "the store is busy with another import"}})
async def import_data(request: Request, cat: Cat, filename: FileName,
                      on_conflict: Annotated[Literal["error", "newer", "older"], Query(
                          description="a value that differs from the same upload's other value: refuse, take the later, keep the earlier")] = "error",
                      ) -> Response:
    """The body is the file. Long tables need columns ``region, year, variable, value`` (and
    optionally ``unit``); wide tables ``region, year`` and one column per variable."""
    from nqpf.data.lock import StoreBusyError
    from nqpf.errors import NqpfError, StoreError, ValidationError

    if cat.store_path is None:
        return _error(409, "no store is served: start `nqpf serve --store FILE --allow-writes` to import / 未指定数据库")
    body = await request.body()
    if not body:
        return _error(422, "filename: the request body is empty; send the file's bytes (curl --data-binary @data.csv)")
    suffix = Path(filename).suffix.lower()
    with tempfile.TemporaryDirectory(prefix="nqpf-upload-") as d:
        tmp = Path(d) / f"upload{suffix}"
        tmp.write_bytes(body)
        try:
            report = await run_in_threadpool(_import, cat.store_path, tmp, on_conflict)
        except StoreBusyError as e:
            return _error(423, f"{e} ; try again when it has finished / 数据库正忙")
        except ValidationError as e:
            problems = [_scrub(p, tmp, filename) for p in e.problems][:50]
            errors = [_located(p) for p in problems]
            first = errors[0] if errors else {}
            head = _scrub(str(e), tmp, filename)
            detail = head if len(problems) == 1 and problems[0] in head else f"{head}: {problems[0]}" if problems else head
            return _error(422, detail, file=filename, line=e.line or first.get("line"), cell=e.cell or first.get("cell"),
                          region=e.region or first.get("region"), variable=e.variable or first.get("variable"),
                          problems=problems, errors=errors)
        except StoreError as e:
            return _error(409, _scrub(str(e), tmp, filename))
        except (NqpfError, ValueError, UnicodeDecodeError, OSError) as e:
            msg = _scrub(str(e).splitlines()[0] if str(e) else type(e).__name__, tmp, filename)
            return _error(422, f"{filename}: not a readable tidy table ({msg[:300]})", file=filename)
    imported = report.imported
    out = {"file": filename, "status": "imported" if imported else ("already stored" if report.skipped else "empty"),
           "values": report.n_values, "revised": report.n_revised, "kept_older": report.n_kept_older,
           "variables": report.variables, "import_ids": [b.import_id for b in imported]}
    out.update(await _served_runs(request, set(report.variables)))
    return Response(json_bytes(out), media_type="application/json", status_code=201 if imported else 200)


@router.post("/frameworks", dependencies=[Depends(require_write)], openapi_extra=_YAML,
             summary="Save a framework YAML to the user's frameworks folder (writes; token needed) / 保存指标体系",
             responses={409: {"description": "the id is shipped, or saved already (replace=true)"},
                        422: {"description": "the YAML or the framework is invalid; every problem listed"}})
async def save_framework(request: Request, cat: Cat,
                         replace: Annotated[bool, Query(description="replace a saved framework of this id")] = False,
                         ) -> Response:
    """The body is the framework YAML (UTF-8), as the shipped ``frameworks/*.yaml``."""
    from nqpf.errors import FrameworkError
    from nqpf.frameworks.spec import FrameworkSpecError, framework_from_dict, list_frameworks
    from nqpf.safeyaml import YamlError, load_yaml

    body = await request.body()
    if len(body) > MAX_FRAMEWORK:
        return _error(413, f"a framework YAML over {MAX_FRAMEWORK} bytes / 文件过大")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        return _error(422, f"body: not UTF-8 text (byte {e.start}); send the YAML file in UTF-8")
    if not text.strip():
        return _error(422, "body: empty; send the framework YAML (id, name_en, name_zh, root)")
    try:
        doc = load_yaml(text, name="framework.yaml")
        fw = framework_from_dict(doc)
        store = cat.store()
        if store is not None:
            fw.validate(store.catalog()["variable"].astype(str).tolist())
    except FrameworkSpecError as e:
        return _error(422, str(e).replace("\n  - ", "; "), problems=e.problems[:50])
    except (YamlError, FrameworkError) as e:
        return _error(422, f"body: {e}")
    if fw.id in list_frameworks():
        return _error(409, f"id {fw.id!r} is a shipped framework; give your framework another id")
    folder: Path = request.app.state.frameworks_dir
    target = folder / f"{fw.id}.yaml"
    existed = target.exists()
    if existed and not replace:
        return _error(409, f"a framework {fw.id!r} is saved already; send replace=true to replace it")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        part = folder / f".{fw.id}.yaml.part"
        part.write_text(text, encoding="utf-8")
        part.replace(target)
    except OSError as e:
        return _error(409, f"cannot write the frameworks folder: {e.strerror or e}")
    out = {"saved": fw.id, "version": fw.version, "indicators": len(fw.indicators),
           "dimensions": len(fw.root.children), "checked_against_store": cat.store() is not None,
           "build": f"nqpf run -f {fw.id}", "replaced": existed}
    return Response(json_bytes(out), media_type="application/json", status_code=201)

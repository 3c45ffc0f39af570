"""Run folders: a finished index construction written out, and loaded back whole.

``write_run(result, out)`` writes ``out/<framework id>/``: the tidy tables people read (scores,
weights with effective weights, imputed and missing cells, treatment log, coherence, the share of
real cells per year), ``run.json`` (framework document embedded, spec, hashes, versions, notes),
``stages.npz`` (every step's arrays: raw, filled, treated, normalised values, scores, ranks and
the fitted parameters) and ``panel.parquet`` (the panel variables the framework reads).
``load_run(folder)`` gives back an :class:`~nqpf.index.result.IndexResult` equal to the one
written, in any process, so it can be regenerated, scored on its frozen scale or analysed;
``rebuild_run(folder, panel)`` builds it again from its recorded spec (same store, same numbers).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from nqpf.errors import NqpfError
from nqpf.frameworks.spec import framework_from_dict
from nqpf.index.plan import STEP_NAMES
from nqpf.index.result import IndexResult
from nqpf.index.spec import spec_hash
from nqpf.index.steps import Stage
from nqpf.panel import Panel
from nqpf.regions import REGISTRY, Region, RegionRegistry

RUN_FORMAT = 1


class RunError(NqpfError):
    """A run folder that cannot be read."""


# -- encoding of stage parameters and data ------------------------------------------------
def _encode(obj: Any, arrays: dict[str, np.ndarray], prefix: str) -> Any:
    if isinstance(obj, np.ndarray):
        arrays[prefix] = obj
        return {"__nd__": prefix}
    if isinstance(obj, pd.DataFrame):
        return {"__df__": json.loads(obj.to_json(orient="split", index=False, date_format="iso"))}
    if isinstance(obj, Mapping):
        return {str(k): _encode(v, arrays, f"{prefix}/{k}") for k, v in obj.items()}
    if isinstance(obj, tuple):
        return {"__tuple__": [_encode(v, arrays, f"{prefix}/{i}") for i, v in enumerate(obj)]}
    if isinstance(obj, list):
        return [_encode(v, arrays, f"{prefix}/{i}") for i, v in enumerate(obj)]
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def _decode(obj: Any, arrays: Mapping[str, np.ndarray]) -> Any:
    if isinstance(obj, dict):
        if "__nd__" in obj:
            return np.asarray(arrays[obj["__nd__"]])
        if "__df__" in obj:
            d = obj["__df__"]
            return pd.DataFrame(d["data"], columns=d["columns"])
        if "__tuple__" in obj:
            return tuple(_decode(v, arrays) for v in obj["__tuple__"])
        return {k: _decode(v, arrays) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_decode(v, arrays) for v in obj]
    return obj


def run_meta(result: IndexResult) -> dict[str, Any]:
    """What a reader needs to reproduce a result: framework, spec, hashes, versions, notes."""
    import nqpf

    return {
        "framework": result.framework.id,
        "framework_version": result.framework.version,
        "name_en": result.name_en,
        "name_zh": result.name_zh,
        "years": [result.years[0], result.years[-1]],
        "regions": len(result.regions),
        "indicators": result.indicators,
        "screened_out": result.screened_out["indicator"].tolist(),
        "imputed_cells": int(result.imputed.sum()),
        "missing_cells": int(np.isnan(result.filled).sum()),
        "notes": list(result.notes),
        "spec": result.spec,
        "spec_hash": spec_hash(result.spec),
        "data_hash": result.data_hash,
        "nqpf_version": nqpf.__version__,
        "pandas_version": pd.__version__,
        "created_at": result.created_at.isoformat(timespec="seconds"),
    }


class SummaryPage(Protocol):
    """Writes a result's summary page at ``path`` and returns it: the front end's part
    (:func:`nqpf.report.pages.summary_page`)."""

    def __call__(self, path: Path, result: IndexResult, meta: dict[str, Any],
                 extra_sections: list[tuple[str, str, str, str]] | None) -> Path: ...


def write_run(result: IndexResult, outdir: str | Path, *, html: bool | None = None,
              extra_sections: list[tuple[str, str, str, str]] | None = None,
              summary_page: SummaryPage | None = None) -> dict[str, Path]:
    """Write one result into ``outdir/<framework id>/`` and return the paths written.

    Tables: ``scores.csv``/``scores.parquet`` (tidy), ``weights.csv`` (with effective weights),
    ``imputed.csv`` (value in the indicator's unit, method, years filled from), ``missing.csv``,
    ``real_share.csv``, ``treatment.csv``, ``screened_out.csv``, ``ahp_consistency.csv``,
    ``coherence_*.csv``; ``spec.json`` (spec and hashes, for people), ``run.json``,
    ``stages.npz`` and ``panel.parquet`` (for :func:`load_run`); ``summary.html`` by
    ``summary_page``, the front end's page writer (``nqpf.write_run`` and ``nqpf run`` pass
    :func:`nqpf.report.pages.summary_page`). ``html``: ``None`` writes the page when a writer is
    given, ``False`` never; ``True`` without a writer is an error.
    """
    if html and summary_page is None:
        raise RunError("html=True needs the page writer: pass summary_page=nqpf.report.pages.summary_page "
                       "(or call nqpf.write_run, which does), or html=False for the tables alone")
    folder = Path(outdir) / result.framework.id
    if folder.exists() and not folder.is_dir():
        raise RunError(f"{folder} exists and is not a folder; choose another --out")
    folder.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    tidy = result.to_tidy()
    paths["scores_csv"] = folder / "scores.csv"
    tidy.to_csv(paths["scores_csv"], index=False, float_format="%.6f")
    paths["scores_parquet"] = folder / "scores.parquet"
    tidy.to_parquet(paths["scores_parquet"], index=False)
    tables = {
        "weights": result.weights, "imputed": result.imputed_cells(), "missing": result.missing_cells(),
        "real_share": result.real_share_by_year(), "treatment": result.treatment_log,
        "screened_out": result.screened_out,
    }
    if len(result.ahp):
        tables["ahp_consistency"] = result.ahp
    for name, table in tables.items():
        paths[name] = folder / f"{name}.csv"
        table.to_csv(paths[name], index=False, float_format="%.6g" if name == "imputed" else "%.6f")
    coh = result.coherence()
    for name in ("correlations", "to_parent", "cronbach", "pca", "flags"):
        p = folder / f"coherence_{name}.csv"
        getattr(coh, name).to_csv(p, index=False, float_format="%.6f")
        paths[f"coherence_{name}"] = p
    meta = run_meta(result)
    paths["spec"] = folder / "spec.json"
    paths["spec"].write_text(json.dumps(meta, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    paths.update(_write_state(result, folder))
    if summary_page is not None and html is not False:
        paths["html"] = summary_page(folder / "summary.html", result, meta, extra_sections)
    return paths


def _write_state(result: IndexResult, folder: Path) -> dict[str, Path]:
    arrays: dict[str, np.ndarray] = {}
    stages = {name: {"params": _encode(st.params, arrays, f"{name}/params"),
                     "data": _encode(st.data, arrays, f"{name}/data"), "notes": st.notes}
              for name, st in result.stages.items()}
    regs = [{"code": c, **({"name_en": r.name_en, "name_zh": r.name_zh, "level": r.level, "parent": r.parent}
                           if (r := result.registry.lookup(c) if c in result.registry else None) is not None
                           else {"name_en": c, "name_zh": c, "level": "", "parent": None})}
            for c in result.regions]
    doc = {
        "format": RUN_FORMAT, "framework": result.framework.to_dict(), "spec": result.spec,
        "notes": result.notes, "created_at": result.created_at.isoformat(), "regions": regs,
        "stages": stages,
    }
    paths = {"run": folder / "run.json", "stages": folder / "stages.npz", "panel": folder / "panel.parquet"}
    paths["run"].write_text(json.dumps(doc, ensure_ascii=False, default=_json_default), encoding="utf-8")
    np.savez_compressed(paths["stages"], **arrays)  # type: ignore[arg-type]
    used = sorted(result.framework.variables())
    obs = result.panel.observations
    obs = obs[obs["variable"].isin(used)]
    obs.to_parquet(paths["panel"], index=False)
    cat = result.panel.catalog
    cat[cat["variable"].isin(used)].reset_index(drop=True).to_csv(folder / "panel_catalog.csv", index=False)
    paths["panel_catalog"] = folder / "panel_catalog.csv"
    return paths


def _json_default(o: Any) -> Any:
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)


def _registry_with(regions: list[dict[str, Any]]) -> RegionRegistry:
    reg = REGISTRY.copy()
    for r in regions:
        if r["code"] not in reg:
            reg.add(Region(r["code"], r.get("name_zh") or r["code"], r.get("name_en") or r["code"], "",
                           level=r.get("level") or "region", parent=r.get("parent")))
    return reg


def load_run(path: str | Path) -> IndexResult:
    """Load a result written by :func:`write_run` (the framework folder, or its ``run.json``)."""
    folder = Path(path)
    if folder.is_file():
        folder = folder.parent
    run_file = folder / "run.json"
    if not run_file.is_file():
        found = sorted(p.parent.name for p in folder.glob("*/run.json")) if folder.is_dir() else []
        hint = f"; this folder holds the runs {', '.join(found)}" if found else ""
        raise RunError(f"{folder} is not a run folder (no run.json){hint}")
    try:
        doc = json.loads(run_file.read_text(encoding="utf-8"))
        with np.load(folder / "stages.npz", allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        obs = pd.read_parquet(folder / "panel.parquet")
        catalog = pd.read_csv(folder / "panel_catalog.csv", dtype=str, keep_default_na=False)
    except (OSError, ValueError, KeyError) as e:
        raise RunError(f"cannot read the run in {folder}: {e}") from None
    if doc.get("format") != RUN_FORMAT:
        raise RunError(f"{run_file} has run format {doc.get('format')!r}; this nqpf reads format {RUN_FORMAT}")
    fw = framework_from_dict(doc["framework"])
    stages = {}
    for name in STEP_NAMES:
        st = doc["stages"][name]
        stages[name] = Stage(name, _decode(st["params"], arrays), _decode(st["data"], arrays), list(st["notes"]))
    return IndexResult(framework=fw, spec=doc["spec"], panel=Panel(obs, catalog),
                       registry=_registry_with(doc["regions"]), stages=stages, notes=list(doc["notes"]),
                       created_at=datetime.fromisoformat(doc["created_at"]))


def rebuild_run(path: str | Path, panel: Panel) -> IndexResult:
    """Build a run again from its recorded framework and spec on ``panel`` (e.g. the same store)."""
    from nqpf.index.build import build_index

    folder = Path(path)
    doc = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    return build_index(framework_from_dict(doc["framework"]), panel, doc["spec"],
                       registry=_registry_with(doc["regions"]))

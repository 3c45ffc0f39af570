"""Write an :class:`~nqpf.index.build.IndexResult` to a folder: tidy tables, spec, HTML summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

import nqpf
from nqpf.index.build import IndexResult
from nqpf.index.spec import spec_hash


def write_result(result: IndexResult, outdir: str | Path, *, html: bool = True) -> dict[str, Path]:
    """Write one result's outputs into ``outdir/<framework id>/`` and return the paths.

    Files: ``scores.csv`` and ``scores.parquet`` (tidy: region_code, region_en, region_zh, year,
    framework, node, score, rank), ``weights.csv``, ``imputed.csv`` (every imputed cell),
    ``treatment.csv`` (outlier log), ``screened_out.csv``, ``coherence_*.csv``, ``spec.json``
    (the full spec, data hash and versions: enough to regenerate) and ``summary.html``.
    """
    folder = Path(outdir) / result.framework.id
    folder.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    tidy = result.to_tidy()
    paths["scores_csv"] = folder / "scores.csv"
    tidy.to_csv(paths["scores_csv"], index=False, float_format="%.6f")
    paths["scores_parquet"] = folder / "scores.parquet"
    tidy.to_parquet(paths["scores_parquet"], index=False)
    paths["weights"] = folder / "weights.csv"
    result.weights.to_csv(paths["weights"], index=False, float_format="%.6f")
    paths["imputed"] = folder / "imputed.csv"
    result.imputed_cells().to_csv(paths["imputed"], index=False)
    paths["treatment"] = folder / "treatment.csv"
    result.treatment_log.to_csv(paths["treatment"], index=False)
    if len(result.ahp):
        paths["ahp"] = folder / "ahp_consistency.csv"
        result.ahp.to_csv(paths["ahp"], index=False, float_format="%.6f")
    paths["screened_out"] = folder / "screened_out.csv"
    result.screened_out.to_csv(paths["screened_out"], index=False)
    coh = result.coherence()
    for name in ("correlations", "to_parent", "cronbach", "pca", "flags"):
        table = getattr(coh, name)
        p = folder / f"coherence_{name}.csv"
        table.to_csv(p, index=False, float_format="%.6f")
        paths[f"coherence_{name}"] = p
    meta = run_meta(result)
    paths["spec"] = folder / "spec.json"
    paths["spec"].write_text(json.dumps(meta, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    if html:
        from nqpf.report.html import write_summary

        paths["html"] = write_summary(
            folder / "summary.html", tidy, result.tree(), weights=result.weights, coherence=coh,
            title_en=result.framework.name_en, title_zh=result.framework.name_zh, meta=meta,
        )
    return paths


def run_meta(result: IndexResult) -> dict[str, Any]:
    """What a reader needs to reproduce a result: framework, spec, hashes, versions."""
    return {
        "framework": result.framework.id,
        "framework_version": getattr(result.framework, "version", ""),
        "name_en": result.framework.name_en,
        "name_zh": result.framework.name_zh,
        "years": [result.years[0], result.years[-1]],
        "regions": len(result.regions),
        "indicators": result.indicators,
        "screened_out": result.screened_out["indicator"].tolist(),
        "imputed_cells": int(result.imputed.sum()),
        "spec": result.spec,
        "spec_hash": spec_hash(result.spec),
        "data_hash": result.data_hash,
        "nqpf_version": nqpf.__version__,
        "pandas_version": pd.__version__,
        "created_at": result.created_at.isoformat(timespec="seconds"),
    }

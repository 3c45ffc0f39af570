"""Province-year NQPF text exposure per sector from the provincial government work reports.

The corpus ``text/gwr_provincial/documents.jsonl`` of the shared data holds the 2025 and 2026
government work reports of all 31 provinces (see its SOURCES.md), one JSON record per report
with its own ``region_code`` and ``year``. The originals under ``raw/`` are not corpus documents.
Exposure follows :mod:`nqpf.innovation.exposure` (Wu, Hu, Lin and Ren 2021): matches of a
sector's forms per 10,000 characters of the normalised report.

:func:`provincial_exposure` returns the tidy ``province x year x sector`` table and
:func:`provincial_panel` the same as a :class:`nqpf.panel.Panel` (``text_exposure_<sector>``
variables), to sit beside the statistical panel.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from nqpf.errors import NqpfError
from nqpf.innovation.exposure import ExposureResult, measure_exposure
from nqpf.innovation.taxonomy import Taxonomy
from nqpf.panel import Panel
from nqpf.regions import REGISTRY
from nqpf.settings import default_data_dir

CORPUS = Path("text") / "gwr_provincial" / "documents.jsonl"
COLUMNS = ["region_code", "region_zh", "year", "scheme", "sector", "count", "n_chars", "n_documents", "per_10k"]


def provincial_corpus(data_dir: str | Path | None = None) -> Path:
    """The provincial reports file in the shared data folder (``NQPF_DATA`` or ``../shared/data``)."""
    base = Path(data_dir) if data_dir is not None else default_data_dir()
    if base is None or not (base / CORPUS).is_file():
        raise NqpfError(f"provincial government work reports not found at {(base or Path('<data>')) / CORPUS}; "
                        "set NQPF_DATA to the shared data folder")
    return base / CORPUS


def measure_provincial(source: str | Path | None = None, *, taxonomy: Taxonomy | None = None) -> ExposureResult:
    """Exposure of every provincial report (``source``: the JSONL file or the data folder)."""
    p = Path(source) if source is not None else provincial_corpus()
    if p.is_dir():
        p = provincial_corpus(p)
    res = measure_exposure(p, taxonomy=taxonomy)
    if res.failures:
        raise NqpfError(f"provincial corpus could not be read: {res.failures[0]}")
    return res


def provincial_exposure(
    source: str | Path | ExposureResult | None = None,
    *,
    taxonomy: Taxonomy | None = None,
    years: tuple[int, ...] | None = None,
) -> pd.DataFrame:
    """Tidy province x year x sector exposure: ``region_code, region_zh, year, scheme, sector,
    count, n_chars, n_documents, per_10k`` (``per_10k = 10,000 * count / n_chars``, pooled over
    the documents of a province-year). Every province-year-sector appears, zeros included."""
    res = source if isinstance(source, ExposureResult) else measure_provincial(source, taxonomy=taxonomy)
    docs = res.documents
    wide = res.sector_counts().reset_index(drop=True)
    keep = (docs["region_code"].notna() & docs["year"].notna()).to_numpy()
    if years is not None:
        keep &= docs["year"].isin(years).to_numpy()
    wide = wide[keep]
    wide.insert(0, "n_documents", 1)
    wide.insert(0, "n_chars", docs.loc[keep, "n_chars"].to_numpy())
    wide.insert(0, "year", docs.loc[keep, "year"].astype(int).to_numpy())
    wide.insert(0, "region_code", docs.loc[keep, "region_code"].astype(str).to_numpy())
    g = wide.groupby(["region_code", "year"], as_index=False).sum()
    long = g.melt(id_vars=["region_code", "year", "n_chars", "n_documents"], var_name="sector", value_name="count")
    long["scheme"] = long["sector"].map({s.id: s.scheme for s in res.taxonomy.sectors.values()})
    long["per_10k"] = 1e4 * long["count"] / long["n_chars"]
    names = {r.code: r.full_zh for r in REGISTRY.provinces()}
    long["region_zh"] = long["region_code"].map(names)
    return long[COLUMNS].sort_values(["sector", "region_code", "year"], ignore_index=True)


def provincial_panel(source: str | Path | ExposureResult | None = None, *, taxonomy: Taxonomy | None = None) -> Panel:
    """The province-year exposure as a :class:`nqpf.panel.Panel` (variables ``text_exposure_<sector>``
    and scheme totals, per 10,000 characters)."""
    res = source if isinstance(source, ExposureResult) else measure_provincial(source, taxonomy=taxonomy)
    return res.to_panel()

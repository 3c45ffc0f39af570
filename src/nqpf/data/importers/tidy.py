"""Importer for tidy tables: the curated panel and any long or wide CSV/Excel/Parquet file.

* **Curated panel** (``panel/provinces.csv``, ``panel/national.csv``): columns
  ``region_code, region_zh, region_en, year, variable, value, unit, source``. Names, units and
  sources of the variables come from ``variables.csv`` beside the file when present (read as
  the catalog, never as data); variable ids are kept exactly as written.
* **Long** (one row per region-year-variable): give a :class:`ColumnMapping` naming the
  region, year, variable, value (and optionally unit) columns.
* **Wide by variable** (one row per region-year, one column per variable) and **wide by
  year** (one row per region, one column per year, a single variable named by
  ``variable=``).

Regions may be written as GB/T 2260 codes or any name or alias the registry knows. Line
numbers are 1-based lines of the file (the header is line 1; quoted cells spanning several
lines would shift them); cells are spreadsheet references (``F7``), or column names for
Parquet.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from nqpf.data.batch import ImportBatch, Provenance
from nqpf.data.importers import bulk
from nqpf.data.importers.common import (
    EXCEL_ENGINE,
    col_letter,
    is_year_label,
    normalize_unit,
    normalize_units,
    observations,
    parse_values,
    parse_years,
    read_csv_table,
    resolve_regions,
    variables_frame,
)
from nqpf.data.importers.mapping import (
    CURATED,
    CURATED_COLUMNS,
    DEFAULT_SOURCE,
    LAYOUTS,
    ColumnMapping,
    curated_catalog,
    is_curated,
)
from nqpf.errors import ValidationError

# the column mapping, the curated layout and catalog live in .mapping (shared with .bulk);
# re-exported here so callers are unchanged
__all__ = ["CURATED", "CURATED_COLUMNS", "DEFAULT_SOURCE", "LAYOUTS", "ColumnMapping",
           "curated_catalog", "is_curated", "read_csv_table", "read_tables", "read_tidy"]

# -- reading tables --------------------------------------------------------------------------
def read_tables(path: str | Path, sheet: str | int | None = None) -> dict[str, pd.DataFrame]:
    """The tables of a file by sheet name ("" for CSV and Parquet)."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in {".xlsx", ".xlsm", ".xls"}:
        try:
            frames = pd.read_excel(p, sheet_name=sheet if sheet is not None else None, dtype=object, engine=EXCEL_ENGINE)
        except Exception as exc:
            raise ValidationError(f"cannot read the workbook: {exc}", file=str(p)) from exc
        if isinstance(frames, pd.DataFrame):
            frames = {str(sheet): frames}
        out = {}
        for name, df in frames.items():
            df.columns = [str(c).strip() for c in df.columns]
            out[str(name)] = df
        return out
    if suffix == ".parquet":
        try:
            return {"": pd.read_parquet(p)}
        except Exception as exc:
            raise ValidationError(f"cannot read the Parquet file: {exc}", file=str(p)) from exc
    return {"": read_csv_table(p)}


def _header(p: Path) -> list[str]:
    """Column names of a CSV or Parquet file, stripped ([] if they cannot be read)."""
    if p.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        try:
            return [str(c).strip() for c in pq.read_schema(p).names]
        except Exception:
            return []
    try:
        with p.open(encoding="utf-8-sig", errors="replace") as fh:
            return [c.strip() for c in next(csv.reader([fh.readline()]), [])]
    except OSError:
        return []


# -- import ---------------------------------------------------------------------------------
def read_tidy(
    path: str | Path,
    mapping: ColumnMapping | Mapping[str, object] | None = None,
    *,
    variable: str | None = None,
    unit: str | None = None,
    source: str | None = None,
) -> list[ImportBatch]:
    """Read a tidy long or wide table; one batch per table (file or sheet).

    Files with the curated panel's columns are read as such (catalog from ``variables.csv``
    beside them); otherwise ``mapping`` says which column holds what. ``variable`` names the
    single variable of a wide-by-year file; ``unit`` sets the unit of variables without a
    unit column; ``source`` the catalog source id (default ``"user"``).
    """
    p = Path(path)
    m = ColumnMapping.coerce(mapping)
    if bulk.qualifies(p, m):
        curated = mapping is None and is_curated(_header(p))
        big = bulk.read_bulk(p, m, curated=curated, unit=unit, source=source)
        if big is not None:
            return [big]
    tables = read_tables(p, m.sheet)
    batches: list[ImportBatch] = []
    for sheet, df in tables.items():
        where = f"{p}" + (f" (sheet {sheet})" if sheet else "")
        cols = list(df.columns)
        if mapping is None and is_curated(cols):
            batches.append(_curated(df, p, sheet, source=source))
            continue
        if m.region not in cols:
            if sheet and m.sheet is None:
                continue  # a sheet without the region column (notes, metadata) is skipped
            raise ValidationError(
                f"region column {m.region!r} not found; columns are {', '.join(map(str, cols))}; "
                "give a column mapping", file=where,
            )
        batches.append(_generic(df, p, sheet, m, variable=variable, unit=unit, source=source))
    if not batches:
        raise ValidationError(f"no sheet has the region column {m.region!r}", file=str(p))
    return batches


def _lines_cells(df: pd.DataFrame, p: Path, col: pd.Series | str, row: pd.Series) -> tuple[pd.Series, pd.Series]:
    """1-based file lines and cell references of rows ``row`` (0-based) in column(s) ``col``.

    Parquet and R tables have no header line: their rows count from 1 and cells are column names.
    """
    parquet = p.suffix.lower() in {".parquet", ".rda", ".rdata", ".rds"}
    line = row + (1 if parquet else 2)
    names = col if isinstance(col, pd.Series) else pd.Series(col, index=row.index)
    if parquet:
        return line, names.astype(object)
    pos = {c: col_letter(i) for i, c in enumerate(df.columns)}
    cell = names.map(pos) + line.astype(str)
    return line, cell.astype(object)


def _regions(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(region_code, region_raw) of a region column; numeric codes are read as integers."""
    if pd.api.types.is_numeric_dtype(values.dtype):
        raw = values.astype("Int64").astype(str).replace("<NA>", "")
    else:
        raw = values.astype(object).where(values.notna(), "").astype(str).str.strip()
    return resolve_regions(raw), raw


def _curated(df: pd.DataFrame, p: Path, sheet: str, *, source: str | None) -> ImportBatch:
    code, raw = _regions(df["region_code"])
    problem = pd.Series("", index=df.index, dtype=object)
    # cross-check the code against the names written beside it
    for name_col in ("region_zh", "region_en"):
        if name_col in df.columns:
            names = df[name_col].astype(str).str.strip()
            named = resolve_regions(names)
            clash = (code != "") & (named != "") & (named != code)
            problem = problem.mask(
                clash & (problem == ""),
                "region code " + raw + f" does not match {name_col} " + names,
            )
    year, bad_year = parse_years(df["year"])
    problem = problem.mask(bad_year & (problem == ""), "year " + df["year"].astype(str) + " is not a year")
    value, rawv = parse_values(df["value"])
    row = pd.Series(np.arange(len(df)), index=df.index)
    line, cell = _lines_cells(df, p, "value", row)
    var = df["variable"].astype(str).str.strip()
    units = normalize_units(df["unit"]) if "unit" in df.columns else None
    obs = observations(
        region_code=code, year=year, variable=var, value=value, line=line, cell=cell,
        region_raw=raw, raw=rawv, unit=units, problem=problem,
    )
    catalog = _curated_catalog(p, df, var, units, source)
    return ImportBatch(obs, catalog, Provenance.for_file(p, importer="tidy", sheet=sheet),
                       _raw_regions(raw, code))


def _curated_catalog(p: Path, df: pd.DataFrame, var: pd.Series, units: pd.Series | None,
                     source: str | None) -> pd.DataFrame:
    """Catalog rows of the variables in ``df``: from ``variables.csv`` beside, else the data."""
    present = list(pd.unique(var))
    src = df["source"].astype(str) if "source" in df.columns else pd.Series("", index=df.index)
    # first unit and the distinct sources of each variable, in one pass (not one per variable)
    per = pd.DataFrame({"variable": var.to_numpy(), "source": src.to_numpy(),
                        "unit": units.to_numpy() if units is not None else ""})
    first_unit = per.drop_duplicates("variable").set_index("variable")["unit"]
    srcs = per[per["source"] != ""].drop_duplicates(["variable", "source"])
    joined = srcs.groupby("variable", sort=False)["source"].agg(";".join)
    return curated_catalog(p, present, first_unit.to_dict(), joined.to_dict(), source)


def _generic(df: pd.DataFrame, p: Path, sheet: str, m: ColumnMapping, *, variable: str | None,
             unit: str | None, source: str | None) -> ImportBatch:
    where = f"{p}" + (f" (sheet {sheet})" if sheet else "")
    df = df.reset_index(drop=True)
    cols = list(df.columns)
    layout = m.layout
    if layout == "auto":
        if m.variable in cols and m.value in cols:
            layout = "long"
        elif m.year in cols:
            layout = "wide_variables"
        else:
            layout = "wide_years"
    row = pd.Series(np.arange(len(df)), index=df.index)
    code, rraw = _regions(df[m.region])
    src = source or DEFAULT_SOURCE

    if layout == "long":
        for what, c in (("year", m.year), ("variable", m.variable), ("value", m.value)):
            if c is None or c not in cols:
                raise ValidationError(f"{what} column {c!r} not found; columns are {', '.join(cols)}", file=where)
        assert m.year is not None and m.variable is not None and m.value is not None
        year, bad = parse_years(df[m.year])
        problem = pd.Series("", index=df.index, dtype=object).mask(bad, "year " + df[m.year].astype(str) + " is not a year")
        var = df[m.variable].astype(str).str.strip()
        value, rawv = parse_values(df[m.value])
        line, cell = _lines_cells(df, p, m.value, row)
        units = None
        if not m.unit and unit is None:
            # a column literally named "unit" is the unit column unless told otherwise
            m = replace(m, unit=next((c for c in cols if str(c).strip().lower() in {"unit", "units", "单位"}), None))
        if m.unit:
            if m.unit not in cols:
                raise ValidationError(f"unit column {m.unit!r} not found", file=where)
            units = normalize_units(df[m.unit])
        elif unit is not None:
            units = pd.Series(normalize_unit(unit), index=df.index)
        obs = observations(region_code=code, year=year, variable=var, value=value, line=line,
                           cell=cell, region_raw=rraw, raw=rawv, unit=units, problem=problem)
    else:
        id_cols = {m.region, m.year, m.unit}
        if layout == "wide_variables":
            if m.year is None or m.year not in cols:
                raise ValidationError(f"year column {m.year!r} not found for a wide-by-variable table", file=where)
            vcols = list(m.columns) or [c for c in cols if c not in id_cols and not str(c).startswith("Unnamed")]
        else:
            if not variable:
                raise ValidationError("a one-column-per-year table needs variable= (the variable id)", file=where)
            vcols = list(m.columns) or [c for c in cols if is_year_label(str(c))]
        missing_cols = [c for c in vcols if c not in cols]
        if missing_cols or not vcols:
            raise ValidationError(f"value columns not found: {', '.join(map(str, missing_cols)) or 'none'}", file=where)
        wide = df[vcols].copy()
        wide.columns = list(range(len(vcols)))
        long = wide.stack(future_stack=True).reset_index()
        long.columns = ["r", "c", "text"]
        pick = long["r"].to_numpy(dtype=int)
        colnames = pd.Series([str(vcols[c]) for c in long["c"]], index=long.index)
        value, rawv = parse_values(long["text"].astype(object))
        line, cell = _lines_cells(df, p, colnames, pd.Series(pick, index=long.index))
        if layout == "wide_variables":
            assert m.year is not None
            ytext = df[m.year].astype(object).iloc[pick].reset_index(drop=True)
            year, bad = parse_years(ytext)
            var = colnames.str.strip()
        else:
            ytext = colnames
            year, bad = parse_years(colnames)
            var = pd.Series(variable, index=long.index)
        problem = pd.Series("", index=long.index, dtype=object).mask(
            bad, "year " + ytext.astype(str) + " is not a year"
        )
        units = pd.Series(normalize_unit(unit), index=long.index) if unit is not None else None
        obs = observations(
            region_code=code.iloc[pick].reset_index(drop=True), year=year, variable=var,
            value=value, line=line, cell=cell, region_raw=rraw.iloc[pick].reset_index(drop=True),
            raw=rawv, unit=units, problem=problem,
        )
    pairs = obs[["variable", "unit"]].drop_duplicates()
    first_unit = pairs[pairs["unit"] != ""].drop_duplicates("variable").set_index("variable")["unit"]
    cat = [
        {"variable": str(v), "name_en": str(v), "name_zh": "",
         "unit": str(first_unit.get(v, normalize_unit(unit) if unit else "")),
         "source": src, "notes": ""}
        for v in pd.unique(obs["variable"])
    ]
    if layout == "wide_years" and variable:
        obs["variable"] = variable
    return ImportBatch(obs, variables_frame(cat), Provenance.for_file(p, importer="tidy", sheet=sheet),
                       _raw_regions(rraw, code))


def _raw_regions(raw: pd.Series, code: pd.Series) -> dict[str, str]:
    """Distinct resolved labels -> codes."""
    pairs = pd.DataFrame({"raw": raw.to_numpy(), "code": code.to_numpy()}).drop_duplicates()
    pairs = pairs[pairs["code"] != ""]
    return dict(zip(pairs["raw"].astype(str), pairs["code"].astype(str), strict=True))



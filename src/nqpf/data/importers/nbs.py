"""Importer for National Bureau of Statistics web exports (data.stats.gov.cn, 国家数据).

Layout of a "分省年度数据" export (CSV in GBK or UTF-8, or XLS/XLSX), one table per file or
sheet::

    数据库：分省年度数据
    指标：地区生产总值(亿元)
    时间：最近20年
    地区,2024年,2023年,...
    北京市,49670.2,47353.7,...
    ...
    注：...                      (footnotes, optional, may span several lines)
    数据来源：国家统计局

The English "Annual by Province" export is the same with ``Database``, ``Indicators``,
``Year`` and ``Region`` (its full-width colons are GBK bytes inside ASCII text, so the file is
decoded as GB18030). Of the three dimensions (region, indicator, year), the header lines fix
one, the first column of the ``地区``/``指标``/``时间`` header row names the row dimension,
and the header cells give the column dimension (years, regions or indicators); all three
arrangements the NBS site offers are read.

Indicator texts carry the unit in their last parenthesised group:
``人口数(人口抽样调查)(人)`` is name ``人口数(人口抽样调查)``, unit ``人``. Variable ids come from
``nbs_indicators.csv`` (known indicators, Chinese and English names) and are prefixed
``nbs_``; an unseen indicator gets a deterministic id (:func:`indicator_id`). Raw exports are
never mapped onto the curated panel's ids. Blank cells and NBS dashes are missing; the
national row 全国 goes to region 100000.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import pandas as pd

from nqpf.data.batch import ImportBatch, Provenance
from nqpf.data.importers.common import (
    EXCEL_ENGINE,
    col_letter,
    csv_rows,
    is_year_label,
    normalize_unit,
    observations,
    parse_values,
    parse_years,
    read_text,
    resolve_regions,
    variables_frame,
)
from nqpf.errors import ValidationError
from nqpf.regions import REGISTRY

#: header keys (before the colon) of the metadata lines, by dimension
_META_KEYS = {
    "数据库": "database", "database": "database",
    "指标": "indicator", "indicators": "indicator", "indicator": "indicator",
    "地区": "region", "region": "region", "regions": "region",
    "时间": "year", "year": "year", "time": "year", "年份": "year",
}
#: first cell of the header row, naming the row dimension
_ROW_DIMS = {"地区": "region", "region": "region", "指标": "indicator", "indicators": "indicator",
             "indicator": "indicator", "时间": "year", "年份": "year", "year": "year", "time": "year"}
#: a first cell starting with one of these opens the footnotes (everything after is skipped)
_FOOTNOTE = re.compile(r"^(注|说明|数据来源|资料来源|来源|note|notes|source|data source)", re.I)
_META_LINE = re.compile(r"^\s*([^:：]{1,20}?)\s*(?:[:：]|\?\?\?)\s*(.*)$")
DEFAULT_SOURCE = "nbs"


@dataclass(frozen=True)
class Indicator:
    """An NBS indicator text split into name and unit, with its variable id."""

    text: str
    name: str
    unit: str
    variable: str
    name_en: str
    name_zh: str
    notes: str


def split_indicator(text: str) -> tuple[str, str]:
    """Split ``name(unit)`` at its last parenthesised group (ASCII or full-width brackets).

    >>> split_indicator("人口数(人口抽样调查)(人)")
    ('人口数(人口抽样调查)', '人')
    >>> split_indicator("Resident Population (year-end)(10000 persons)")
    ('Resident Population (year-end)', '10000 persons')
    """
    t = unicodedata.normalize("NFKC", text).strip()
    m = re.fullmatch(r"(.*\S)\s*\(([^()]*)\)", t)
    if not m:
        return t, ""
    return m.group(1).strip(), m.group(2).strip()


def _key(name: str) -> str:
    """Lookup key of an indicator name: NFKC, lower case, no spaces or underscores."""
    return re.sub(r"[\s_]+", "", unicodedata.normalize("NFKC", name)).lower()


@cache
def known_indicators() -> pd.DataFrame:
    """The shipped catalog of known NBS indicators (``nbs_indicators.csv``)."""
    text = resources.files("nqpf.data.importers").joinpath("nbs_indicators.csv").read_text("utf-8")
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


@cache
def _index() -> dict[str, int]:
    df = known_indicators()
    out: dict[str, int] = {}
    for i, (zh, en) in enumerate(zip(df["name_zh"], df["name_en"], strict=True)):
        out[_key(zh)] = i
        out[_key(en)] = i
    return out


def indicator_id(name: str) -> str:
    """The variable id of an indicator name (without unit).

    Known indicators (``nbs_indicators.csv``, Chinese or English name) get their catalog id.
    An unseen English name becomes ``nbs_`` + lower snake case (``"Number of Hospitals"`` ->
    ``nbs_number_of_hospitals``); an unseen Chinese name becomes ``nbs_zh_`` + the first 10
    hex digits of the SHA-1 of its NFKC form (stable across runs and machines; the Chinese
    name is kept in ``name_zh``).
    """
    i = _index().get(_key(name))
    if i is not None:
        return str(known_indicators()["variable"].iloc[i])
    folded = unicodedata.normalize("NFKC", name).strip()
    if folded.isascii():
        slug = re.sub(r"[^a-z0-9]+", "_", folded.lower()).strip("_")[:60].rstrip("_")
        return f"nbs_{slug or 'indicator'}"
    return "nbs_zh_" + hashlib.sha1(folded.encode("utf-8")).hexdigest()[:10]


def parse_indicator(text: str, *, variable: str | None = None, unit: str | None = None) -> Indicator:
    """Name, unit (English label, see :func:`normalize_unit`) and id of an indicator text."""
    name, published_unit = split_indicator(text)
    i = _index().get(_key(name))
    ascii_name = name.isascii()
    if i is not None:
        row = known_indicators().iloc[i]
        name_en, name_zh, notes = str(row["name_en"]), str(row["name_zh"]), str(row["notes"])
    else:
        name_en, name_zh, notes = (name, "", "") if ascii_name else ("", name, "")
    pub = unit if unit is not None else published_unit
    note = f"NBS indicator as published: {text.strip()}"
    notes = f"{notes}; {note}" if notes else note
    return Indicator(text, name, normalize_unit(pub), variable or indicator_id(name), name_en, name_zh, notes)


def looks_like_nbs(rows: list[list[str]]) -> bool:
    """Whether the first non-empty row is an NBS ``数据库：``/``Database`` line."""
    for row in rows[:5]:
        first = row[0].strip() if row else ""
        if first:
            return bool(re.match(r"^(数据库|database)\s*(?:[:：]|\?\?\?)", first, re.I))
    return False


def read_nbs(
    path: str | Path,
    *,
    variable: str | None = None,
    unit: str | None = None,
    source: str | None = None,
) -> list[ImportBatch]:
    """Read an NBS export (CSV, XLS or XLSX); one batch per table (file or sheet).

    ``variable``/``unit`` override the id and unit of a single-indicator export; ``source``
    is the catalog source id (default ``"nbs"``).
    """
    p = Path(path)
    if p.suffix.lower() in {".xlsx", ".xlsm", ".xls"}:
        sheets = _excel_sheets(p)
        out = [
            _parse_table(rows, p, sheet=name, variable=variable, unit=unit, source=source)
            for name, rows in sheets.items()
            if any(any(c for c in r) for r in rows)
        ]
        if not out:
            raise ValidationError("no NBS table found in any sheet", file=str(p))
        return out
    rows = csv_rows(read_text(p))
    return [_parse_table(rows, p, sheet="", variable=variable, unit=unit, source=source)]


def _excel_sheets(p: Path) -> dict[str, list[list[str]]]:
    try:
        frames = pd.read_excel(p, sheet_name=None, header=None, dtype=object, engine=EXCEL_ENGINE)
    except Exception as exc:
        raise ValidationError(f"cannot read the workbook: {exc}", file=str(p)) from exc
    out: dict[str, list[list[str]]] = {}
    for name, df in frames.items():
        rows = [[_excel_cell(v) for v in rec] for rec in df.itertuples(index=False)]
        out[str(name)] = rows
    return out


def _excel_cell(v: object) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return ""
    if isinstance(v, float):
        return repr(v)
    return str(v).strip()


def _parse_table(
    rows: list[list[str]],
    p: Path,
    *,
    sheet: str,
    variable: str | None,
    unit: str | None,
    source: str | None,
) -> ImportBatch:
    where = f"{p}" + (f" (sheet {sheet})" if sheet else "")
    meta: dict[str, str] = {}
    header_i = None
    for i, row in enumerate(rows):
        first = row[0] if row else ""
        if not first and not any(row):
            continue
        rest_empty = not any(c for c in row[1:])
        m = _META_LINE.match(first)
        if m and rest_empty and _META_KEYS.get(m.group(1).strip().lower()):
            meta[_META_KEYS[m.group(1).strip().lower()]] = m.group(2).strip()
            continue
        if _ROW_DIMS.get(first.strip().lower()) and len(row) > 1:
            header_i = i
            break
        raise ValidationError(
            f"not a recognisable NBS export: line {i + 1} is neither a header line "
            "(数据库/指标/时间) nor the 地区/Region header row", file=where, line=i + 1
        )
    if header_i is None:
        raise ValidationError("not a recognisable NBS export: no 地区/Region header row", file=where)
    header = rows[header_i]
    row_dim = _ROW_DIMS[header[0].strip().lower()]
    labels = [c for c in header[1:]]
    ncol = len(labels)
    while ncol and not labels[ncol - 1]:
        ncol -= 1
    labels = labels[:ncol]
    col_dim = _column_dimension(labels, row_dim)
    if col_dim == row_dim:
        raise ValidationError(
            f"not a recognisable NBS export: the header row's columns are {col_dim}s like its rows; "
            "columns must be years, regions or indicators other than the rows'", file=where, line=header_i + 1)
    fixed_dim = ({"region", "indicator", "year"} - {row_dim, col_dim}).pop()
    if fixed_dim not in meta:
        raise ValidationError(
            f"NBS export with {row_dim} rows and {col_dim} columns needs a '{fixed_dim}' header line",
            file=where,
        )

    # body: rows after the header until the footnotes
    body: list[tuple[int, list[str]]] = []
    notes: list[str] = []
    in_notes = False
    for i in range(header_i + 1, len(rows)):
        row = rows[i]
        first = row[0] if row else ""
        if in_notes or _FOOTNOTE.match(first):
            in_notes = True
            if any(row):
                notes.append(",".join(c for c in row if c).strip())
            continue
        if not any(row):
            continue
        body.append((i + 1, row))
    if not body:
        raise ValidationError("NBS export has no data rows", file=where)

    lines = [ln for ln, _ in body]
    row_labels = [r[0] for _, r in body]
    cells = [(r + [""] * ncol)[1 : ncol + 1] for _, r in body]
    grid = pd.DataFrame(cells, columns=range(ncol), dtype=object)
    long = grid.stack(future_stack=True).reset_index()
    long.columns = ["r", "c", "text"]
    long["line"] = pd.Series(lines).iloc[long["r"]].to_numpy()
    long["cell"] = [f"{col_letter(c + 1)}{ln}" for c, ln in zip(long["c"], long["line"], strict=True)]
    long["row_label"] = pd.Series(row_labels).iloc[long["r"]].to_numpy()
    long["col_label"] = pd.Series(labels).iloc[long["c"]].to_numpy()
    dim_label = {row_dim: long["row_label"], col_dim: long["col_label"]}
    dim_label[fixed_dim] = pd.Series(meta[fixed_dim], index=long.index)

    value, raw = parse_values(long["text"])
    problem = pd.Series("", index=long.index, dtype=object)

    years, bad_year = parse_years(dim_label["year"])
    problem = problem.mask(bad_year, "year label " + dim_label["year"].astype(str) + " is not a year")

    region_raw = dim_label["region"].astype(str)
    region_code = resolve_regions(region_raw)

    ind_texts = pd.unique(dim_label["indicator"].astype(str))
    single = len(ind_texts) == 1
    if not single and (variable or unit):
        raise ValidationError(
            "variable=/unit= apply only to a single-indicator export; this one has "
            f"{len(ind_texts)} indicators", file=where,
        )
    inds = {t: parse_indicator(t, variable=variable, unit=unit) for t in ind_texts}
    var = dim_label["indicator"].astype(str).map({t: ind.variable for t, ind in inds.items()})

    src = source or DEFAULT_SOURCE
    db = meta.get("database", "")
    extra = "; ".join(notes)
    rows_cat = []
    for ind in inds.values():
        note = "; ".join(x for x in (ind.notes, f"database: {db}" if db else "", f"footnotes: {extra}" if extra else "") if x)
        rows_cat.append(
            {"variable": ind.variable, "name_en": ind.name_en, "name_zh": ind.name_zh,
             "unit": ind.unit, "source": src, "notes": note}
        )
    obs = observations(
        region_code=region_code, year=years, variable=var, value=value, line=long["line"],
        cell=long["cell"], region_raw=region_raw, raw=raw, problem=problem,
    )
    raw_regions = {lab: code for lab, code in zip(region_raw, region_code, strict=True) if code}
    return ImportBatch(obs, variables_frame(rows_cat), Provenance.for_file(p, importer="nbs", sheet=sheet), raw_regions)


def _column_dimension(labels: list[str], row_dim: str) -> str:
    filled = [c for c in labels if c]
    if not filled:
        return "year" if row_dim != "year" else "region"
    if sum(is_year_label(c) for c in filled) > len(filled) / 2:
        return "year"
    if sum(REGISTRY.lookup(c) is not None for c in filled) > len(filled) / 2:
        return "region"
    return "indicator" if row_dim != "indicator" else "region"

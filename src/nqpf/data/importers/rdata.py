"""Importer for R data files (``.rda``/``.RData`` via ``rdata.read_rda``, ``.rds`` via ``rdata.read_rds``).

The techme package (huhuaping/techme, MIT; data from the China Statistical Yearbook on
Science and Technology and the China Statistical Yearbook) stores long tables with columns
``province, year, chn_block4, value, units, variables``. Each data frame becomes one batch;
variable ids are ``techme_<code>`` (``techme_v4_zh_nbzc_hj``), names come from
``varsList.rda`` beside the file when present (``chn_block2：chn_block3：chn_block4``, with
corrections in ``techme_labels.csv``), units from ``units`` (English labels, see
:func:`~nqpf.data.importers.common.normalize_unit`). Four series of ``IndustryRD`` carry a
wrong unit label (万元) in some years; ``techme_unit_errata.csv`` lists them (dataset, code,
years, label as published, correct unit) and only those rows are corrected.

Province labels of this source contain spaces (``北   京``, 2010 tables), OCR slips and
regional subtotals. They are handled by the explicit table ``techme_errata.csv`` (no fuzzy
matching): slips map to the province meant (``浙汀`` -> 浙江), subtotal rows (``东部地区``, and
``尔部地区``, an OCR slip for it) are dropped and counted in the variable's notes; any other
unknown label is kept with an empty region code for validation to reject. The national row
全国 goes to 100000.

Other data frames are read as tidy tables when a column mapping is given.
"""

from __future__ import annotations

import io
import re
import unicodedata
import warnings
from collections.abc import Mapping
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from nqpf.data.batch import ImportBatch, Provenance
from nqpf.data.importers.common import (
    normalize_unit,
    observations,
    parse_values,
    parse_years,
    resolve_regions,
    variables_frame,
)
from nqpf.data.importers.tidy import ColumnMapping, _generic
from nqpf.errors import ValidationError

#: columns that mark the techme long layout
TECHME_COLUMNS = ("province", "year", "value", "units", "variables")
DEFAULT_SOURCE = "techme"
LABEL_CATALOG = "varsList.rda"


def _resource_csv(name: str) -> pd.DataFrame:
    text = resources.files("nqpf.data.importers").joinpath(name).read_text("utf-8")
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


@cache
def techme_errata() -> pd.DataFrame:
    """The region-label errata of the techme source (``techme_errata.csv``)."""
    return _resource_csv("techme_errata.csv")


@cache
def techme_unit_errata() -> pd.DataFrame:
    """Unit-label slips of techme rows (``techme_unit_errata.csv``): dataset, code, years."""
    return _resource_csv("techme_unit_errata.csv")


@cache
def techme_label_errata() -> pd.DataFrame:
    """Corrected names of techme variables whose varsList label is wrong (``techme_labels.csv``)."""
    return _resource_csv("techme_labels.csv")


def _label_key(label: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(label)))


def load_r(path: str | Path) -> dict[str, object]:
    """The objects of an R data file by name (``.rds``: one object named after the file).

    Parsed files are cached by path, size and modification time (the pure-Python parser
    takes about half a second per techme file); callers must not modify the frames.
    """
    p = Path(path)
    try:
        st = p.stat()
    except OSError as exc:
        raise ValidationError(f"cannot read the R data file: {exc}", file=str(p)) from exc
    return _load_r(str(p.resolve()), st.st_size, st.st_mtime_ns)


@lru_cache(maxsize=32)
def _load_r(path: str, size: int, mtime_ns: int) -> dict[str, object]:
    import rdata

    p = Path(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # rdata warns on unexpected extensions; errors still raise
            if p.suffix.lower() == ".rds":
                return {p.stem: rdata.read_rds(p)}
            return dict(rdata.read_rda(p))
    except Exception as exc:
        raise ValidationError(f"cannot read the R data file: {exc}", file=str(p)) from exc


def _varslist(path: Path) -> pd.DataFrame | None:
    objs = load_r(path)
    for obj in objs.values():
        if isinstance(obj, pd.DataFrame) and "variables" in obj.columns and "chn_block4" in obj.columns:
            return obj.astype(object).where(obj.notna(), "")
    return None


def techme_catalog(folder: Path) -> pd.DataFrame | None:
    """The techme label catalog (``varsList.rda``) in ``folder``, or ``None``."""
    vl = folder / LABEL_CATALOG
    if not vl.is_file():
        return None
    return _varslist(vl)


def read_rdata(
    path: str | Path,
    mapping: ColumnMapping | Mapping[str, object] | None = None,
    *,
    variable: str | None = None,
    unit: str | None = None,
    source: str | None = None,
) -> list[ImportBatch]:
    """Read an R data file: one batch per data frame (techme layout, or tidy via ``mapping``)."""
    p = Path(path)
    objs = load_r(p)
    frames = {k: v for k, v in objs.items() if isinstance(v, pd.DataFrame)}
    if not frames:
        raise ValidationError("the R data file holds no data frame", file=str(p))
    out: list[ImportBatch] = []
    for name, df in frames.items():
        cols = {str(c) for c in df.columns}
        if mapping is None and set(TECHME_COLUMNS) <= cols:
            out.append(_techme(df.reset_index(drop=True), p, name, source=source))
        elif mapping is not None:
            out.append(_generic(df.reset_index(drop=True), p, name, ColumnMapping.coerce(mapping),
                                variable=variable, unit=unit, source=source))
        elif {"variables", "chn_block4"} <= cols:
            raise ValidationError(
                f"data frame {name!r} is the techme label catalog (varsList), not data; it is "
                "read automatically beside the data files", file=str(p),
            )
        else:
            raise ValidationError(
                f"data frame {name!r} is not in the techme long layout ({', '.join(TECHME_COLUMNS)}); "
                "give a column mapping", file=str(p),
            )
    return out


def _techme(df: pd.DataFrame, p: Path, name: str, *, source: str | None) -> ImportBatch:
    errata = techme_errata()
    meaning = dict(zip(errata["label"], errata["meaning"], strict=True))
    aggregate = set(errata.loc[errata["action"] == "aggregate", "label"])

    labels = df["province"].astype(object).where(df["province"].notna(), "").astype(str)
    keys = labels.map(_label_key)
    drop = keys.isin(aggregate).to_numpy()
    region_map = {k: v for k, v in meaning.items() if k not in aggregate}
    code = resolve_regions(labels, errata=region_map)

    year, bad_year = parse_years(df["year"])
    problem = pd.Series("", index=df.index, dtype=object).mask(
        bad_year, "year " + df["year"].astype(str) + " is not a year"
    )
    value, raw = parse_values(df["value"])
    codes = df["variables"].astype(str).str.strip()
    var = "techme_" + codes
    units = df["units"].astype(object).where(df["units"].notna(), "").astype(str)
    unit_fixes: dict[str, str] = {}
    for fix in techme_unit_errata().to_dict("records"):
        if str(fix["dataset"]) != name:
            continue
        years = str(fix["years"]).split(";")
        hit = (codes == str(fix["variables"])) & df["year"].astype(str).isin(years) & (units == str(fix["published"]))
        if hit.any():
            units = units.mask(hit, str(fix["unit"]))
            unit_fixes[str(fix["variables"])] = (
                f"unit label {fix['published']} corrected to {fix['unit']} in {int(hit.sum())} rows ({fix['note']})"
            )
    units = units.map(normalize_unit)
    line = pd.Series(np.arange(1, len(df) + 1), index=df.index)

    keep = ~drop
    obs = observations(
        region_code=code[keep], year=year[keep], variable=var[keep], value=value[keep],
        line=line[keep], cell=pd.Series(f"{name}$value", index=df.index)[keep],
        region_raw=labels[keep], raw=raw[keep], unit=units[keep], problem=problem[keep],
    )

    dropped = pd.DataFrame({"var": var[drop], "label": labels[drop], "year": df["year"][drop]})
    catalog = techme_catalog(p.parent)
    fixes = {str(r["variables"]): r for r in techme_label_errata().to_dict("records")}
    src = source or DEFAULT_SOURCE
    rows = []
    for code_v in map(str, pd.unique(codes)):
        v = f"techme_{code_v}"
        u = units[codes == code_v]
        name_zh, short_eng, pub_unit = "", "", ""
        if catalog is not None:
            found = catalog[catalog["variables"] == code_v].to_dict("records")
            if found:
                h = found[0]
                name_zh = "：".join(str(h[c]) for c in ("chn_block2", "chn_block3", "chn_block4") if str(h[c]))
                short_eng = str(h.get("short_eng", ""))
                pub_unit = str(h.get("units", ""))
        name_en = f"techme {code_v}" + (f" ({short_eng})" if short_eng else "")
        notes = [f"techme dataset {name} (code {code_v})"]
        if code_v in fixes:
            fix = fixes[code_v]
            name_zh, name_en = str(fix["name_zh"]), str(fix["name_en"])
            notes.append(f"label corrected: {fix['note']!s}")
        if code_v in unit_fixes:
            notes.append(unit_fixes[code_v])
        if pub_unit and normalize_unit(pub_unit) != (u.iloc[0] if len(u) else ""):
            notes.append(f"varsList unit {pub_unit} differs from the data's")
        d = dropped[dropped["var"] == v]
        if len(d):
            desc = ", ".join(f"{lab} {yr}" for lab, yr in pd.unique(pd.Series(list(zip(d["label"], d["year"], strict=True)))))
            notes.append(f"dropped {len(d)} regional subtotal rows ({desc})")
        rows.append({"variable": v, "name_en": name_en, "name_zh": name_zh,
                     "unit": str(u.mode().iloc[0]) if len(u) else "", "source": src, "notes": "; ".join(notes)})
    raw_regions = {lab: c for lab, c in zip(labels[keep], code[keep], strict=True) if c}
    return ImportBatch(obs, variables_frame(rows), Provenance.for_file(p, importer="rdata", sheet=name), raw_regions)

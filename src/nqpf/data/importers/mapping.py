"""What the columns of a tidy table hold, and the curated panel's catalog.

Shared by the pandas reader (:mod:`.tidy`) and the DuckDB reader (:mod:`.bulk`), which
both import it (neither imports the other for these): :class:`ColumnMapping`, the curated
layout :data:`CURATED`, the default catalog source :data:`DEFAULT_SOURCE` and
:func:`curated_catalog`, the catalog rows of a curated panel.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import pandas as pd

from nqpf.data.importers.common import normalize_unit, read_csv_table, variables_frame
from nqpf.errors import ValidationError

#: columns of the curated panel files
CURATED_COLUMNS = ("region_code", "year", "variable", "value")
LAYOUTS = ("auto", "long", "wide_variables", "wide_years")
DEFAULT_SOURCE = "user"


@dataclass(frozen=True)
class ColumnMapping:
    """Which columns of a tidy file hold what.

    ``layout``: ``"long"`` (region, year, variable, value columns), ``"wide_variables"``
    (region, year and one column per variable: ``columns`` or all the others),
    ``"wide_years"`` (region and one column per year, for one variable), or ``"auto"``
    (long if the variable and value columns exist, else wide by variable if the year column
    exists, else wide by year). ``unit`` names a unit column (long layout); ``sheet`` picks one
    Excel sheet (default: every sheet that has the region column).
    """

    region: str = "region"
    year: str | None = "year"
    variable: str | None = "variable"
    value: str | None = "value"
    unit: str | None = None
    source: str | None = None
    layout: str = "auto"
    columns: tuple[str, ...] = ()
    sheet: str | int | None = None

    def __post_init__(self) -> None:
        if self.layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}, got {self.layout!r}")

    @classmethod
    def coerce(cls, mapping: ColumnMapping | Mapping[str, object] | None) -> ColumnMapping:
        """A mapping from a :class:`ColumnMapping`, a dict of its fields, or ``None`` (defaults)."""
        if mapping is None:
            return cls()
        if isinstance(mapping, ColumnMapping):
            return mapping
        known = {f.name for f in fields(cls)}
        unknown = set(mapping) - known
        if unknown:
            raise ValueError(f"unknown column-mapping keys: {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}")
        kw = dict(mapping)
        if "columns" in kw and kw["columns"] is not None:
            kw["columns"] = tuple(kw["columns"])  # type: ignore[arg-type]
        return cls(**kw)  # type: ignore[arg-type]


CURATED = ColumnMapping(region="region_code", unit="unit", source="source", layout="long")


def is_curated(columns: list[str]) -> bool:
    """Whether a header has the curated panel's columns."""
    return set(CURATED_COLUMNS) <= {str(c) for c in columns}


def curated_catalog(p: Path, present: list[str], first_unit: Mapping[Any, Any],
                    joined: Mapping[Any, Any], source: str | None) -> pd.DataFrame:
    """Catalog rows of the curated variables ``present`` (in order of first appearance):
    the ``variables.csv`` row beside ``p`` when there is one, else the id as its name, the
    variable's first unit in the data and its distinct sources joined by ``;``."""
    cat_path = p.parent / "variables.csv"
    rows: dict[str, dict[str, str]] = {}
    if cat_path.is_file() and cat_path.resolve() != p.resolve():
        cat = read_csv_table(cat_path)
        need = {"variable", "unit"}
        if not need <= set(cat.columns):
            raise ValidationError(f"catalog lacks columns {', '.join(sorted(need - set(cat.columns)))}",
                                  file=str(cat_path))
        for rec in cat.to_dict("records"):
            rows[str(rec["variable"]).strip()] = {
                "variable": str(rec["variable"]).strip(),
                "name_en": str(rec.get("name_en", "")),
                "name_zh": str(rec.get("name_zh", "")),
                "unit": normalize_unit(str(rec["unit"])),
                "source": str(rec.get("source", "")),
                "notes": str(rec.get("notes", "")),
            }
    out = []
    for v in present:
        if v in rows:
            r = dict(rows[v])
            if source:
                r["source"] = source
            out.append(r)
            continue
        src_v = source or str(joined.get(v, ""))
        out.append({"variable": v, "name_en": v, "name_zh": "", "unit": str(first_unit.get(v, "")),
                    "source": src_v or DEFAULT_SOURCE, "notes": ""})
    return variables_frame(out)


__all__ = ["CURATED", "CURATED_COLUMNS", "DEFAULT_SOURCE", "LAYOUTS", "ColumnMapping",
           "curated_catalog", "is_curated"]

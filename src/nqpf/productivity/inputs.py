"""Read the series the productivity measures need from a :class:`~nqpf.panel.Panel`.

Every series comes back as a ``year x region_code`` frame over the 31 provinces; a
series that is absent raises :class:`~nqpf.errors.ValidationError` naming it and the
folder that carries it, so a user knows what to import.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from nqpf.errors import ValidationError
from nqpf.panel import Panel
from nqpf.regions import REGISTRY

#: where each input lives in the shared data bundle (for error messages)
WHERE = {
    "gfcf": "panel/provinces.csv",
    "investment_price_index_1952": "panel/provinces.csv",
    "fai_funds_in_place_growth": "extension/provecon_nbs.csv",
    "gdp": "panel/provinces.csv",
    "gdp_index": "panel/provinces.csv",
    "gdp_index_rev2025": "extension/provecon_nbs.csv and extension/cuc_ceads_apparent_and_gdp_index.csv",
    "employed_urban_units": "panel/provinces.csv",
    "energy_consumption_total": "extension/energy_consumption_wangmeng.csv",
    "co2_emissions": "panel/provinces.csv or extension/ceads_sectoral_tongjimodule.csv",
    "cpi": "panel/provinces.csv and extension/provecon_nbs.csv",
}


def provinces() -> list[str]:
    """GB/T codes of the 31 provincial-level regions."""
    return [r.code for r in REGISTRY.provinces()]


def series(panel: Panel, variable: str, regions: Sequence[str] | None = None) -> pd.DataFrame:
    """One variable as ``year x region_code`` (NaN where missing), columns in ``regions`` order."""
    if variable not in panel.variables:
        where = WHERE.get(variable, "the data bundle")
        raise ValidationError(
            f"the panel has no '{variable}'; import {where} from ../shared/data first "
            f"(nqpf data import ...)", variable=variable)
    w = panel.to_wide(variable)
    w.columns = [str(c) for c in w.columns]
    regs = list(regions) if regions is not None else provinces()
    return w.reindex(columns=regs).sort_index().astype(float)


def long_table(frames: dict[str, pd.DataFrame], unit_name: str = "region_code") -> pd.DataFrame:
    """``year x unit`` frames side by side as one long table: year, unit, one column per frame."""
    parts = []
    for name, f in frames.items():
        g = f.copy()
        g.index.name = "year"
        g.columns.name = unit_name
        parts.append(g.melt(ignore_index=False, value_name=name).reset_index().set_index(["year", unit_name]))
    return pd.concat(parts, axis=1).reset_index()

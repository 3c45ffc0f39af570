"""The regional panel: the one data shape everything downstream of the store reads.

A :class:`Panel` holds long tidy observations ``region_code, year, variable, value`` and a
variable catalog ``variable, name_en, name_zh, unit, source``. Missing observations have no
row (never a zero). :meth:`Panel.to_array` gives the dense ``years x regions x variables``
NumPy array, with NaN for missing cells, that the vectorised methods work on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from nqpf.errors import ValidationError
from nqpf.regions import REGISTRY

OBS_COLUMNS = ["region_code", "year", "variable", "value"]
CATALOG_COLUMNS = ["variable", "name_en", "name_zh", "unit", "source"]


@dataclass(frozen=True)
class PanelArray:
    """A dense labelled cube: ``values[t, r, v]`` for ``years[t]``, ``regions[r]``, ``variables[v]``."""

    values: np.ndarray
    years: list[int]
    regions: list[str]
    variables: list[str]

    def get(self, variable: str) -> np.ndarray:
        """The ``years x regions`` matrix of one variable."""
        return self.values[:, :, self.variables.index(variable)]


class Panel:
    """Long regional panel plus variable catalog.

    Parameters
    ----------
    observations:
        DataFrame with columns ``region_code`` (str, GB/T 2260), ``year`` (int),
        ``variable`` (str), ``value`` (float). Extra columns are kept.
    catalog:
        DataFrame with one row per variable: ``variable, name_en, name_zh, unit, source``.
    """

    def __init__(self, observations: pd.DataFrame, catalog: pd.DataFrame | None = None) -> None:
        missing = [c for c in OBS_COLUMNS if c not in observations.columns]
        if missing:
            raise ValidationError(f"panel observations lack columns {missing}")
        obs = observations.copy()
        obs["region_code"] = obs["region_code"].astype(str)
        obs["year"] = obs["year"].astype(int)
        obs["variable"] = obs["variable"].astype(str)
        obs["value"] = obs["value"].astype(float)
        obs = obs.dropna(subset=["value"]).sort_values(["variable", "region_code", "year"])
        self._obs = obs.reset_index(drop=True)
        if catalog is None:
            catalog = pd.DataFrame({"variable": sorted(obs["variable"].unique())})
        cat = catalog.copy()
        for c in CATALOG_COLUMNS:
            if c not in cat.columns:
                cat[c] = ""
        self._catalog = cat.drop_duplicates("variable", keep="last").set_index("variable", drop=False)

    # -- views -----------------------------------------------------------------------
    @property
    def observations(self) -> pd.DataFrame:
        """The long observations (a copy)."""
        return self._obs.copy()

    @property
    def catalog(self) -> pd.DataFrame:
        """The variable catalog, one row per variable in the panel."""
        return self._catalog[self._catalog["variable"].isin(self.variables)].reset_index(drop=True)

    @property
    def variables(self) -> list[str]:
        """Sorted variable ids present."""
        return sorted(self._obs["variable"].unique().tolist())

    @property
    def regions(self) -> list[str]:
        """Sorted region codes present."""
        return sorted(self._obs["region_code"].unique().tolist())

    @property
    def years(self) -> list[int]:
        """Sorted years present."""
        return sorted(int(y) for y in self._obs["year"].unique())

    def unit(self, variable: str) -> str:
        """The unit of a variable as recorded in the catalog."""
        return str(self._catalog.loc[variable, "unit"]) if variable in self._catalog.index else ""

    def __len__(self) -> int:
        return len(self._obs)

    def __repr__(self) -> str:
        yrs = self.years
        span = f"{yrs[0]}-{yrs[-1]}" if yrs else "none"
        return f"Panel({len(self._obs)} observations, {len(self.variables)} variables, {len(self.regions)} regions, years {span})"

    # -- selection -------------------------------------------------------------------
    def select(
        self,
        variables: Iterable[str] | None = None,
        regions: Iterable[str] | None = None,
        years: Iterable[int] | None = None,
    ) -> Panel:
        """A sub-panel. Regions may be given by any alias; unknown variables raise."""
        obs = self._obs
        if variables is not None:
            vs = list(variables)
            unknown = sorted(set(vs) - set(self.variables))
            if unknown:
                raise ValidationError(f"unknown variables {unknown}", variable=unknown[0])
            obs = obs[obs["variable"].isin(vs)]
        if regions is not None:
            codes = REGISTRY.codes(regions)
            obs = obs[obs["region_code"].isin(codes)]
        if years is not None:
            obs = obs[obs["year"].isin([int(y) for y in years])]
        return Panel(obs, self._catalog.reset_index(drop=True))

    def combine(self, *others: Panel) -> Panel:
        """One panel of this and ``others`` (e.g. text-exposure indicators beside statistics).

        Variables must not overlap: a variable present in two panels raises
        :class:`ValidationError` naming it (merge vintages in the store, not here).
        """
        seen = set(self.variables)
        for o in others:
            clash = sorted(seen & set(o.variables))
            if clash:
                raise ValidationError(f"variables in both panels: {clash}", variable=clash[0])
            seen |= set(o.variables)
        obs = pd.concat([self._obs, *(o._obs for o in others)], ignore_index=True)
        cat = pd.concat([self._catalog, *(o._catalog for o in others)], ignore_index=True)
        return Panel(obs, cat)

    def to_long(self, names: bool = False) -> pd.DataFrame:
        """Long table; with ``names`` adds ``region_en``, ``region_zh`` and ``unit``."""
        out = self.observations
        if names:
            regs = {r.code: r for r in REGISTRY}
            out["region_en"] = out["region_code"].map(lambda c: regs[c].name_en if c in regs else c)
            out["region_zh"] = out["region_code"].map(lambda c: regs[c].name_zh if c in regs else c)
            out["unit"] = out["variable"].map(self.unit)
        return out

    def to_wide(self, variable: str) -> pd.DataFrame:
        """One variable as a ``year x region_code`` table (NaN where missing)."""
        sub = self._obs[self._obs["variable"] == variable]
        return sub.pivot(index="year", columns="region_code", values="value")

    def to_array(
        self,
        variables: Sequence[str] | None = None,
        regions: Sequence[str] | None = None,
        years: Sequence[int] | None = None,
    ) -> PanelArray:
        """Dense ``years x regions x variables`` float array, NaN where missing.

        Axes default to everything present; given axes fix the order (and may include
        years or regions with no data, which come out all-NaN).
        """
        vs = list(variables) if variables is not None else self.variables
        unknown = sorted(set(vs) - set(self.variables))
        if unknown:
            raise ValidationError(f"unknown variables {unknown}", variable=unknown[0])
        rs = [str(r) for r in regions] if regions is not None else self.regions
        ys = [int(y) for y in years] if years is not None else self.years
        values = np.full((len(ys), len(rs), len(vs)), np.nan)
        obs = self._obs[self._obs["variable"].isin(vs)]
        ti = _positions(obs["year"], ys)
        ri = _positions(obs["region_code"], rs)
        vi = _positions(obs["variable"], vs)
        keep = (ti >= 0) & (ri >= 0) & (vi >= 0)
        values[ti[keep], ri[keep], vi[keep]] = obs["value"].to_numpy()[keep]
        return PanelArray(values, ys, rs, vs)

    def coverage(self) -> pd.DataFrame:
        """Variables x years table of how many regions have a value."""
        tab = self._obs.groupby(["variable", "year"])["region_code"].nunique().unstack(fill_value=0)
        return tab.sort_index()


def _positions(column: pd.Series, axis: Sequence[object]) -> np.ndarray:
    """Position of each value of ``column`` on ``axis`` (-1 if absent): factorise the column
    (hashing once), then look only its distinct values up (fast for millions of rows)."""
    codes, uniques = pd.factorize(column, sort=False)
    where = pd.Index(list(axis)).get_indexer(pd.Index(np.asarray(uniques, dtype=object)))
    return np.where(codes >= 0, where[codes], -1)

"""Inputs of every regional analysis: a region-by-year series and a grouping of its regions.

An analysis accepts an :class:`~nqpf.index.build.IndexResult` (any node, or any indicator of
it), a wide DataFrame (years x regions, any region alias as column), or a tidy DataFrame
(``region_code, year`` and ``value`` or ``score``; a ``node`` column is filtered by ``node``).
:func:`as_series` turns all of them into one :class:`RegionalSeries`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from nqpf.errors import NqpfError
from nqpf.regions import REGISTRY

__all__ = ["Grouping", "RegionalError", "RegionalSeries", "as_series", "grouping_of"]


class RegionalError(NqpfError):
    """Input a regional analysis cannot use (unknown node, grouping, region; bad values)."""


@dataclass
class RegionalSeries:
    """Values of one quantity for regions by year.

    Attributes
    ----------
    values : (T, R) float array; NaN where a value is missing.
    years : the T years.  regions : the R GB/T 2260 region codes.
    name : what the values are (node id, indicator, column).
    """

    values: np.ndarray
    years: list[int]
    regions: list[str]
    name: str = "value"
    notes: list[str] = field(default_factory=list)

    def frame(self) -> pd.DataFrame:
        """Years x region codes."""
        return pd.DataFrame(self.values, index=pd.Index(self.years, name="year"),
                            columns=pd.Index(self.regions, name="region_code"))

    def cross_section(self, t: int) -> tuple[np.ndarray, np.ndarray]:
        """Values of year index ``t`` and the mask of regions that have one."""
        row = self.values[t]
        ok = np.isfinite(row)
        return row, ok


def _is_index_result(obj: Any) -> bool:
    return hasattr(obj, "scores") and hasattr(obj, "years") and hasattr(obj, "regions")


def as_series(data: Any, node: str | None = None, *, name: str | None = None) -> RegionalSeries:
    """Turn an index result, a wide or a tidy DataFrame into a :class:`RegionalSeries`.

    ``node`` picks a node or indicator of an index result (default: the index itself) or the
    rows of a tidy table with a ``node`` column (default: its first node, the index).
    """
    if isinstance(data, RegionalSeries):
        return data
    if _is_index_result(data):
        node = node or data.framework.root.id
        if node not in data.scores:
            known = ", ".join(list(data.scores)[:12])
            raise RegionalError(f"unknown node {node!r} in {data.framework.id}; known: {known}, ...")
        vals = np.asarray(data.scores[node], dtype=float)
        return RegionalSeries(vals.copy(), [int(y) for y in data.years], list(data.regions),
                              name or node)
    if not isinstance(data, pd.DataFrame):
        raise RegionalError(
            f"cannot read a region-by-year series from {type(data).__name__}; give an IndexResult, "
            "a wide DataFrame (years x regions) or a tidy one (region_code, year, value)")
    cols = {str(c).lower(): c for c in data.columns}
    if "region_code" in cols and "year" in cols:
        df = data
        if "node" in cols:
            nodes = list(dict.fromkeys(df[cols["node"]].astype(str)))
            node = node or nodes[0]
            if node not in nodes:
                raise RegionalError(f"unknown node {node!r}; the table has: {', '.join(nodes[:12])}")
            df = df[df[cols["node"]].astype(str) == node]
        vcol = next((cols[c] for c in ("value", "score") if c in cols), None)
        if vcol is None:
            raise RegionalError("a tidy table needs a 'value' or 'score' column")
        codes = REGISTRY.codes(df[cols["region_code"]].astype(str).unique())
        mapping = dict(zip(df[cols["region_code"]].astype(str).unique(), codes, strict=True))
        d = pd.DataFrame({"region_code": df[cols["region_code"]].astype(str).map(mapping),
                          "year": pd.to_numeric(df[cols["year"]]).astype(int),
                          "value": pd.to_numeric(df[vcol], errors="coerce")})
        if d.duplicated(["region_code", "year"]).any():
            raise RegionalError("the table has more than one value per region and year; pass node=")
        wide = d.pivot(index="year", columns="region_code", values="value")
        label = name or node or str(vcol)
    else:
        wide = data.copy()
        wide.columns = REGISTRY.codes([str(c) for c in wide.columns])
        wide.index = pd.Index([int(y) for y in wide.index], name="year")
        label = name or "value"
    wide = wide.sort_index().reindex(columns=sorted(wide.columns))
    return RegionalSeries(wide.to_numpy(dtype=float), [int(y) for y in wide.index],
                          [str(c) for c in wide.columns], label)


@dataclass(frozen=True)
class Grouping:
    """A partition of regions: ``labels[r]`` is the group key of region r."""

    name: str
    keys: list[str]
    names_en: dict[str, str]
    names_zh: dict[str, str]
    labels: np.ndarray

    def label(self, key: str, lang: str = "en") -> str:
        """The group's name in English or Chinese."""
        return (self.names_zh if lang == "zh" else self.names_en)[key]


def grouping_of(regions: Sequence[str], grouping: str | Mapping[str, Sequence[str]] = "nbs4") -> Grouping:
    """The group of every region, from a registry grouping (``nbs4``, ``belt3``) or user groups.

    User groups are ``{group: [region names or codes]}``. Every region must be in exactly one group.
    """
    if isinstance(grouping, str):
        try:
            groups = REGISTRY.groups(grouping)
        except KeyError:
            raise RegionalError(f"unknown grouping {grouping!r}; known: "
                                f"{', '.join(REGISTRY.groupings())}") from None
        members = {k: set(g.codes) for k, g in groups.items()}
        en = {k: g.name_en for k, g in groups.items()}
        zh = {k: g.name_zh for k, g in groups.items()}
        gname = grouping
    else:
        members = {str(k): set(REGISTRY.codes(v)) for k, v in grouping.items()}
        en = {k: k for k in members}
        zh = dict(en)
        gname = "user"
    labels = []
    for r in regions:
        hit = [k for k, m in members.items() if r in m]
        if len(hit) != 1:
            what = "no group" if not hit else f"several groups ({', '.join(hit)})"
            raise RegionalError(f"region {r} is in {what} of grouping {gname!r}; every region needs exactly one")
        labels.append(hit[0])
    keys = [k for k in members if k in set(labels)]
    return Grouping(gname, keys, en, zh, np.array(labels, dtype=object))

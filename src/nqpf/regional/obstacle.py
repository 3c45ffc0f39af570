"""Obstacle degree model: which indicators and dimensions hold a region's score back most.

The "障碍度模型" of the Chinese literature (e.g. Yang Liyan & Wang 2012; for NQPF Lu Jiang et al.
2024), factor contribution x deviation: for region r, year t and indicator j with effective
weight F_j (the product of the weights from the indicator up to the root) and normalised value
x_rtj in [0, 1] (1 = best),

    I_rtj = 1 - x_rtj                   (deviation from the ideal)
    O_rtj = F_j I_rtj / sum_j F_j I_rtj   (x 100, %)
    U_rtd = sum_{j in d} O_rtj            (dimension d: a child of the root)

Indicators without a value in a region-year (left missing by the index) are left out of that
region-year's sum, and the notes say how many.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from nqpf.regional.series import RegionalError

__all__ = ["ObstacleDegree", "effective_weights"]


def effective_weights(weights: pd.DataFrame, indicators: list[str]) -> pd.Series:
    """Each indicator's weight in the index: the product of ``weight`` from it up to the root.

    ``weights`` has columns ``node, parent, weight`` (each child's weight within its parent).
    """
    wt = dict(zip(weights["node"].astype(str), weights["weight"].astype(float), strict=True))
    parent = dict(zip(weights["node"].astype(str), weights["parent"].astype(str), strict=True))
    out = {}
    for ind in indicators:
        prod, node, seen = 1.0, ind, set()
        while node in wt:
            if node in seen:
                raise RegionalError(f"the weights table has a cycle at {node!r}")
            seen.add(node)
            prod *= wt[node]
            node = parent[node]
        out[ind] = prod
    return pd.Series(out, name="weight")


def _dimension_of(weights: pd.DataFrame, root: str) -> dict[str, str]:
    parent = dict(zip(weights["node"], weights["parent"], strict=True))
    out = {}
    for node in parent:
        cur = node
        while parent.get(cur) not in (root, None):
            cur = parent[cur]
        out[node] = cur
    return out


@dataclass
class ObstacleDegree:
    """Obstacle degrees of every indicator and dimension, per region and year, ranked.

    ``result`` is an :class:`~nqpf.index.build.IndexResult` built with min-max normalisation.

    Attributes: ``indicators`` (year, region_code, dimension, indicator, weight, deviation,
    obstacle %, rank: 1 = the largest obstacle), ``dimensions`` (year, region_code, dimension,
    obstacle %, rank), ``notes``.
    """

    result: Any
    indicators: pd.DataFrame = field(init=False)
    dimensions: pd.DataFrame = field(init=False)
    notes: list[str] = field(init=False)

    def __post_init__(self) -> None:
        res = self.result
        if not hasattr(res, "normalised") or not hasattr(res, "weights"):
            raise RegionalError("the obstacle model needs an index result (normalised indicators and weights), "
                                "not a plain series")
        x = np.asarray(res.normalised, dtype=float)
        lo, hi = np.nanmin(x), np.nanmax(x)
        if lo < -1e-9 or hi > 1 + 1e-9:
            raise RegionalError(f"the obstacle model needs indicators normalised to [0, 1] (found {lo:.3g}..{hi:.3g}); "
                                "rebuild the index with normalisation=minmax")
        self.notes = []
        inds = list(res.indicators)
        fw = effective_weights(res.weights, inds)
        self.weights = fw
        root = res.framework.root.id
        dim = _dimension_of(res.weights, root)
        dev = 1.0 - x  # (T, R, K)
        contrib = fw.to_numpy()[None, None, :] * dev
        miss = np.isnan(contrib)
        if miss.any():
            self.notes.append(f"{int(miss.sum())} indicator values missing in the index: left out of their "
                              "region-year's obstacle sum")
        total = np.nansum(contrib, axis=2, keepdims=True)
        obst = 100.0 * np.divide(contrib, total, out=np.full_like(contrib, np.nan), where=total > 0)
        if (total == 0).any():
            self.notes.append(f"{int((total == 0).sum())} region-years at the ideal on every indicator: no obstacle")
        t, r, k = obst.shape
        df = pd.DataFrame({
            "year": np.repeat(np.array(res.years), r * k),
            "region_code": np.tile(np.repeat(np.array(res.regions), k), t),
            "indicator": np.tile(np.array(inds), t * r),
            "weight": np.tile(fw.to_numpy(), t * r),
            "deviation": dev.ravel(),
            "obstacle": obst.ravel(),
        })
        df.insert(2, "dimension", df["indicator"].map(dim))
        df["rank"] = df.groupby(["year", "region_code"])["obstacle"].rank(ascending=False, method="min").astype("Int64")
        self.indicators = df
        d: pd.DataFrame = df.groupby(["year", "region_code", "dimension"], as_index=False, sort=False)[
            ["obstacle"]].sum(min_count=1)
        d["rank"] = d.groupby(["year", "region_code"])["obstacle"].rank(ascending=False, method="min").astype("Int64")
        self.dimensions = d

    def top(self, n: int = 3, year: int | None = None) -> pd.DataFrame:
        """The ``n`` largest indicator obstacles of each region in ``year`` (default: the last)."""
        year = int(self.indicators["year"].max()) if year is None else year
        d = self.indicators[(self.indicators["year"] == year) & (self.indicators["rank"] <= n)]
        return d.sort_values(["region_code", "rank"]).reset_index(drop=True)

    @property
    def summary(self) -> str:
        """The indicators and dimensions that are the largest obstacle most often, last year."""
        year = int(self.indicators["year"].max())
        first = self.indicators[(self.indicators["year"] == year) & (self.indicators["rank"] == 1)]
        dims = self.dimensions[self.dimensions["year"] == year].groupby("dimension")["obstacle"].mean()
        lines = [f"Obstacle degree / 障碍度: {self.result.framework.id}, {year}",
                 "  largest obstacle (regions) / 首要障碍因子: "
                 + ", ".join(f"{k} ({v})" for k, v in first["indicator"].value_counts().head(5).items()),
                 "  mean dimension obstacle % / 维度平均障碍度: "
                 + ", ".join(f"{k} {v:.1f}" for k, v in dims.sort_values(ascending=False).items())]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def to_tidy(self) -> pd.DataFrame:
        """Indicator and dimension rows together: ``level, year, region_code, dimension, item, obstacle, rank``."""
        a = self.indicators.rename(columns={"indicator": "item"}).assign(level="indicator")
        b = self.dimensions.assign(item=self.dimensions["dimension"], level="dimension")
        cols = ["level", "year", "region_code", "dimension", "item", "obstacle", "rank"]
        return pd.concat([a[cols], b[cols]], ignore_index=True)

    def chart_data(self, year: int | None = None, region: str | None = None) -> pd.DataFrame:
        """Mean obstacle (%) of each indicator in ``year`` over all regions, or of one region; sorted."""
        year = int(self.indicators["year"].max()) if year is None else year
        d = self.indicators[self.indicators["year"] == year]
        if region is not None:
            d = d[d["region_code"] == region]
        out: pd.DataFrame = d.groupby(["dimension", "indicator"], as_index=False)[["obstacle"]].mean()
        return out.sort_values("obstacle", ascending=False).reset_index(drop=True)

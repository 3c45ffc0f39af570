"""Kernel density of the cross-section, year by year (distribution dynamics).

Gaussian kernel, f(x) = (1 / (n h)) sum_i phi((x - y_i) / h). The bandwidth rule is stated in
every output (Silverman, B. W. 1986, *Density Estimation for Statistics and Data Analysis*):

    silverman  h = 0.9 min(sd, IQR / 1.349) n^(-1/5)     (eq. 3.31, the default)
    scott      h = 1.059 min(sd, IQR / 1.349) n^(-1/5)   (Scott 1992, robust spread)

sd is the sample standard deviation (ddof 1); both rules are statsmodels' ``bw_silverman`` and
``bw_scott``, against which the tests check them. All years share one grid (pooled range extended
by 3 bandwidths), so ridge and 3-D plots can be drawn from ``to_tidy()``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from nqpf.regional.series import RegionalError, as_series

__all__ = ["KernelDensity", "bandwidth", "gaussian_kde"]


def bandwidth(y: np.ndarray, rule: str = "silverman") -> float:
    """The bandwidth ``h`` of ``rule`` (silverman or scott) for the values ``y``."""
    n = y.size
    sd = float(np.std(y, ddof=1))
    iqr = float(np.subtract(*np.percentile(y, [75, 25])))
    spread = min(sd, iqr / 1.349) if iqr > 0 else sd
    if rule == "silverman":
        return 0.9 * spread * n ** (-0.2)
    if rule == "scott":
        return 1.059 * spread * n ** (-0.2)
    raise RegionalError(f"unknown bandwidth rule {rule!r}; use silverman or scott")


def gaussian_kde(y: np.ndarray, grid: np.ndarray, h: float) -> np.ndarray:
    """Gaussian kernel density of ``y`` with bandwidth ``h`` on ``grid``."""
    u = (grid[:, None] - y[None, :]) / h
    return np.exp(-0.5 * u * u).sum(axis=1) / (y.size * h * np.sqrt(2 * np.pi))


@dataclass
class KernelDensity:
    """Kernel densities of a region-by-year series, one per year, on a common grid.

    Attributes: ``grid`` (points), ``density`` (years x points), ``bandwidths`` (year, n, h, rule),
    ``moments`` (year, mean, median, sd, skew, peaks: number of local maxima), ``notes``.
    """

    data: Any
    node: str | None = None
    rule: str = "silverman"
    points: int = 200
    grid: np.ndarray = field(init=False)
    density: pd.DataFrame = field(init=False)
    bandwidths: pd.DataFrame = field(init=False)
    moments: pd.DataFrame = field(init=False)
    notes: list[str] = field(init=False)

    def __post_init__(self) -> None:
        ser = as_series(self.data, self.node)
        self.name = ser.name
        self.notes = []
        vals, hs, rows = {}, [], []
        for t, year in enumerate(ser.years):
            row, ok = ser.cross_section(t)
            if ok.sum() < 3:
                self.notes.append(f"{year}: fewer than 3 values; no density")
                continue
            if not ok.all():
                self.notes.append(f"{year}: {int((~ok).sum())} regions without a value left out")
            y = row[ok]
            vals[year] = y
            hs.append({"year": year, "n": int(y.size), "bandwidth": bandwidth(y, self.rule), "rule": self.rule})
        if not vals:
            raise RegionalError("no year has 3 or more values for a density")
        self.bandwidths = pd.DataFrame(hs)
        hmax = float(self.bandwidths["bandwidth"].max())
        allv = np.concatenate(list(vals.values()))
        self.grid = np.linspace(allv.min() - 3 * hmax, allv.max() + 3 * hmax, self.points)
        dens = {}
        for (year, y), h in zip(vals.items(), self.bandwidths["bandwidth"], strict=True):
            f = gaussian_kde(y, self.grid, float(h))
            dens[year] = f
            peaks = int(np.sum((f[1:-1] > f[:-2]) & (f[1:-1] > f[2:])))
            sd = float(np.std(y, ddof=1))
            rows.append({"year": year, "mean": float(y.mean()), "median": float(np.median(y)), "sd": sd,
                         "skew": float(np.mean((y - y.mean()) ** 3) / np.std(y) ** 3), "peaks": peaks,
                         "mode": float(self.grid[np.argmax(f)])})
        self.density = pd.DataFrame(dens).T.set_axis(self.grid, axis=1)
        self.density.index.name = "year"
        self.moments = pd.DataFrame(rows)

    @property
    def summary(self) -> str:
        """Bandwidth rule, and location, spread and peaks in the first and last year."""
        m = self.moments
        lines = [f"Kernel density / 核密度: {self.name}, Gaussian kernel, bandwidth rule {self.rule} / 带宽规则"]
        for _, r in m.iloc[[0, -1]].iterrows():
            h = self.bandwidths.set_index("year").loc[r["year"], "bandwidth"]
            lines.append(f"  {int(r['year'])}: mean {r['mean']:.4f}, sd {r['sd']:.4f}, mode {r['mode']:.4f}, "
                         f"{int(r['peaks'])} peak(s) / 峰, h {h:.4f}")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def to_tidy(self) -> pd.DataFrame:
        """``year, x, density, bandwidth, rule``: the data of ridge and 3-D plots."""
        d = self.density.reset_index().melt(id_vars="year", var_name="x", value_name="density")
        d["x"] = d["x"].astype(float)
        d = d.merge(self.bandwidths[["year", "bandwidth", "rule"]], on="year")
        return d.sort_values(["year", "x"]).reset_index(drop=True)

    def chart_data(self) -> pd.DataFrame:
        """Same as :meth:`to_tidy` (one curve per year)."""
        return self.to_tidy()

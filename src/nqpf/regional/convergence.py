"""sigma and beta convergence of a region-by-year series.

sigma convergence (Barro & Sala-i-Martin 1992, *JPE* 100: 223-251): the cross-sectional
dispersion falls over time. Reported per year: the standard deviation of ln y (ddof 0) and the
coefficient of variation; the trend is the OLS slope of each on the year, with its p-value.

beta convergence: regions that start lower grow faster. Annual panel regression
(Barro & Sala-i-Martin 1992; Miller & Upadhyay 2002 for the panel form)

    ln(y_i,t+1 / y_i,t) = beta ln y_i,t + gamma' X_i,t + mu_i + eta_t + e_i,t

with region and year fixed effects (two-way) and standard errors clustered by region, fitted by
linearmodels' ``PanelOLS``. Absolute beta: no X; conditional beta: with the controls X. beta < 0
(significant) means convergence; speed lambda = -ln(1 + beta) / tau (tau = 1 year) and
half-life ln 2 / lambda years.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from nqpf.regional.series import RegionalError, as_series

__all__ = ["BetaConvergence", "SigmaConvergence"]


def _trend(years: np.ndarray, v: np.ndarray) -> tuple[float, float]:
    ok = np.isfinite(v)
    if ok.sum() < 3:
        return float("nan"), float("nan")
    r = stats.linregress(years[ok], v[ok])
    return float(r.slope), float(r.pvalue)


@dataclass
class SigmaConvergence:
    """Dispersion per year and its trend.

    Attributes: ``table`` (year, n, sd_log, cv), ``slope_sd_log``, ``p_sd_log``, ``slope_cv``,
    ``p_cv`` (OLS trend per year and its p-value), ``converging`` (the sd of logs falls, p < 0.05).
    """

    data: Any
    node: str | None = None
    table: pd.DataFrame = field(init=False)
    notes: list[str] = field(init=False)

    def __post_init__(self) -> None:
        ser = as_series(self.data, self.node)
        self.name = ser.name
        self.notes = []
        rows = []
        for t, year in enumerate(ser.years):
            row, ok = ser.cross_section(t)
            y = row[ok]
            if y.size < 2:
                continue
            pos = y > 0
            if not pos.all():
                self.notes.append(f"{year}: {int((~pos).sum())} non-positive values left out of sd(ln y)")
            rows.append({"year": year, "n": int(y.size), "sd_log": float(np.std(np.log(y[pos]))) if pos.sum() > 1 else np.nan,
                         "cv": float(np.std(y) / np.mean(y)) if np.mean(y) != 0 else np.nan})
        self.table = pd.DataFrame(rows)
        yrs = self.table["year"].to_numpy(dtype=float)
        self.slope_sd_log, self.p_sd_log = _trend(yrs, self.table["sd_log"].to_numpy())
        self.slope_cv, self.p_cv = _trend(yrs, self.table["cv"].to_numpy())
        self.converging = bool(self.slope_sd_log < 0 and self.p_sd_log < 0.05)

    @property
    def summary(self) -> str:
        """First and last dispersion and the trend."""
        f, lst = self.table.iloc[0], self.table.iloc[-1]
        verdict = "sigma convergence / 存在σ收敛" if self.converging else "no significant sigma convergence / 无显著σ收敛"
        return (f"sigma convergence / σ收敛: {self.name}\n"
                f"  sd(ln y) {int(f['year'])} {f['sd_log']:.4f} -> {int(lst['year'])} {lst['sd_log']:.4f}; "
                f"trend {self.slope_sd_log:+.5f}/yr (p {self.p_sd_log:.3g})\n"
                f"  CV {f['cv']:.4f} -> {lst['cv']:.4f}; trend {self.slope_cv:+.5f}/yr (p {self.p_cv:.3g})\n  {verdict}"
                + "".join(f"\n  note: {n}" for n in self.notes))

    def to_tidy(self) -> pd.DataFrame:
        """``year, measure, value``."""
        return self.table.melt(id_vars=["year"], value_vars=["sd_log", "cv"], var_name="measure")

    def chart_data(self) -> pd.DataFrame:
        """The per-year table."""
        return self.table.copy()


@dataclass
class BetaConvergence:
    """Panel beta convergence, two-way fixed effects, standard errors clustered by region.

    Parameters: ``controls`` ({name: series accepted by :func:`as_series`}) makes it conditional;
    ``effects``: ``"twoway"`` (default), ``"entity"`` or ``"none"``.

    Attributes: ``beta``, ``se``, ``t``, ``p``, ``speed`` (lambda, per year), ``half_life``
    (years; NaN if beta >= 0), ``nobs``, ``kind`` (absolute/conditional), ``params`` (all
    coefficients table), ``fit`` (the linearmodels result), ``converging`` (beta < 0, p < 0.05).
    """

    data: Any
    controls: Mapping[str, Any] | None = None
    node: str | None = None
    effects: str = "twoway"
    params: pd.DataFrame = field(init=False)
    notes: list[str] = field(init=False)

    def __post_init__(self) -> None:
        from linearmodels.panel import PanelOLS

        ser = as_series(self.data, self.node)
        self.name = ser.name
        self.notes = []
        if self.effects not in {"twoway", "entity", "none"}:
            raise RegionalError(f"effects must be twoway, entity or none, got {self.effects!r}")
        v = ser.values
        if np.any(v[np.isfinite(v)] <= 0):
            raise RegionalError("beta convergence takes logs: the series needs positive values")
        if len(ser.years) < 3:
            raise RegionalError("beta convergence needs at least three years")
        lv = np.log(v)
        growth = lv[1:] - lv[:-1]
        taus = np.diff(np.array(ser.years, dtype=float))[:, None] * np.ones((1, lv.shape[1]))
        growth = growth / taus  # annualised if years are not consecutive
        if np.any(taus != 1):
            self.notes.append("years are not all consecutive: growth is annualised")
        idx = pd.MultiIndex.from_product([ser.regions, ser.years[:-1]], names=["region_code", "year"])
        df = pd.DataFrame({"growth": growth.T.ravel(), "log_level": lv[:-1].T.ravel()}, index=idx)
        self.kind = "conditional" if self.controls else "absolute"
        for name, c in (self.controls or {}).items():
            cs = as_series(c).frame().reindex(index=ser.years, columns=ser.regions)
            df[name] = cs.to_numpy()[:-1].T.ravel()
        before = len(df)
        df = df.dropna()
        if len(df) < before:
            self.notes.append(f"{before - len(df)} region-years with a missing value left out")
        exog = df.drop(columns="growth")
        if self.effects == "none":
            exog = exog.assign(const=1.0)
        mod = PanelOLS(df["growth"], exog, entity_effects=self.effects in {"twoway", "entity"},
                       time_effects=self.effects == "twoway", drop_absorbed=True)
        self.fit = mod.fit(cov_type="clustered", cluster_entity=True)
        f = self.fit
        self.params = pd.DataFrame({"coef": f.params, "se": f.std_errors, "t": f.tstats, "p": f.pvalues})
        self.beta = float(f.params["log_level"])
        self.se = float(f.std_errors["log_level"])
        self.t = float(f.tstats["log_level"])
        self.p = float(f.pvalues["log_level"])
        self.nobs = int(f.nobs)
        self.speed = float(-np.log1p(self.beta)) if self.beta > -1 else float("nan")
        self.half_life = float(np.log(2) / self.speed) if self.speed > 0 else float("nan")
        self.converging = bool(self.beta < 0 and self.p < 0.05)

    @property
    def summary(self) -> str:
        """beta, its clustered standard error, speed and half-life."""
        eff = {"twoway": "region and year fixed effects", "entity": "region fixed effects", "none": "pooled"}[self.effects]
        zh = "绝对β收敛" if self.kind == "absolute" else "条件β收敛"
        verdict = "converging / 收敛" if self.converging else "no significant convergence / 不显著"
        return (f"{self.kind} beta convergence / {zh}: {self.name} ({eff}, SE clustered by region)\n"
                f"  beta {self.beta:+.4f} (se {self.se:.4f}, t {self.t:.2f}, p {self.p:.3g}), n={self.nobs}\n"
                f"  speed {self.speed:.4f}/yr, half-life {self.half_life:.1f} years / 半衰期  -> {verdict}"
                + "".join(f"\n  note: {n}" for n in self.notes))

    def to_tidy(self) -> pd.DataFrame:
        """``term, coef, se, t, p`` plus rows for speed and half-life."""
        t = self.params.rename_axis("term").reset_index()
        extra = pd.DataFrame({"term": ["speed", "half_life", "nobs"], "coef": [self.speed, self.half_life, self.nobs]})
        out = pd.concat([t, extra], ignore_index=True)
        out.insert(0, "kind", self.kind)
        return out

    def chart_data(self) -> pd.DataFrame:
        """Same as :meth:`to_tidy`."""
        return self.to_tidy()

"""Panel threshold regression (Hansen 1999, J. Econometrics 93(2)), single threshold.

    y_it = μ_i + β1 x_it 1(q_it ≤ γ) + β2 x_it 1(q_it > γ) + θ' z_it + e_it

Fixed effects are removed by the within transformation on a balanced panel; γ̂ minimises the
sum of squared residuals S1(γ) over the values of q between the ``trim`` quantiles. The test
of no threshold is F1 = (S0 - S1(γ̂)) / σ̂², σ̂² = S1(γ̂) / (n(T-1)), with a bootstrap p-value
from Hansen's (1999, §3.1) scheme: regressors and q held fixed, residuals of the null model
resampled by region (whole residual vectors), the statistic recomputed on each draw.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from nqpf.errors import ValidationError


def _within(a: np.ndarray) -> np.ndarray:
    """Demean ``(n, T, k)`` over T."""
    return a - a.mean(axis=1, keepdims=True)


def _ssr_path(y: np.ndarray, x: np.ndarray, z: np.ndarray, q: np.ndarray,
              grid: np.ndarray) -> np.ndarray:
    """S1(γ) for each γ in ``grid``; arrays are (n, T[, k])."""
    n, T = y.shape
    yw = _within(y[..., None]).reshape(n * T)
    out = np.empty(len(grid))
    for g, gam in enumerate(grid):
        low = (q <= gam)[..., None]
        reg = np.concatenate([x * low, x * ~low, z], axis=2)
        rw = _within(reg).reshape(n * T, -1)
        beta, *_ = np.linalg.lstsq(rw, yw, rcond=None)
        e = yw - rw @ beta
        out[g] = e @ e
    return out


def _ssr0(y: np.ndarray, x: np.ndarray, z: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    n, T = y.shape
    yw = _within(y[..., None]).reshape(n * T)
    rw = _within(np.concatenate([x, z], axis=2)).reshape(n * T, -1)
    beta, *_ = np.linalg.lstsq(rw, yw, rcond=None)
    e = yw - rw @ beta
    return float(e @ e), beta, e.reshape(n, T)


@dataclass
class ThresholdResults:
    """``threshold`` γ̂, ``params`` (x below / above γ̂, then controls), ``f_stat`` F1,
    ``pvalue`` (bootstrap), ``n_boot``, ``ssr`` (grid, S1) and ``dropped`` regions (unbalanced)."""

    threshold: float
    params: pd.Series
    f_stat: float
    pvalue: float
    n_boot: int
    ssr: pd.Series
    dropped: list[str] = field(default_factory=list)

    def to_tidy(self) -> pd.DataFrame:
        """term, estimate, plus threshold, F and bootstrap p in every row."""
        return pd.DataFrame({"term": self.params.index, "estimate": self.params.to_numpy(),
                             "threshold": self.threshold, "f_stat": self.f_stat, "p_value_bootstrap": self.pvalue,
                             "n_boot": self.n_boot})

    @property
    def summary(self) -> str:
        """Threshold, F and p."""
        return (f"Hansen (1999) threshold / 门槛回归: γ = {self.threshold:.4f}, F1 = {self.f_stat:.2f}, "
                f"bootstrap p = {self.pvalue:.3f} ({self.n_boot} draws); "
                + ", ".join(f"{k} {v:.4f}" for k, v in self.params.items())
                + (f"; dropped (unbalanced) / 剔除: {', '.join(self.dropped)}" if self.dropped else ""))


@dataclass
class PanelThreshold:
    """``PanelThreshold(dependent, regressor, threshold_var, controls).fit(data)``.

    ``trim``: share of q cut at each end of the grid (Hansen uses 0.05 or 0.01); ``n_grid``:
    at most this many candidate γ (quantiles of q); ``n_boot`` bootstrap draws; ``seed``.
    """

    dependent: str
    regressor: str
    threshold_var: str
    controls: Sequence[str] = ()
    trim: float = 0.05
    n_grid: int = 100
    n_boot: int = 300
    seed: int = 12345

    def fit(self, data: pd.DataFrame) -> ThresholdResults:
        """Estimate γ̂ and the bootstrap p-value on a balanced panel (regions with a missing year
        are dropped and listed)."""
        cols = [self.dependent, self.regressor, self.threshold_var, *self.controls]
        miss = [c for c in cols if c not in data.columns]
        if miss:
            raise ValidationError(f"columns {miss} not in the data")
        d = data[list(dict.fromkeys(cols))].replace([np.inf, -np.inf], np.nan).dropna()
        regs = d.index.get_level_values(0)
        T = d.index.get_level_values(1).nunique()
        counts = pd.Series(regs).value_counts()
        keep = sorted(counts.index[counts == T])
        dropped = sorted(set(data.index.get_level_values(0)) - set(keep))
        d = d.loc[keep].sort_index()
        n = len(keep)
        if n < 3 or T < 2:
            raise ValidationError("the threshold model needs a balanced panel of at least 3 regions and 2 years")
        y = d[self.dependent].to_numpy().reshape(n, T)
        x = d[[self.regressor]].to_numpy().reshape(n, T, 1)
        z = d[list(self.controls)].to_numpy().reshape(n, T, len(self.controls))
        q = d[self.threshold_var].to_numpy().reshape(n, T)
        lo, hi = np.quantile(q, [self.trim, 1 - self.trim])
        cand = np.unique(q[(q >= lo) & (q <= hi)])
        grid = cand if len(cand) <= self.n_grid else np.unique(np.quantile(cand, np.linspace(0, 1, self.n_grid)))
        s1 = _ssr_path(y, x, z, q, grid)
        k = int(np.argmin(s1))
        gam = float(grid[k])
        s0, _beta0, e0 = _ssr0(y, x, z)
        sigma2 = s1[k] / (n * (T - 1))
        f1 = (s0 - s1[k]) / sigma2
        # coefficients at γ̂
        low = (q <= gam)[..., None]
        reg = _within(np.concatenate([x * low, x * ~low, z], axis=2)).reshape(n * T, -1)
        beta, *_ = np.linalg.lstsq(reg, _within(y[..., None]).reshape(n * T), rcond=None)
        names = [f"{self.regressor} (q <= γ)", f"{self.regressor} (q > γ)", *self.controls]
        # bootstrap under the null (Hansen 1999, §3.1)
        rng = np.random.default_rng(self.seed)
        fit0 = _within(y[..., None])[..., 0] - e0
        exceed = 0
        for _ in range(self.n_boot):
            draw = rng.integers(0, n, n)
            yb = fit0 + e0[draw]
            sb0 = _ssr0(yb, x, z)[0]
            sb1 = _ssr_path(yb, x, z, q, grid)
            kb = int(np.argmin(sb1))
            fb = (sb0 - sb1[kb]) / (sb1[kb] / (n * (T - 1)))
            exceed += fb >= f1
        return ThresholdResults(gam, pd.Series(beta, index=names), float(f1), exceed / max(self.n_boot, 1),
                                self.n_boot, pd.Series(s1, index=grid, name="ssr"), dropped)

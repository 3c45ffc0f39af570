"""Club convergence: the Phillips-Sul log t test and their clustering algorithm.

Phillips, P. C. B. & Sul, D. (2007) "Transition modeling and econometric convergence tests",
*Econometrica* 75: 1771-1855; (2009) "Economic transition and growth", *J. Applied Econometrics*
24: 1153-1185 (club merging). With X_it the (trend of the) series:

    h_it = X_it / mean_i X_it,    H_t = mean_i (h_it - 1)^2
    log(H_1 / H_t) - 2 log(log t) = a + b log t + u_t,   t = [rT] + 1, ..., T   (r = 0.3)

b = 2 alpha; convergence is rejected at 5% when the t statistic of b, with a Newey-West (HAC,
Bartlett kernel) standard error, is below -1.65. Clubs: order the regions by their last value,
find the core group (the largest leading group with the highest t > -1.65), sieve the other
regions into it one by one (kept if t > c, c = 0), repeat on the rest; the remainder with no
core diverges. Adjacent clubs whose union passes the test are then merged (Phillips & Sul 2009).
The trend is taken with the Hodrick-Prescott filter (lambda = 400 for annual data, as
Phillips & Sul 2007) unless ``hp_lambda=None``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from nqpf.regional.series import RegionalError, as_series

__all__ = ["ClubConvergence", "log_t_test"]

CRIT = -1.65


def _hac_se(x: np.ndarray, u: np.ndarray, lags: int) -> np.ndarray:
    """Newey-West (Bartlett) standard errors of OLS coefficients."""
    xtx_inv = np.linalg.inv(x.T @ x)
    xu = x * u[:, None]
    s = xu.T @ xu
    for lag in range(1, lags + 1):
        g = xu[lag:].T @ xu[:-lag]
        s += (1 - lag / (lags + 1)) * (g + g.T)
    return np.sqrt(np.diag(xtx_inv @ s @ xtx_inv))


def log_t_test(x: np.ndarray, r: float = 0.3) -> tuple[float, float]:
    """The log t regression on ``x`` (T, N positive): returns (b, t statistic of b)."""
    t_len = x.shape[0]
    h = x / x.mean(axis=1, keepdims=True)
    big_h = np.mean((h - 1.0) ** 2, axis=1)
    if np.any(big_h <= 0):
        return float("nan"), float("inf")  # identical paths: perfectly converged
    start = max(int(np.floor(r * t_len)), 1)
    t = np.arange(start + 1, t_len + 1, dtype=float)  # 1-based periods kept
    if t.size < 3:
        raise RegionalError(f"the log t test needs at least 3 periods after dropping the first {r:.0%}; "
                            f"the series has {t_len} years")
    y = np.log(big_h[0] / big_h[start:]) - 2.0 * np.log(np.log(t))
    xm = np.column_stack([np.ones_like(t), np.log(t)])
    coef, *_ = np.linalg.lstsq(xm, y, rcond=None)
    u = y - xm @ coef
    lags = int(np.floor(4 * (t.size / 100) ** (2 / 9)))
    se = _hac_se(xm, u, lags)
    return float(coef[1]), float(coef[1] / se[1]) if se[1] > 0 else float("inf")


@dataclass
class ClubConvergence:
    """Phillips-Sul convergence test of the whole panel and convergence clubs.

    Attributes: ``b``, ``t`` (full panel log t test), ``converging`` (t > -1.65), ``clubs``
    (list of lists of region codes, highest club first), ``divergent`` (regions in no club),
    ``table`` (region_code, club: 1.. or 0 = divergent), ``club_tests`` (club, size, b, t),
    ``notes``.
    """

    data: Any
    node: str | None = None
    hp_lambda: float | None = 400.0
    r: float = 0.3
    sieve_c: float = 0.0
    merge: bool = True
    log: bool | None = None
    clubs: list[list[str]] = field(init=False)
    notes: list[str] = field(init=False)

    def __post_init__(self) -> None:
        ser = as_series(self.data, self.node)
        self.name = ser.name
        self.notes = []
        v = ser.values
        if np.isnan(v).any():
            raise RegionalError("the Phillips-Sul test needs a complete panel (a value for every region and year)")
        if np.any(v <= 0):
            raise RegionalError("the Phillips-Sul test needs positive values")
        use_log = bool(v.min() > 1.0) if self.log is None else self.log
        if use_log and v.min() <= 1.0:
            raise RegionalError("log=True needs values above 1 (log values must be positive)")
        x = np.log(v) if use_log else v.copy()
        self.notes.append("values taken in logs" if use_log else
                          "values at or below 1: the test runs on levels, not logs (log y would be negative)")
        if self.hp_lambda:
            from statsmodels.tsa.filters.hp_filter import hpfilter

            x = np.column_stack([hpfilter(x[:, i], lamb=self.hp_lambda)[1] for i in range(x.shape[1])])
            self.notes.append(f"Hodrick-Prescott trend, lambda {self.hp_lambda:g}")
        if np.any(x <= 0):
            raise RegionalError("the filtered series has non-positive values; use hp_lambda=None")
        self.regions = ser.regions
        self.b, self.t = log_t_test(x, self.r)
        self.converging = bool(self.t > CRIT)
        order = list(np.argsort(-x[-1], kind="stable"))
        clubs_idx, divergent = self._clubs(x, order)
        if self.merge and len(clubs_idx) > 1:
            clubs_idx = self._merge(x, clubs_idx)
        self.clubs = [[ser.regions[i] for i in c] for c in clubs_idx]
        self.divergent = [ser.regions[i] for i in divergent]
        club_of = {r: k + 1 for k, c in enumerate(self.clubs) for r in c}
        self.table = pd.DataFrame({"region_code": ser.regions, "club": [club_of.get(r, 0) for r in ser.regions]})
        tests = []
        for k, c in enumerate(clubs_idx):
            b, t = log_t_test(x[:, c], self.r) if len(c) > 1 else (np.nan, np.nan)
            tests.append({"club": k + 1, "size": len(c), "b": b, "t": t})
        self.club_tests = pd.DataFrame(tests)

    def _t(self, x: np.ndarray, idx: list[int]) -> float:
        return log_t_test(x[:, idx], self.r)[1]

    def _clubs(self, x: np.ndarray, order: list[int]) -> tuple[list[list[int]], list[int]]:
        clubs: list[list[int]] = []
        rest = list(order)
        while len(rest) >= 2:
            if self._t(x, rest) > CRIT:  # the remaining regions converge together
                clubs.append(rest)
                return clubs, []
            start = next((i for i in range(len(rest) - 1) if self._t(x, rest[i:i + 2]) > CRIT), None)
            if start is None:
                return clubs, rest
            best_k, best_t = 2, self._t(x, rest[start:start + 2])
            for k in range(3, len(rest) - start + 1):
                tk = self._t(x, rest[start:start + k])
                if tk <= CRIT:
                    break
                if tk > best_t:
                    best_k, best_t = k, tk
            core = rest[start:start + best_k]
            club = list(core)
            for j in rest:
                if j not in core and self._t(x, [*core, j]) > self.sieve_c:
                    club.append(j)
            if len(club) > len(core) and self._t(x, club) <= CRIT:
                self.notes.append("a sieved club failed the log t test; kept the core only")
                club = list(core)
            clubs.append(club)
            rest = [j for j in rest if j not in club]
        return clubs, rest

    def _merge(self, x: np.ndarray, clubs: list[list[int]]) -> list[list[int]]:
        merged = [clubs[0]]
        for c in clubs[1:]:
            if self._t(x, merged[-1] + c) > CRIT:
                self.notes.append(f"clubs merged (Phillips & Sul 2009): {len(merged[-1])} + {len(c)} regions")
                merged[-1] = merged[-1] + c
            else:
                merged.append(c)
        return merged

    @property
    def summary(self) -> str:
        """The full-panel test and the clubs."""
        verdict = "overall convergence / 整体收敛" if self.converging else "no overall convergence / 整体不收敛"
        lines = [f"Club convergence (Phillips-Sul log t) / 俱乐部收敛: {self.name}",
                 f"  full panel: b {self.b:+.4f}, t {self.t:.2f} (reject convergence if t < -1.65) -> {verdict}"]
        for k, c in enumerate(self.clubs):
            row = self.club_tests.iloc[k]
            lines.append(f"  club {k + 1} / 俱乐部{k + 1} ({len(c)}; t {row['t']:.2f}): {', '.join(c)}")
        if self.divergent:
            lines.append(f"  divergent / 发散: {', '.join(self.divergent)}")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def to_tidy(self) -> pd.DataFrame:
        """``region_code, club`` (0 = divergent)."""
        return self.table.copy()

    def chart_data(self) -> pd.DataFrame:
        """Same as :meth:`to_tidy` (a map of clubs)."""
        return self.table.copy()

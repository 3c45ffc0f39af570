"""Theil T and L with their within/between decomposition, the Gini and the coefficient of variation.

Theil, H. (1967) *Economics and Information Theory*; Shorrocks, A. F. (1980) "The class of
additively decomposable inequality measures", *Econometrica* 48: 613-625. With s_g = n_g mu_g / (n mu)
the group's share of the total and p_g = n_g / n its share of regions:

    T = (1/n) sum_i (y_i/mu) ln(y_i/mu)      = sum_g s_g T_g + sum_g s_g ln(mu_g/mu)
    L = (1/n) sum_i ln(mu/y_i)               = sum_g p_g L_g + sum_g p_g ln(mu/mu_g)
    CV = sd(y) / mu   (population sd, ddof = 0)
    Gini = sum_i (2i - n - 1) y_(i) / (n^2 mu)

T takes 0 ln 0 = 0; L is undefined with a zero value (the year is NaN and a note says so).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from nqpf.regional.dagum import gini_sorted
from nqpf.regional.series import RegionalError, as_series, grouping_of

__all__ = ["Inequality", "theil_l", "theil_t"]


def theil_t(y: np.ndarray) -> float:
    """Theil T (GE(1)) of positive-sum values; zeros contribute 0."""
    s = y / y.mean()
    return float(np.mean(np.where(s > 0, s * np.log(np.where(s > 0, s, 1.0)), 0.0)))


def theil_l(y: np.ndarray) -> float:
    """Theil L (mean log deviation, GE(0)); NaN if any value is not positive."""
    if np.any(y <= 0):
        return float("nan")
    return float(np.mean(np.log(y.mean() / y)))


@dataclass
class Inequality:
    """Gini, CV, Theil T and L per year, the Theil indices split within/between groups.

    Attributes
    ----------
    table : year, n, mean, gini, cv, theil_t, theil_t_within, theil_t_between, theil_l,
        theil_l_within, theil_l_between, between_share_t (% of T between groups).
    groups_table : year, group, n, mean, theil_t, theil_l, contribution_t (s_g T_g),
        contribution_l (p_g L_g).
    notes : choices made (regions left out, years with an undefined Theil L).
    """

    data: Any
    grouping: str | Mapping[str, Sequence[str]] = "nbs4"
    node: str | None = None
    table: pd.DataFrame = field(init=False)
    groups_table: pd.DataFrame = field(init=False)
    notes: list[str] = field(init=False)

    def __post_init__(self) -> None:
        ser = as_series(self.data, self.node)
        self.name = ser.name
        grp = grouping_of(ser.regions, self.grouping)
        self.groups = grp
        self.notes = []
        rows, grows = [], []
        for t, year in enumerate(ser.years):
            row, ok = ser.cross_section(t)
            if not ok.all():
                self.notes.append(f"{year}: {int((~ok).sum())} regions without a value left out")
            y, lab = row[ok], grp.labels[ok]
            if y.size < 2:
                continue
            if np.any(y < 0) or y.mean() <= 0:
                raise RegionalError(f"{year}: inequality measures need non-negative values with a positive "
                                    f"mean (min {y.min():.4g}); use a min-max normalised score or a level series")
            mu, n = y.mean(), y.size
            tt, tl = theil_t(y), theil_l(y)
            if np.isnan(tl):
                self.notes.append(f"{year}: Theil L undefined (a region has value 0); reported as NaN")
            t_w = t_b = l_w = l_b = 0.0
            for k in grp.keys:
                yg = y[lab == k]
                if not yg.size:
                    continue
                mg = yg.mean()
                sg, pg = yg.size * mg / (n * mu), yg.size / n
                tg, lg = theil_t(yg), theil_l(yg)
                t_w += sg * tg
                t_b += sg * np.log(mg / mu) if mg > 0 else 0.0
                l_w += pg * lg
                l_b += pg * np.log(mu / mg) if mg > 0 else np.nan
                grows.append({"year": year, "group": k, "n": int(yg.size), "mean": mg, "theil_t": tg,
                              "theil_l": lg, "contribution_t": sg * tg, "contribution_l": pg * lg})
            rows.append({"year": year, "n": n, "mean": mu, "gini": float(gini_sorted(y)),
                         "cv": float(y.std() / mu), "theil_t": tt, "theil_t_within": t_w,
                         "theil_t_between": t_b, "theil_l": tl,
                         "theil_l_within": l_w if not np.isnan(tl) else np.nan,
                         "theil_l_between": l_b if not np.isnan(tl) else np.nan,
                         "between_share_t": 100.0 * t_b / tt if tt > 0 else np.nan})
        self.table = pd.DataFrame(rows)
        self.groups_table = pd.DataFrame(grows)

    @property
    def summary(self) -> str:
        """First and last year: Gini, CV, Theil T and L and the between-group share."""
        lines = [f"Inequality / 不平等: {self.name}, grouping {self.groups.name}"]
        for _, r in self.table.iloc[[0, -1]].iterrows():
            lines.append(f"  {int(r['year'])}: Gini {r['gini']:.4f}  CV {r['cv']:.4f}  Theil T {r['theil_t']:.4f} "
                         f"(between {r['between_share_t']:.1f}% / 组间占比)  Theil L {r['theil_l']:.4f}")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def to_tidy(self) -> pd.DataFrame:
        """Long table ``year, group, measure, value`` (group '' for the whole cross-section)."""
        a = self.table.drop(columns=["n"]).melt(id_vars="year", var_name="measure")
        a.insert(1, "group", "")
        b = self.groups_table.drop(columns=["n"]).melt(id_vars=["year", "group"], var_name="measure")
        return pd.concat([a, b], ignore_index=True)

    def chart_data(self) -> pd.DataFrame:
        """Theil T within and between over time: ``year, term, value``."""
        return self.table.melt(id_vars="year", value_vars=["theil_t_within", "theil_t_between"],
                               var_name="term")

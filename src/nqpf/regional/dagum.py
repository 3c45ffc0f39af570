"""Dagum (1997) Gini decomposition by subgroups, year by year, with bootstrap intervals.

Dagum, C. (1997) "A new approach to the decomposition of the Gini income inequality ratio",
*Empirical Economics* 22: 515-531. For k groups of sizes n_j, means mu_j (n, mu overall):

    G     = sum_j sum_h sum_i sum_r |y_ji - y_hr| / (2 n^2 mu)
    G_jj  = sum_i sum_r |y_ji - y_jr| / (2 n_j^2 mu_j)                  (within group j)
    G_jh  = sum_i sum_r |y_ji - y_hr| / (n_j n_h (mu_j + mu_h))         (between j and h)
    d_jh  = sum sum max(y_ji - y_hr, 0) / (n_j n_h),  p_jh the same with the sign reversed,
            taken so that mu_j >= mu_h;   D_jh = (d_jh - p_jh) / (d_jh + p_jh)
    p_j = n_j / n,   s_j = n_j mu_j / (n mu)
    G_w  = sum_j G_jj p_j s_j
    G_nb = sum_{j<h} G_jh (p_j s_h + p_h s_j) D_jh
    G_t  = sum_{j<h} G_jh (p_j s_h + p_h s_j) (1 - D_jh)
    G = G_w + G_nb + G_t   (exactly)

Every double sum is computed in O(n log n) by sorting and cumulative sums (never an n^2
loop), vectorised over a leading batch axis so bootstrap replicates run together.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from nqpf.regional.series import RegionalError, as_series, grouping_of

__all__ = ["DagumGini", "DagumParts", "dagum_decompose", "gini_sorted"]


def gini_sorted(y: np.ndarray) -> np.ndarray:
    """Gini over the last axis: sum(|y_i - y_r|) / (2 n^2 mu), via the sorted-rank identity."""
    n = y.shape[-1]
    ys = np.sort(y, axis=-1)
    i = np.arange(1, n + 1)
    return np.sum((2 * i - n - 1) * ys, axis=-1) / (n * n * ys.mean(axis=-1))


def _abs_sum_within(y: np.ndarray) -> np.ndarray:
    """sum_i sum_r |y_i - y_r| over the last axis (= 2 sum_i (2i - n - 1) y_(i))."""
    n = y.shape[-1]
    ys = np.sort(y - y.mean(axis=-1, keepdims=True), axis=-1)
    return 2.0 * np.sum((2 * np.arange(1, n + 1) - n - 1) * ys, axis=-1)


def _pos_sum(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """sum_i sum_r max(x_i - y_r, 0) over the last axes, by sorting and cumulative sums.

    One cross-section: y sorted once, each x_i placed by binary search (c_i values of y below
    it, with sum S_i): sum_i (x_i c_i - S_i). With a batch axis: one merge sort per row.
    """
    if x.ndim == 1:
        shift = 0.5 * (x.mean() + y.mean())  # differences are shift-invariant; centring keeps precision
        ys = np.sort(y - shift)
        xs = x - shift
        cum = np.concatenate([[0.0], np.cumsum(ys)])
        c = np.searchsorted(ys, xs, side="right")
        return np.asarray(np.sum(xs * c - cum[c]))
    z = np.concatenate([x, y], axis=-1)
    z = z - z.mean(axis=-1, keepdims=True)  # differences are shift-invariant; centring keeps precision
    is_y = np.zeros(z.shape, dtype=bool)
    is_y[..., x.shape[-1]:] = True
    order = np.argsort(z, axis=-1, kind="stable")
    zs = np.take_along_axis(z, order, axis=-1)
    ys = np.take_along_axis(is_y, order, axis=-1)
    cnt = np.cumsum(ys, axis=-1)  # y values at or before each position (ties add 0 either way)
    tot = np.cumsum(np.where(ys, zs, 0.0), axis=-1)
    return np.sum(np.where(ys, 0.0, zs * cnt - tot), axis=-1)


@dataclass
class DagumParts:
    """One decomposition (arrays carry a leading batch axis when the input did).

    ``gini`` overall; ``within[j]``, ``between[(j, h)]``, ``d[(j, h)]`` (D_jh);
    ``g_w``, ``g_nb``, ``g_t`` the contributions; ``keys`` the groups, ordered as given.
    """

    keys: list[str]
    gini: np.ndarray
    within: dict[str, np.ndarray]
    between: dict[tuple[str, str], np.ndarray]
    d: dict[tuple[str, str], np.ndarray]
    g_w: np.ndarray
    g_nb: np.ndarray
    g_t: np.ndarray


def dagum_decompose(groups: Mapping[str, np.ndarray]) -> DagumParts:
    """Dagum decomposition of the values in ``groups`` ({key: values}; last axis = regions).

    Values must be non-negative with a positive mean in every group. A leading batch axis
    (e.g. bootstrap replicates) is kept in every output.
    """
    keys = list(groups)
    ys = {k: np.asarray(v, dtype=float) for k, v in groups.items()}
    if all(v.ndim == 1 for v in ys.values()):
        return _decompose_1d(keys, ys)
    for k, v in ys.items():
        if v.shape[-1] < 1:
            raise RegionalError(f"group {k!r} has no region with a value")
        if np.any(v < 0) or np.any(~np.isfinite(v)):
            raise RegionalError(f"the Dagum Gini needs finite non-negative values; group {k!r} has "
                                f"{np.nanmin(v):.4g}. Use a min-max normalised score or a level series")
    ns = {k: v.shape[-1] for k, v in ys.items()}
    mus = {k: v.mean(axis=-1) for k, v in ys.items()}
    n = sum(ns.values())
    allv = np.concatenate([ys[k] for k in keys], axis=-1)
    mu = allv.mean(axis=-1)
    if np.any(mu <= 0) or any(np.any(m <= 0) for m in mus.values()):
        raise RegionalError("the Dagum Gini needs a positive mean in every group")
    gini = gini_sorted(allv)
    p = {k: ns[k] / n for k in keys}
    s = {k: ns[k] * mus[k] / (n * mu) for k in keys}
    within = {k: _abs_sum_within(ys[k]) / (2.0 * ns[k] ** 2 * mus[k]) for k in keys}
    g_w = sum(within[k] * p[k] * s[k] for k in keys)
    between: dict[tuple[str, str], np.ndarray] = {}
    dd: dict[tuple[str, str], np.ndarray] = {}
    g_nb = np.zeros_like(gini)
    g_t = np.zeros_like(gini)
    for a in range(len(keys)):
        for b in range(a + 1, len(keys)):
            j, h = keys[a], keys[b]
            pos = _pos_sum(ys[j], ys[h])  # sum max(y_j - y_h, 0)
            neg = pos - ns[j] * ns[h] * (mus[j] - mus[h])  # sum max(y_h - y_j, 0)
            neg = np.maximum(neg, 0.0)
            big, small = np.maximum(pos, neg), np.minimum(pos, neg)  # d_jh, p_jh (times n_j n_h)
            tot = pos + neg
            g_jh = tot / (ns[j] * ns[h] * (mus[j] + mus[h]))
            d_jh = np.divide(big - small, tot, out=np.zeros_like(tot), where=tot > 0)
            wgt = p[j] * s[h] + p[h] * s[j]
            between[(j, h)] = g_jh
            dd[(j, h)] = d_jh
            g_nb = g_nb + g_jh * wgt * d_jh
            g_t = g_t + g_jh * wgt * (1.0 - d_jh)
    return DagumParts(keys, gini, within, between, dd, np.asarray(g_w), g_nb, g_t)


def _decompose_1d(keys: list[str], ys: dict[str, np.ndarray]) -> DagumParts:
    """One cross-section: each group sorted once, its centred cumulative sums reused by every pair."""
    allv = np.concatenate([ys[k] for k in keys])
    if allv.size == 0 or not np.isfinite(allv).all() or allv.min() < 0:
        bad = next((k for k in keys if ys[k].size == 0 or not np.isfinite(ys[k]).all() or ys[k].min() < 0), keys[0])
        if ys[bad].size == 0:
            raise RegionalError(f"group {bad!r} has no region with a value")
        raise RegionalError(f"the Dagum Gini needs finite non-negative values; group {bad!r} has "
                            f"{np.nanmin(ys[bad]):.4g}. Use a min-max normalised score or a level series")
    n, mu = allv.size, float(allv.mean())
    shift = mu
    srt = {k: np.sort(ys[k]) - shift for k in keys}
    cum = {k: np.concatenate(([0.0], np.cumsum(v))) for k, v in srt.items()}
    ns = {k: v.size for k, v in srt.items()}
    mus = {k: float(ys[k].mean()) for k in keys}
    if mu <= 0 or min(mus.values()) <= 0:
        raise RegionalError("the Dagum Gini needs a positive mean in every group")
    p = {k: ns[k] / n for k in keys}
    s = {k: ns[k] * mus[k] / (n * mu) for k in keys}
    within = {}
    for k in keys:
        m = ns[k]
        within[k] = np.asarray(2.0 * float(np.dot(2 * np.arange(1, m + 1) - m - 1, srt[k])) / (2.0 * m * m * mus[k]))
    g_w = sum(float(within[k]) * p[k] * s[k] for k in keys)
    between: dict[tuple[str, str], np.ndarray] = {}
    dd: dict[tuple[str, str], np.ndarray] = {}
    g_nb = g_t = 0.0
    for a in range(len(keys)):
        j = keys[a]
        for h in keys[a + 1:]:
            c = np.searchsorted(srt[h], srt[j], side="right")
            pos = float(np.dot(srt[j], c) - cum[h][c].sum())
            neg = max(pos - ns[j] * ns[h] * (mus[j] - mus[h]), 0.0)
            tot = pos + neg
            g_jh = tot / (ns[j] * ns[h] * (mus[j] + mus[h]))
            d_jh = (max(pos, neg) - min(pos, neg)) / tot if tot > 0 else 0.0
            wgt = p[j] * s[h] + p[h] * s[j]
            between[(j, h)], dd[(j, h)] = np.asarray(g_jh), np.asarray(d_jh)
            g_nb += g_jh * wgt * d_jh
            g_t += g_jh * wgt * (1.0 - d_jh)
    return DagumParts(keys, gini_sorted(allv), within, between, dd, np.asarray(g_w), np.asarray(g_nb),
                      np.asarray(g_t))


@dataclass
class DagumGini:
    """Dagum Gini decomposition of a region-by-year series, year by year.

    Parameters
    ----------
    data : IndexResult, wide or tidy DataFrame, or RegionalSeries (see :func:`as_series`).
    grouping : ``"nbs4"`` (default), ``"belt3"`` or user groups ``{group: [regions]}``.
    node : node or indicator of an index result.
    n_boot : bootstrap replicates (regions resampled with replacement within each group; 0 = none).
    ci : confidence level of the percentile intervals.  seed : random seed (results repeat).

    Attributes
    ----------
    overall : year, gini, within, net_between, transvariation, their shares (%) of the Gini,
        and ``*_lo``/``*_hi`` interval bounds.
    within_groups : year, group, gini (+ bounds).   between_groups : year, group_a, group_b,
        gini, d (relative economic affluence D_jh) (+ bounds).
    notes : every choice made for the user (regions without a value, skipped years).
    """

    data: Any
    grouping: str | Mapping[str, Sequence[str]] = "nbs4"
    node: str | None = None
    n_boot: int = 499
    ci: float = 0.95
    seed: int = 0
    overall: pd.DataFrame = field(init=False)
    within_groups: pd.DataFrame = field(init=False)
    between_groups: pd.DataFrame = field(init=False)
    notes: list[str] = field(init=False)

    def __post_init__(self) -> None:
        ser = as_series(self.data, self.node)
        self.name = ser.name
        grp = grouping_of(ser.regions, self.grouping)
        self.groups = grp
        rng = np.random.default_rng(self.seed)
        lo_q, hi_q = (1 - self.ci) / 2 * 100, (1 + self.ci) / 2 * 100
        rows_o, rows_w, rows_b = [], [], []
        self.notes = list(ser.notes)
        for t, year in enumerate(ser.years):
            row, ok = ser.cross_section(t)
            if not ok.all():
                miss = [ser.regions[i] for i in np.nonzero(~ok)[0]]
                self.notes.append(f"{year}: {len(miss)} regions without a value left out ({', '.join(miss)})")
            gvals = {k: row[ok & (grp.labels == k)] for k in grp.keys}
            gvals = {k: v for k, v in gvals.items() if v.size}
            if len(gvals) < 2:
                self.notes.append(f"{year}: fewer than two groups with values; year skipped")
                continue
            pt = dagum_decompose(gvals)
            boot = None
            if self.n_boot > 0:
                sample = {k: v[rng.integers(0, v.size, size=(self.n_boot, v.size))] for k, v in gvals.items()}
                boot = dagum_decompose(sample)

            def bounds(b: np.ndarray | None) -> tuple[float, float]:
                if b is None:
                    return (np.nan, np.nan)
                return (float(np.percentile(b, lo_q)), float(np.percentile(b, hi_q)))

            g = float(pt.gini)
            rec: dict[str, Any] = {"year": year, "n": int(ok.sum())}
            for name, v, bv in (("gini", pt.gini, boot.gini if boot else None),
                                ("within", pt.g_w, boot.g_w if boot else None),
                                ("net_between", pt.g_nb, boot.g_nb if boot else None),
                                ("transvariation", pt.g_t, boot.g_t if boot else None)):
                rec[name] = float(v)
                rec[f"{name}_lo"], rec[f"{name}_hi"] = bounds(bv)
            for name in ("within", "net_between", "transvariation"):
                rec[f"{name}_share"] = 100.0 * rec[name] / g if g > 0 else np.nan
            rows_o.append(rec)
            for k in pt.keys:
                lo, hi = bounds(boot.within[k] if boot else None)
                rows_w.append({"year": year, "group": k, "gini": float(pt.within[k]), "gini_lo": lo, "gini_hi": hi})
            for (j, h), v in pt.between.items():
                lo, hi = bounds(boot.between[(j, h)] if boot else None)
                rows_b.append({"year": year, "group_a": j, "group_b": h, "gini": float(v),
                               "d": float(pt.d[(j, h)]), "gini_lo": lo, "gini_hi": hi})
        if not rows_o:
            raise RegionalError("no year has values in at least two groups")
        self.overall = pd.DataFrame(rows_o)
        self.within_groups = pd.DataFrame(rows_w)
        self.between_groups = pd.DataFrame(rows_b)

    @property
    def summary(self) -> str:
        """Gini and contribution shares in the first and last year, in English and Chinese."""
        o = self.overall
        first, last = o.iloc[0], o.iloc[-1]
        dom = max(("within", "net_between", "transvariation"), key=lambda c: last[f"{c}_share"])
        zh = {"within": "组内差异", "net_between": "组间净差异", "transvariation": "超变密度"}
        lines = [f"Dagum Gini decomposition / Dagum基尼系数分解: {self.name}, grouping {self.groups.name}"]
        for r in (first, last):
            lines.append(
                f"  {int(r['year'])}: G={r['gini']:.4f} [{r['gini_lo']:.4f}, {r['gini_hi']:.4f}]  "
                f"within {r['within_share']:.1f}%  net between {r['net_between_share']:.1f}%  "
                f"transvariation {r['transvariation_share']:.1f}%")
        lines.append(f"  largest source in {int(last['year'])}: {dom.replace('_', ' ')} / 最大来源: {zh[dom]}")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def to_tidy(self) -> pd.DataFrame:
        """Long table: ``year, term, group_a, group_b, value, lo, hi``."""
        rows = []
        for _, r in self.overall.iterrows():
            for term in ("gini", "within", "net_between", "transvariation"):
                rows.append({"year": int(r["year"]), "term": term, "group_a": "", "group_b": "",
                             "value": r[term], "lo": r[f"{term}_lo"], "hi": r[f"{term}_hi"]})
            for term in ("within", "net_between", "transvariation"):
                rows.append({"year": int(r["year"]), "term": f"{term}_share", "group_a": "", "group_b": "",
                             "value": r[f"{term}_share"], "lo": np.nan, "hi": np.nan})
        for _, r in self.within_groups.iterrows():
            rows.append({"year": int(r["year"]), "term": "gini_within_group", "group_a": r["group"],
                         "group_b": "", "value": r["gini"], "lo": r["gini_lo"], "hi": r["gini_hi"]})
        for _, r in self.between_groups.iterrows():
            rows.append({"year": int(r["year"]), "term": "gini_between_groups", "group_a": r["group_a"],
                         "group_b": r["group_b"], "value": r["gini"], "lo": r["gini_lo"], "hi": r["gini_hi"]})
            rows.append({"year": int(r["year"]), "term": "d_between_groups", "group_a": r["group_a"],
                         "group_b": r["group_b"], "value": r["d"], "lo": np.nan, "hi": np.nan})
        return pd.DataFrame(rows)

    def chart_data(self) -> pd.DataFrame:
        """Contributions over time: ``year, term, value, share`` (three terms)."""
        o = self.overall
        parts = [pd.DataFrame({"year": o["year"], "term": t, "value": o[t], "share": o[f"{t}_share"]})
                 for t in ("within", "net_between", "transvariation")]
        return pd.concat(parts, ignore_index=True)

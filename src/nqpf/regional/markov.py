"""Markov chains of regions moving between quantile classes, plain and spatially conditioned.

Quah, D. (1993) "Empirical cross-section dynamics in economic growth", *European Economic
Review* 37: 426-434; Rey, S. J. (2001) "Spatial empirics for economic growth and convergence",
*Geographical Analysis* 33: 195-214 (spatial Markov). As in giddy (PySAL), against which the
tests check them:

- classes are quantiles of the values pooled over all years (``fixed``): class c holds the
  values y with q_(c-1) < y <= q_c, q_c the c/k quantile (mapclassify ``Quantiles``);
- P_ij = n_ij / n_i. from the transitions between consecutive years;
- the steady state pi solves pi P = pi, sum pi = 1 (eigenvector of P' for eigenvalue 1);
- mobility is Shorrocks' (1978) index (k - trace P) / (k - 1);
- the spatial chain conditions each transition on the class of the region's spatial lag
  (row-standardised weights) at the start year, classed by the pooled quantiles of the lags.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from nqpf.regional.series import RegionalError, as_series
from nqpf.regional.weights import SpatialWeights

__all__ = ["Markov", "SpatialMarkov", "quantile_classes", "steady_state"]


def quantile_classes(values: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Class (0..k-1) of every finite value by pooled quantiles; NaN stays -1. Returns (classes, upper bounds)."""
    fin = values[np.isfinite(values)]
    bounds = np.percentile(fin, np.linspace(100 / k, 100, k))
    cls = np.where(np.isfinite(values), np.searchsorted(bounds, np.nan_to_num(values), side="left"), -1)
    return np.minimum(cls, k - 1), bounds


def _counts(start: np.ndarray, end: np.ndarray, k: int) -> np.ndarray:
    ok = (start >= 0) & (end >= 0)
    c = np.zeros((k, k))
    np.add.at(c, (start[ok], end[ok]), 1.0)
    return c


def _probs(c: np.ndarray) -> np.ndarray:
    s = c.sum(axis=1, keepdims=True)
    return np.divide(c, s, out=np.zeros_like(c), where=s > 0)


def steady_state(p: np.ndarray) -> np.ndarray:
    """The stationary distribution of a transition matrix; NaN if it is not unique (several
    closed classes, as giddy reports them) or rows are empty."""
    vals, vecs = np.linalg.eig(p.T)
    ones = np.abs(vals - 1.0) < 1e-8
    if ones.sum() != 1:
        return np.full(p.shape[0], np.nan)
    i = int(np.argmax(ones))
    v = np.real(vecs[:, i])
    return v / v.sum()


def _labels(k: int) -> list[str]:
    return [f"Q{i + 1}" for i in range(k)]


@dataclass
class Markov:
    """Classical Markov chain on ``k`` pooled-quantile classes.

    Attributes: ``classes`` (years x regions, 0..k-1, -1 missing), ``bounds`` (class upper
    bounds), ``transitions`` (counts k x k), ``p`` (probabilities), ``steady`` (stationary
    distribution), ``mobility`` (Shorrocks), ``notes``.
    """

    data: Any
    k: int = 4
    node: str | None = None
    classes: np.ndarray = field(init=False)
    p: np.ndarray = field(init=False)
    notes: list[str] = field(init=False)

    def __post_init__(self) -> None:
        if self.k < 2:
            raise RegionalError(f"k must be at least 2, got {self.k}")
        ser = as_series(self.data, self.node)
        self.name, self.years, self.regions = ser.name, ser.years, ser.regions
        if len(ser.years) < 2:
            raise RegionalError("a Markov chain needs at least two years")
        self.notes = []
        miss = int((~np.isfinite(ser.values)).sum())
        if miss:
            self.notes.append(f"{miss} region-years without a value: their transitions are left out")
        self.classes, self.bounds = quantile_classes(ser.values, self.k)
        self.transitions = sum((_counts(self.classes[t], self.classes[t + 1], self.k)
                                for t in range(len(ser.years) - 1)), np.zeros((self.k, self.k)))
        self.p = _probs(self.transitions)
        self.steady = steady_state(self.p)
        if np.isnan(self.steady).any():
            self.notes.append("no unique steady state (several closed classes); reported as NaN")
        self.mobility = float((self.k - np.trace(self.p)) / (self.k - 1))

    @property
    def summary(self) -> str:
        """Transition matrix, steady state and mobility."""
        lab = _labels(self.k)
        df = pd.DataFrame(self.p, index=lab, columns=lab).round(3)
        df["n"] = self.transitions.sum(axis=1).astype(int)
        return (f"Markov chain / 马尔可夫链: {self.name}, {self.k} quantile classes, {len(self.years) - 1} "
                f"transitions per region\n{df.to_string()}\n  steady state / 稳态分布: "
                f"{', '.join(f'{x:.3f}' for x in self.steady)}\n  Shorrocks mobility / 流动性: {self.mobility:.3f}"
                + "".join(f"\n  note: {n}" for n in self.notes))

    def to_tidy(self) -> pd.DataFrame:
        """``condition, from_class, to_class, count, probability`` (condition 'all')."""
        lab = _labels(self.k)
        i, j = np.meshgrid(range(self.k), range(self.k), indexing="ij")
        return pd.DataFrame({"condition": "all", "from_class": np.array(lab)[i.ravel()],
                             "to_class": np.array(lab)[j.ravel()], "count": self.transitions.ravel(),
                             "probability": self.p.ravel()})

    def chart_data(self) -> pd.DataFrame:
        """The transition matrix as a heat-map table (from x to)."""
        return pd.DataFrame(self.p, index=_labels(self.k), columns=_labels(self.k))


@dataclass
class SpatialMarkov:
    """Spatial Markov chain: one transition matrix per class of the neighbours' (lag) value.

    Attributes: ``p`` (k x k x k: lag class, from, to), ``transitions`` (counts), ``steady``
    (one stationary distribution per lag class), ``lag_bounds``, ``notes`` (the weights' island links).
    """

    data: Any
    k: int = 4
    weights: SpatialWeights | None = None
    node: str | None = None
    p: np.ndarray = field(init=False)
    notes: list[str] = field(init=False)

    def __post_init__(self) -> None:
        ser = as_series(self.data, self.node)
        self.name = ser.name
        if np.isnan(ser.values).any():
            raise RegionalError("the spatial Markov chain needs every region in every year; "
                                "select the years or regions without gaps")
        w = self.weights if self.weights is not None else SpatialWeights.queen(ser.regions)
        if w.regions != ser.regions:
            w = w.subset(ser.regions)
        self.weights = w
        self.notes = list(w.notes)
        lag = ser.values @ w.row_standardised().T
        self.classes, self.bounds = quantile_classes(ser.values, self.k)
        self.lag_classes, self.lag_bounds = quantile_classes(lag, self.k)
        t = np.zeros((self.k, self.k, self.k))
        for s in range(len(ser.years) - 1):
            for c in range(self.k):
                m = self.lag_classes[s] == c
                t[c] += _counts(self.classes[s][m], self.classes[s + 1][m], self.k)
        self.transitions = t
        self.p = np.stack([_probs(t[c]) for c in range(self.k)])
        self.steady = np.stack([steady_state(self.p[c]) for c in range(self.k)])
        for c in range(self.k):
            if np.isnan(self.steady[c]).any():
                self.notes.append(f"neighbours in Q{c + 1}: no unique steady state (several closed classes "
                                  "or unvisited classes); reported as NaN")

    @property
    def summary(self) -> str:
        """Conditional matrices, one per neighbours' class."""
        lab = _labels(self.k)
        parts = [f"Spatial Markov chain / 空间马尔可夫链: {self.name}, {self.k} classes ({self.weights.kind})"]  # type: ignore[union-attr]
        for c in range(self.k):
            df = pd.DataFrame(self.p[c], index=lab, columns=lab).round(3)
            parts.append(f" neighbours in {lab[c]} / 邻域类型{lab[c]} (n={int(self.transitions[c].sum())}):\n{df.to_string()}")
        parts += [f"  note: {n}" for n in self.notes]
        return "\n".join(parts)

    def to_tidy(self) -> pd.DataFrame:
        """``condition, from_class, to_class, count, probability`` (condition = neighbours' class)."""
        lab = _labels(self.k)
        c, i, j = np.meshgrid(range(self.k), range(self.k), range(self.k), indexing="ij")
        return pd.DataFrame({"condition": [f"lag {lab[x]}" for x in c.ravel()],
                             "from_class": np.array(lab)[i.ravel()], "to_class": np.array(lab)[j.ravel()],
                             "count": self.transitions.ravel(), "probability": self.p.ravel()})

    def chart_data(self) -> pd.DataFrame:
        """Same as :meth:`to_tidy`."""
        return self.to_tidy()

"""The qualifier's confidence, fitted: the probability that a verdict is right, from its rule and evidence margin.

Platt scaling (Platt 1999, *Probabilistic outputs for support vector machines*; Niculescu-Mizil and Caruana 2005,
*Predicting good probabilities with supervised learning*): a logistic regression of *verdict right* (0/1) on the
deciding rule's evidence margin ``m`` (see :meth:`nqpf.innovation.qualify.Qualifier.margin`), with one intercept per
verdict::

    P(right | verdict v, margin m) = 1 / (1 + exp(-(a_v + b * min(m, M))))

Four numbers (three intercepts and a shared slope ``b``), fitted by maximum likelihood (Newton's method with a small
ridge, 1e-3, that keeps the fit finite when a group is always right). The confidence is monotone in the margin whenever
``b > 0``. ``Qualifier(calibration=fit(...))`` uses a fit; the shipped qualifier keeps the fixed ``1 - 0.5**(m + 1)``
because a fit on the development rows, on which the rules were tuned, claims 0.94-0.99 where the first looks at new
writers were right 64-90% of the time (docs/innovation.md section 3). ``benchmarks/fit_qualifier_calibration.py``
prints the fit, its table ``margin -> confidence`` and its leave-one-writer-out scores.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

VERDICTS = ("qualifies", "does_not_qualify", "insufficient_evidence")
MAX_MARGIN = 6
"""Margins above this are clipped (few descriptions have more; the fit stays stable)."""
RIDGE = 1e-3


@dataclass(frozen=True)
class Calibration:
    """Fitted intercepts per verdict and the shared slope on the margin."""

    intercepts: Mapping[str, float]
    slope: float
    max_margin: int = MAX_MARGIN

    def probability(self, verdict: str, margin: int) -> float:
        """P(right) for a verdict with evidence margin ``margin`` (>= 0)."""
        z = self.intercepts[verdict] + self.slope * min(max(margin, 0), self.max_margin)
        return 1.0 / (1.0 + math.exp(-z))

    def table(self) -> dict[str, list[float]]:
        """Confidence per verdict for margins 0 .. max_margin."""
        return {v: [round(self.probability(v, m), 4) for m in range(self.max_margin + 1)] for v in VERDICTS}

    @classmethod
    def from_mapping(cls, spec: Mapping[str, Any]) -> Calibration:
        """From the YAML mapping (``intercepts``, ``slope``, ``max_margin``)."""
        icp = {str(k): float(v) for k, v in dict(spec["intercepts"]).items()}
        missing = [v for v in VERDICTS if v not in icp]
        if missing:
            raise ValueError(f"qualifier calibration: no intercept for {missing}")
        return cls(icp, float(spec["slope"]), int(spec.get("max_margin", MAX_MARGIN)))


def fit(verdicts: Sequence[str], margins: Sequence[int], correct: Sequence[bool]) -> Calibration:
    """Maximum-likelihood Platt fit of ``correct`` on the clipped margin with one intercept per verdict."""
    n = len(verdicts)
    x = np.zeros((n, len(VERDICTS) + 1))
    for i, (v, m) in enumerate(zip(verdicts, margins, strict=True)):
        x[i, VERDICTS.index(v)] = 1.0
        x[i, -1] = min(max(int(m), 0), MAX_MARGIN)
    y = np.asarray(correct, dtype=float)
    w = np.zeros(x.shape[1])
    for _ in range(100):  # Newton-Raphson on the penalised log-likelihood
        p = 1.0 / (1.0 + np.exp(-(x @ w)))
        grad = x.T @ (y - p) - RIDGE * w
        hess = (x * (p * (1 - p))[:, None]).T @ x + RIDGE * np.eye(x.shape[1])
        step = np.linalg.solve(hess, grad)
        w += step
        if float(np.abs(step).max()) < 1e-10:
            break
    return Calibration({v: float(w[i]) for i, v in enumerate(VERDICTS)}, float(w[-1]))


def brier(prob: Sequence[float], correct: Sequence[bool]) -> float:
    """Mean squared error of the probabilities against right (1) / wrong (0) (Brier 1950)."""
    p, y = np.asarray(prob, dtype=float), np.asarray(correct, dtype=float)
    return float(np.mean((p - y) ** 2))


def expected_calibration_error(prob: Sequence[float], correct: Sequence[bool], bins: int = 5) -> float:
    """Share-weighted mean |confidence - share right| over equal-width bins on [0.5, 1] (Naeini et al. 2015)."""
    p, y = np.asarray(prob, dtype=float), np.asarray(correct, dtype=float)
    idx = np.clip(((p - 0.5) / 0.5 * bins).astype(int), 0, bins - 1)
    return float(sum(abs(p[idx == b].mean() - y[idx == b].mean()) * (idx == b).mean() for b in range(bins) if (idx == b).any()))

"""The Platt fit of the qualifier's confidence: a hand-worked case, a peer optimiser, and its use by the qualifier."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import minimize

from nqpf.innovation.qualify import Qualifier
from nqpf.innovation.qualify_calibration import (
    MAX_MARGIN,
    RIDGE,
    VERDICTS,
    Calibration,
    brier,
    expected_calibration_error,
    fit,
)


def _cells(shares: dict[tuple[str, int], tuple[int, int]]) -> tuple[list[str], list[int], list[bool]]:
    v, m, y = [], [], []
    for (verdict, margin), (right, n) in shares.items():
        v += [verdict] * n
        m += [margin] * n
        y += [True] * right + [False] * (n - right)
    return v, m, y


# shares right per (verdict, margin) that the model fits exactly: logit 3/4 = ln 3, logit 9/10 = ln 9, logit 1/2 = 0
HAND = {("qualifies", 0): (30, 40), ("qualifies", 1): (36, 40), ("does_not_qualify", 0): (20, 40),
        ("does_not_qualify", 1): (30, 40), ("insufficient_evidence", 0): (10, 40), ("insufficient_evidence", 1): (20, 40)}


def test_fit_recovers_a_hand_worked_case() -> None:
    cal = fit(*_cells(HAND))
    ln3 = math.log(3)
    assert cal.intercepts["qualifies"] == pytest.approx(ln3, abs=2e-3)
    assert cal.intercepts["does_not_qualify"] == pytest.approx(0.0, abs=2e-3)
    assert cal.intercepts["insufficient_evidence"] == pytest.approx(-ln3, abs=2e-3)
    assert cal.slope == pytest.approx(ln3, abs=2e-3)
    assert cal.probability("qualifies", 1) == pytest.approx(0.9, abs=1e-3)


def test_fit_equals_a_peer_optimiser_on_the_same_data() -> None:
    rng = np.random.default_rng(7)
    v = [VERDICTS[i] for i in rng.integers(0, 3, 300)]
    m = rng.integers(0, 9, 300).tolist()
    y = (rng.random(300) < 0.6 + 0.04 * np.minimum(m, MAX_MARGIN)).tolist()
    cal = fit(v, m, y)
    x = np.zeros((300, 4))
    for i, (vi, mi) in enumerate(zip(v, m, strict=True)):
        x[i, VERDICTS.index(vi)] = 1.0
        x[i, 3] = min(mi, MAX_MARGIN)
    yy = np.asarray(y, dtype=float)

    def loss(w: np.ndarray) -> float:  # the same penalised negative log-likelihood, minimised by BFGS
        z = x @ w
        return float(np.sum(np.logaddexp(0, z) - yy * z) + RIDGE / 2 * w @ w)

    peer = minimize(loss, np.zeros(4), method="BFGS", options={"gtol": 1e-9}).x
    ours = np.array([*(cal.intercepts[k] for k in VERDICTS), cal.slope])
    np.testing.assert_allclose(ours, peer, atol=1e-4)


def test_scores() -> None:
    assert brier([1.0, 0.5, 0.0], [True, True, False]) == pytest.approx(0.25 / 3)
    # two bins on [0.5, 1]: 0.55 (right 0 of 1) and 0.95 (right 1 of 1): |0.55 - 0| / 2 + |0.95 - 1| / 2
    assert expected_calibration_error([0.55, 0.95], [False, True]) == pytest.approx(0.3)


def test_a_fit_passed_to_the_qualifier_sets_the_confidence() -> None:
    cal = Calibration({"qualifies": 1.0, "does_not_qualify": 0.0, "insufficient_evidence": -1.0}, 0.5)
    text = "工厂用机器人替代人工焊接，成本下降20%，工人不再接触焊接烟尘。"
    fixed, fitted = Qualifier().qualify(text), Qualifier(calibration=cal).qualify(text)
    assert fixed.verdict is fitted.verdict and fixed.margin == fitted.margin
    assert fixed.confidence == 1 - 0.5 ** (fixed.margin + 1)
    assert fitted.confidence == pytest.approx(1 / (1 + math.exp(-(1.0 + 0.5 * fitted.margin))))
    with pytest.raises(ValueError, match="no intercept"):
        Calibration.from_mapping({"intercepts": {"qualifies": 1.0}, "slope": 0.5})

"""Weights: hand-worked cases, pymcdm as peer (entropy, CRITIC, AHP), pooled real data."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from pymcdm.weights import critic_weights, entropy_weights
from pymcdm.weights.subjective import AHP

from nqpf.errors import ValidationError
from nqpf.index.normalize import normalize
from nqpf.index.weights import (
    SAATY_RI,
    _pca_from_corr,
    ahp,
    combine,
    compute,
    critic,
    entropy,
    equal,
    pca,
    varimax,
)
from nqpf.panel import Panel

nan = np.nan


def test_equal() -> None:
    np.testing.assert_allclose(equal(4), [0.25] * 4)
    with pytest.raises(ValidationError):
        equal(0)


# -- entropy ---------------------------------------------------------------------------------


def test_entropy_hand_worked_with_a_zero() -> None:
    # column a = 1, 1, 2: p = 1/4, 1/4, 1/2; e = -(2 * 1/4 ln 1/4 + 1/2 ln 1/2)/ln 3
    # column b = 0, 1, 3: p = 0, 1/4, 3/4;   e = -(0 + 1/4 ln 1/4 + 3/4 ln 3/4)/ln 3  (0 ln 0 = 0)
    x = np.array([[1.0, 0.0], [1.0, 1.0], [2.0, 3.0]])
    ea = -(2 * 0.25 * math.log(0.25) + 0.5 * math.log(0.5)) / math.log(3)
    eb = -(0.25 * math.log(0.25) + 0.75 * math.log(0.75)) / math.log(3)
    da, db = 1 - ea, 1 - eb
    np.testing.assert_allclose(entropy(x), [da / (da + db), db / (da + db)], rtol=1e-12)


def test_entropy_matches_pymcdm_on_positive_matrix() -> None:
    rng = np.random.default_rng(0)
    x = rng.uniform(0.5, 10, size=(25, 5))
    np.testing.assert_allclose(entropy(x), entropy_weights(x), atol=1e-10)
    # constant positive column: both give it weight 0 (pymcdm up to rounding)
    x[:, 2] = 3.0
    np.testing.assert_allclose(entropy(x), entropy_weights(x), atol=1e-10)
    assert entropy(x)[2] == 0


def test_entropy_zero_columns_deliberate_difference_from_pymcdm() -> None:
    # min-max normalised data always contain 0 (each column's minimum). pymcdm 1.4 refuses
    # them (its sum normalisation requires x > 0; its older entropy code set e = 0, i.e. the
    # LARGEST weight, for any column containing a 0). We use 0 ln 0 = 0 without a fudge.
    x = np.array([[0.0, 1.0, 0.0], [0.0, 2.0, 0.5], [0.0, 3.0, 1.0]])
    with pytest.raises(ValueError, match="positive"):
        entropy_weights(x)
    w = entropy(x)
    assert w[0] == 0  # all-zero column: no information, weight 0
    assert w.sum() == pytest.approx(1)
    # the column with a zero is computed exactly: p = 0, 1/3, 2/3
    e2 = -(1 / 3 * math.log(1 / 3) + 2 / 3 * math.log(2 / 3)) / math.log(3)
    e1 = -(1 / 6 * math.log(1 / 6) + 2 / 6 * math.log(2 / 6) + 3 / 6 * math.log(3 / 6)) / math.log(3)
    np.testing.assert_allclose(w[1:], np.array([1 - e1, 1 - e2]) / (2 - e1 - e2), rtol=1e-12)


def test_entropy_no_fudge_constant() -> None:
    # the common "+0.0001 after min-max" changes the weights; ours equals the exact limit
    rng = np.random.default_rng(5)
    x = normalize(rng.lognormal(size=(30, 4)))
    fudged = entropy_weights(x + 1e-4)
    assert not np.allclose(entropy(x), fudged, atol=1e-4)
    np.testing.assert_allclose(entropy(x), entropy_weights(x + 1e-13), atol=1e-9)


def test_entropy_nan_rows_skipped_per_column() -> None:
    x = np.array([[1.0, 2.0], [nan, 1.0], [2.0, 4.0], [3.0, 1.0]])
    # column 0 with n = 3 (NaN skipped) is the column 1, 2, 3
    w = entropy(x)
    col0 = np.array([1.0, 2.0, 3.0])
    p0 = col0 / col0.sum()
    e0 = -(p0 * np.log(p0)).sum() / math.log(3)
    p1 = x[:, 1] / x[:, 1].sum()
    e1 = -(p1 * np.log(p1)).sum() / math.log(4)
    np.testing.assert_allclose(w, np.array([1 - e0, 1 - e1]) / (2 - e0 - e1), rtol=1e-12)


def test_entropy_rejects_negative_and_batches() -> None:
    with pytest.raises(ValidationError, match="column 1"):
        entropy(np.array([[1.0, -1.0], [2.0, 1.0]]))
    rng = np.random.default_rng(1)
    draws = rng.uniform(0.1, 1, size=(3, 10, 4))
    np.testing.assert_allclose(entropy(draws)[1], entropy(draws[1]))


# -- CRITIC ----------------------------------------------------------------------------------


def test_critic_hand_worked() -> None:
    # a = 0, .5, 1; b = 0, 1, .5; c = 1, .5, 0. Each sample sd = 0.5 (ddof 1).
    # r_ab = 0.5, r_ac = -1, r_bc = -0.5.
    # C_a = .5 * ((1-.5) + (1+1)) = 1.25; C_b = .5 * ((1-.5) + (1+.5)) = 1; C_c = .5 * (2 + 1.5) = 1.75
    x = np.array([[0.0, 0.0, 1.0], [0.5, 1.0, 0.5], [1.0, 0.5, 0.0]])
    np.testing.assert_allclose(critic(x), np.array([1.25, 1.0, 1.75]) / 4, rtol=1e-12)


def test_critic_matches_pymcdm() -> None:
    # pymcdm min-max normalises inside critic_weights; we take the normalised matrix
    rng = np.random.default_rng(2)
    raw = rng.lognormal(size=(20, 5))
    np.testing.assert_allclose(critic(normalize(raw)), critic_weights(raw), atol=1e-10)


@pytest.mark.filterwarnings("ignore")
def test_critic_constant_column_deliberate_difference() -> None:
    # pymcdm returns NaN weights (undefined correlation); we give the constant column 0 and
    # leave it out of the others' conflict sums
    rng = np.random.default_rng(3)
    raw = rng.lognormal(size=(15, 3))
    raw[:, 1] = 2.0
    assert np.isnan(critic_weights(raw)).all()
    w = critic(normalize(raw))
    assert w[1] == 0
    np.testing.assert_allclose(w[[0, 2]], critic(normalize(raw[:, [0, 2]])), rtol=1e-12)


# -- PCA -------------------------------------------------------------------------------------


def _with_correlation(corr: np.ndarray, n: int = 200, seed: int = 0) -> np.ndarray:
    """Data whose sample correlation matrix is exactly ``corr`` (whitened noise x Cholesky)."""
    z = np.random.default_rng(seed).normal(size=(n, corr.shape[0]))
    z -= z.mean(axis=0)
    z = z @ np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False))).T
    return np.asarray(z @ np.linalg.cholesky(corr).T)


def test_pca_hand_worked_two_blocks() -> None:
    # two blocks: r12 = .8, r34 = .6. Eigenvalues 1.8, 1.6, .4, .2 -> keep two factors with
    # loadings sqrt(.9) on x1, x2 and sqrt(.8) on x3, x4 (already simple: varimax keeps them).
    # Squared loadings scaled within factor: .9/1.8 = .5 and .8/1.6 = .5.
    # Factor shares 1.8/3.4 and 1.6/3.4. Weights .5*1.8/3.4 (x1, x2) and .5*1.6/3.4 (x3, x4).
    corr = np.array([[1, 0.8, 0, 0], [0.8, 1, 0, 0], [0, 0, 1, 0.6], [0, 0, 0.6, 1]])
    expected = np.array([0.9, 0.9, 0.8, 0.8]) / 3.4
    np.testing.assert_allclose(_pca_from_corr(corr, 1.0), expected, rtol=1e-10)
    x = _with_correlation(corr)
    np.testing.assert_allclose(pca(x), expected, rtol=1e-8)
    # weights depend on correlations only: min-max normalising first changes nothing
    np.testing.assert_allclose(pca(normalize(x)), expected, rtol=1e-8)


def test_pca_one_factor() -> None:
    # two indicators with r = .5: eigenvalues 1.5 (kept) and .5; loadings equal -> 1/2 each
    x = _with_correlation(np.array([[1, 0.5], [0.5, 1]]))
    np.testing.assert_allclose(pca(x), [0.5, 0.5], rtol=1e-10)


def test_varimax_recovers_simple_structure() -> None:
    simple = np.array([[0.9, 0.0], [0.8, 0.0], [0.0, 0.7], [0.0, 0.85]])
    th = 0.5
    g = np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    rotated, t = varimax(simple @ g)
    np.testing.assert_allclose(t @ t.T, np.eye(2), atol=1e-12)  # orthogonal
    # recovered up to column order and sign
    m = np.abs(rotated)
    if m[0, 0] < m[0, 1]:
        m = m[:, ::-1]
    np.testing.assert_allclose(m, simple, atol=1e-8)
    # communalities (row sums of squares) are preserved by any orthogonal rotation
    np.testing.assert_allclose(np.sum(rotated**2, axis=1), np.sum(simple**2, axis=1))


def test_varimax_maximises_criterion() -> None:
    rng = np.random.default_rng(4)
    lam = rng.normal(size=(6, 3))

    def crit(a: np.ndarray) -> float:
        h = np.sqrt(np.sum(a**2, axis=1, keepdims=True))
        b = (a / h) ** 2
        return float(np.sum(np.mean(b**2, axis=0) - np.mean(b, axis=0) ** 2))

    best = crit(varimax(lam)[0])
    for _ in range(50):
        q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
        assert crit(lam @ q) <= best + 1e-9


# -- AHP -------------------------------------------------------------------------------------


def test_ahp_consistent_matrix() -> None:
    w = np.array([0.5, 0.3, 0.2])
    res = ahp(w[:, None] / w[None, :])  # a_ij = w_i/w_j is perfectly consistent
    np.testing.assert_allclose(res.weights, w, rtol=1e-12)
    assert res.lambda_max == pytest.approx(3) and res.ci == pytest.approx(0, abs=1e-12)
    assert res.cr == pytest.approx(0, abs=1e-12) and res.consistent


def test_ahp_three_by_three_closed_form_and_pymcdm() -> None:
    # for a 3 x 3 reciprocal matrix lambda_max = 1 + c^(1/3) + c^(-1/3), c = a12 a23 / a13,
    # and the principal eigenvector equals the normalised row geometric means
    m = np.array([[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]])
    c = 3 * 3 / 5
    lam = 1 + c ** (1 / 3) + c ** (-1 / 3)
    g = np.array([15 ** (1 / 3), 1.0, (1 / 15) ** (1 / 3)])
    res = ahp(m)
    assert res.lambda_max == pytest.approx(lam, rel=1e-12)
    np.testing.assert_allclose(res.weights, g / g.sum(), rtol=1e-10)
    assert res.ci == pytest.approx((lam - 3) / 2, rel=1e-10)
    assert res.cr == pytest.approx((lam - 3) / 2 / 0.58, rel=1e-10)
    np.testing.assert_allclose(ahp(m, method="geometric").weights, g / g.sum(), rtol=1e-12)
    np.testing.assert_allclose(res.weights, AHP(matrix=m)(), atol=1e-10)


def test_ahp_four_by_four_matches_pymcdm_weights_cr_differs_by_ri() -> None:
    m = np.array([[1, 2, 4, 6], [1 / 2, 1, 3, 5], [1 / 4, 1 / 3, 1, 2], [1 / 6, 1 / 5, 1 / 2, 1]])
    res = ahp(m)
    peer = AHP(matrix=m)
    np.testing.assert_allclose(res.weights, peer(), atol=1e-10)
    # deliberate difference: pymcdm uses the Tummala & Ling (1998) RI (0.8921 for n = 4),
    # we use Saaty's (1980) table (0.90); CI agrees
    assert res.cr * SAATY_RI[3] == pytest.approx(peer.get_cr() * 0.8921, rel=1e-10)


def test_ahp_inconsistent_flagged_and_validation() -> None:
    # a > b (9), b > c (9), but c > a (9): wildly inconsistent
    bad = np.array([[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]])
    res = ahp(bad)
    assert res.cr > 0.1 and not res.consistent
    with pytest.raises(ValidationError, match="square"):
        ahp(np.ones((2, 3)))
    with pytest.raises(ValidationError, match="positive"):
        ahp(np.array([[1, -2], [-0.5, 1]]))
    with pytest.raises(ValidationError, match="reciprocal"):
        ahp(np.array([[1, 3], [3, 1]]))
    with pytest.raises(ValidationError, match="diagonal"):
        ahp(np.array([[2, 1], [1, 1]]))
    # 1/3 typed as 0.333 is accepted (1 % tolerance)
    assert ahp(np.array([[1, 3], [0.333, 1]])).weights[0] > 0.74


# -- combinations and dispatch ----------------------------------------------------------------


def test_combine_hand_worked() -> None:
    ws, wo = np.array([0.5, 0.3, 0.2]), np.array([0.2, 0.3, 0.5])
    # multiplicative: (.1, .09, .1)/.29
    np.testing.assert_allclose(combine(ws, wo), np.array([0.1, 0.09, 0.1]) / 0.29)
    # linear alpha = .5: (.35, .3, .35); alpha = .8: (.44, .3, .26)
    np.testing.assert_allclose(combine(ws, wo, method="linear"), [0.35, 0.3, 0.35])
    np.testing.assert_allclose(combine(ws, wo, method="linear", alpha=0.8), [0.44, 0.3, 0.26])
    # unnormalised inputs are normalised first
    np.testing.assert_allclose(combine(ws * 10, wo * 3), combine(ws, wo))
    with pytest.raises(ValidationError, match="alpha"):
        combine(ws, wo, method="linear", alpha=1.5)
    with pytest.raises(ValidationError, match="entries"):
        combine(ws, wo[:2])


def test_compute_dispatch() -> None:
    rng = np.random.default_rng(6)
    x = normalize(rng.lognormal(size=(30, 3)))
    np.testing.assert_allclose(compute("equal", x), [1 / 3] * 3)
    np.testing.assert_allclose(compute("entropy", x), entropy(x))
    np.testing.assert_allclose(compute("critic", x), critic(x))
    np.testing.assert_allclose(compute("pca", x), pca(x))
    m = np.array([[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]])
    np.testing.assert_allclose(compute("ahp", pairwise=m), ahp(m).weights)
    np.testing.assert_allclose(compute("user", x, weights=[2, 1, 1]), [0.5, 0.25, 0.25])
    np.testing.assert_allclose(
        compute("combined", x, subjective=[2, 1, 1], objective="critic", combine="linear", alpha=0.3),
        0.3 * np.array([0.5, 0.25, 0.25]) + 0.7 * critic(x),
    )
    np.testing.assert_allclose(compute("combined", x, pairwise=m), combine(ahp(m).weights, entropy(x)))
    with pytest.raises(ValidationError, match="entropy"):
        compute("topsis", x)
    with pytest.raises(ValidationError, match=">= 0"):
        compute("user", weights=[1, -1])
    with pytest.raises(ValidationError, match="3 indicators"):
        compute("user", x, weights=[1, 1])


# -- real data: pooled weights ---------------------------------------------------------------


def test_real_data_pooled_entropy(data_dir) -> None:  # type: ignore[no-untyped-def]
    df = pd.read_csv(data_dir / "panel/provinces.csv", dtype={"region_code": str})
    variables = ["gdp_per_capita", "rd_intensity", "urbanization_rate", "energy_intensity"]
    cube = Panel(df).to_array(variables, years=list(range(2011, 2022))).values
    normed = normalize(cube, "minmax", [1, 1, 1, -1])
    pooled = entropy(normed.reshape(-1, 4))
    assert pooled.sum() == pytest.approx(1) and np.all(pooled > 0)
    # the per-year weights (the common error) vary from year to year; pooled is one vector
    per_year = entropy(normalize(cube, "minmax", [1, 1, 1, -1], scope="per_year"))
    assert per_year.shape == (11, 4)
    assert np.ptp(per_year, axis=0).max() > 0.01
    for name in ("critic", "pca"):
        w = compute(name, normed.reshape(-1, 4))
        assert w.sum() == pytest.approx(1) and np.all(w >= 0)


def test_all_missing_column_gets_weight_zero() -> None:
    rng = np.random.default_rng(7)
    x = normalize(rng.lognormal(size=(20, 3)))
    with_gap = np.insert(x, 1, nan, axis=1)
    for fn in (entropy, critic, pca):
        w = fn(with_gap)
        assert w[1] == 0
        np.testing.assert_allclose(w[[0, 2, 3]], fn(x), rtol=1e-12)

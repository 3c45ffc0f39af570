"""Aggregation: hand-worked means and TOPSIS, pymcdm WSM / WPM / TOPSIS as peers, real data."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from pymcdm.methods import TOPSIS, WPM, WSM
from pymcdm.normalizations import minmax_normalization

from nqpf.errors import ValidationError
from nqpf.index.aggregate import aggregate, topsis
from nqpf.index.impute import impute
from nqpf.index.normalize import normalize
from nqpf.index.weights import entropy
from nqpf.panel import Panel

nan = np.nan


def _identity(x: np.ndarray, cost: bool = False) -> np.ndarray:
    """A pymcdm normalisation that leaves already-normalised data alone."""
    assert not cost
    return x


def test_arithmetic_hand_worked_and_pymcdm_wsm() -> None:
    # .5*.2 + .25*.4 + .25*.8 = .1 + .1 + .2 = .4
    w = np.array([0.5, 0.25, 0.25])
    assert aggregate(np.array([0.2, 0.4, 0.8]), w) == pytest.approx(0.4)
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(10, 3))
    peer = WSM(normalization_function=_identity)(x, w, np.ones(3))
    np.testing.assert_allclose(aggregate(x, w), peer, atol=1e-10)
    # unnormalised weights give the same result (divided by their sum)
    np.testing.assert_allclose(aggregate(x, w * 4), aggregate(x, w))


def test_geometric_hand_worked_and_pymcdm_wpm() -> None:
    # equal weights on 1, 4, 16: (1 * 4 * 16)^(1/3) = 64^(1/3) = 4
    assert aggregate(np.array([1.0, 4.0, 16.0]), np.ones(3), "geometric") == pytest.approx(4.0)
    rng = np.random.default_rng(1)
    x = rng.uniform(1, 100, size=(10, 3))
    w = np.array([0.2, 0.3, 0.5])
    peer = WPM(normalization_function=_identity)(x, w, np.ones(3))  # prod x^w, sum w = 1
    np.testing.assert_allclose(aggregate(x, w, "geometric"), peer, rtol=1e-10)


def test_geometric_rejects_zero_naming_the_indicator() -> None:
    x = np.array([[0.5, 0.0, 1.0], [0.2, 0.3, 0.4]])
    with pytest.raises(ValidationError, match=r"indicator 'patents'.*out_range"):
        aggregate(x, np.ones(3), "geometric", names=["rd", "patents", "gdp"])
    with pytest.raises(ValidationError, match="indicator column 1"):
        aggregate(x, np.ones(3), "geometric")


def test_generalized_and_harmonic_hand_worked() -> None:
    x, w = np.array([1.0, 3.0]), np.ones(2)
    # p = 2: sqrt((1 + 9)/2) = sqrt(5); p = -1: 2/(1 + 1/3) = 1.5; p = 1: 2
    assert aggregate(x, w, "generalized", p=2) == pytest.approx(np.sqrt(5))
    assert aggregate(x, w, "generalized", p=-1) == pytest.approx(1.5)
    assert aggregate(x, w, "harmonic") == pytest.approx(1.5)
    assert aggregate(x, w, "generalized", p=1) == pytest.approx(2.0)
    # p -> 0 tends to the geometric mean sqrt(3)
    assert aggregate(x, w, "generalized", p=1e-9) == pytest.approx(np.sqrt(3), rel=1e-6)
    assert aggregate(x, w, "generalized", p=0) == pytest.approx(np.sqrt(3))
    # power mean inequality: harmonic <= geometric <= arithmetic <= quadratic
    rng = np.random.default_rng(2)
    y = rng.uniform(1, 10, size=(20, 4))
    ww = rng.uniform(size=4)
    means = [aggregate(y, ww, "harmonic"), aggregate(y, ww, "geometric"), aggregate(y, ww),
             aggregate(y, ww, "generalized", p=2)]
    for lo, hi in itertools.pairwise(means):
        assert np.all(lo <= hi + 1e-12)
    with pytest.raises(ValidationError, match="exponent p"):
        aggregate(x, w, "generalized")
    with pytest.raises(ValidationError, match="> 0"):
        aggregate(np.array([0.0, 1.0]), w, "harmonic")


def test_nan_skipped_and_weights_renormalised() -> None:
    # (.5*.2 + .25*.8)/(.5 + .25) = .3/.75 = .4
    w = np.array([0.5, 0.25, 0.25])
    x = np.array([[0.2, nan, 0.8], [nan, nan, nan]])
    out = aggregate(x, w)
    assert out[0] == pytest.approx(0.4) and np.isnan(out[1])
    # geometric: (.2^.5 * .8^.25)^(1/.75)
    g = aggregate(x, w, "geometric")
    assert g[0] == pytest.approx((0.2**0.5 * 0.8**0.25) ** (1 / 0.75))


def test_validation() -> None:
    with pytest.raises(ValidationError, match="arithmetic"):
        aggregate(np.ones((2, 2)), np.ones(2), "median")
    with pytest.raises(ValidationError, match="entries"):
        aggregate(np.ones((2, 2)), np.ones(3))
    with pytest.raises(ValidationError, match=">= 0"):
        aggregate(np.ones((2, 2)), np.array([1.0, -1.0]))


def test_topsis_hand_worked() -> None:
    # w = (.75, .25); rows (0, 1), (1, 0), (.5, .5) -> V = (0, .25), (.75, 0), (.375, .125)
    # ideal (.75, .25), anti-ideal (0, 0)
    # row 1: D+ = .75, D- = .25 -> .25; row 2: D+ = .25, D- = .75 -> .75
    # row 3: D+ = D- = sqrt(.375^2 + .125^2) -> .5
    x = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5]])
    np.testing.assert_allclose(topsis(x, [0.75, 0.25]), [0.25, 0.75, 0.5], rtol=1e-12)
    np.testing.assert_allclose(aggregate(x, [3, 1], "topsis"), [0.25, 0.75, 0.5], rtol=1e-12)


def test_topsis_matches_pymcdm() -> None:
    rng = np.random.default_rng(3)
    x = rng.uniform(size=(15, 4))
    w = np.array([0.1, 0.2, 0.3, 0.4])
    peer = TOPSIS(normalization_function=_identity)(x, w, np.ones(4))
    np.testing.assert_allclose(topsis(x, w), peer, atol=1e-10)


def test_entropy_topsis_chain_matches_pymcdm_with_cost_criteria() -> None:
    # raw data with two cost columns: our min-max (cost reversed) + entropy + TOPSIS
    # equals pymcdm TOPSIS(minmax_normalization) with the same weights and types
    rng = np.random.default_rng(4)
    raw = rng.lognormal(size=(20, 4))
    types = np.array([1, -1, 1, -1])
    normed = normalize(raw, "minmax", types)
    w = entropy(normed)
    peer = TOPSIS(normalization_function=minmax_normalization)(raw, w, types)
    np.testing.assert_allclose(topsis(normed, w), peer, atol=1e-10)


def test_topsis_pools_all_rows_of_a_cube() -> None:
    rng = np.random.default_rng(5)
    cube = rng.uniform(size=(3, 6, 4))
    w = np.array([0.4, 0.3, 0.2, 0.1])
    pooled = topsis(cube, w)
    np.testing.assert_allclose(pooled.reshape(-1), topsis(cube.reshape(-1, 4), w))
    per_year = np.stack([topsis(cube[t], w) for t in range(3)])
    assert not np.allclose(pooled, per_year)


@pytest.fixture(scope="module")
def real(data_dir):  # type: ignore[no-untyped-def]
    df = pd.read_csv(data_dir / "panel/provinces.csv", dtype={"region_code": str})
    variables = ["gdp_per_capita", "rd_intensity", "urbanization_rate", "energy_intensity",
                 "fdi_per_capita_usd"]
    return Panel(df).to_array(variables, years=list(range(2011, 2020)))


def test_real_data_chain_scores_in_range(real) -> None:  # type: ignore[no-untyped-def]
    filled, flags = impute(real.values, "linear")
    assert flags.sum() == np.isnan(real.values).sum() - np.isnan(filled).sum() > 0
    directions = np.array([1, 1, 1, -1, 1])
    normed = normalize(filled, "minmax", directions, out_range=(1, 100))
    w = entropy(normed.reshape(-1, 5))
    assert w.sum() == pytest.approx(1)
    for method in ("arithmetic", "geometric", "harmonic"):
        s = aggregate(normed, w, method)
        assert s.shape == (9, 31)
        assert np.nanmin(s) >= 1 and np.nanmax(s) <= 100
    c = topsis(normalize(filled, "minmax", directions), w)
    assert np.nanmin(c) >= 0 and np.nanmax(c) <= 1
    # pooled scale: growth shows. GDP per capita, R&D intensity and urbanisation rise and
    # energy intensity falls over 2011-2019, so the national mean composite rises
    s = aggregate(normed, w)
    assert np.nanmean(s[-1]) > np.nanmean(s[0]) + 5

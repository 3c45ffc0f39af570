"""Markov chains against giddy, sigma/beta convergence by hand (LSDV) and Phillips-Sul clubs."""

from __future__ import annotations

import warnings

import mapclassify as mc
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from giddy.markov import Markov as GiddyMarkov
from giddy.markov import Spatial_Markov
from giddy.mobility import markov_mobility

from bundle import V1_FRAMEWORKS
from nqpf.panel import Panel
from nqpf.regional import (
    BetaConvergence,
    ClubConvergence,
    Markov,
    RegionalError,
    SigmaConvergence,
    SpatialMarkov,
    SpatialWeights,
)
from nqpf.regional.club import _hac_se, log_t_test
from nqpf.regional.markov import steady_state


def test_steady_state_and_mobility_by_hand() -> None:
    p = np.array([[0.9, 0.1], [0.2, 0.8]])
    np.testing.assert_allclose(steady_state(p), [2 / 3, 1 / 3])  # pi_1 * 0.1 = pi_2 * 0.2
    assert np.isnan(steady_state(np.eye(2))).all()               # two closed classes: not unique
    # two regions, three years, k = 2: pooled median splits 1,2,3 | 4,5,6
    wide = pd.DataFrame({"110000": [1.0, 4.0, 5.0], "120000": [2.0, 3.0, 6.0]}, index=[2020, 2021, 2022])
    m = Markov(wide, k=2)
    # transitions: 110000 low->high, high->high; 120000 low->low, low->high
    np.testing.assert_array_equal(m.transitions, [[1, 2], [0, 1]])
    np.testing.assert_allclose(m.p, [[1 / 3, 2 / 3], [0, 1]])
    assert m.mobility == pytest.approx((2 - (1 / 3 + 1)) / 1)


def test_markov_against_giddy(v1_results) -> None:
    res = v1_results["nqpf-technology-economy-industry@1.0"]
    m = Markov(res, k=5)
    y = res.index.T
    q = mc.Quantiles(y.ravel(), k=5).yb.reshape(y.shape)
    np.testing.assert_array_equal(m.classes.T, q)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = GiddyMarkov(q)
    np.testing.assert_array_equal(m.transitions, g.transitions)
    np.testing.assert_allclose(m.p, g.p, atol=1e-15)
    assert m.mobility == pytest.approx(markov_mobility(g.p, measure="P"))
    if np.isfinite(m.steady).all():
        np.testing.assert_allclose(m.steady, np.asarray(g.steady_state).ravel(), atol=1e-10)
    # real: regions move up (the index rises over time), rarely down
    assert np.triu(m.transitions, 1).sum() > 5 * np.tril(m.transitions, -1).sum()


def test_spatial_markov_against_giddy(v1_results) -> None:
    res = v1_results["nqpf-three-elements@1.0"]
    w = SpatialWeights.queen(res.regions)
    s = SpatialMarkov(res, k=4, weights=w)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = Spatial_Markov(res.index.T, w.to_libpysal("r"), k=4, m=4, fixed=True)
    np.testing.assert_array_equal(s.transitions, g.T)
    np.testing.assert_allclose(s.p, g.P, atol=1e-15)
    assert s.transitions.sum() == 31 * (len(res.years) - 1)
    assert any("460000 linked" in n for n in s.notes)
    assert len(s.to_tidy()) == 4 ** 3
    gap = pd.DataFrame(res.index, index=res.years, columns=res.regions)
    gap.iloc[0, 0] = np.nan
    with pytest.raises(RegionalError, match="every region in every year"):
        SpatialMarkov(gap)


@pytest.mark.parametrize("fid", V1_FRAMEWORKS)
def test_real_sigma_and_beta_convergence(v1_results, fid: str) -> None:
    res = v1_results[fid]
    s = SigmaConvergence(res)
    sd = np.std(np.log(res.index), axis=1)
    np.testing.assert_allclose(s.table["sd_log"], sd, atol=1e-14)
    assert s.converging and s.slope_sd_log < 0 and s.p_sd_log < 0.01
    b = BetaConvergence(res)
    assert b.converging and -0.3 < b.beta < -0.05 and b.p < 0.01
    assert b.speed == pytest.approx(-np.log(1 + b.beta)) and b.half_life == pytest.approx(np.log(2) / b.speed)
    assert 2 < b.half_life < 8


def test_beta_against_hand_lsdv(v1_results) -> None:
    """linearmodels' two-way within estimate = OLS with region and year dummies; clustered SE by hand."""
    res = v1_results["hqd-four-channels@1.0"]
    b = BetaConvergence(res)
    lv = np.log(res.index)
    g, x = (lv[1:] - lv[:-1]).T.ravel(), lv[:-1].T.ravel()
    r, t = len(res.regions), len(res.years) - 1
    ent, tim = np.repeat(np.arange(r), t), np.tile(np.arange(t), r)
    dummies = np.column_stack([np.eye(r)[ent], np.eye(t)[tim][:, 1:]])
    xmat = np.column_stack([x, dummies])
    coef, *_ = np.linalg.lstsq(xmat, g, rcond=None)
    assert b.beta == pytest.approx(coef[0], abs=1e-10)
    x_within = x - dummies @ np.linalg.lstsq(dummies, x, rcond=None)[0]  # Frisch-Waugh-Lovell
    e = g - xmat @ coef
    meat = sum((x_within[ent == i] * e[ent == i]).sum() ** 2 for i in range(r))
    n, k = g.size, xmat.shape[1]
    assert b.se == pytest.approx(np.sqrt(meat / (x_within @ x_within) ** 2 * n / (n - k)), rel=1e-8)
    assert b.nobs == n


def test_conditional_beta_and_errors(v1_results, panel: Panel) -> None:
    res = v1_results["nqpf-three-elements@1.0"]
    cond = BetaConvergence(res, controls={"urbanisation": panel.to_wide("urbanization_rate")})
    assert cond.kind == "conditional" and "urbanisation" in cond.params.index
    assert cond.beta < 0
    tidy = cond.to_tidy()
    assert {"log_level", "urbanisation", "speed", "half_life"} <= set(tidy["term"])
    with pytest.raises(RegionalError, match="positive values"):
        BetaConvergence(pd.DataFrame({"110000": [0.0, 1.0, 2.0], "120000": [1.0, 2.0, 3.0]}, index=[1, 2, 3]))
    with pytest.raises(RegionalError, match="effects"):
        BetaConvergence(res, effects="random")


def test_log_t_hac_against_statsmodels() -> None:
    rng = np.random.default_rng(0)  # test fixture, not statistics
    x = np.column_stack([np.ones(12), np.log(np.arange(1, 13))])
    y = x @ [1.0, 2.0] + rng.normal(size=12)
    f = sm.OLS(y, x).fit(cov_type="HAC", cov_kwds={"maxlags": 2, "use_correction": False})
    np.testing.assert_allclose(_hac_se(x, y - x @ f.params, 2), f.bse, rtol=1e-10)


def test_clubs_on_a_labelled_fixture() -> None:
    """Test fixture (not statistics): two groups converging to 2 and to 1, transitions decaying as 1/t."""
    t = np.arange(1, 31, dtype=float)[:, None]
    rng = np.random.default_rng(1)
    hi = 2.0 + rng.uniform(0.5, 1.5, 6) / t
    lo = 1.0 + rng.uniform(0.5, 1.5, 6) / t
    codes = ["110000", "120000", "130000", "140000", "150000", "210000",
             "220000", "230000", "310000", "320000", "330000", "340000"]
    wide = pd.DataFrame(np.hstack([hi, lo]) + 1.0, index=range(1991, 2021), columns=codes)
    c = ClubConvergence(wide, hp_lambda=None)
    assert not c.converging  # two different limits: no overall convergence
    assert sorted(map(sorted, c.clubs)) == sorted([sorted(codes[:6]), sorted(codes[6:])])
    assert c.divergent == [] and (c.club_tests["t"] > -1.65).all()
    _b, tstat = log_t_test(np.hstack([hi, hi[:, :1]]))
    assert tstat > -1.65


@pytest.mark.parametrize("fid", V1_FRAMEWORKS)
def test_real_clubs(v1_results, fid: str) -> None:
    c = ClubConvergence(v1_results[fid])
    assert any("levels, not logs" in n for n in c.notes) and any("Hodrick-Prescott" in n for n in c.notes)
    members = [r for club in c.clubs for r in club] + c.divergent
    assert sorted(members) == sorted(v1_results[fid].regions)
    assert len(c.clubs) >= 2
    assert (c.club_tests.loc[c.club_tests["size"] > 1, "t"] > -1.65).all()
    club_of = c.table.set_index("region_code")["club"]
    # Tibet is never in the leading club
    assert club_of["540000"] != 1

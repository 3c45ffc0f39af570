"""Gini, Theil T/L, CV against inequality (PySAL) and by hand; kernel densities against statsmodels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from inequality.gini import Gini
from inequality.theil import Theil, TheilD
from statsmodels.nonparametric.bandwidths import bw_scott, bw_silverman
from statsmodels.nonparametric.kde import KDEUnivariate

from nqpf.index.build import build_index
from nqpf.panel import Panel
from nqpf.regional import Inequality, KernelDensity, RegionalError
from nqpf.regional.density import bandwidth, gaussian_kde
from nqpf.regional.theil import theil_l, theil_t
from nqpf.regions import REGISTRY


@pytest.fixture(scope="module")
def res(panel: Panel):
    return build_index("nqpf-technology-economy-industry@1.0", panel)


def test_hand_worked_theil() -> None:
    y = np.array([1.0, 3.0, 2.0, 6.0])  # mean 3
    t = (1 / 3 * np.log(1 / 3) + 0 + 2 / 3 * np.log(2 / 3) + 2 * np.log(2)) / 4
    lval = (np.log(3 / 1) + 0 + np.log(3 / 2) + np.log(3 / 6)) / 4
    assert theil_t(y) == pytest.approx(t, abs=1e-15) and theil_l(y) == pytest.approx(lval, abs=1e-15)
    wide = pd.DataFrame([y], index=[2020], columns=["110000", "120000", "310000", "320000"])
    ineq = Inequality(wide, {"A": ["110000", "120000"], "B": ["310000", "320000"]})
    row = ineq.table.iloc[0]
    # groups A = {1, 3} (mean 2, share 1/3), B = {2, 6} (mean 4, share 2/3)
    assert row["theil_t_between"] == pytest.approx(1 / 3 * np.log(2 / 3) + 2 / 3 * np.log(4 / 3), abs=1e-15)
    assert row["theil_l_between"] == pytest.approx(0.5 * np.log(3 / 2) + 0.5 * np.log(3 / 4), abs=1e-15)
    assert row["theil_t_within"] + row["theil_t_between"] == pytest.approx(t, abs=1e-15)
    assert row["gini"] == pytest.approx(1 / 3) and row["cv"] == pytest.approx(np.std(y) / 3)


def test_against_inequality_on_real_data(res) -> None:
    ineq = Inequality(res)
    labels = np.array([REGISTRY.group_of(r, "nbs4").key for r in res.regions])
    y = res.index.T  # regions x years
    peer_t = Theil(y).T
    peer_d = TheilD(y, labels)
    np.testing.assert_allclose(ineq.table["theil_t"], peer_t, atol=1e-12)
    np.testing.assert_allclose(ineq.table["theil_t_between"], peer_d.bg, atol=1e-12)
    np.testing.assert_allclose(ineq.table["theil_t_within"], peer_d.wg, atol=1e-12)
    np.testing.assert_allclose(ineq.table["gini"], [Gini(y[:, t]).g for t in range(y.shape[1])], atol=1e-12)
    np.testing.assert_allclose(ineq.table["theil_l_within"] + ineq.table["theil_l_between"], ineq.table["theil_l"], atol=1e-12)
    # real: every measure of the NQPF gap fell from the first to the last year
    first, last = ineq.table.iloc[0], ineq.table.iloc[-1]
    for m in ("gini", "cv", "theil_t", "theil_l"):
        assert last[m] < 0.8 * first[m], m
    assert 30 < last["between_share_t"] < 80


def test_raw_indicator_series_and_zero_values(panel: Panel, res) -> None:
    gdp = panel.to_wide("gdp")  # a raw indicator, level series (100 million yuan)
    ineq = Inequality(gdp, "belt3")
    assert ineq.table["gini"].between(0.3, 0.6).all()
    # a min-max indicator has exact zeros: Theil L is undefined there and the output says so
    k = res.indicators.index("rd_to_gdp")
    zero = Inequality(pd.DataFrame(res.normalised[:, :, k], index=res.years, columns=res.regions))
    assert zero.table["theil_l"].isna().any()
    assert any("Theil L undefined" in n for n in zero.notes)
    with pytest.raises(RegionalError, match="non-negative"):
        Inequality(pd.DataFrame([[-1.0, 2.0]], index=[2020], columns=["110000", "120000"]))


def test_density_against_statsmodels(res) -> None:
    y = res.index[-1]
    assert bandwidth(y, "silverman") == pytest.approx(bw_silverman(y), rel=1e-12)
    assert bandwidth(y, "scott") == pytest.approx(bw_scott(y), rel=1e-12)
    kd = KernelDensity(res)
    peer = KDEUnivariate(y)
    peer.fit(bw=float(kd.bandwidths["bandwidth"].iloc[-1]), fft=False)
    np.testing.assert_allclose(kd.density.iloc[-1].to_numpy(), peer.evaluate(kd.grid), atol=1e-10)
    # hand check of one point: the Gaussian kernel sum
    h = bandwidth(y)
    x0 = float(np.median(y))
    hand = np.sum(np.exp(-0.5 * ((x0 - y) / h) ** 2)) / (y.size * h * np.sqrt(2 * np.pi))
    assert gaussian_kde(y, np.array([x0]), h)[0] == pytest.approx(hand)
    # each density integrates to ~1 on the common grid; the distribution moved right
    dx = kd.grid[1] - kd.grid[0]
    np.testing.assert_allclose(kd.density.sum(axis=1) * dx, 1.0, atol=1e-3)
    assert kd.moments["mean"].iloc[-1] > kd.moments["mean"].iloc[0]
    tidy = kd.to_tidy()
    assert list(tidy.columns) == ["year", "x", "density", "bandwidth", "rule"]
    assert len(tidy) == len(res.years) * kd.points and (tidy["rule"] == "silverman").all()
    with pytest.raises(RegionalError, match="bandwidth rule"):
        KernelDensity(res, rule="wide")

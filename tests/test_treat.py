"""Outlier treatment: COINr's skew/kurtosis definitions (vs scipy), winsorisation and log."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from nqpf.errors import ValidationError
from nqpf.index.treat import kurtosis, log_transform, skewness, treat, winsorise

nan = np.nan


def test_skew_kurtosis_hand_worked() -> None:
    # x = 1, 2, 3, 4, 10: mean 4, deviations -3 -2 -1 0 6
    # m2 = (9+4+1+0+36)/5 = 10, m3 = (-27-8-1+0+216)/5 = 36, m4 = (81+16+1+0+1296)/5 = 278.8
    # G1 = m3/m2^1.5 * sqrt(n(n-1))/(n-2) = 36/10^1.5 * sqrt(20)/3
    # G2 = ((n+1)(m4/m2^2 - 3) + 6)(n-1)/((n-2)(n-3)) = (6*(2.788-3) + 6)*4/6 = 3.152
    x = np.array([[1.0], [2.0], [3.0], [4.0], [10.0]])
    assert skewness(x)[0] == pytest.approx(36 / 10**1.5 * np.sqrt(20) / 3, rel=1e-12)
    assert kurtosis(x)[0] == pytest.approx(3.152, rel=1e-12)


def test_skew_kurtosis_match_scipy_unbiased_with_nan() -> None:
    rng = np.random.default_rng(0)
    x = rng.lognormal(0, 1, size=(40, 3))
    x[[2, 7, 30], [0, 1, 2]] = nan
    np.testing.assert_allclose(
        skewness(x), stats.skew(x, bias=False, nan_policy="omit"), rtol=1e-10
    )
    np.testing.assert_allclose(
        kurtosis(x), stats.kurtosis(x, fisher=True, bias=False, nan_policy="omit"), rtol=1e-10
    )


def test_too_few_or_constant_gives_nan() -> None:
    assert np.isnan(skewness(np.array([[1.0], [2.0]]))[0])
    assert np.isnan(kurtosis(np.array([[1.0], [2.0], [3.0]]))[0])
    assert np.isnan(skewness(np.ones((6, 1)))[0])


def test_coinr_example_winsorises_one_point() -> None:
    # COINr's own example: x = 1..10, 30, 100 fails (|skew| 3.06 >= 2, kurt 9.74 >= 3.5);
    # winsorising the top point (100 -> next highest 30) gives skew 1.71 < 2: passes
    x = np.r_[np.arange(1.0, 11.0), 30.0, 100.0]
    assert abs(stats.skew(x, bias=False)) >= 2 and stats.kurtosis(x, bias=False) >= 3.5
    expected = x.copy()
    expected[-1] = 30.0
    assert abs(stats.skew(expected, bias=False)) < 2
    res = treat(x[:, None], names=["flights"])
    np.testing.assert_array_equal(res.values[:, 0], expected)
    row = res.log.iloc[0]
    assert (row["indicator"], row["action"], row["n_winsorised"]) == ("flights", "winsorised", 1)
    assert row["skew_before"] == pytest.approx(stats.skew(x, bias=False))
    assert row["skew_after"] == pytest.approx(stats.skew(expected, bias=False))


def test_log_when_winsorisation_is_not_enough() -> None:
    # 40 zeros and 1, 10, ..., 1e9. Five winsorisation steps pull the top values down one
    # decade at a time (ties move together): 1 + 1 + 1 + 1 + 1 = 5 points, leaving six
    # values at 1e4, which still fail; so log_CT of the ORIGINAL: log(x - 0 + 0.01 * 1e9)
    x = np.r_[np.zeros(40), 10.0 ** np.arange(10)]
    y = np.sort(x)
    y[-6:] = 1e4
    assert abs(stats.skew(y, bias=False)) >= 2 and stats.kurtosis(y, bias=False) >= 3.5
    win, n = winsorise(x)
    assert n == 5
    np.testing.assert_array_equal(np.sort(win), y)
    res = treat(x[:, None])
    np.testing.assert_allclose(res.values[:, 0], np.log(x + 0.01 * 1e9))
    assert res.log.loc[0, "action"] == "log" and res.log.loc[0, "n_winsorised"] == 0
    # COINr's log_CT_orig: log(x - min + 1)
    res1 = treat(x[:, None], log_form="ct_orig")
    np.testing.assert_allclose(res1.values[:, 0], np.log(x + 1))


def test_negative_skew_is_mirrored() -> None:
    x = np.r_[np.zeros(40), 10.0 ** np.arange(10)]
    pos = treat(x[:, None]).values[:, 0]
    neg = treat(-x[:, None]).values[:, 0]
    # -log(max(-x) - (-x) + a) = -log(x - min x + a): the mirror image, order preserved
    np.testing.assert_allclose(neg, -pos)
    assert np.all(np.diff(neg[np.argsort(-x)]) >= 0)
    np.testing.assert_allclose(log_transform(-x, negative_skew=True), -np.log(x + 0.01 * 1e9))


def test_methods_none_winsorise_log_and_passing_data() -> None:
    rng = np.random.default_rng(1)
    normal = rng.normal(size=(60, 1))
    heavy = np.r_[np.zeros(40), 10.0 ** np.arange(10)][:, None]
    both = np.hstack([normal[:50], heavy])
    # a normal column passes and is untouched
    res = treat(both)
    np.testing.assert_array_equal(res.values[:, 0], both[:, 0])
    assert list(res.log["action"]) == ["none", "log"]
    # "none": untouched, statistics still reported
    none = treat(both, "none")
    np.testing.assert_array_equal(none.values, both)
    assert none.log.loc[1, "skew_before"] == pytest.approx(stats.skew(both[:, 1], bias=False))
    # "winsorise" only: never a log
    win = treat(both, "winsorise")
    assert list(win.log["action"]) == ["none", "winsorised"]
    assert win.log.loc[1, "n_winsorised"] == 5
    # "log": every column (normal one is skewed whichever way, mirrored if negative)
    lg = treat(both, "log")
    assert list(lg.log["action"]) == ["log", "log"]
    np.testing.assert_allclose(lg.values[:, 1], np.log(both[:, 1] + 0.01 * 1e9))


def test_thresholds_are_settable() -> None:
    x = np.r_[np.arange(1.0, 11.0), 30.0, 100.0][:, None]
    assert treat(x, skew_max=5.0).log.loc[0, "action"] == "none"  # |skew| 3.06 < 5: passes
    assert treat(x, winmax=0).log.loc[0, "action"] == "log"


def test_cube_is_pooled_and_nan_kept() -> None:
    rng = np.random.default_rng(2)
    cube = rng.lognormal(0, 1.5, size=(5, 8, 2))
    cube[0, 0, 0] = nan
    res = treat(cube)
    flat = treat(cube.reshape(-1, 2))
    np.testing.assert_allclose(res.values.reshape(-1, 2), flat.values)
    assert res.values.shape == cube.shape and np.isnan(res.values[0, 0, 0])


def test_validation() -> None:
    with pytest.raises(ValidationError, match="coinr"):
        treat(np.ones((5, 2)), "boxcox")
    with pytest.raises(ValidationError, match="names"):
        treat(np.ones((5, 2)), names=["a"])

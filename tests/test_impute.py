"""Screening and panel imputation: hand-worked cases, np.interp as peer, real data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nqpf.errors import ValidationError
from nqpf.index.impute import availability, impute, screen
from nqpf.panel import Panel
from nqpf.regions import REGISTRY

nan = np.nan


def _series(values: list[float]) -> np.ndarray:
    """One region, one indicator: a (T, 1, 1) cube."""
    return np.array(values, dtype=float)[:, None, None]


def test_availability_and_screen_hand_worked() -> None:
    # indicator 0: 4 of 4 cells; indicator 1: 1 of 4; indicator 2: 3 of 4
    cube = np.array([[[1, nan, 1], [2, nan, nan]], [[3, 5, 1], [4, nan, 2]]])
    np.testing.assert_allclose(availability(cube), [1.0, 0.25, 0.75])
    np.testing.assert_array_equal(screen(cube), [True, False, True])  # 0.65 default
    np.testing.assert_array_equal(screen(cube, min_coverage=0.8), [True, False, False])
    with pytest.raises(ValidationError, match="min_coverage"):
        screen(cube, min_coverage=1.5)


def test_linear_interpolates_inside_and_carries_ends() -> None:
    # [nan, 2, nan, nan, 8]: the gap 2 -> 8 over 3 steps adds 2 per step; the start carries 2
    filled, flags = impute(_series([nan, 2, nan, nan, 8]), "linear")
    np.testing.assert_allclose(filled[:, 0, 0], [2, 2, 4, 6, 8])
    np.testing.assert_array_equal(flags[:, 0, 0], [True, False, True, True, False])
    # the end carries the last observed value
    filled, _ = impute(_series([1, nan, 3, nan, nan]), "linear")
    np.testing.assert_allclose(filled[:, 0, 0], [1, 2, 3, 3, 3])


def test_linear_uses_year_spacing() -> None:
    # years 2010, 2011, 2012, 2014, 2015; 2 in 2011 and 8 in 2015: slope 6/4 = 1.5 per year
    years = np.array([2010, 2011, 2012, 2014, 2015])
    filled, _ = impute(_series([nan, 2, nan, nan, 8]), "linear", years=years)
    np.testing.assert_allclose(filled[:, 0, 0], [2, 2, 3.5, 6.5, 8])
    with pytest.raises(ValidationError, match="increasing"):
        impute(_series([1, 2, 3, 4, 5]), "linear", years=years[::-1])


def test_empty_series_stays_nan_under_linear() -> None:
    cube = np.stack([_series([nan, nan, nan])[:, :, 0], _series([1, nan, 3])[:, :, 0]], axis=1)
    filled, flags = impute(cube, "linear")
    assert np.isnan(filled[:, 0, 0]).all()
    assert not flags[:, 0, 0].any()
    np.testing.assert_allclose(filled[:, 1, 0], [1, 2, 3])


def test_group_mean_hand_worked() -> None:
    # one year, four regions in groups E, E, W, W; K = 1
    cube = np.array([[[1.0], [nan], [5.0], [7.0]]])
    groups = np.array(["E", "E", "W", "W"])
    filled, flags = impute(cube, "group_mean", groups=groups)
    assert filled[0, 1, 0] == 1.0  # mean of the observed E regions = 1
    assert flags.sum() == 1
    # both E regions missing: fall back to the all-region mean of that year (5 + 7) / 2 = 6
    cube2 = np.array([[[nan], [nan], [5.0], [7.0]]])
    filled2, _ = impute(cube2, "group_mean", groups=groups)
    np.testing.assert_allclose(filled2[0, :, 0], [6, 6, 5, 7])
    # no groups at all: all-region mean (1 + 5 + 7) / 3
    filled3, _ = impute(cube, "group_mean")
    assert filled3[0, 1, 0] == pytest.approx(13 / 3)


def test_group_mean_unlabelled_region_uses_overall_mean() -> None:
    cube = np.array([[[1.0], [3.0], [nan]]])
    filled, _ = impute(cube, "group_mean", groups=np.array(["E", "E", None], dtype=object))
    assert filled[0, 2, 0] == pytest.approx(2.0)


def test_linear_then_group_mean() -> None:
    # region 0 has no value at all -> group mean of the (linearly filled) year values of region 1
    cube = np.full((3, 3, 1), nan)
    cube[:, 1, 0] = [2, nan, 6]  # group A, linear fills 4
    cube[:, 2, 0] = [10, 10, 10]  # group B
    filled, flags = impute(cube, "linear+group_mean", groups=np.array(["A", "A", "B"]))
    np.testing.assert_allclose(filled[:, 0, 0], [2, 4, 6])
    np.testing.assert_allclose(filled[:, 1, 0], [2, 4, 6])
    assert flags.sum() == 4  # 3 cells of region 0 + 1 of region 1


def test_none_and_unknown_method() -> None:
    cube = _series([1, nan, 3])
    filled, flags = impute(cube, "none")
    assert np.isnan(filled[1, 0, 0]) and not flags.any()
    with pytest.raises(ValidationError, match="linear"):
        impute(cube, "spline")


def test_leading_batch_axis() -> None:
    rng = np.random.default_rng(3)
    a = rng.normal(size=(2, 6, 4, 3))
    a[rng.random(a.shape) < 0.3] = nan
    batch, bflags = impute(a, "linear")
    for d in range(2):
        one, oflags = impute(a[d], "linear")
        np.testing.assert_allclose(batch[d], one)
        np.testing.assert_array_equal(bflags[d], oflags)


@pytest.fixture(scope="module")
def real_cube(data_dir):  # type: ignore[no-untyped-def]
    panel = Panel(pd.read_csv(data_dir / "panel/provinces.csv", dtype={"region_code": str}))
    variables = [
        "fdi_per_capita_usd",
        "rd_intensity",
        "tech_market_outflow_value",
        "internet_penetration",
    ]
    return panel.to_array(variables, years=list(range(2010, 2023)))


def test_real_data_linear_matches_np_interp(real_cube) -> None:  # type: ignore[no-untyped-def]
    raw = real_cube.values
    filled, flags = impute(raw, "linear")
    n_nan_before, n_nan_after = np.isnan(raw).sum(), np.isnan(filled).sum()
    assert n_nan_before > 100  # the FDI series has many gaps, rd_intensity starts 2011
    assert flags.sum() == n_nan_before - n_nan_after
    np.testing.assert_array_equal(filled[~np.isnan(raw)], raw[~np.isnan(raw)])  # observed kept
    # peer: np.interp clamps to the nearest observed value outside the observed range
    t = np.arange(raw.shape[0])
    for r in range(raw.shape[1]):
        for k in range(raw.shape[2]):
            s = raw[:, r, k]
            ok = ~np.isnan(s)
            if ok.any():
                np.testing.assert_allclose(filled[:, r, k], np.interp(t, t[ok], s[ok]), rtol=1e-12)
            else:
                assert np.isnan(filled[:, r, k]).all()


def test_real_data_group_mean_flags(real_cube) -> None:  # type: ignore[no-untyped-def]
    raw = real_cube.values
    labels = np.array(
        [
            g.key if (g := REGISTRY.group_of(c, "nbs4")) is not None else None
            for c in real_cube.regions
        ],
        dtype=object,
    )
    filled, flags = impute(raw, "linear+group_mean", groups=labels)
    assert flags.sum() == np.isnan(raw).sum() - np.isnan(filled).sum()
    # Fujian has no internet_penetration at all: it gets the East-region mean of each year
    k = real_cube.variables.index("internet_penetration")
    r = real_cube.regions.index("350000")
    lin, _ = impute(raw, "linear")
    east = [i for i, g in enumerate(labels) if g == labels[r] and i != r]
    t = real_cube.years.index(2012)
    assert np.isnan(raw[:, r, k]).all()
    assert filled[t, r, k] == pytest.approx(np.nanmean(lin[t, east, k]))

"""Normalisation: hand-worked cases, pymcdm / scipy as peers, pooled vs per-year on real data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pymcdm.helpers import normalize_matrix, rankdata, rrankdata
from pymcdm.normalizations import minmax_normalization
from scipy import stats

from nqpf.errors import ValidationError
from nqpf.index.normalize import normalize
from nqpf.panel import Panel

nan = np.nan


def test_minmax_pooled_vs_per_year_hand_worked() -> None:
    # T = 2 years, R = 2 regions, K = 1: year 1 (1, 3), year 2 (5, 9)
    cube = np.array([[[1.0], [3.0]], [[5.0], [9.0]]])
    # pooled: min 1, max 9 -> (x - 1)/8
    np.testing.assert_allclose(normalize(cube)[..., 0], [[0, 0.25], [0.5, 1]])
    # per year: (1, 3) -> (0, 1); (5, 9) -> (0, 1): every year has its own 0 and 1
    np.testing.assert_allclose(normalize(cube, scope="per_year")[..., 0], [[0, 1], [0, 1]])
    # cost: (max - x)/(max - min) = (9 - x)/8
    np.testing.assert_allclose(normalize(cube, directions=[-1])[..., 0], [[1, 0.75], [0.5, 0]])
    # out_range (1, 100): 1 + 99 y
    np.testing.assert_allclose(normalize(cube, out_range=(1, 100))[..., 0], [[1, 25.75], [50.5, 100]])


def test_minmax_constant_column_goes_to_middle_and_nan_stays() -> None:
    x = np.array([[2.0, 1.0], [2.0, nan], [2.0, 3.0]])
    out = normalize(x, out_range=(1, 100))
    np.testing.assert_allclose(out[:, 0], [50.5, 50.5, 50.5])
    assert np.isnan(out[1, 1]) and out[0, 1] == 1 and out[2, 1] == 100


def test_minmax_matches_pymcdm() -> None:
    rng = np.random.default_rng(0)
    x = rng.uniform(1, 50, size=(12, 4))
    types = np.array([1, -1, 1, -1])
    ours = normalize(x, "minmax", types)
    peer = normalize_matrix(x, minmax_normalization, types)
    np.testing.assert_allclose(ours, peer, atol=1e-10)


def test_minmax_constant_column_differs_from_pymcdm() -> None:
    # deliberate difference: pymcdm maps a constant column to 1 (the best score); we use the
    # middle of out_range so a column without information neither rewards nor punishes
    x = np.array([[4.0], [4.0], [4.0]])
    np.testing.assert_array_equal(minmax_normalization(x[:, 0]), [1, 1, 1])
    np.testing.assert_array_equal(normalize(x)[:, 0], [0.5, 0.5, 0.5])


def test_zscore_hand_worked_and_scipy() -> None:
    # x = 1, 2, 3, 4: mean 2.5, sample sd sqrt(((1.5^2 + 0.5^2) * 2)/3) = sqrt(5/3)
    x = np.array([[1.0], [2.0], [3.0], [4.0]])
    sd = np.sqrt(5 / 3)
    np.testing.assert_allclose(normalize(x, "zscore")[:, 0], np.array([-1.5, -0.5, 0.5, 1.5]) / sd)
    np.testing.assert_allclose(normalize(x, "zscore", [-1])[:, 0], np.array([1.5, 0.5, -0.5, -1.5]) / sd)
    rng = np.random.default_rng(1)
    y = rng.normal(3, 2, size=(20, 3))
    np.testing.assert_allclose(normalize(y, "zscore"), stats.zscore(y, ddof=1), rtol=1e-12)
    assert (normalize(np.ones((4, 1)), "zscore") == 0).all()


def test_rank_and_percentile_hand_worked_and_pymcdm() -> None:
    # 10, 20, 20, 40 -> ranks 1, 2.5, 2.5, 4 (ties averaged); percentile (r - 1)/(n - 1)
    x = np.array([[10.0], [20.0], [20.0], [40.0]])
    np.testing.assert_allclose(normalize(x, "rank")[:, 0], [1, 2.5, 2.5, 4])
    np.testing.assert_allclose(normalize(x, "percentile")[:, 0], [0, 0.5, 0.5, 1])
    np.testing.assert_allclose(normalize(x, "percentile", out_range=(1, 100))[:, 0], [1, 50.5, 50.5, 100])
    # cost: the largest is worst -> rank 1, as pymcdm.rrankdata
    np.testing.assert_allclose(normalize(x, "rank", [-1])[:, 0], [4, 2.5, 2.5, 1])
    rng = np.random.default_rng(2)
    y = rng.integers(0, 6, size=(15, 2)).astype(float)
    out = normalize(y, "rank", [1, -1])
    np.testing.assert_allclose(out[:, 0], rankdata(y[:, 0]))
    np.testing.assert_allclose(out[:, 1], rrankdata(y[:, 1]))
    # NaN stays NaN and is not counted
    z = np.array([[3.0], [nan], [1.0]])
    np.testing.assert_allclose(normalize(z, "rank")[:, 0], [2, nan, 1])
    np.testing.assert_allclose(normalize(z, "percentile")[:, 0], [1, nan, 0])


def test_goalposts_hand_worked() -> None:
    # goalposts (0, 10): (x - 0)/10 clipped to [0, 1]; cost: (10 - x)/10
    x = np.array([[-5.0, -5.0], [2.5, 2.5], [12.0, 12.0]])
    gp = np.array([[0.0, 10.0], [0.0, 10.0]])
    out = normalize(x, "goalposts", [1, -1], goalposts=gp)
    np.testing.assert_allclose(out, [[0, 1], [0.25, 0.75], [1, 0]])
    out100 = normalize(x, "goalposts", goalposts=gp, out_range=(1, 100))
    np.testing.assert_allclose(out100[:, 0], [1, 25.75, 100])
    with pytest.raises(ValidationError, match="goalposts"):
        normalize(x, "goalposts")
    with pytest.raises(ValidationError, match="lo < hi"):
        normalize(x, "goalposts", goalposts=np.array([[0.0, 10.0], [5.0, 5.0]]), names=["a", "b"])


def test_distance_to_target_hand_worked() -> None:
    # benefit, target 8: 2/8, 8/8, min(10/8, 1); cost, target 2: min(2/1, 1), 2/4, 2/8
    x = np.array([[2.0, 1.0], [8.0, 4.0], [10.0, 8.0]])
    out = normalize(x, "distance_to_target", [1, -1], targets=np.array([8.0, 2.0]))
    np.testing.assert_allclose(out, [[0.25, 1], [1, 0.5], [1, 0.25]])
    with pytest.raises(ValidationError, match="'co2'"):
        normalize(np.array([[-1.0], [2.0]]), "distance_to_target", targets=np.array([1.0]), names=["co2"])


def test_validation_messages() -> None:
    x = np.ones((3, 2))
    with pytest.raises(ValidationError, match="minmax"):
        normalize(x, "softmax")
    with pytest.raises(ValidationError, match="directions"):
        normalize(x, directions=[1, 0])
    with pytest.raises(ValidationError, match="out_range"):
        normalize(x, out_range=(1, 1))
    with pytest.raises(ValidationError, match="scope"):
        normalize(x, scope="yearly")


def test_leading_batch_axis_is_separate() -> None:
    rng = np.random.default_rng(4)
    draws = rng.normal(size=(3, 4, 5, 2))
    out = normalize(draws)
    for d in range(3):
        np.testing.assert_allclose(out[d], normalize(draws[d]))
        np.testing.assert_allclose(normalize(draws, "rank")[d], normalize(draws[d], "rank"))


@pytest.fixture(scope="module")
def real(data_dir):  # type: ignore[no-untyped-def]
    df = pd.read_csv(data_dir / "panel/provinces.csv", dtype={"region_code": str})
    variables = ["gdp_per_capita", "energy_intensity", "urbanization_rate"]
    cube = Panel(df).to_array(variables, years=list(range(2011, 2022)))
    return df, cube


def test_real_data_pooled_keeps_years_comparable(real) -> None:  # type: ignore[no-untyped-def]
    df, cube = real
    pooled = normalize(cube.values, "minmax", [1, -1, 1])
    per_year = normalize(cube.values, "minmax", [1, -1, 1], scope="per_year")
    assert not np.allclose(pooled, per_year)
    k = cube.variables.index("gdp_per_capita")
    # per year every year has a best region at 1; pooled only the single best region-year
    assert np.all(np.nanmax(per_year[..., k], axis=1) == 1)
    years_at_one = np.flatnonzero(np.any(pooled[..., k] == 1, axis=1))
    assert len(years_at_one) == 1
    # independent check with pandas from the long table: the pooled 1 is the national maximum
    sub = df[(df["variable"] == "gdp_per_capita") & df["year"].between(2011, 2021)]
    best = sub.loc[sub["value"].idxmax()]
    assert cube.years[years_at_one[0]] == best["year"]
    assert pooled[years_at_one[0], cube.regions.index(best["region_code"]), k] == 1
    # pooled growth is visible: the national mean rises over the decade; per year it cannot
    assert np.nanmean(pooled[-1, :, k]) > np.nanmean(pooled[0, :, k]) + 0.1


def test_real_data_cost_direction(real) -> None:  # type: ignore[no-untyped-def]
    df, cube = real
    k = cube.variables.index("energy_intensity")
    out = normalize(cube.values, "minmax", [1, -1, 1], out_range=(1, 100))
    sub = df[(df["variable"] == "energy_intensity") & df["year"].between(2011, 2021)]
    lo, hi = sub["value"].min(), sub["value"].max()
    row = sub.iloc[0]
    t, r = cube.years.index(int(row["year"])), cube.regions.index(row["region_code"])
    assert out[t, r, k] == pytest.approx(1 + 99 * (hi - row["value"]) / (hi - lo))
    assert np.nanmin(out) >= 1 and np.nanmax(out) <= 100
    # the least energy-intensive region-year scores 100
    best = sub.loc[sub["value"].idxmin()]
    assert out[cube.years.index(int(best["year"])), cube.regions.index(best["region_code"]), k] == 100

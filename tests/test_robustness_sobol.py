"""Sobol indices: Ishigami (analytical), SALib on the same outputs, a categorical factor of known effect."""

from __future__ import annotations

import numpy as np
import pytest

from nqpf.robustness.sobol import design_rows, saltelli_design, sobol_indices
from nqpf.robustness.spec import _levels


def ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def _run(f, dims: int, n: int, estimator: str, seed: int = 1, n_boot: int = 100):  # type: ignore[no-untyped-def]
    a, b = saltelli_design(dims, n, seed)
    rows = design_rows(a, b, [slice(i, i + 1) for i in range(dims)])
    y = f(rows)
    return sobol_indices(y[:n], y[n:2 * n], y[2 * n:].reshape(dims, n), estimator=estimator, n_boot=n_boot, seed=seed)


@pytest.mark.parametrize("estimator", ["saltelli", "jansen"])
def test_ishigami_matches_analytical(estimator: str) -> None:
    # Ishigami & Homma (1990); a = 7, b = 0.1: V = a^2/8 + b pi^4/5 + b^2 pi^8/18 + 1/2
    a, b = 7.0, 0.1
    v = a**2 / 8 + b * np.pi**4 / 5 + b**2 * np.pi**8 / 18 + 0.5
    v1 = 0.5 * (1 + b * np.pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * np.pi**8 * (1 / 18 - 1 / 50)
    s1 = np.array([v1, v2, 0.0]) / v
    st = np.array([v1 + v13, v2, v13]) / v
    idx = _run(lambda u: ishigami(np.pi * (2 * u - 1)), 3, 2**14, estimator)
    assert np.abs(idx["S1"].to_numpy() - s1).max() < 0.02
    assert np.abs(idx["ST"].to_numpy() - st).max() < 0.02
    assert (idx["S1_low"] <= idx["S1"]).all() and (idx["S1"] <= idx["S1_high"]).all()
    assert (idx["ST_high"] - idx["ST_low"] > 0).all()


def test_agrees_with_salib_on_the_same_outputs() -> None:
    from SALib.analyze import sobol as sa_sobol
    from SALib.sample import sobol as sa_sample

    # Sobol' G-function, a continuous case with unequal effects (Saltelli et al. 2010, section 4)
    coef = np.array([0.0, 1.0, 4.5, 9.0, 99.0])
    problem = {"num_vars": 5, "names": [f"x{i}" for i in range(5)], "bounds": [[0, 1]] * 5}
    x = sa_sample.sample(problem, 1024, calc_second_order=False, seed=3)
    y = np.prod((np.abs(4 * x - 2) + coef) / (1 + coef), axis=1)
    ref = sa_sobol.analyze(problem, y, calc_second_order=False, num_resamples=100, seed=3)
    # SALib's layout per base row: A, AB_1..AB_D, B
    yy = y.reshape(-1, 7)
    fa, fb, fab = yy[:, 0], yy[:, 6], yy[:, 1:6].T
    ours_s = sobol_indices(fa, fb, fab, estimator="saltelli", n_boot=50)
    ours_j = sobol_indices(fa, fb, fab, estimator="jansen", n_boot=50)
    np.testing.assert_allclose(ours_s["S1"], ref["S1"], rtol=1e-10, atol=1e-12)  # Saltelli 2010 first order
    np.testing.assert_allclose(ours_j["ST"], ref["ST"], rtol=1e-10, atol=1e-12)  # Jansen total order
    # and the G-function's analytical first-order indices, roughly, at this N
    vi = 1 / (3 * (1 + coef) ** 2)
    s1 = vi / (np.prod(1 + vi) - 1)
    assert np.abs(ours_s["S1"].to_numpy() - s1).max() < 0.06


def test_categorical_factor_of_known_effect_is_recovered() -> None:
    # y = c[level] + 6 u2 (+ a dummy factor): Var(c) = 3.5 over 4 equal levels, Var(6 u2) = 3
    c = np.array([0.0, 1.0, 2.0, 5.0])

    def f(u: np.ndarray) -> np.ndarray:
        return c[_levels(u[:, 0], 4)] + 6 * u[:, 1] + 0 * u[:, 2]

    for estimator in ("saltelli", "jansen"):
        idx = _run(f, 3, 2**13, estimator)
        np.testing.assert_allclose(idx["S1"], [3.5 / 6.5, 3 / 6.5, 0.0], atol=0.02)
        np.testing.assert_allclose(idx["ST"], [3.5 / 6.5, 3 / 6.5, 0.0], atol=0.02)


def test_hand_worked_estimators() -> None:
    # two rows; f(A) = [1, 3], f(B) = [2, 0], f(AB_1) = [2, 1]: grand mean 1.5, so centred
    # f(A) = [-.5, 1.5], f(B) = [.5, -1.5], f(AB_1) = [.5, -.5]; V = var([1, 3, 2, 0]) = 1.25
    fa, fb, fab = np.array([1.0, 3.0]), np.array([2.0, 0.0]), np.array([[2.0, 1.0]])
    s = sobol_indices(fa, fb, fab, estimator="saltelli", n_boot=10)
    j = sobol_indices(fa, fb, fab, estimator="jansen", n_boot=10)
    assert s["S1"][0] == pytest.approx((0.5 * 1.0 + -1.5 * -2.0) / 2 / 1.25)  # mean(fB (fAB - fA)) / V
    assert s["ST"][0] == pytest.approx((-0.5 * -1.0 + 1.5 * 2.0) / 2 / 1.25)  # mean(fA (fA - fAB)) / V
    assert j["S1"][0] == pytest.approx((1.25 - 0.5 * ((0 + 1) / 2)) / 1.25)
    assert j["ST"][0] == pytest.approx(0.5 * ((1 + 4) / 2) / 1.25)

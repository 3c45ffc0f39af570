"""Spatial Durbin model: the SAR special case equals PySAL spreg's Panel_FE_Lag on the real
panel; planted parameters and effects are recovered from simulated data; the Lee-Yu (2010)
transformation removes the direct approach's σ² bias; the effects equal S_k = (I-ρW)⁻¹(β_k I + θ_k W)
written out; bad inputs are named."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from nqpf.errors import ValidationError
from nqpf.linkage.analysis import CONTROLS, linkage_data
from nqpf.linkage.spatial import SpatialDurbin
from nqpf.regional.weights import SpatialWeights
from productivity_data import real_panel

REGS = ["nqpf", *CONTROLS]


@pytest.fixture(scope="module")
def queen() -> SpatialWeights:
    return SpatialWeights.queen()


@pytest.fixture(scope="module")
def real(queen):
    from nqpf.index.build import build_index

    p = real_panel()
    d = linkage_data(build_index("nqpf-three-elements@1.0", p), build_index("hqd-four-channels@1.0", p), p)
    return d


def test_sar_equals_spreg_panel_fe_lag_on_real_data(real, queen) -> None:
    """θ = 0, region effects, direct ML: ρ, β, σ² and every standard error equal spreg's."""
    import spreg

    d = real
    m = SpatialDurbin("hqd_index", REGS, durbin=(), fixed_effects="entity", method="direct").fit(d, queen)
    years = m.years
    assert m.n_regions == 31 and len(years) >= 8
    dd = d.reset_index()
    dd["region_code"] = dd["region_code"].astype(str)
    dd = dd.set_index(["year", "region_code"]).loc[[(y, r) for y in years for r in queen.regions]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = spreg.Panel_FE_Lag(dd[["hqd_index"]].to_numpy(), dd[REGS].to_numpy(), queen.to_libpysal("r"),
                                 epsilon=1e-11)
    np.testing.assert_allclose(m.params.to_numpy(), ref.betas.ravel(), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(m.std_errors.to_numpy(), np.sqrt(np.diag(ref.vm)), rtol=1e-6)
    assert m.sigma2 == pytest.approx(float(ref.sig2[0, 0]), rel=1e-8)
    # spreg's log-likelihood concentrates ln(SSR), not ln(SSR/nT): they differ by nT/2 ln(nT) exactly
    assert m.loglik == pytest.approx(float(ref.logll) + m.nobs / 2 * np.log(m.nobs), rel=1e-8)
    assert m.wald_durbin is None and abs(m.rho) > 0.05  # a real, non-trivial spatial lag


def _simulate(W: np.ndarray, T: int, rho: float, beta: np.ndarray, theta: np.ndarray, seed: int,
              sigma: float = 1.0) -> pd.DataFrame:
    """y_t = (I - ρW)⁻¹ (X_t β + W X_t θ + μ + α_t + ε_t), two regressors, two-way fixed effects."""
    rng = np.random.default_rng(seed)
    n = W.shape[0]
    mu = rng.normal(0, 2, n)
    A = np.linalg.inv(np.eye(n) - rho * W)
    rows = []
    for t in range(T):
        x = rng.normal(size=(n, 2)) + 0.5 * mu[:, None]  # regressors correlated with the region effect
        y = A @ (x @ beta + W @ x @ theta + mu + rng.normal(0, 1.5) + rng.normal(0, sigma, n))
        rows.append(pd.DataFrame({"region": [f"r{i}" for i in range(n)], "year": 2000 + t, "y": y,
                                  "x1": x[:, 0], "x2": x[:, 1]}))
    return pd.concat(rows).set_index(["region", "year"])


def _frame(W: np.ndarray) -> pd.DataFrame:
    labels = [f"r{i}" for i in range(W.shape[0])]
    return pd.DataFrame(W, index=labels, columns=labels)


def test_recovers_planted_parameters_and_effects(queen) -> None:
    """Queen weights of the 31 provinces, T = 150: ρ, β, θ and the effects within ~3 SE."""
    W = queen.row_standardised()
    rho, beta, theta = 0.4, np.array([1.0, -0.5]), np.array([0.3, 0.2])
    d = _simulate(W, 150, rho, beta, theta, seed=7)
    m = SpatialDurbin("y", ["x1", "x2"], n_sim=2000, seed=3).fit(d, _frame(W))
    true = pd.Series([*beta, *theta, rho], index=["x1", "x2", "W·x1", "W·x2", "rho"])
    z = (m.params - true) / m.std_errors
    assert (z.abs() < 3.5).all(), z
    assert m.rho == pytest.approx(rho, abs=0.05)
    A = np.linalg.inv(np.eye(31) - rho * W)
    eff = m.effects.set_index(["variable", "effect"])
    for k, var in enumerate(["x1", "x2"]):
        S = A @ (beta[k] * np.eye(31) + theta[k] * W)
        true_direct, true_total = np.trace(S) / 31, S.sum() / 31
        assert eff.loc[(var, "direct"), "estimate"] == pytest.approx(true_direct, abs=3 * eff.loc[(var, "direct"), "std_error"])
        assert eff.loc[(var, "total"), "estimate"] == pytest.approx(true_total, abs=3 * eff.loc[(var, "total"), "std_error"])
        assert eff.loc[(var, "indirect"), "estimate"] == pytest.approx(true_total - true_direct,
                                                                       abs=3 * eff.loc[(var, "indirect"), "std_error"])
    # simulated and delta-method standard errors agree
    np.testing.assert_allclose(m.effects["std_error"], m.effects["std_error_delta"], rtol=0.12)
    assert m.wald_durbin is not None and m.wald_durbin[2] < 0.01  # θ ≠ 0 detected


def test_lee_yu_transformation_removes_sigma2_bias(queen) -> None:
    """Short panels (n = 31, T = 3), 40 replications (fixed seeds), σ² = 1: the direct approach
    divides the
    residual sum of squares by nT = 93 although the two-way within transformation leaves
    N* = (n-1)(T-1) = 60 observations (Lee and Yu 2010, §4), so its σ̂² is near (N*-5)/93 = 0.59;
    Lee-Yu's is near (N*-5)/60 = 0.92, the ordinary ML degrees-of-freedom shortfall of the 5
    estimated coefficients (β, θ, ρ)."""
    W = queen.row_standardised()
    s_ly, s_dir = [], []
    for rep in range(40):
        d = _simulate(W, 3, 0.3, np.array([1.0, -0.5]), np.array([0.2, 0.0]), seed=100 + rep)
        a = SpatialDurbin("y", ["x1", "x2"], n_sim=0).fit(d, _frame(W))
        b = SpatialDurbin("y", ["x1", "x2"], method="direct", n_sim=0).fit(d, _frame(W))
        s_ly.append(a.sigma2)
        s_dir.append(b.sigma2)
    assert np.mean(s_ly) == pytest.approx(55 / 60, abs=0.05)
    assert np.mean(s_dir) == pytest.approx(55 / 93, abs=0.05)


def test_effects_equal_the_matrices_written_out(real, queen) -> None:
    """On the real panel: direct = tr(S_k)/n and total = ι'S_kι/n with S_k built explicitly."""
    m = SpatialDurbin("innovation_capability", REGS, n_sim=500).fit(real, queen)
    W = queen.row_standardised()
    A = np.linalg.inv(np.eye(31) - m.rho * W)
    eff = m.effects.set_index(["variable", "effect"])["estimate"]
    for var in REGS:
        S = A @ (m.params[var] * np.eye(31) + m.params[f"W·{var}"] * W)
        assert eff[(var, "direct")] == pytest.approx(np.trace(S) / 31, rel=1e-10)
        assert eff[(var, "total")] == pytest.approx(S.sum() / 31, rel=1e-10)
        assert eff[(var, "indirect")] == pytest.approx(S.sum() / 31 - np.trace(S) / 31, rel=1e-9, abs=1e-14)
    assert set(m.to_tidy()["term"]) == {*REGS, *(f"W·{v}" for v in REGS), "rho"}
    assert "空间杜宾" in m.summary and "direct" in m.summary


def test_bad_inputs_are_named(real, queen) -> None:
    raw = pd.DataFrame(queen.matrix, index=queen.regions, columns=queen.regions)
    with pytest.raises(ValidationError, match="row-standardised"):
        SpatialDurbin("hqd_index", REGS).fit(real, raw)
    with pytest.raises(ValidationError, match="not among the regressors"):
        SpatialDurbin("hqd_index", ["nqpf"], durbin=["gov_size"]).fit(real, queen)
    with pytest.raises(ValidationError, match="no spatial weights"):
        SpatialDurbin("hqd_index", REGS).fit(real, _sub(queen))
    gap = real.copy()
    gap.loc[(gap.index.get_level_values(0) == "110000") & (gap.index.get_level_values(1) == 2012), "nqpf"] = np.nan
    m = SpatialDurbin("hqd_index", REGS, n_sim=0).fit(gap, queen)
    assert 2012 not in m.years and any("2012" in n for n in m.notes)


def _sub(queen: SpatialWeights) -> pd.DataFrame:
    s = queen.subset(queen.regions[:-1])
    return pd.DataFrame(s.row_standardised(), index=s.regions, columns=s.regions)

"""DEA is exact: textbook cases, the linear programs written out here, Malmquist identities."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linprog

from nqpf.errors import ValidationError
from nqpf.productivity.dea import DEA, ddf_scores, radial_scores, sbm_undesirable
from nqpf.productivity.malmquist import Malmquist

# Cooper, Seiford and Tone (2007), Table 3.2 / Fig. 3.2: two inputs, one unit output, DMUs A-F
CST_X = np.array([[4, 7, 8, 4, 2, 10], [3, 3, 1, 2, 4, 1]], float)
CST_Y = np.ones((1, 6))


def test_ccr_textbook_case() -> None:
    r = DEA("ccr").fit(CST_X, CST_Y, units=list("ABCDEF"))
    # A: θ(4,3) on segment D-E -> 6/7; B: θ(7,3) on segment D-C -> 12/19; C, D, E, F efficient
    np.testing.assert_allclose(r.efficiency.to_numpy(), [6 / 7, 12 / 19, 1, 1, 1, 1], atol=1e-6)
    assert r.infeasible == []


def test_super_efficiency_hand_worked() -> None:
    s = DEA("ccr", super_efficiency=True).fit(CST_X, CST_Y).efficiency.to_numpy()
    # E(2,4) against the rest: D(4,2) needs 4 <= 2θ -> θ = 2; D(4,2) on E-C: 8θ = 10 -> 1.25
    np.testing.assert_allclose(s[[4, 3]], [2.0, 1.25], atol=1e-6)
    np.testing.assert_allclose(s[:2], [6 / 7, 12 / 19], atol=1e-6)  # inefficient units unchanged


def test_bcc_super_efficiency_infeasible_is_reported() -> None:
    X, Y = np.array([[1.0, 2.0, 3.0]]), np.array([[1.0, 2.0, 3.0]])
    r = DEA("bcc", "input", super_efficiency=True).fit(X, Y, units=["a", "b", "c"])
    assert r.infeasible == ["c"]  # no convex mix of the others produces y = 3
    assert np.isnan(r.efficiency["c"])
    assert "infeasible" in r.summary


def _direct_lp(X: np.ndarray, Y: np.ndarray, o: int, orientation: str, vrs: bool, exclude: bool = False) -> float:
    """The envelopment program written out for scipy's HiGHS."""
    m, n = X.shape
    s = Y.shape[0]
    c = np.zeros(n + 1)
    if orientation == "input":
        c[0] = 1.0
        a = np.vstack([np.hstack([-X[:, [o]], X]), np.hstack([np.zeros((s, 1)), -Y])])
        b = np.concatenate([np.zeros(m), -Y[:, o]])
    else:
        c[0] = -1.0
        a = np.vstack([np.hstack([np.zeros((m, 1)), X]), np.hstack([Y[:, [o]], -Y])])
        b = np.concatenate([X[:, o], np.zeros(s)])
    bounds = [(0, None)] * (n + 1)
    if exclude:
        bounds[1 + o] = (0, 0)
    eq = dict(A_eq=np.hstack([[0.0], np.ones(n)])[None, :], b_eq=[1.0]) if vrs else {}
    res = linprog(c, A_ub=a, b_ub=b, bounds=bounds, method="highs", **eq)
    assert res.status == 0
    return res.fun if orientation == "input" else 1 / -res.fun


@pytest.mark.parametrize("model,orientation", [("ccr", "input"), ("ccr", "output"), ("bcc", "input"),
                                               ("bcc", "output")])
def test_radial_models_equal_the_written_lp_on_real_data(model: str, orientation: str, dea_2019) -> None:
    X, Y = dea_2019
    got = DEA(model, orientation).fit(X, Y).efficiency.to_numpy()
    want = [_direct_lp(X, Y, o, orientation, model == "bcc") for o in range(X.shape[1])]
    np.testing.assert_allclose(got, want, atol=1e-6)
    assert np.all(got > 0) and np.all(got <= 1 + 1e-9)


def test_ccr_super_efficiency_equals_the_written_lp_on_real_data(dea_2019) -> None:
    X, Y = dea_2019
    got = DEA("ccr", super_efficiency=True).fit(X, Y).efficiency.to_numpy()
    want = [_direct_lp(X, Y, o, "input", False, exclude=True) for o in range(X.shape[1])]
    np.testing.assert_allclose(got, want, atol=1e-6)
    ccr = DEA("ccr").fit(X, Y).efficiency.to_numpy()
    assert np.all(got >= ccr - 1e-9)
    assert np.any(got > 1)  # efficient provinces are ranked above 1


def test_sbm_hand_worked_with_undesirable_output() -> None:
    # one input, one good output: B uses twice A's input -> ρ = 1 - 2/4 = 0.5
    rho, _ = sbm_undesirable(np.array([[2.0, 4.0]]), np.array([[2.0, 2.0]]))
    np.testing.assert_allclose(rho, [1.0, 0.5], atol=1e-6)
    # B emits twice A's CO2 with the same x and y: s^b = 1 -> ρ = 1 / (1 + (1/2)(1/2)) = 0.8
    rho, st = sbm_undesirable(np.array([[1.0, 1.0]]), np.array([[1.0, 1.0]]), np.array([[1.0, 2.0]]))
    np.testing.assert_allclose(rho, [1.0, 0.8], atol=1e-6)
    assert list(st) == ["optimal", "optimal"]


def test_sbm_is_below_ccr_on_real_data(dea_2019) -> None:
    X, Y = dea_2019
    sbm = DEA("sbm").fit(X, Y).efficiency.to_numpy()
    ccr = DEA("ccr").fit(X, Y).efficiency.to_numpy()
    assert np.all(sbm <= ccr + 1e-7) and np.all(sbm > 0)  # Tone (2001): SBM ≤ CCR


def test_ddf_equals_the_written_lp() -> None:
    rng = np.random.default_rng(3)
    X, Y, B = rng.uniform(1, 5, (2, 7)), rng.uniform(1, 5, (1, 7)), rng.uniform(1, 5, (1, 7))
    got, _ = ddf_scores(X, Y, B)
    for o in range(7):
        # max β: Xλ ≤ x_o, Yλ ≥ (1+β) y_o, Bλ = (1-β) b_o
        c = np.r_[-1.0, np.zeros(7)]
        a_ub = np.vstack([np.hstack([np.zeros((2, 1)), X]), np.hstack([Y[:, [o]], -Y])])
        b_ub = np.r_[X[:, o], -Y[:, o]]
        a_eq = np.hstack([B[:, [o]], B])
        res = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=B[:, o], bounds=[(None, None)] + [(0, None)] * 7,
                      method="highs")
        assert abs(-res.fun - got[o]) < 1e-6


def test_malmquist_hand_worked_and_decomposition() -> None:
    # one input, one output, CRS: D^t(x, y) = (y/x) / max_j(y_j/x_j in t)
    X = np.array([[[2.0, 4.0]], [[2.0, 4.0]]])
    Y = np.array([[[2.0, 2.0]], [[3.0, 2.0]]])
    r = Malmquist().fit(X, Y, years=[2018, 2019], units=["a", "b"])
    # best ratio 1 in 2018, 1.5 in 2019; unit a: D18(18)=1, D18(19)=1.5, D19(18)=2/3, D19(19)=1
    np.testing.assert_allclose(r.index.loc[2019, "a"], np.sqrt(1.5 / 1 * 1 / (2 / 3)), atol=1e-9)
    np.testing.assert_allclose(r.efficiency_change.loc[2019, "a"], 1.0, atol=1e-9)
    # unit b: ratio .5 both years: D18 = .5, .5; D19 = 1/3, 1/3 -> M = 1, EC = 2/3, TC = 1.5
    np.testing.assert_allclose(r.index.loc[2019, "b"], 1.0, atol=1e-9)
    np.testing.assert_allclose(r.efficiency_change.loc[2019, "b"], 2 / 3, atol=1e-9)
    np.testing.assert_allclose(r.technical_change.loc[2019, "b"], 1.5, atol=1e-9)


def test_malmquist_components_multiply_and_backends_agree(dea_cube) -> None:
    X, Y, B, regs = dea_cube
    r = Malmquist().fit(X, Y, units=regs)
    np.testing.assert_allclose(r.index, r.efficiency_change * r.technical_change, rtol=1e-12)
    base = Malmquist(backend="linprog", prune=False).fit(X, Y, units=regs)
    np.testing.assert_allclose(r.index, base.index, atol=1e-6)
    full = Malmquist(prune=False).fit(X, Y, units=regs)  # frontier pruning changes no distance
    np.testing.assert_allclose(r.distances["distance"], full.distances["distance"], atol=1e-8)
    assert max(r.params["reference_units"]) < len(regs)
    ml = Malmquist("luenberger").fit(X, Y, B, units=regs)
    ok = np.isfinite(ml.index.to_numpy())
    np.testing.assert_allclose(ml.index.to_numpy()[ok],
                               (ml.efficiency_change * ml.technical_change).to_numpy()[ok], rtol=1e-12)
    assert ok.mean() > 0.8  # infeasible cross-period programs are few and reported as NaN
    assert len(ml.infeasible) == (~ok).sum()


def test_dask_backend_equals_serial(dea_cube) -> None:
    X, Y, _, regs = dea_cube
    serial = Malmquist().fit(X[:2], Y[:2], units=regs)
    dist = Malmquist(backend="dask", workers=1, chunk=10).fit(X[:2], Y[:2], units=regs)
    np.testing.assert_allclose(dist.index, serial.index, atol=1e-9)


def test_bad_input_is_named() -> None:
    with pytest.raises(ValidationError, match="negative"):
        DEA().fit(np.array([[1.0, -1.0]]), np.array([[1.0, 1.0]]))
    with pytest.raises(ValidationError, match="model must be"):
        DEA("xyz").fit(CST_X, CST_Y)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="undesirable"):
        Malmquist("luenberger").fit(np.ones((2, 1, 3)), np.ones((2, 1, 3)))
    with pytest.raises(ValidationError, match="missing"):
        radial_scores(np.array([[1.0, np.nan]]), np.array([[1.0, 1.0]]))


# --- real provincial data: K (perpetual inventory), L, energy -> real GDP; CO2 ------------------
@pytest.fixture(scope="module")
def dea_frame():
    from nqpf.productivity.capital import PerpetualInventory
    from nqpf.productivity.measure import dea_data
    from productivity_data import real_panel

    p = real_panel()
    return dea_data(p, PerpetualInventory().fit(p).stock)


COLS = ["capital_stock", "employed_urban_units", "energy_consumption_total"]


@pytest.fixture(scope="module")
def dea_2019(dea_frame):
    d = dea_frame[dea_frame["year"] == 2019].dropna(subset=[*COLS, "real_gdp"])
    assert len(d) == 30  # Tibet has no energy total
    return d[COLS].to_numpy().T, d[["real_gdp"]].to_numpy().T


@pytest.fixture(scope="module")
def dea_cube(dea_frame):
    d = dea_frame[dea_frame["year"].between(2011, 2019)].dropna()
    regs = sorted(r for r, g in d.groupby("region_code") if len(g) == 9)
    d = d.set_index(["year", "region_code"])
    arr = np.stack([d.loc[y].loc[regs].to_numpy().T for y in range(2011, 2020)])
    return arr[:, :3], arr[:, 3:4], arr[:, 4:5], regs

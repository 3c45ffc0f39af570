"""Regressions match linearmodels and statsmodels; the threshold recovers a planted value;
the real four-channel run writes its tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nqpf.linkage import PanelThreshold, TwoWayFE
from nqpf.linkage.analysis import CHANNELS, linkage_data, run_linkage
from nqpf.linkage.tables import publication_table, to_excel, to_latex
from productivity_data import real_panel


@pytest.fixture(scope="module")
def indices():
    from nqpf.index.build import build_index

    p = real_panel()
    return build_index("nqpf-three-elements@1.0", p), build_index("hqd-four-channels@1.0", p), p


def test_fe_matches_linearmodels_and_statsmodels_dummies(indices) -> None:
    import statsmodels.api as sm
    from linearmodels.panel import PanelOLS

    a, b, p = indices
    d = linkage_data(a, b, p)[["hqd_index", "nqpf", "gov_size", "ln_population"]].dropna()
    ours = TwoWayFE("hqd_index", ["nqpf", "gov_size", "ln_population"]).fit(d)
    lm = PanelOLS(d["hqd_index"], d[["nqpf", "gov_size", "ln_population"]], entity_effects=True,
                  time_effects=True).fit(cov_type="clustered", cluster_entity=True, debiased=True, group_debias=True)
    np.testing.assert_allclose(ours.params, lm.params, rtol=1e-8)
    np.testing.assert_allclose(ours.std_errors, lm.std_errors, rtol=1e-8)
    np.testing.assert_allclose(ours.pvalues, lm.pvalues, rtol=1e-6)
    np.testing.assert_allclose(ours.rsquared_within, lm.rsquared, rtol=1e-8)
    via_lm = TwoWayFE("hqd_index", ["nqpf", "gov_size", "ln_population"], engine="linearmodels").fit(d)
    np.testing.assert_allclose(via_lm.std_errors, lm.std_errors, rtol=1e-12)
    # an unbalanced sample (municipalities' early years dropped) still matches
    ub = d.drop(index=[("110000", 2010), ("110000", 2011), ("500000", 2015)])
    lm_ub = PanelOLS(ub["hqd_index"], ub[["nqpf"]], entity_effects=True, time_effects=True).fit(
        cov_type="clustered", cluster_entity=True, debiased=True, group_debias=True)
    ours_ub = TwoWayFE("hqd_index", ["nqpf"]).fit(ub)
    np.testing.assert_allclose(ours_ub.params, lm_ub.params, rtol=1e-8)
    np.testing.assert_allclose(ours_ub.std_errors, lm_ub.std_errors, rtol=1e-8)
    # dummy-variable regression: same slopes; cluster SEs with G/(G-1)(N-1)/(N-K), K with dummies
    flat = d.reset_index()
    dummies = pd.get_dummies(flat[["region_code", "year"]].astype(str), drop_first=True, dtype=float)
    xd = sm.add_constant(pd.concat([flat[["nqpf", "gov_size", "ln_population"]], dummies], axis=1))
    sm_res = sm.OLS(flat["hqd_index"], xd).fit(cov_type="cluster", cov_kwds={"groups": flat["region_code"]})
    np.testing.assert_allclose(ours.params, sm_res.params[["nqpf", "gov_size", "ln_population"]], rtol=1e-8)
    np.testing.assert_allclose(ours.std_errors, sm_res.bse[["nqpf", "gov_size", "ln_population"]], rtol=1e-6)


def test_threshold_recovers_a_planted_threshold() -> None:
    rng = np.random.default_rng(7)  # simulated data, planted γ = 0.6
    n, T = 40, 10
    q = rng.uniform(0, 1, (n, T))
    x = rng.normal(size=(n, T))
    y = rng.normal(size=(n, 1)) + np.where(q <= 0.6, 0.5, 2.0) * x + rng.normal(scale=0.5, size=(n, T))
    idx = pd.MultiIndex.from_product([[f"r{i:02d}" for i in range(n)], range(2000, 2000 + T)])
    d = pd.DataFrame({"y": y.ravel(), "x": x.ravel(), "q": q.ravel()}, index=idx)
    r = PanelThreshold("y", "x", "q", n_boot=50).fit(d)
    assert abs(r.threshold - 0.6) < 0.02
    np.testing.assert_allclose(r.params.iloc[:2], [0.5, 2.0], atol=0.15)
    assert r.pvalue < 0.05
    # no threshold planted: the bootstrap does not reject
    d0 = d.assign(y=(rng.normal(size=(n, 1)) + x + rng.normal(scale=0.5, size=(n, T))).ravel())
    assert PanelThreshold("y", "x", "q", n_boot=50).fit(d0).pvalue > 0.05


def test_real_four_channel_run_and_tables(indices, tmp_path: Path) -> None:
    a, b, p = indices
    run = run_linkage(a, b, p, threshold_boot=20)
    c = run.coefficients().set_index("dependent")
    assert list(c.index) == ["hqd_index", *CHANNELS]
    assert (c["std_error"] > 0).all() and (c["nobs"] > 300).all()
    # the composite is a weighted mean of its channels: its coefficient lies within theirs
    assert c.loc[list(CHANNELS), "estimate"].min() <= c.loc["hqd_index", "estimate"] <= c.loc[list(CHANNELS), "estimate"].max()
    checks = set(run.robustness["check"])
    assert {"lagged NQPF (t-1)", "winsorised 1%/99%", "municipalities dropped"} <= checks
    assert any(ch.startswith("alternative index") for ch in checks)
    assert run.robustness.loc[run.robustness["check"] == "municipalities dropped", "nobs"].max() < c["nobs"].max()
    med = run.mediation.set_index("mediator")
    np.testing.assert_allclose(med["indirect_ab"], med["a"] * med["b"])
    assert run.threshold is not None and 0 <= run.threshold.pvalue <= 1
    assert any("spatial Durbin" in n for n in run.notes)
    note = run.closing_note()
    assert "High-quality development" in note and "高质量发展" in note
    tab = publication_table(run.main)
    assert tab.shape[1] == 5 and tab.iloc[1, 0].startswith("(")
    tex = to_latex(tab, tmp_path / "t.tex").read_text(encoding="utf-8")
    assert "\\toprule" in tex and "p<0.01" in tex
    to_excel({"main": tab, "robustness": run.robustness}, tmp_path / "t.xlsx")
    assert pd.read_excel(tmp_path / "t.xlsx", sheet_name="robustness", engine="openpyxl").shape[0] == len(run.robustness)

"""The investor view on the real panel and the 31 provincial work reports (2025, 2026)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nqpf.panel import Panel
from nqpf.profiles.investor import (
    COMPONENTS,
    DEFAULT_WEIGHTS,
    SECTORS,
    InvestorError,
    InvestorView,
    investor_view,
    sector_text_exposure,
)


def _read(data_dir: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(data_dir / name, dtype={"region_code": str})


@pytest.fixture(scope="module")
def panel(data_dir: Path) -> Panel:
    ext = [_read(data_dir, f"extension/{f}") for f in ("nbs_tongjimodule.csv", "tjjm2026_nbs.csv")]
    obs = pd.concat([_read(data_dir, "panel/provinces.csv"), *ext])
    cat = pd.concat([pd.read_csv(data_dir / "panel" / "variables.csv"),
                     pd.read_csv(data_dir / "extension" / "variables.csv")]).drop_duplicates("variable")
    return Panel(obs.drop_duplicates(["region_code", "year", "variable"]), cat)


@pytest.fixture(scope="module")
def exposure(data_dir: Path) -> pd.DataFrame:
    return sector_text_exposure(data_dir / "text" / "gwr_provincial")


@pytest.fixture(scope="module")
def view(panel: Panel, exposure: pd.DataFrame) -> InvestorView:
    return investor_view(panel, exposure)


def test_exposure_covers_all_31_reports_of_2025_and_2026(exposure: pd.DataFrame) -> None:
    assert exposure["region_code"].nunique() == 31
    assert sorted(exposure["year"].unique()) == [2025, 2026]


def test_matrix_shape_and_range(view: InvestorView) -> None:
    assert view.matrix.shape == (31, 7) and list(view.matrix.columns) == list(SECTORS)
    assert view.matrix.notna().all().all()
    assert ((view.matrix >= 0) & (view.matrix <= 1)).all().all()
    # every item is in the panel; the cells a province lacks are said, not hidden
    assert view.notes == [
        "digital: internet_penetration has no value for 350000; their component is the mean of its other items",
        "strength: software_revenue_to_gdp has no value for 540000; their component is the mean of its other items",
        "strength: embedded_software_to_gdp has no value for 460000, 540000, 630000; their component is the mean "
        "of its other items",
        "strength: it_services_to_gdp has no value for 540000; their component is the mean of its other items",
        "strength: software_products_to_gdp has no value for 540000; their component is the mean of its other items",
        "strength: information_security_to_gdp has no value for 150000, 540000; their component is the mean of its "
        "other items",
        "strength: energy_intensity has no value for 540000; their component is the mean of its other items",
        "strength: co2_per_gdp has no value for 540000; their component is the mean of its other items",
        "strength (next_gen_it): no item for 540000; their opportunity reweights the other components",
        "strength (ai_big_data): no item for 540000; their opportunity reweights the other components",
        "strength (green_environmental): no item for 540000; their opportunity reweights the other components",
        "rank intervals: 1000 draws (seed 0), weights x U(1-0.25, 1+0.25), one component left out in 885 draws "
        "(one at a time); 5th-95th percentile of the ranks",
    ]
    assert sum(view.weights.values()) == pytest.approx(1) and view.weights == DEFAULT_WEIGHTS


def test_opportunity_is_the_weighted_sum_of_the_items(view: InvestorView) -> None:
    it = view.items
    for sector in SECTORS:
        sub = it[(it["sector"] == sector) | (it["sector"] == "*")]
        comp = sub.groupby(["region_code", "component"])["normalised"].mean().unstack()
        w = pd.Series(view.weights)[list(COMPONENTS)]
        ok = comp[list(COMPONENTS)].notna()
        manual = (comp[list(COMPONENTS)].fillna(0) * w).sum(axis=1) / (ok * w).sum(axis=1)  # missing: reweighted
        np.testing.assert_allclose(view.matrix[sector].to_numpy(), manual.reindex(view.matrix.index).to_numpy())


def test_items_are_real_values_with_year_and_source(view: InvestorView, panel: Panel) -> None:
    it = view.items
    assert (it["year"].str.len() > 0).all() and (it["source"].str.len() > 0).all()
    obs = panel.observations.set_index(["region_code", "year", "variable"])["value"]
    gd = it[(it["item"] == "trade_to_gdp") & (it["region_code"] == "440000")].iloc[0]
    y = int(gd["year"])
    assert gd["value"] == pytest.approx(100 * obs[("440000", y, "trade_total_cny")] / obs[("440000", y, "gdp")])
    # min-max across the 31 provinces, direction-aware (energy intensity: lower is better)
    e = it[(it["item"] == "energy_intensity")]
    best = e.loc[e["value"].idxmin()]
    assert best["normalised"] == 1.0 and e["normalised"].min() == 0.0
    assert e["name_en"].str.endswith("(proxy)").all()


@pytest.mark.parametrize(("item", "num_file", "num", "den_file", "den", "scale", "source"), [
    ("software_revenue_to_gdp", "extension/nbs_tongjimodule.csv", "software_revenue", "panel/provinces.csv", "gdp",
     0.01, "tongjimodule_nbs"),
    ("it_services_to_gdp", "extension/nbs_tongjimodule.csv", "it_services_revenue", "panel/provinces.csv", "gdp",
     0.01, "tongjimodule_nbs"),
    ("information_security_to_gdp", "extension/nbs_tongjimodule.csv", "information_security_revenue",
     "panel/provinces.csv", "gdp", 0.01, "tongjimodule_nbs"),
    ("power_generation_per_resident", "extension/tjjm2026_nbs.csv", "power_generation", "panel/provinces.csv",
     "population", 1e4, "tjjm2026_nbs"),
])
def test_sector_components_equal_the_source_statistics(view: InvestorView, data_dir: Path, item: str, num_file: str,
                                                       num: str, den_file: str, den: str, scale: float,
                                                       source: str) -> None:
    it = view.items[view.items["item"] == item].drop_duplicates("region_code").set_index("region_code")
    y = int(it["year"].iloc[0])
    a = _read(data_dir, num_file)
    a = a[(a["variable"] == num) & (a["year"] == y)].set_index("region_code")["value"]
    b = _read(data_dir, den_file)
    b = b[(b["variable"] == den) & (b["year"] == y)].set_index("region_code")["value"]
    expect = (scale * a / b).dropna()
    assert len(expect) >= 28
    np.testing.assert_allclose(it.loc[expect.index, "value"].to_numpy(), expect.to_numpy(), rtol=1e-12)
    assert it["source"].iloc[0].startswith(source) and it["year"].nunique() == 1


def test_proxy_only_where_no_sector_series(view: InvestorView) -> None:
    st = view.items[view.items["component"] == "strength"]
    real = st[st["sector"].isin(["next_gen_it", "ai_big_data"])]
    assert not real["proxy"].any() and not real["name_en"].str.contains("proxy").any()
    other = st[~st["sector"].isin(["next_gen_it", "ai_big_data"])]
    assert other["proxy"].all() and other["name_en"].str.endswith("(proxy)").all()
    assert other["name_zh"].str.endswith("（代理指标）").all()
    comp = view.scores[view.scores["component"] == "strength"].drop_duplicates("sector").set_index("sector")
    assert comp.loc["ai_big_data", "sources"].startswith("tongjimodule_nbs") and comp.loc["ai_big_data", "years"] == "2024"
    assert not comp.loc["ai_big_data", "proxy"] and comp.loc["biomedicine", "proxy"]


def test_policy_component_is_the_work_report_exposure(view: InvestorView, exposure: pd.DataFrame) -> None:
    p = view.items[(view.items["component"] == "policy") & (view.items["sector"] == "ai_big_data")]
    wanted = ["text_exposure_dt_ai", "text_exposure_dt_bigdata", "text_exposure_fi_gen_ai"]
    ex = exposure[exposure["variable"].isin(wanted)].groupby(["region_code", "year"])["value"].sum()
    manual = ex.groupby("region_code").mean()
    np.testing.assert_allclose(p.set_index("region_code")["value"].reindex(manual.index), manual)
    assert p["year"].iloc[0] == "2025-2026"


def test_weights_change_the_ranking(panel: Panel, exposure: pd.DataFrame, view: InvestorView) -> None:
    only = investor_view(panel, exposure, weights={"policy": 2.0}, draws=10)
    assert any("rescaled" in n for n in only.notes)
    pol = view.scores[(view.scores["component"] == "policy") & (view.scores["sector"] == "new_materials")]
    np.testing.assert_allclose(only.matrix["new_materials"].to_numpy(),
                               pol.set_index("region_code")["score"].reindex(only.matrix.index).to_numpy())


def test_rank_intervals(panel: Panel, exposure: pd.DataFrame, view: InvestorView) -> None:
    u = view.uncertainty
    assert ((u["rank_p05"] <= u["rank_median"]) & (u["rank_median"] <= u["rank_p95"])).all()
    assert (u["rank_p95"] > u["rank_p05"]).any()
    tight = investor_view(panel, exposure, noise=0.0, exclusion=False, draws=50)
    t = tight.uncertainty
    assert (t["rank_p05"] == t["rank"]).all() and (t["rank_p95"] == t["rank"]).all()


def test_component_exclusion_draws_equal_direct_rebuilds(panel: Panel, exposure: pd.DataFrame) -> None:
    # exclusion only: every draw is the matrix rebuilt with one component's weight set to 0
    v = investor_view(panel, exposure, noise=0.0, exclusion=True, draws=40, seed=5)
    dr = v.draws
    left_out = dr["excluded"].tolist()
    assert set(left_out) - {""} <= set(COMPONENTS) and "" in left_out and len(set(left_out)) > 4
    variants = {c: investor_view(panel, exposure, weights={**DEFAULT_WEIGHTS, c: 0.0}, draws=1).ranks
                for c in set(left_out) - {""}}
    variants[""] = v.ranks
    stack = np.stack([variants[c].to_numpy() for c in left_out])          # (draws, R, S)
    lo, hi = np.percentile(stack, [5, 95], axis=0)
    u = v.uncertainty.set_index(["region_code", "sector"])
    for i, code in enumerate(v.matrix.index):
        for j, sec in enumerate(v.matrix.columns):
            assert u.loc[(code, sec), "rank_p05"] == pytest.approx(lo[i, j])
            assert u.loc[(code, sec), "rank_p95"] == pytest.approx(hi[i, j])
    w = dr[[f"w_{c}" for c in COMPONENTS]].to_numpy()
    np.testing.assert_allclose(w.sum(axis=1), 1.0)
    for k, c in enumerate(COMPONENTS):
        assert (w[dr["excluded"] == c, k] == 0).all()


def test_weight_noise_draws() -> None:
    from nqpf.profiles.investor import weight_draws

    wv = np.array([DEFAULT_WEIGHTS[c] for c in COMPONENTS])
    wd, ex = weight_draws(wv, 2000, noise=0.25, exclusion=False, seed=0)
    assert (ex == -1).all()
    ratio = (wd / wv) / (wd / wv).mean(axis=1, keepdims=True)
    assert ratio.min() > 0.75 / 1.25 - 1e-9 and ratio.max() < 1.25 / 0.75 + 1e-9
    np.testing.assert_allclose(wd.sum(axis=1), 1.0)
    with pytest.raises(InvestorError, match="noise"):
        weight_draws(wv, 10, noise=1.5)


def test_real_leaders(view: InvestorView) -> None:
    # Beijing leads AI and big data on every weight draw; the coastal east fills the top five
    top = view.top("ai_big_data", 5)
    assert top.iloc[0]["region_code"] == "110000" and top.iloc[0]["rank_p95"] == 1
    assert set(top["region_code"]) <= {"110000", "310000", "320000", "330000", "440000", "120000"}


def test_bad_investor_input(panel: Panel, exposure: pd.DataFrame, view: InvestorView) -> None:
    with pytest.raises(InvestorError, match="unknown sector"):
        investor_view(panel, exposure, sectors=["quantum_rice"])
    with pytest.raises(InvestorError, match="unknown component"):
        investor_view(panel, exposure, weights={"luck": 1})
    with pytest.raises(InvestorError, match="non-negative"):
        investor_view(panel, exposure, weights={"policy": -1})
    with pytest.raises(InvestorError, match="unknown sector"):
        view.top("steel")


def test_investor_section_for_the_summary_page(view: InvestorView) -> None:
    from nqpf.profiles.sections import investor_section

    sid, en, zh, html = investor_section(view, {"110000": "Beijing <北京>"}, top=2)
    assert (sid, en, zh) == ("investor", "Investor view", "投资视角")
    assert "AI and big data / 人工智能与大数据" in html and "Beijing &lt;北京&gt;" in html
    assert "<script src" not in html  # the page carries plotly.js once

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


@pytest.fixture(scope="module")
def panel(data_dir: Path) -> Panel:
    ext = pd.read_csv(data_dir / "extension" / "nbs_tongjimodule.csv", dtype={"region_code": str})
    obs = pd.concat([pd.read_csv(data_dir / "panel" / "provinces.csv", dtype={"region_code": str}), ext])
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
        "strength: it_services_to_gdp has no value for 540000; their component is the mean of its other items",
        "strength: energy_intensity has no value for 540000; their component is the mean of its other items",
    ]
    assert sum(view.weights.values()) == pytest.approx(1) and view.weights == DEFAULT_WEIGHTS


def test_opportunity_is_the_weighted_sum_of_the_items(view: InvestorView) -> None:
    it = view.items
    for sector in SECTORS:
        sub = it[(it["sector"] == sector) | (it["sector"] == "*")]
        comp = sub.groupby(["region_code", "component"])["normalised"].mean().unstack()
        manual = sum(view.weights[c] * comp[c] for c in COMPONENTS)
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
    tight = investor_view(panel, exposure, concentration=1e13, draws=50)
    t = tight.uncertainty
    assert (t["rank_p05"] == t["rank"]).all() and (t["rank_p95"] == t["rank"]).all()


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

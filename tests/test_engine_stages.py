"""The staged engine on the real panel: restart from any step, batches of variants, the frozen
scale, run folders loaded back in a new process, the extrapolation limit and honest variants."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import rankdata

from nqpf.data.store import Store
from nqpf.index.build import IndexBuildError, build_index
from nqpf.index.plan import STEP_NAMES
from nqpf.index.steps import rank_desc
from nqpf.panel import Panel
from nqpf.regions import REGISTRY, Region, RegionRegistry
from nqpf.runs import load_run, rebuild_run, write_run


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    path = tmp_path_factory.mktemp("engine") / "s.duckdb"
    with Store(path) as st:
        st.import_files([data_dir / "panel", data_dir / "raw"])
    return path


@pytest.fixture(scope="module")
def panel(store_path: Path) -> Panel:
    with Store(store_path) as st:
        return st.panel()


@pytest.fixture(scope="module")
def three(panel: Panel):
    return build_index("nqpf-three-elements@1.0", panel)


# -- regenerate from any step ----------------------------------------------------------------
CHANGES = {
    "indicators": {"years": "2012:2019"},
    "screen": {"exclude": ["co2_intensity"]},
    "impute": {"imputation": {"method": "linear+group_mean", "max_extrapolation": 1}},
    "treat": {"treatment": "log"},
    "normalise": {"normalisation": "zscore"},
    "weight": {"weighting": "critic", "weighting_upper": "entropy"},
    "aggregate": {"aggregation": "topsis"},
}


@pytest.mark.parametrize("step", list(CHANGES))
def test_regenerate_restarts_at_the_changed_step_and_equals_a_full_build(three, panel: Panel, step: str) -> None:
    changed = three.regenerate(**CHANGES[step])
    full = build_index("nqpf-three-elements@1.0", panel, changed.spec)
    for node in full.scores:
        np.testing.assert_array_equal(changed.scores[node], full.scores[node])
    # the stages before the changed step are the very same objects (not recomputed)
    start = STEP_NAMES.index(step)
    for name in STEP_NAMES[:start]:
        assert changed.stages[name] is three.stages[name], name
    for name in STEP_NAMES[start:]:
        assert changed.stages[name] is not three.stages[name], name


def test_forced_restart_equals_full_build(three, panel: Panel) -> None:
    for step in STEP_NAMES:
        again = three.regenerate(from_step=step)
        np.testing.assert_array_equal(again.index, three.index)


# -- batches of variants ------------------------------------------------------------------
def test_100_weight_variants_in_one_batch_equal_100_single_builds(three) -> None:
    root = three.framework.root.id
    dims = three.node_children(root)
    rng = np.random.default_rng(7)
    w = rng.dirichlet(np.ones(len(dims)), size=100)
    batch = three.evaluate_variants(weights={root: w})[root]
    assert batch.shape == (100, len(three.years), len(three.regions))
    for i in range(100):
        single = three.regenerate(by_node={root: {"weighting": {"method": "user", "weights": dict(zip(dims, w[i].tolist(), strict=True))}}})
        np.testing.assert_allclose(batch[i], single.index, rtol=0, atol=1e-13)


@pytest.mark.parametrize("kw", [{}, {"weighting": "critic"}, {"weighting_upper": "entropy"},
                                {"aggregation": "topsis"}, {"aggregation": "geometric"},
                                {"weighting_upper": "entropy_global"}])
def test_exclusions_and_weight_noise_equal_single_builds(three, kw) -> None:
    res = three.regenerate(**kw)
    root = res.framework.root.id
    rng = np.random.default_rng(3)
    v, k = 8, len(res.indicators)
    excl = np.zeros((v, k), dtype=bool)
    excl[np.arange(1, v), rng.integers(0, k, v - 1)] = True
    factors = 1 + rng.uniform(-0.25, 0.25, (v, len(res.node_children(root))))
    batch = res.evaluate_variants(exclude=excl, weight_factors={root: factors})[root]
    for i in range(v):
        single = res.regenerate(exclude=[res.indicators[j] for j in np.flatnonzero(excl[i])])
        dims = single.node_children(root)
        w = single.node_weights(root) * factors[i][[res.node_children(root).index(d) for d in dims]]
        single = single.regenerate(by_node={root: {"weighting": {"method": "user", "weights": dict(zip(dims, w.tolist(), strict=True))}}})
        np.testing.assert_allclose(batch[i], single.index, rtol=1e-12, atol=1e-12)


# -- frozen scale -------------------------------------------------------------------------------
def test_unchanged_data_score_exactly_as_fitted(three, panel: Panel) -> None:
    scored = three.score(panel)
    for node in three.scores:
        np.testing.assert_array_equal(scored.scores[node], three.scores[node])
    assert scored.out_of_range.empty


def test_one_province_scenario_moves_by_the_direct_amount(three, panel: Panel) -> None:
    # Henan (410000) raises R&D spending by 20% in 2018; rd_to_gdp = rd_expenditure / gdp / 100 (%)
    obs = panel.observations
    base = obs[(obs.region_code == "410000") & (obs.year == 2018) & (obs.variable == "rd_expenditure")]["value"].iloc[0]
    scored = three.score(pd.DataFrame({"region_code": ["410000"], "year": [2018], "variable": ["rd_expenditure"],
                                       "value": [base * 1.2]}))
    k = three.indicators.index("rd_to_gdp")
    t, r = three.years.index(2018), three.regions.index("410000")
    old = three.filled[t, r, k]
    new = scored.values[t, r, k]
    assert new == pytest.approx(old * 1.2, rel=1e-12)
    # direct computation: no treatment on rd_to_gdp, pooled min-max, arithmetic means with fixed weights
    assert three.treatment_log.set_index("indicator").loc["rd_to_gdp", "action"] == "none"
    fitted = next(g["fitted"] for g in three.stages["normalise"].params["groups"] if k in g["columns"])
    j = next(g["columns"] for g in three.stages["normalise"].params["groups"] if k in g["columns"]).index(k)
    span = fitted["max"].reshape(-1)[j] - fitted["min"].reshape(-1)[j]
    expected = three.effective_weights()["rd_to_gdp"] * (new - old) / span
    change = scored.change(three).set_index(["region_code", "year"])
    assert change.loc[("410000", 2018), "score_change"] == pytest.approx(expected, rel=1e-9)
    assert expected > 0
    others = change.drop(index=("410000", 2018))
    assert (others["score_change"] == 0).all()  # the frozen scale: nobody else moves


def test_out_of_range_values_are_listed_and_clipped_or_extrapolated(three) -> None:
    big = pd.DataFrame({"region_code": ["650000"], "year": [2019], "variable": ["rd_expenditure"], "value": [1e12]})
    clipped = three.score(big)
    assert list(clipped.out_of_range["indicator"]) == ["rd_to_gdp"]
    assert clipped.out_of_range["action"].iloc[0] == "clipped"
    k = three.indicators.index("rd_to_gdp")
    t, r = three.years.index(2019), three.regions.index("650000")
    assert clipped.values[t, r, k] == pytest.approx(three.stages["treat"].params["fitted_max"][k])
    extra = three.score(big, out_of_range="extrapolate")
    assert extra.out_of_range["action"].iloc[0] == "extrapolated"
    assert extra.scores["rd_to_gdp"][t, r] > 1.0  # beyond the min-max range


def test_bad_scenario_input(three) -> None:
    from nqpf.index.frozen import ScenarioError

    with pytest.raises(ScenarioError, match="not in the panel"):
        three.score(pd.DataFrame({"region_code": ["410000"], "year": [2018], "variable": ["no_such"], "value": [1.0]}))
    with pytest.raises(ScenarioError, match="not a finite number"):
        three.score(pd.DataFrame({"region_code": ["410000"], "year": [2018], "variable": ["gdp"], "value": ["x"]}))
    with pytest.raises(ScenarioError, match="out_of_range must be"):
        three.score(pd.DataFrame({"region_code": ["410000"], "year": [2018], "variable": ["gdp"], "value": [1.0]}),
                    out_of_range="wrap")


# -- run folders ------------------------------------------------------------------------------
def test_run_folder_loads_in_a_new_process_with_identical_scores(three, tmp_path: Path, store_path: Path) -> None:
    paths = write_run(three, tmp_path, html=False)
    folder = paths["run"].parent
    code = (
        "import sys, json, numpy as np; from nqpf.runs import load_run; r = load_run(sys.argv[1]); "
        "print(json.dumps({n: np.nan_to_num(s, nan=-9).tolist() for n, s in r.scores.items()}))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(folder)], capture_output=True, text=True, check=True)
    loaded = json.loads(out.stdout)
    assert set(loaded) == set(three.scores)
    for node, s in three.scores.items():
        np.testing.assert_array_equal(np.array(loaded[node]), np.nan_to_num(s, nan=-9))
    again = load_run(folder)
    assert again.spec == three.spec and again.data_hash == three.data_hash
    assert again.framework.to_dict() == three.framework.to_dict()
    for name in STEP_NAMES:
        assert set(again.stages[name].data) == set(three.stages[name].data)
    np.testing.assert_array_equal(again.treated, three.treated)
    # a loaded run keeps working: frozen scale and regenerate
    np.testing.assert_array_equal(again.regenerate(weighting="critic").index, three.regenerate(weighting="critic").index)
    # rebuilt from its spec on the same store: the same numbers
    with Store(store_path) as st:
        rebuilt = rebuild_run(folder, st.panel())
    np.testing.assert_array_equal(rebuilt.index, three.index)


def test_user_framework_is_embedded_in_the_run(panel: Panel, tmp_path: Path) -> None:
    from nqpf.frameworks import load_framework

    doc = load_framework("nqpf-three-elements@1.0").to_dict()
    doc["id"] = "my-index"
    doc["root"]["children"] = doc["root"]["children"][:2]
    yaml_path = tmp_path / "mine.yaml"
    import yaml

    yaml_path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    res = build_index(load_framework(yaml_path), panel)
    folder = write_run(res, tmp_path / "out", html=False)["run"].parent
    yaml_path.unlink()  # the run does not need the file any more
    back = load_run(folder)
    assert back.framework.id == "my-index" and len(back.framework.root.children) == 2
    np.testing.assert_array_equal(back.index, res.index)


# -- honesty ---------------------------------------------------------------------------------------
def test_imputed_cells_are_in_the_indicator_unit_with_method_and_years(three) -> None:
    cells = three.imputed_cells()
    assert {"value", "unit", "method", "from_year", "to_year"} <= set(cells.columns)
    # no value on a log scale: every imputed value lies within the observed range of its indicator
    for ind, g in cells.groupby("indicator"):
        k = three.indicators.index(ind)
        col = three.raw[:, :, k]
        assert g["value"].between(np.nanmin(col) - 1e-9, np.nanmax(col) + 1e-9).all(), ind
    carried = cells[cells["method"].str.startswith("carried")]
    assert (abs(carried["year"] - carried["from_year"]) <= 2).all()  # the default extrapolation limit
    interp = cells[cells["method"] == "linear interpolation"]
    assert ((interp["from_year"] < interp["year"]) & (interp["year"] < interp["to_year"])).all()


def test_extrapolation_limit_leaves_far_cells_missing(panel: Panel) -> None:
    tei = build_index("nqpf-technology-economy-industry@1.0", panel)
    no_limit = tei.regenerate(imputation={"max_extrapolation": None})
    cells = tei.imputed_cells()
    assert (abs(cells["year"] - cells["from_year"]).where(cells["method"].str.startswith("carried")).dropna() <= 2).all()
    # average wage ends in 2019: without a limit it fills 2020-2022, with it 2022 stays missing
    missing = tei.missing_cells()
    assert len(missing) > 0 and len(no_limit.missing_cells()) == 0
    assert {2022} <= set(missing["year"])
    assert any("left missing" in n for n in tei.notes)


def test_years_without_data_fail_naming_indicators_or_build_a_named_variant(panel: Panel) -> None:
    with pytest.raises(IndexBuildError, match=r"too little data in 2021-2023 for .*average_wage \(data"):
        build_index("nqpf-three-elements@1.0", panel, years="2021:2023")
    variant = build_index("nqpf-three-elements@1.0", panel, years="2021:2023", allow_drop=True)
    assert "average_wage" not in variant.indicators
    assert "variant without" in variant.name_en and "average_wage" in variant.name_en
    assert "不含" in variant.name_zh


def test_effective_weights_multiply_down_the_tree(three) -> None:
    w = three.weights
    eff = w.set_index("node")["effective_weight"]
    for _, row in w[w["parent"] != three.framework.root.id].iterrows():
        assert eff[row["node"]] == pytest.approx(row["weight"] * eff[row["parent"]])
    leaves = w[w["node"].isin(three.indicators)]
    assert leaves["effective_weight"].sum() == pytest.approx(1.0)


def test_repr_is_short(three) -> None:
    text = repr(three)
    assert len(text) < 300 and "nqpf-three-elements v1.0" in text and "top Beijing" in text


def test_rank_desc_matches_scipy_min_ranks_with_ties_and_nan() -> None:
    rng = np.random.default_rng(0)
    a = rng.integers(0, 6, size=(4, 7, 50)).astype(float)
    a[0, 0, :3] = np.nan
    ours = rank_desc(a)
    ref = rankdata(-np.where(np.isnan(a), -np.inf, a), method="min", axis=-1).astype(float)  # NaN last
    ref[np.isnan(a)] = np.nan
    np.testing.assert_array_equal(ours, ref)


def test_panel_regions_are_never_dropped_and_registry_is_not_shared(panel: Panel) -> None:
    # a city-level region the user brings (fixture code, real provincial values re-labelled)
    obs = panel.observations
    extra = obs[obs.region_code == "340000"].assign(region_code="340100")
    big = Panel(pd.concat([obs, extra]), panel.catalog)
    res = build_index("nqpf-three-elements@1.0", big)
    assert "340100" in res.regions and len(res.regions) == 32
    assert any("not in the region registry" in n for n in res.notes)
    reg = REGISTRY.copy()
    reg.add(Region("340100", "合肥", "Hefei", "合肥市", level="city", parent="340000"))
    named = build_index("nqpf-three-elements@1.0", big, registry=reg)
    assert named.ranking().set_index("region_code").loc["340100", "region_en"] == "Hefei"
    assert "340100" not in REGISTRY  # the shared registry was not changed
    assert isinstance(named.registry, RegionRegistry)


def test_a_user_region_table_names_city_regions(panel: Panel, tmp_path: Path) -> None:
    # fixture: Hefei's code carrying Anhui's real provincial values (relabelled, not statistics)
    table = tmp_path / "cities.csv"
    table.write_text("code,name_zh,name_en,level,parent\n340100,合肥,Hefei,city,340000\n", encoding="utf-8")
    reg = REGISTRY.copy()
    assert reg.load_table(table) == ["340100"]
    obs = panel.observations
    big = Panel(pd.concat([obs, obs[obs.region_code == "340000"].assign(region_code="340100")]), panel.catalog)
    res = build_index("nqpf-three-elements@1.0", big, registry=reg)
    row = res.ranking().set_index("region_code").loc["340100"]
    assert row["region_zh"] == "合肥" and row["score"] == res.ranking().set_index("region_code").loc["340000", "score"]
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name_zh,name_en\n3401,合肥,Hefei\n", encoding="utf-8")
    from nqpf.errors import UnknownRegionError

    with pytest.raises(UnknownRegionError, match=r"bad.csv, line 2\] code must be six digits"):
        REGISTRY.copy().load_table(bad)
    assert "340100" not in REGISTRY

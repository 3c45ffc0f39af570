"""The index engine end to end: a hand-worked index, peer checks, regenerate, real-data facts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from frameworks_toy import PLAIN as TOY_PLAIN
from frameworks_toy import toy_framework, toy_panel
from nqpf.errors import ValidationError
from nqpf.frameworks import Framework
from nqpf.index import weights as wts
from nqpf.index.build import TIDY_COLUMNS, CompositeIndex, build_index
from nqpf.index.spec import SpecError, make_spec
from nqpf.panel import Panel
from nqpf.regions import REGISTRY


# --- a hand-worked example (tests/frameworks_toy.py: three regions, two years, three variables) ----
@pytest.fixture()
def toy(tmp_path: Path) -> tuple[Panel, Framework]:
    return toy_panel(), toy_framework(tmp_path)


PLAIN = {**TOY_PLAIN, "years": [2020, 2021]}


def test_hand_worked_index(toy) -> None:
    panel, fw = toy
    res = build_index(fw, panel, PLAIN)
    # pooled min-max over both years:
    #   a: min 1, max 5        -> 2020 [0, .25, .5],   2021 [.25, .75, 1]
    #   b: cost, min 10 max 40 -> (40 - b)/30: 2020 [1, 2/3, 1/3], 2021 [1, 1, 0]
    #   c/a = 2020 [2, 1, 2], 2021 [2, 1, 2] -> min 1 max 2 -> [1, 0, 1] both years
    np.testing.assert_allclose(res.scores["i_b"], [[1, 2 / 3, 1 / 3], [1, 1, 0]])
    d1 = np.array([[0.5, (0.25 + 2 / 3) / 2, (0.5 + 1 / 3) / 2], [0.625, 0.875, 0.5]])
    np.testing.assert_allclose(res.scores["d1"], d1)
    np.testing.assert_allclose(res.scores["d2"], [[1, 0, 1], [1, 0, 1]])
    np.testing.assert_allclose(res.index, (d1 + np.array([[1, 0, 1], [1, 0, 1]])) / 2)
    rk = res.ranking(2021)
    assert rk["region_code"].tolist() == ["110000", "130000", "120000"]
    assert rk["rank"].tolist() == [1, 2, 3]
    assert set(res.weights["weight"]) == {0.5, 1.0}


def test_tidy_export_shape(toy) -> None:
    panel, fw = toy
    tidy = build_index(fw, panel, PLAIN).to_tidy()
    assert list(tidy.columns) == TIDY_COLUMNS
    assert len(tidy) == 6 * 2 * 3  # nodes (idx, d1, i_a, i_b, d2, i_ca) x years x regions
    bj = tidy[(tidy.region_code == "110000") & (tidy.node == "idx") & (tidy.year == 2021)].iloc[0]
    assert bj.region_en == "Beijing" and bj.region_zh == "北京" and bj.framework == "toy"
    assert bj.score == pytest.approx((0.625 + 1) / 2)
    # ranking() is the tidy slice of one node and year, best first
    res = build_index(fw, panel, PLAIN)
    for year, node in ((2021, "idx"), (2020, "d1")):
        part = tidy[(tidy.node == node) & (tidy.year == year)].sort_values(["rank", "region_code"])
        pd.testing.assert_frame_equal(res.ranking(year, node), part.reset_index(drop=True))


def test_entropy_weights_match_pymcdm(toy) -> None:
    from pymcdm.weights import entropy_weights

    panel, fw = toy
    res = build_index(fw, panel, {**PLAIN, "weighting": "entropy"})
    pooled = np.column_stack([res.scores["i_a"].ravel(), res.scores["i_b"].ravel()])
    got = res.weights.set_index("node").loc[["i_a", "i_b"], "weight"].to_numpy()
    np.testing.assert_allclose(got, wts.entropy(pooled), atol=1e-12)
    # peer: pymcdm's entropy refuses zeros, so compare on a strictly positive copy of the same matrix
    shifted = 1 + pooled
    np.testing.assert_allclose(wts.entropy(shifted), entropy_weights(shifted), atol=1e-12)
    # the dimension score uses the weights
    np.testing.assert_allclose(res.scores["d1"], got[0] * res.scores["i_a"] + got[1] * res.scores["i_b"])
    # weights do not depend on the output range (entropy is computed on a [0, 1] copy)
    wide = build_index(fw, panel, {**PLAIN, "weighting": "entropy",
                                   "normalisation": {"method": "minmax", "out_range": [1, 100]}})
    np.testing.assert_allclose(wide.weights["weight"].to_numpy(), res.weights["weight"].to_numpy(), atol=1e-12)
    # hand-worked: i_a pooled = [0, .25, .5, .25, .75, 1] (sum 2.75); i_b = [1, 2/3, 1/3, 1, 1, 0] (sum 4)
    def ent(col: np.ndarray) -> float:
        p = col / col.sum()
        p = p[p > 0]
        return 1 + float((p * np.log(p)).sum()) / np.log(6)

    d = np.array([ent(pooled[:, 0]), ent(pooled[:, 1])])
    np.testing.assert_allclose(got, d / d.sum(), atol=1e-12)


def test_entropy_global_sums_leaf_weights(toy) -> None:
    panel, fw = toy
    res = build_index(fw, panel, {**PLAIN, "weighting": "entropy", "weighting_upper": "entropy_global"})
    leaf = wts.entropy(np.column_stack([res.scores[i].ravel() for i in ("i_a", "i_b", "i_ca")]))
    w = res.weights.set_index("node")["weight"]
    assert w["d1"] == pytest.approx(leaf[0] + leaf[1])
    assert w["d2"] == pytest.approx(leaf[2])


def test_regenerate_changes_one_step(toy) -> None:
    panel, fw = toy
    res = build_index(fw, panel, PLAIN)
    same = res.regenerate()
    np.testing.assert_array_equal(same.index, res.index)
    assert same.data_hash == res.data_hash
    geo = res.regenerate(aggregation="geometric", normalisation={"method": "minmax", "out_range": [1, 100]})
    assert geo.spec["aggregation"] == {"method": "geometric"}
    assert geo.spec["imputation"] == res.spec["imputation"]
    # d2 has one indicator: its score is that indicator on the 1..100 scale
    np.testing.assert_allclose(geo.scores["d2"], [[100, 1, 100], [100, 1, 100]])
    # geometric mean of d1's two indicators with equal weights
    np.testing.assert_allclose(geo.scores["d1"], np.sqrt(geo.scores["i_a"] * geo.scores["i_b"]))
    # with the default [0, 1] range, geometric aggregation rescales to [1, 100] (as COINr) and says so
    auto = res.regenerate(aggregation="geometric")
    assert auto.spec["normalisation"]["out_range"] == [1.0, 100.0]
    assert any("rescaled to [1, 100]" in n for n in auto.notes)
    np.testing.assert_allclose(auto.index, geo.index, rtol=1e-12)
    with pytest.raises(ValidationError, match="out_range"):  # an explicit range with a zero is refused
        res.regenerate(aggregation="geometric", normalisation={"method": "minmax", "out_range": [0, 1.5]})


def test_per_node_override(toy) -> None:
    panel, fw = toy
    res = build_index(fw, panel, {**PLAIN, "by_node": {"d1": {"weighting": {"method": "user", "weights": {"i_a": 3, "i_b": 1}}}}})
    np.testing.assert_allclose(res.scores["d1"], 0.75 * res.scores["i_a"] + 0.25 * res.scores["i_b"])


def test_spec_validation() -> None:
    with pytest.raises(SpecError, match=r"weighting.*unknown method 'entropi'"):
        make_spec(weighting="entropi")
    with pytest.raises(SpecError, match="unknown spec key"):
        make_spec({"weighing": {"method": "equal"}})
    assert make_spec(weighting="critic")["weighting"] == {"method": "critic"}


def test_imputation_flags_every_filled_cell(toy) -> None:
    panel, fw = toy
    obs = panel.observations
    obs = obs[~((obs.variable == "a") & (obs.region_code == "120000") & (obs.year == 2021))]
    res = build_index(fw, Panel(obs), {**PLAIN, "imputation": "linear"})
    cells = res.imputed_cells()
    # a (and so c/a) is missing for Tianjin 2021: carried from 2020 (a = 2)
    assert sorted(cells["indicator"]) == ["i_a", "i_ca"]
    assert set(cells["region_code"]) == {"120000"} and set(cells["year"]) == {2021}
    assert cells.set_index("indicator").loc["i_a", "value"] == 2.0


# --- the real panel ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def real_panel(panel: Panel) -> Panel:
    return panel


LEADERS = {"110000", "310000", "440000", "320000", "330000"}  # Beijing, Shanghai, Guangdong, Jiangsu, Zhejiang


# Version 1.0 of the shipped frameworks on the panel alone: the published 2011-2019 indices.
# Version 2.0 (to 2023, panel + extension) is tested in test_framework_versions.py.
@pytest.mark.parametrize("fid", ["nqpf-three-elements@1.0", "nqpf-technology-economy-industry@1.0"])
def test_real_nqpf_ranking_is_plausible(real_panel: Panel, fid: str) -> None:
    res = build_index(fid, real_panel)
    west = set(REGISTRY.groups("nbs4")["west"].codes)
    for year in (res.years[0], 2015, res.years[-1]):
        rk = res.ranking(year)
        top = set(rk["region_code"].head(6))
        assert len(LEADERS & top) >= 4, (year, rk.head(6))
        bottom = rk["region_code"].tail(5)
        assert len(set(bottom) & west) >= 3 and bottom.iloc[-1] in west, (year, rk.tail(5))
    means = res.group_means("nbs4")
    assert (means["east"] > means["central"]).all() and (means["central"] > means["west"]).all()
    assert (means.idxmin(axis=1) == "west").all()
    # the leaders: all five in the top six of the latest year
    assert set(res.ranking()["region_code"].head(6)) >= LEADERS


def test_real_hqd_regional_order(real_panel: Panel) -> None:
    res = build_index("hqd-four-channels@1.0", real_panel)
    means = res.group_means("nbs4")
    assert (means["east"] > means["central"]).all() and (means["central"] > means["west"]).all()
    assert res.ranking()["region_code"].iloc[0] == "110000"


def test_pooled_scores_compare_across_years(real_panel: Panel) -> None:
    res = CompositeIndex("nqpf-three-elements@1.0").fit(real_panel)
    # pooled min-max: each indicator's observed maximum (1.0) sits in one year, not in every year
    # (imputed cells are left out: values carried past a series' end repeat its last year)
    for k, ind in enumerate(res.indicators):
        hits = np.argwhere(np.isclose(res.normalised[:, :, k], 1.0) & ~res.imputed[:, :, k])
        assert len({int(t) for t, _ in hits}) == 1, ind
    per_year = res.regenerate(normalisation={"method": "minmax", "scope": "per_year"})
    assert not np.allclose(per_year.index, res.index)
    assert np.nanmean(res.index[-1]) > np.nanmean(res.index[0])  # NQPF rose over the period


def test_ahp_weights_and_consistency_recorded(toy) -> None:
    panel, fw = toy
    # judgement: dimension one is 3 times as important as dimension two -> weights 3/4, 1/4
    res = build_index(fw, panel, {**PLAIN, "by_node": {"idx": {"weighting": {"method": "ahp", "pairwise": [[1, 3], [1 / 3, 1]]}}}})
    w = res.weights.set_index("node")["weight"]
    assert w["d1"] == pytest.approx(0.75) and w["d2"] == pytest.approx(0.25)
    np.testing.assert_allclose(res.index, 0.75 * res.scores["d1"] + 0.25 * res.scores["d2"])
    row = res.ahp.iloc[0]
    assert row["node"] == "idx" and row["cr"] == pytest.approx(0.0) and bool(row["consistent"])
    with pytest.raises(Exception, match=r"3x3.*2 children"):
        build_index(fw, panel, {**PLAIN, "by_node": {"idx": {"weighting": {"method": "ahp", "pairwise": np.eye(3).tolist()}}}})


def test_combined_subjective_objective(toy) -> None:
    panel, fw = toy
    spec = {**PLAIN, "by_node": {"d1": {"weighting": {"method": "combined", "subjective": {"i_a": 0.8, "i_b": 0.2},
                                                      "objective": "entropy", "combine": "multiplicative"}}}}
    res = build_index(fw, panel, spec)
    ent = build_index(fw, panel, {**PLAIN, "weighting": "entropy"}).weights.set_index("node")["weight"]
    # multiplicative combination: w ∝ w_subjective * w_objective
    raw = np.array([0.8 * ent["i_a"], 0.2 * ent["i_b"]])
    got = res.weights.set_index("node").loc[["i_a", "i_b"], "weight"].to_numpy()
    np.testing.assert_allclose(got, raw / raw.sum(), atol=1e-12)


def test_goalposts_by_indicator(toy) -> None:
    panel, fw = toy
    gp = {"i_a": [0, 10], "i_b": [0, 50], "i_ca": [0, 4]}
    res = build_index(fw, panel, {**PLAIN, "normalisation": {"method": "goalposts", "goalposts": gp}})
    # a benefit indicator on goalposts [0, 10]: a = 5 -> 0.5; b is a cost on [0, 50]: b = 40 -> 0.2
    assert res.scores["i_a"][1, 2] == pytest.approx(0.5)
    assert res.scores["i_b"][1, 2] == pytest.approx(0.2)
    assert res.scores["i_ca"][0, 1] == pytest.approx(0.25)  # c/a = 1 on [0, 4]


def test_years_list_or_range(real_panel: Panel) -> None:
    two = build_index("hqd-four-channels@1.0", real_panel, years=[2015, 2019])
    assert two.years == [2015, 2019]
    span = build_index("hqd-four-channels@1.0", real_panel, years="2015:2019")
    assert span.years == [2015, 2016, 2017, 2018, 2019]

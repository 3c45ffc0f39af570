"""What-if scenarios on the frozen scale: hand-worked, direct recomputation on real data, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from frameworks_toy import SCENARIO_TOY, SCENARIO_VALUES, toy_index
from nqpf.index.build import build_index
from nqpf.index.result import IndexResult
from nqpf.panel import Panel
from nqpf.profiles.scenario import ScenarioInputError, implied_change, read_scenario, run_scenario


# --- a hand-worked scenario (tests/frameworks_toy.py: three regions, one year, three variables) ---
@pytest.fixture()
def toy(tmp_path: Path) -> IndexResult:
    return toy_index(tmp_path, SCENARIO_TOY, SCENARIO_VALUES)


def test_hand_worked_scenario(toy: IndexResult) -> None:
    # min-max: a -> (a-10)/40 = [0, .25, 1]; b (cost) -> (3-b)/2 = [1, .5, 0]; c -> c/10 = [0, .5, 1]
    # index = mean(mean(a', b'), c') -> Tianjin: mean(.375, .5) = .4375
    np.testing.assert_allclose(toy.index[0], [0.25, 0.4375, 0.75])
    # Tianjin sets a = 30 -> a' = .5 -> d1 = .5 -> index .5 ; Hebei's scores do not move
    res = run_scenario(toy, [{"region": "Tianjin", "indicator": "i_a", "set": 30, "year": 2020}])
    np.testing.assert_allclose(res.scored.index[0], [0.25, 0.5, 0.75])
    eff = res.index_effects().iloc[0]
    assert eff["score_change"] == pytest.approx(0.0625) and eff["rank_after"] == 2
    assert res.others_max_change == 0
    # above the fitted maximum: clipped (and listed), or extrapolated
    clip = run_scenario(toy, [{"region": "Tianjin", "indicator": "i_a", "set": 90}])
    assert clip.scored.index[0, 1] == pytest.approx((1 + .5) / 4 + .25)
    assert clip.out_of_range.iloc[0]["action"] == "clipped"
    ext = run_scenario(toy, [{"region": "Tianjin", "indicator": "i_a", "set": 90}], out_of_range="extrapolate")
    assert ext.scored.index[0, 1] == pytest.approx((2 + .5) / 4 + .25)  # a' = (90-10)/40 = 2


def test_relative_and_cost_direction(toy: IndexResult) -> None:
    # b is a cost: -50% for Hebei (3 -> 1.5) raises b' from 0 to .75, d1 from .5 to .875, index by .1875
    res = run_scenario(toy, [{"region": "河北", "indicator": "i_b", "relative": -0.5}])
    assert res.changes.iloc[0]["after"] == 1.5
    assert res.index_effects().iloc[0]["score_change"] == pytest.approx(0.1875)


# --- the real panel -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def res(panel: Panel) -> IndexResult:
    return build_index("nqpf-three-elements@1.0", panel)


def test_unchanged_scenario_gives_the_original_scores(res: IndexResult) -> None:
    k = res.indicators.index("rd_to_gdp")
    ti, ri = res.years.index(2019), res.regions.index("340000")
    same = run_scenario(res, [{"region": "Anhui", "indicator": "rd_to_gdp", "set": float(res.filled[ti, ri, k])}])
    for node in res.scores:
        np.testing.assert_array_equal(same.scored.scores[node], res.scores[node])


def test_raising_one_province_matches_a_direct_recomputation(res: IndexResult) -> None:
    k = res.indicators.index("rd_to_gdp")  # untreated by the outlier rules, so only min-max applies
    ti, ri = res.years.index(2019), res.regions.index("340000")
    old = res.filled[ti, ri, k]
    out = run_scenario(res, [{"region": "Anhui", "indicator": "rd_to_gdp", "set": 2.5}])
    # direct recomputation: pooled min-max bounds of the fitted data, weights within the dimension,
    # equal weights of the three dimensions
    tr = res.treated[:, :, k]
    lo, hi = np.nanmin(tr), np.nanmax(tr)
    new_norm = (2.5 - lo) / (hi - lo)
    kids = res.node_children("means_of_labor")
    w = res.node_weights("means_of_labor")
    norm = res.normalised[ti, ri, [res.indicators.index(c) for c in kids]].copy()
    norm[kids.index("rd_to_gdp")] = new_norm
    dim = float(np.sum(w * norm) / np.sum(w))
    others = [res.scores[d][ti, ri] for d in ("laborers", "objects_of_labor")]
    expected = np.mean([dim, *others])
    assert out.scored.index[ti, ri] == pytest.approx(expected, rel=1e-12)
    assert out.scored.index[ti, ri] > res.index[ti, ri] and old < 2.5  # the right direction
    assert out.index_effects().iloc[0]["score_change"] == pytest.approx(
        res.effective_weights()["rd_to_gdp"] * (2.5 - old) / (hi - lo))
    # every other province-year keeps its score exactly; only ranks can move
    mask = np.ones(res.index.shape, dtype=bool)
    mask[ti, ri] = False
    np.testing.assert_array_equal(out.scored.index[mask], res.index[mask])
    assert out.others_max_change == 0
    assert any("unchanged" in n for n in out.notes)


def test_reach_the_peer_leader(res: IndexResult) -> None:
    ti, ri = res.years.index(2019), res.regions.index("340000")
    k = res.indicators.index("hitech_revenue_to_gdp")
    out = run_scenario(res, [{"region": "Anhui", "indicator": "hitech_revenue_to_gdp", "reach": "peer_leader",
                              "peers": ["Hubei", "Jiangsu", "Sichuan"]}])
    peers = [res.regions.index(c) for c in ("420000", "320000", "510000")]
    lead = peers[int(np.argmax(res.normalised[ti, peers, k]))]
    assert out.changes.iloc[0]["after"] == res.filled[ti, lead, k]
    assert out.scored.scores["hitech_revenue_to_gdp"][ti, ri] == res.scores["hitech_revenue_to_gdp"][ti, lead]


def test_scenario_files_yaml_and_csv(res: IndexResult, tmp_path: Path) -> None:
    y = tmp_path / "s.yaml"
    y.write_text("out_of_range: extrapolate\nchanges:\n"
                 "  - {region: 安徽, indicator: rd_to_gdp, years: '2018:2019', relative: 0.1}\n", encoding="utf-8")
    rows, opts = read_scenario(y, res)
    assert opts == {"out_of_range": "extrapolate"} and list(rows["year"]) == [2018, 2019]
    c = tmp_path / "s.csv"
    c.write_text("region,year,indicator,kind,value\nAnhui,2019,rd_to_gdp,relative,0.1\n", encoding="utf-8")
    a = run_scenario(res, read_scenario(c, res)[0])
    b = run_scenario(res, rows)
    assert a.index_effects().iloc[0]["score_after"] == b.index_effects().set_index("year").at[2019, "score_after"]


@pytest.mark.parametrize(("change", "message"), [
    ({"region": "Atlantis", "indicator": "rd_to_gdp", "set": 2}, "unknown province 'Atlantis'"),
    ({"region": "Anhui", "indicator": "rd_to_gpd", "set": 2}, "unknown indicator 'rd_to_gpd'.*did you mean rd_to_gdp"),
    ({"region": "Anhui", "indicator": "rd_to_gdp", "set": 2, "year": 2030}, "year 2030 is outside the index"),
    ({"region": "Anhui", "indicator": "rd_to_gdp", "set": -1}, "cannot be negative"),
    ({"region": "Anhui", "indicator": "rd_to_gdp", "set": 150}, "percentage and cannot exceed 100"),
    ({"region": "Anhui", "indicator": "rd_to_gdp", "relative": -1.5}, "cannot be negative"),
    ({"region": "Anhui", "indicator": "rd_to_gdp", "set": 2, "relative": .1}, "exactly one of set"),
    ({"region": "Anhui", "indicator": "rd_to_gdp", "set": "lots"}, "is not a number"),
    ({"region": "Anhui", "indicator": "rd_to_gdp", "reach": "the moon"}, "reach must be 'peer_leader'"),
    ({"region": "Anhui", "indicator": "rd_to_gdp", "set": 2, "colour": "red"}, "unknown key"),
    ([{"region": "Anhui", "indicator": "rd_to_gdp", "set": 2}, {"region": "安徽", "indicator": "rd_to_gdp", "set": 3}],
     "changed more than once"),
])
def test_bad_scenario_input(res: IndexResult, change: dict | list, message: str) -> None:
    with pytest.raises(ScenarioInputError, match=message):
        run_scenario(res, change if isinstance(change, list) else [change])


def test_bad_scenario_files(res: IndexResult, tmp_path: Path) -> None:
    c = tmp_path / "bad.csv"
    c.write_text("region,year,indicator,kind,value\nAnhui,2019,rd_to_gdp,double,2\n", encoding="utf-8")
    with pytest.raises(ScenarioInputError, match="line 2: kind must be one of"):
        read_scenario(c, res)
    y = tmp_path / "bad.yaml"
    y.write_text("changes: []\n", encoding="utf-8")
    with pytest.raises(ScenarioInputError, match="list of changes"):
        read_scenario(y, res)
    with pytest.raises(ScenarioInputError, match="not found"):
        read_scenario(tmp_path / "none.yaml", res)


def test_implied_change_of_an_outcome() -> None:
    t = implied_change(0.02, coef=1.5, se=0.5, level=0.9).iloc[0]
    assert t["implied_change"] == pytest.approx(0.03)
    assert t["low"] == pytest.approx((1.5 - 1.6448536269514722 * 0.5) * 0.02)
    assert t["high"] == pytest.approx((1.5 + 1.6448536269514722 * 0.5) * 0.02)


def test_linkage_adds_the_implied_outcome_change(res: IndexResult) -> None:
    out = run_scenario(res, [{"region": "Anhui", "indicator": "rd_to_gdp", "set": 2.5}],
                       linkage={"coef": 0.8, "se": 0.2, "outcome": "hqd"})
    row = out.index_effects().iloc[0]
    assert row["implied_hqd"] == pytest.approx(0.8 * row["score_change"])
    assert row["implied_hqd_low"] == pytest.approx((0.8 - 1.6448536269514722 * 0.2) * row["score_change"])
    with pytest.raises(ScenarioInputError, match="linkage needs numbers"):
        run_scenario(res, [{"region": "Anhui", "indicator": "rd_to_gdp", "set": 2.5}], linkage={"coef": "big"})

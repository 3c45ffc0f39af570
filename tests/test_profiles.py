"""Province profiles, narratives, peers and priorities on the real panel, with hand-worked checks."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import cdist

from nqpf.index.build import build_index
from nqpf.index.result import IndexResult
from nqpf.panel import Panel
from nqpf.profiles import ProfileError, find_peers, peer_gaps, priorities, profile, profiles
from nqpf.profiles.narrative import fmt, narrate
from nqpf.profiles.priorities import obstacle_degree
from nqpf.profiles.profile import performance_group


@pytest.fixture(scope="module")
def res(panel: Panel) -> IndexResult:
    return build_index("nqpf-three-elements@1.0", panel)


@pytest.fixture(scope="module")
def all_profiles(res: IndexResult) -> dict:
    return profiles(res)


# --- profiles -----------------------------------------------------------------------------------
def test_profiles_for_all_31_provinces(res: IndexResult, all_profiles: dict) -> None:
    assert len(all_profiles) == 31 == len(res.regions)
    ranks = sorted(int(p.index_row["rank"]) for p in all_profiles.values())
    assert ranks == list(range(1, 32))  # no ties in the real 2019 index
    assert {p.year for p in all_profiles.values()} == {2019}


def test_strengths_and_weaknesses_agree_with_their_ranks(res: IndexResult, all_profiles: dict) -> None:
    ti = res.years.index(2019)
    for code, p in all_profiles.items():
        ri = res.regions.index(code)
        for table in (p.strengths, p.weaknesses, p.indicators):
            for row in table.to_dict("records"):  # each rank is the index's own rank of that indicator
                own = res.ranks[row["indicator"]][ti, ri]
                if np.isnan(own):  # Tibet has no CO2 data: no rank, never a strength or weakness
                    assert np.isnan(row["rank"]) and table is p.indicators
                    continue
                assert row["rank"] == own
                n = row["n_regions"]  # 30 where an indicator has no value for Tibet
                assert n in (30, 31) and row["percentile"] == pytest.approx(100 * (n - row["rank"]) / (n - 1))
        others = p.indicators[~p.indicators["indicator"].isin(p.strengths["indicator"])]
        assert p.strengths["rank"].max() <= others["rank"].min()
        others = p.indicators[~p.indicators["indicator"].isin(p.weaknesses["indicator"])]
        assert p.weaknesses["rank"].min() >= others["rank"].max()


def test_cost_indicator_strength_is_a_low_value(res: IndexResult, all_profiles: dict) -> None:
    # energy intensity is a cost indicator: the province with rank 1 uses the least energy per GDP
    k = res.indicators.index("energy_intensity")
    ti = res.years.index(2019)
    best = next(c for c, p in all_profiles.items()
            if p.indicators.set_index("indicator").at["energy_intensity", "rank"] == 1)
    vals = res.filled[ti, :, k]
    assert vals[res.regions.index(best)] == np.nanmin(vals)


def test_anhui_profile_real_values(res: IndexResult, all_profiles: dict) -> None:
    p = all_profiles["340000"]
    ti, ri = res.years.index(2019), res.regions.index("340000")
    assert p.index_row["score"] == res.index[ti, ri] and p.index_row["rank"] == 13
    g = p.group
    assert g["ratio_pct"] == pytest.approx(100 * res.index[ti, ri] / np.mean(res.index[ti]))
    assert g["group"] == "strong"  # 104% of the mean
    pos = p.position.iloc[0]
    central = ["140000", "340000", "360000", "410000", "420000", "430000"]
    s = res.index[ti, [res.regions.index(c) for c in central]]
    assert pos["group"] == "central" and pos["group_size"] == 6
    assert pos["rank_in_group"] == 1 + np.sum(s > res.index[ti, ri])
    gr = p.growth.set_index("node").loc["nqpf_index"]
    assert gr["change"] == pytest.approx(res.index[ti, ri] - res.index[0, ri])
    assert gr["rank_change"] == res.ranks["nqpf_index"][0, ri] - res.ranks["nqpf_index"][ti, ri]
    assert list(p.dimensions["rank"]) == sorted(p.dimensions["rank"])


def test_eis_groups_hand_worked() -> None:
    assert [performance_group(v)[0] for v in (130, 125, 110, 100, 99.9, 70, 69.9)] == \
        ["leader", "strong", "strong", "strong", "moderate", "moderate", "emerging"]


def test_robustness_interval_shown_and_checked(res: IndexResult) -> None:
    rob = pd.DataFrame({"region_code": ["340000"], "year": [2019], "node": ["nqpf_index"],
                        "rank_p05": [11], "rank_median": [13], "rank_p95": [16]})
    p = profile(res, "Anhui", robustness=rob)
    nar = narrate(p)
    assert "(median 13, 90% interval 11-16)" in nar.en and "90%区间第11-16位" in nar.zh
    with pytest.raises(ProfileError, match="rank_p05 <= rank_median"):
        profile(res, "Anhui", robustness=rob.assign(rank_p05=14))
    with pytest.raises(ProfileError, match="missing rank_p95"):
        profile(res, "Anhui", robustness=rob.drop(columns="rank_p95"))


def test_bad_profile_requests(res: IndexResult) -> None:
    with pytest.raises(ProfileError, match="unknown province 'Anhiu'"):
        profile(res, "Anhiu")
    with pytest.raises(ProfileError, match="outside the index"):
        profile(res, "安徽", year=2030)


# --- narratives ---------------------------------------------------------------------------------
NUM = re.compile(r"[+-]?\d+(?:\.\d+)?")


def _numbers(text: str, names: list[str]) -> list[str]:
    for n in sorted(names, key=len, reverse=True):  # names may hold digits ("per 10,000 residents")
        text = text.replace(n, " ")
    return NUM.findall(text.replace("90%", " "))


def test_every_number_of_the_narrative_is_a_table_value(res: IndexResult, all_profiles: dict) -> None:
    for p in all_profiles.values():
        nar = narrate(p)
        names = [*p.indicators["name_en"], *p.indicators["name_zh"], *p.dimensions["name_en"], *p.dimensions["name_zh"],
                 *p.position["group_en"], *p.position["group_zh"], p.region_en, p.region_zh,
                 str(p.index_row["name_en"]), str(p.index_row["name_zh"])]
        for s in nar.sentences:
            allowed = sorted(fmt(v, k) for v, k in s.facts.values())
            for text in (s.en, s.zh):
                assert sorted(_numbers(text, names)) == allowed, (p.region_code, s.key, text)
        # and the facts are the table's values
        f = {s.key: s.facts for s in nar.sentences}
        row = p.index_row
        assert f["rank"]["rank"][0] == row["rank"] and f["rank"]["score"][0] == row["score"]
        assert f["rank"]["n"][0] == 31 and f["group"]["ratio_pct"][0] == p.group["ratio_pct"]
        assert [v for v, _ in f["strengths"].values()] == list(p.strengths["rank"])
        assert [v for v, _ in f["weaknesses"].values()] == list(p.weaknesses["rank"])
        assert f["dimensions"]["worst_rank"][0] == p.dimensions["rank"].max()


def test_action_sentences_print_the_priority_table(res: IndexResult) -> None:
    pri = priorities(res, "Anhui")
    for a in pri.actions.to_dict("records"):
        assert f"{a['obstacle_pct']:.1f}%" in a["text_en"] and f"{a['gain']:.4f}" in a["text_en"]
        assert f"{a['obstacle_pct']:.1f}%" in a["text_zh"] and f"排名第{a['rank']:.0f}位" in a["text_zh"]


# --- peers --------------------------------------------------------------------------------------
def test_peers_are_the_nearest_in_standardised_structure(res: IndexResult, panel: Panel) -> None:
    pe = find_peers(res, "Anhui", k=5)
    f = pe.features
    # hand-built features: log GRP, GRP per resident (yuan), industry and services shares, 2019
    d = panel.observations
    d = d[d["year"] == 2019].pivot(index="region_code", columns="variable", values="value")
    assert f.loc["340000", "log_gdp"] == pytest.approx(np.log(d.at["340000", "gdp"]))
    assert f.loc["340000", "gdp_per_resident"] == pytest.approx(d.at["340000", "gdp"] / d.at["340000", "population"] * 1e4)
    z = (f - f.mean()) / f.std(ddof=0)
    dist = cdist(z.loc[["340000"]].to_numpy(), z.to_numpy())[0]  # peer implementation: SciPy
    np.testing.assert_allclose(pe.distance.reindex(f.index).to_numpy(), dist)
    order = [c for c in f.index[np.argsort(dist, kind="stable")] if c != "340000"][:5]
    assert pe.peers == order
    assert pe.clusters.nunique() == 5


def test_peer_gaps_are_read_from_the_leader(res: IndexResult) -> None:
    gaps = peer_gaps(res, "Anhui", ["Hubei", "Hunan", "Jiangsu"])
    ti = res.years.index(2019)
    group = ["340000", "420000", "430000", "320000"]
    for row in gaps.to_dict("records"):
        k = res.indicators.index(row["indicator"])
        norm = res.normalised[ti, [res.regions.index(c) for c in group], k]
        assert row["leader_normalised"] == np.nanmax(norm)
        assert row["gap_value"] == pytest.approx(res.filled[ti, res.regions.index(row["peer_leader"]), k]
                                                 - res.filled[ti, res.regions.index("340000"), k])
        assert row["gap_normalised"] >= 0
    energy = gaps.set_index("indicator").loc["energy_intensity"]
    assert energy["gap_value"] <= 0  # a cost indicator: the leader uses less energy


# --- priorities ---------------------------------------------------------------------------------
def test_obstacle_degree_hand_worked() -> None:
    # weights .5 .3 .2, normalised .2 .5 1 -> w(1-x) = .4 .15 0 -> shares 72.7%, 27.3%, 0
    o = obstacle_degree(np.array([.5, .3, .2]), np.array([.2, .5, 1.0]), np.zeros(3), np.ones(3))
    np.testing.assert_allclose(o, [100 * .4 / .55, 100 * .15 / .55, 0])


def test_priorities_real_values(res: IndexResult) -> None:
    pri = priorities(res, "Anhui")
    t = pri.table.set_index("indicator")
    ti, ri = res.years.index(2019), res.regions.index("340000")
    eff = res.effective_weights()
    w = np.array([eff[i] for i in res.indicators])
    x = res.normalised[ti, ri]
    expected = 100 * w * (1 - x) / np.sum(w * (1 - x))  # min-max pooled: the range of x is [0, 1]
    np.testing.assert_allclose(t.loc[res.indicators, "obstacle_pct"], expected)
    assert pri.dimensions["obstacle_pct"].sum() == pytest.approx(100)
    # arithmetic aggregation of min-max scores: gain = effective weight * step / (treated range)
    k = res.indicators.index("rd_to_gdp")  # not transformed by the outlier treatment
    tr = res.treated[:, :, k]
    step = 0.1 * (np.nanmax(tr) - np.nanmin(tr))
    assert t.at["rd_to_gdp", "step"] == pytest.approx(step)
    assert t.at["rd_to_gdp", "gain"] == pytest.approx(eff["rd_to_gdp"] * step / (np.nanmax(tr) - np.nanmin(tr)))
    assert (pri.actions["gain"] > 0).all() and len(pri.actions) == 5


def test_priorities_at_the_frontier_gain_nothing(res: IndexResult) -> None:
    # Beijing leads R&D intensity: no room left on the fitted scale
    pri = priorities(res, "Beijing")
    row = pri.table.set_index("indicator").loc["rd_to_gdp"]
    assert row["rank"] == 1 and row["gain"] == 0 and row["obstacle_pct"] == 0

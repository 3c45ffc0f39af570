"""Dagum Gini decomposition: a hand-worked case, an n^2 implementation, real-data facts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bundle import V1_FRAMEWORKS
from nqpf.regional import DagumGini, RegionalError, dagum_decompose
from nqpf.regions import REGISTRY


def naive_dagum(groups: dict[str, np.ndarray]) -> dict:
    """Dagum (1997) term by term with explicit double loops over every pair of values."""
    keys = list(groups)
    allv = np.concatenate([groups[k] for k in keys])
    n, mu = allv.size, allv.mean()
    g = sum(abs(a - b) for a in allv for b in allv) / (2 * n * n * mu)
    p = {k: groups[k].size / n for k in keys}
    s = {k: groups[k].size * groups[k].mean() / (n * mu) for k in keys}
    within = {k: sum(abs(a - b) for a in v for b in v) / (2 * v.size**2 * v.mean()) for k, v in groups.items()}
    gw = sum(within[k] * p[k] * s[k] for k in keys)
    gnb = gt = 0.0
    between = {}
    for i, j in enumerate(keys):
        for h in keys[i + 1:]:
            yj, yh = groups[j], groups[h]
            if yj.mean() < yh.mean():
                yj, yh = yh, yj
            gjh = sum(abs(a - b) for a in yj for b in yh) / (yj.size * yh.size * (yj.mean() + yh.mean()))
            d = sum(max(a - b, 0) for a in yj for b in yh) / (yj.size * yh.size)
            pp = sum(max(b - a, 0) for a in yj for b in yh) / (yj.size * yh.size)
            djh = (d - pp) / (d + pp)
            wgt = p[j] * s[h] + p[h] * s[j]
            gnb += gjh * wgt * djh
            gt += gjh * wgt * (1 - djh)
            between[(j, h)] = gjh
    return {"gini": g, "within": within, "between": between, "g_w": gw, "g_nb": gnb, "g_t": gt}


def test_hand_worked_case() -> None:
    # A = {1, 3}, B = {2, 6}; n = 4, mu = 3 (worked in docs/regional.md)
    p = dagum_decompose({"A": np.array([1.0, 3.0]), "B": np.array([2.0, 6.0])})
    assert float(p.gini) == pytest.approx(1 / 3, abs=1e-15)          # 32 / (2 * 16 * 3)
    assert float(p.within["A"]) == pytest.approx(0.25) and float(p.within["B"]) == pytest.approx(0.25)
    assert float(p.between[("A", "B")]) == pytest.approx(5 / 12)     # 10 / (2 * 2 * 6)
    assert float(p.d[("A", "B")]) == pytest.approx(0.8)              # (9 - 1) / (9 + 1)
    assert float(p.g_w) == pytest.approx(0.125)
    assert float(p.g_nb) == pytest.approx(1 / 6)
    assert float(p.g_t) == pytest.approx(1 / 24)


def test_matches_n2_loops_on_real_values(v1_results) -> None:
    res = v1_results["nqpf-three-elements@1.0"]
    labels = np.array([REGISTRY.group_of(r, "nbs4").key for r in res.regions])
    for t in (0, len(res.years) - 1):
        groups = {k: res.index[t][labels == k] for k in ("east", "central", "west", "northeast")}
        fast, slow = dagum_decompose(groups), naive_dagum(groups)
        for name in ("gini", "g_w", "g_nb", "g_t"):
            assert float(getattr(fast, name)) == pytest.approx(slow[name], abs=1e-12), name
        for k, v in slow["within"].items():
            assert float(fast.within[k]) == pytest.approx(v, abs=1e-12)
        for k, v in slow["between"].items():
            assert float(fast.between[k]) == pytest.approx(v, abs=1e-12)


def test_batch_axis_equals_one_by_one() -> None:
    rng = np.random.default_rng(3)  # test fixture: random values, not statistics
    a, b = rng.lognormal(size=(5, 7)), rng.lognormal(size=(5, 4))
    batch = dagum_decompose({"a": a, "b": b})
    for i in range(5):
        one = dagum_decompose({"a": a[i], "b": b[i]})
        assert float(one.gini) == pytest.approx(batch.gini[i], abs=1e-14)
        assert float(one.g_nb) == pytest.approx(batch.g_nb[i], abs=1e-14)


@pytest.mark.parametrize("fid", V1_FRAMEWORKS)
def test_real_terms_sum_and_between_dominates(v1_results, fid: str) -> None:
    d = DagumGini(v1_results[fid], n_boot=99, seed=1)
    o = d.overall
    assert len(o) == len(v1_results[fid].years)
    np.testing.assert_allclose(o["within"] + o["net_between"] + o["transvariation"], o["gini"], atol=1e-12, rtol=0)
    np.testing.assert_allclose(o[["within_share", "net_between_share", "transvariation_share"]].sum(axis=1), 100.0)
    # the real answer: net between-region inequality is the largest term in every year
    assert (o["net_between_share"] > 50).all(), o[["year", "net_between_share"]]
    # the Gini fell between the first and the last year, beyond the bootstrap interval
    assert o["gini"].iloc[-1] < o["gini_lo"].iloc[0]
    assert ((o["gini_lo"] <= o["gini_hi"]) & (o["gini_lo"] > 0)).all()
    # east-west is the widest pair, and D_jh lies in [0, 1]
    last = d.between_groups[d.between_groups["year"] == o["year"].iloc[-1]].set_index(["group_a", "group_b"])
    assert last["gini"].idxmax() == ("east", "west")
    assert ((d.between_groups["d"] >= 0) & (d.between_groups["d"] <= 1)).all()


def test_groupings_and_errors(v1_results) -> None:
    res = v1_results["nqpf-three-elements@1.0"]
    belt = DagumGini(res, "belt3", n_boot=0)
    assert set(belt.within_groups["group"]) == set(REGISTRY.groups("belt3"))
    assert belt.overall["gini_lo"].isna().all()
    east = set(REGISTRY.groups("nbs4")["east"].codes)
    user = {"coast": sorted(east), "inland": sorted(set(res.regions) - east)}
    d = DagumGini(res, user, n_boot=0)
    assert len(d.between_groups) == len(res.years)  # one pair per year
    assert d.overall["gini"].to_numpy() == pytest.approx(belt.overall["gini"].to_numpy())  # same overall Gini
    with pytest.raises(RegionalError, match="region 110000 is in no group"):
        DagumGini(res, {"x": ["Shanghai"], "y": ["Tianjin"]}, n_boot=0)
    with pytest.raises(RegionalError, match="unknown grouping"):
        DagumGini(res, "provinces9", n_boot=0)
    neg = res.wide()[[res.framework.root.id]].reset_index().rename(columns={res.framework.root.id: "value"})
    neg["value"] -= 0.5
    with pytest.raises(RegionalError, match="non-negative"):
        DagumGini(neg, n_boot=0)


def test_missing_values_are_reported(v1_results) -> None:
    res = v1_results["nqpf-three-elements@1.0"]
    wide = pd.DataFrame(res.index, index=res.years, columns=res.regions)
    wide.iloc[0, 0] = np.nan
    d = DagumGini(wide, n_boot=0)
    assert int(d.overall["n"].iloc[0]) == 30 and int(d.overall["n"].iloc[1]) == 31
    assert any("110000" in n for n in d.notes)
    tidy = d.to_tidy()
    assert {"gini", "net_between_share", "gini_between_groups"} <= set(tidy["term"])

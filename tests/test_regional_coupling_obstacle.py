"""Coupling coordination (Wang et al. 2021 corrected form) and the obstacle degree model, by hand and on real data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from frameworks_toy import toy_index
from nqpf.index.build import build_index
from nqpf.panel import Panel
from nqpf.regional import CouplingCoordination, ObstacleDegree, RegionalError
from nqpf.regional.coupling import coordination_class, coupling_degree
from nqpf.regional.obstacle import effective_weights
from nqpf.regional.runs import load_run


def test_corrected_coupling_by_hand() -> None:
    # two systems U = (0.4, 0.8): C = sqrt((1 - 0.4) * 0.4 / 0.8) = sqrt(0.3)
    assert float(coupling_degree(np.array([0.4, 0.8]))) == pytest.approx(np.sqrt(0.3), abs=1e-15)
    # three systems U = (0.2, 0.5, 1.0): pair gaps .3 .8 .5 -> 1 - 1.6 / 3; ratios .2 * .5 * 1 -> 0.1^(1/2)
    assert float(coupling_degree(np.array([0.2, 0.5, 1.0]))) == pytest.approx(
        np.sqrt((1 - 1.6 / 3) * np.sqrt(0.1)), abs=1e-15)
    assert float(coupling_degree(np.array([0.6, 0.6]))) == pytest.approx(1.0)  # equal systems couple fully
    wide_a = pd.DataFrame({"110000": [0.4]}, index=[2020])
    wide_b = pd.DataFrame({"110000": [0.8]}, index=[2020])
    cc = CouplingCoordination({"a": wide_a, "b": wide_b})
    row = cc.table.iloc[0]
    assert row["t"] == pytest.approx(0.6) and row["d"] == pytest.approx(np.sqrt(np.sqrt(0.3) * 0.6))
    assert row["c_traditional"] == pytest.approx(2 * np.sqrt(0.32) / 1.2)
    assert row["class_en"] == "barely coordinated" and row["class_zh"] == "勉强协调"  # D = 0.573
    assert row["lagging"] == "a"
    np.testing.assert_array_equal(coordination_class(np.array([0.0, 0.099, 0.1, 0.55, 1.0])), [0, 0, 1, 5, 9])
    weighted = CouplingCoordination({"a": wide_a, "b": wide_b}, weights={"a": 0.25, "b": 0.75})
    assert weighted.table["t"].iloc[0] == pytest.approx(0.7)
    with pytest.raises(RegionalError, match="at least two"):
        CouplingCoordination({"a": wide_a})
    with pytest.raises(RegionalError, match="sum to 1"):
        CouplingCoordination({"a": wide_a, "b": wide_b}, weights={"a": 0.5, "b": 0.6})


def test_real_nqpf_hqd_coupling(panel: Panel) -> None:
    nq = build_index("nqpf-technology-economy-industry@1.0", panel)
    hq = build_index("hqd-four-channels@1.0", panel)
    cc = CouplingCoordination({"nqpf": nq, "hqd": hq})
    t = cc.table
    assert sorted(t["year"].unique()) == list(range(2010, 2021))  # the shared years
    assert any("2021..2022" in n for n in cc.notes)
    assert len(t) == 11 * 31 and t["d"].between(0, 1).all()
    # the traditional formula crowds near 1 and discriminates less than the corrected one
    assert t["c_traditional"].mean() > t["c"].mean() and t["c_traditional"].std() < t["c"].std()
    last = t[t["year"] == 2020].set_index("region_code")
    assert last["d"].idxmax() in {"110000", "310000", "440000"}
    assert last.loc["110000", "class_zh"] in {"良好协调", "优质协调", "中级协调"}
    assert t.groupby("year")["d"].mean().is_monotonic_increasing or (
        t.groupby("year")["d"].mean().iloc[-1] > t.groupby("year")["d"].mean().iloc[0])


def test_obstacle_by_hand(tmp_path: Path) -> None:
    res = toy_index(tmp_path)  # tests/frameworks_toy.py: three regions, two years, three variables
    w = effective_weights(res.weights, res.indicators)
    assert w.to_dict() == pytest.approx({"i_a": 0.25, "i_b": 0.25, "i_ca": 0.5})
    ob = ObstacleDegree(res)
    cell = ob.indicators[(ob.indicators["year"] == 2020) & (ob.indicators["region_code"] == "120000")]
    got = cell.set_index("indicator")["obstacle"]
    # normalised 2020, region 120000: a .25, b 2/3, c/a 0 -> deviations .75, 1/3, 1
    f = np.array([0.25 * 0.75, 0.25 / 3, 0.5 * 1.0])
    assert got.to_dict() == pytest.approx(dict(zip(["i_a", "i_b", "i_ca"], 100 * f / f.sum(), strict=True)))
    assert cell.set_index("indicator")["rank"]["i_ca"] == 1
    dims = ob.dimensions[(ob.dimensions["year"] == 2020) & (ob.dimensions["region_code"] == "120000")]
    assert dims.set_index("dimension")["obstacle"]["d2"] == pytest.approx(100 * f[2] / f.sum())
    # region 110000 in 2020: a = 0 is the only shortfall -> i_a holds 100%
    first = ob.indicators[(ob.indicators["year"] == 2020) & (ob.indicators["region_code"] == "110000")]
    assert first.set_index("indicator")["obstacle"]["i_a"] == pytest.approx(100.0)


def test_real_obstacles_and_run_folder(panel: Panel, tmp_path: Path) -> None:
    from nqpf.runs import write_run as write_result

    res = build_index("nqpf-three-elements@1.0", panel)
    ob = ObstacleDegree(res)
    assert effective_weights(res.weights, res.indicators).sum() == pytest.approx(1.0)
    sums = ob.indicators.groupby(["year", "region_code"])["obstacle"].sum()
    np.testing.assert_allclose(sums, 100.0)
    assert any("missing" in n for n in ob.notes)  # the index leaves some indicator cells missing
    top = ob.top(3)
    assert len(top) == 3 * 31 and (top["rank"] <= 3).all()
    # dimension obstacles of a region sum to 100% too (Beijing, Tibet)
    bj = ob.dimensions[(ob.dimensions["year"] == res.years[-1]) & (ob.dimensions["region_code"] == "110000")]
    xz = ob.dimensions[(ob.dimensions["year"] == res.years[-1]) & (ob.dimensions["region_code"] == "540000")]
    assert bj["obstacle"].sum() == pytest.approx(100) and xz["obstacle"].sum() == pytest.approx(100)
    # the same model read back from a run folder (six decimals) agrees to 1e-4 %
    write_result(res, tmp_path, html=False)
    back = ObstacleDegree(load_run(tmp_path / res.framework.id))
    np.testing.assert_allclose(back.indicators["obstacle"], ob.indicators["obstacle"], atol=1e-3)
    with pytest.raises(RegionalError, match="index result"):
        ObstacleDegree(pd.DataFrame({"110000": [1.0]}))
    z = res.regenerate(normalisation="zscore")
    with pytest.raises(RegionalError, match="normalised to"):
        ObstacleDegree(z)

"""Framework versions: the shipped 2.0 frameworks reach 2023 on panel + raw + extension, every
cell within 2 years of an observation; version 1.0 stays loadable by ``id@version``."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from nqpf.data.store import Store
from nqpf.errors import FrameworkError
from nqpf.frameworks import Indicator, Node, list_frameworks, list_versions, load_framework
from nqpf.frameworks.coverage import fill_distance, real_share
from nqpf.frameworks.spec import SHIPPED_DIR, VERSIONS_DIR
from nqpf.index.build import IndexResult, build_index
from nqpf.panel import Panel
from nqpf.regions import REGISTRY

SHIPPED = ["hqd-four-channels", "nqpf-technology-economy-industry", "nqpf-three-elements"]
LEADERS = {"110000", "310000", "440000", "320000", "330000"}  # Beijing, Shanghai, Guangdong, Jiangsu, Zhejiang
MAX_GAP = 2  # years: the engine's default extrapolation limit


@pytest.fixture(scope="module")
def store_panel(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Panel:
    """The real store: panel + raw exports, then the extension as a later (newer) import."""
    path = tmp_path_factory.mktemp("versions") / "s.duckdb"
    with Store(path) as st:
        st.import_files([data_dir / "panel", data_dir / "raw"], progress=False)
        st.import_files(sorted(p for p in (data_dir / "extension").glob("*.csv") if p.name != "variables.csv"),
                        progress=False)
        return st.panel()


@pytest.fixture(scope="module")
def results(store_panel: Panel) -> dict[str, IndexResult]:
    return {fid: build_index(fid, store_panel) for fid in SHIPPED}


def _span(years: list[int]) -> str:
    """``[2010, 2012, 2013]`` -> ``"2010, 2012-2013"``."""
    out, start = [], years[0]
    for a, b in zip(years, [*years[1:], None], strict=True):
        if b != a + 1:
            out.append(str(a) if a == start else f"{start}-{a}")
            start = b if b is not None else a
    return ", ".join(out)


# ------------------------------------------------------------------------------ versions
def test_versions_listed_and_loadable_by_name() -> None:
    for fid in SHIPPED:
        assert list_versions(fid) == ["1.0", "2.0"]
        latest, old = load_framework(fid), load_framework(f"{fid}@1.0")
        assert (latest.version, old.version) == ("2.0", "1.0")
        assert (latest.ref, old.ref) == (f"{fid}@2.0", f"{fid}@1.0")
        assert load_framework(f"{fid}@2.0").to_dict() == latest.to_dict()
        assert old.source_path == VERSIONS_DIR / f"{fid}@1.0.yaml"
    assert list_frameworks() == SHIPPED  # versions do not show up as frameworks of their own


def test_version_1_is_the_published_file() -> None:
    # byte-for-byte the 1.0 indicators: the 1.0 three-elements index is the 2011-2019 one
    old = load_framework("nqpf-three-elements@1.0")
    assert [i.id for i in old.indicators] == [
        "avg_years_schooling", "higher_ed_students", "researchers_per_10k", "average_wage", "rd_to_gdp",
        "invention_patents_per_10k", "tech_market_to_gdp", "energy_intensity", "hitech_revenue_to_gdp",
        "hitech_enterprise_density", "co2_intensity"]
    assert old.indicators[3].formula == "average_wage_urban_units"


def test_unknown_version_is_a_clear_error() -> None:
    with pytest.raises(FrameworkError, match=r"'hqd-four-channels' has no version '3\.0'; shipped versions: 1\.0, 2\.0"):
        load_framework("hqd-four-channels@3.0")
    with pytest.raises(FrameworkError, match=r"not a shipped id.*did you mean hqd-four-channels"):
        load_framework("hqd-four-channel@1.0")
    with pytest.raises(FrameworkError, match="no shipped framework 'nope'"):
        list_versions("nope")


def test_sources_must_match_the_formula(tmp_path: Path) -> None:
    body = """\
id: t
name_en: T
name_zh: 测试
root:
  id: top
  name_en: Top
  name_zh: 顶
  children:
    - id: a
      name_en: A
      name_zh: 甲
      formula: rd_expenditure / gdp
      unit: x
      direction: +1
      sources:
        - {variable: rd_expenditure, source: techme, years: 2010-2023, unit: 10k yuan}
        - {variable: population, source: pypsa_nbs, years: 2010-2024, colour: red}
"""
    p = tmp_path / "t.yaml"
    p.write_text(body, encoding="utf-8")
    with pytest.raises(FrameworkError) as info:
        load_framework(p)
    msg = str(info.value)
    assert "indicator 'a': sources lists no entry for variable 'gdp' of its formula" in msg
    assert "indicator 'a': sources names 'population', which its formula 'rd_expenditure / gdp' does not read" in msg
    assert "unknown key 'colour'" in msg


# ------------------------------------------------------------------- metadata on real data
@pytest.mark.parametrize("fid", SHIPPED)
def test_every_indicator_names_sources_years_unit_literature(fid: str, store_panel: Panel) -> None:
    fw = load_framework(fid)
    fw.validate(store_panel.variables)
    assert fw.version == "2.0" and fw.source_path == SHIPPED_DIR / f"{fid}.yaml"
    assert all(isinstance(d, Node) and len(d.children) >= 3 for d in fw.root.children)
    assert all(isinstance(i, Indicator) for d in fw.root.children for i in d.children)
    cube = fw.evaluate(store_panel, years=list(range(2005, 2026)))
    obs = store_panel.observations
    obs = obs[obs["region_code"] != "100000"]
    for k, ind in enumerate(fw.indicators):
        assert ind.unit and ind.rationale and ind.reference and re.search(r"\(\d{4}\)", ind.reference), ind.id
        # the stated years are the years in which the indicator is observed
        seen = [y for t, y in enumerate(cube.years) if not np.isnan(cube.values[t, :, k]).all()]
        assert ind.years == _span(seen), ind.id
        # one source entry per formula variable, with its unit and years as stored
        assert {e["variable"] for e in ind.sources} == fw.references_of(ind)[1], ind.id
        for e in ind.sources:
            assert e["unit"] == store_panel.unit(e["variable"]), (ind.id, e)
            years = sorted(obs.loc[obs["variable"] == e["variable"], "year"].unique().tolist())
            assert e["years"].split(" (")[0] == _span(years), (ind.id, e)


# --------------------------------------------------------------------- windows and facts
@pytest.mark.parametrize("fid", SHIPPED)
def test_default_window_reaches_2023_with_no_long_fill(fid: str, results: dict[str, IndexResult],
                                                       store_panel: Panel) -> None:
    res = results[fid]
    assert res.framework.version == "2.0"
    assert res.years == list(range(2016, 2024)), res.years
    assert res.raw.shape == (8, 31, len(res.framework.indicators))
    assert res.regions == [r.code for r in REGISTRY.provinces()]
    assert res.screened_out.empty
    # every (region, indicator) has an observation within 2 years of every window year; the
    # observations may lie outside the window (the whole panel history counts)
    full = res.framework.evaluate(store_panel, years=list(range(res.years[0] - MAX_GAP, res.years[-1] + MAX_GAP + 1)))
    seen = ~np.isnan(full.values)
    for t, year in enumerate(res.years):
        near = seen[t : t + 2 * MAX_GAP + 1].any(axis=0)  # years year-2 .. year+2
        gaps = [(full.regions[r], full.variables[k]) for r, k in zip(*np.where(~near), strict=True)]
        assert gaps == [], (year, gaps)
    # the raw cube is the evaluated cube on the window, and only cells missing there are imputed
    np.testing.assert_array_equal(res.raw, full.values[MAX_GAP:-MAX_GAP])
    assert (res.imputed == np.isnan(res.raw)).all()


@pytest.mark.parametrize("fid", SHIPPED)
def test_latest_year_leaders_and_regional_order(fid: str, results: dict[str, IndexResult]) -> None:
    res = results[fid]
    rk = res.ranking(2023)
    assert set(rk["region_code"].head(8)) >= LEADERS, rk.head(8)
    assert rk["region_code"].iloc[0] == "110000"  # Beijing first
    means = res.group_means("nbs4").loc[2023]
    assert means["east"] > means["central"] > means["west"], means
    # and in every year of the window
    allm = res.group_means("nbs4")
    assert ((allm["east"] > allm["central"]) & (allm["central"] > allm["west"])).all()


# ------------------------------------------------------------------ share of real cells
def test_fill_distance_hand_worked() -> None:
    # one region, three series over 2015-2020: observed 2015 and 2018; only 2020; never
    a = np.array([1.0, np.nan, np.nan, 2.0, np.nan, np.nan])
    b = np.array([np.nan] * 5 + [3.0])
    c = np.full(6, np.nan)
    cube = np.stack([a, b, c], axis=-1)[:, None, :]
    d = fill_distance(cube, range(2015, 2021))[:, 0, :]
    np.testing.assert_array_equal(d[:, 0], [0, 1, 1, 0, 1, 2])
    np.testing.assert_array_equal(d[:, 1], [5, 4, 3, 2, 1, 0])
    assert np.isinf(d[:, 2]).all()
    # uneven years: the distance is in years, not in positions
    np.testing.assert_array_equal(fill_distance(np.array([1.0, np.nan, 2.0])[:, None, None], [2010, 2013, 2020])[:, 0, 0],
                                  [0, 3, 0])


@pytest.mark.parametrize(("fid", "shares"), [
    # per year 2016-2023: 2017 lacks the high-tech series, 2020 the census-year schooling,
    # 2023 the series ending 2022 (schooling, students, SCI papers / tertiary ratio)
    ("nqpf-three-elements", [433 / 434, 12 / 14, 1, 1, 13 / 14, 1, 1, 12 / 14]),
    ("nqpf-technology-economy-industry", [650 / 651, 17 / 21, 1, 1, 20 / 21, 1, 1, 18 / 21]),
    ("hqd-four-channels", [495 / 496, 15 / 16, 1, 1, 1, 1, 1, 436 / 496]),
])
def test_real_share_per_year(fid: str, shares: list[float], store_panel: Panel) -> None:
    tab = real_share(load_framework(fid), store_panel, range(2016, 2024))
    assert tab["year"].tolist() == list(range(2016, 2024))
    np.testing.assert_allclose(tab["share_real"], shares)
    assert (tab["n_fill_beyond"] == 0).all() and tab["max_fill_distance"].max() == 1
    # version 1.0 over 2012-2019 on the same data needs fills further than 2 years: Tibet's
    # technology market (none before 2017) and, in two of them, Tibet's CO2 (never observed)
    old = real_share(load_framework(fid + "@1.0"), store_panel, range(2012, 2020))
    assert old["max_fill_distance"].max() > MAX_GAP and old["n_fill_beyond"].sum() > 0
    assert np.isinf(old["max_fill_distance"]).all() == (fid != "nqpf-technology-economy-industry")

"""Indicator frameworks: the shipped YAML files on the real panel, and every validation error."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from nqpf.errors import FrameworkError
from nqpf.frameworks import (
    Framework,
    FrameworkSpecError,
    Indicator,
    Node,
    framework_from_dict,
    list_frameworks,
    load_framework,
)
from nqpf.panel import Panel
from nqpf.regions import REGISTRY

SHIPPED = ["hqd-four-channels", "nqpf-technology-economy-industry", "nqpf-three-elements"]
# The tests below pin version 1.0 of each shipped framework on the panel alone (the published
# 2011-2019 indices); version 2.0 on panel + extension is tested in test_framework_versions.py.
V1 = "1.0"
PROVINCES = [r.code for r in REGISTRY.provinces()]


# ------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def rows(data_dir: Path) -> pd.DataFrame:
    return pd.read_csv(data_dir / "panel/provinces.csv", dtype={"region_code": str})


@pytest.fixture(scope="module")
def catalog(data_dir: Path) -> pd.DataFrame:
    return pd.read_csv(data_dir / "panel/variables.csv")


@pytest.fixture(scope="module")
def panel(rows: pd.DataFrame, catalog: pd.DataFrame) -> Panel:
    return Panel(rows, catalog)


@pytest.fixture(scope="module")
def cubes(panel: Panel) -> dict[str, tuple[Framework, object]]:
    out = {}
    for name in SHIPPED:
        fw = load_framework(f"{name}@{V1}")
        out[name] = (fw, fw.evaluate(panel))
    return out


def raw(rows: pd.DataFrame, region: str, year: int, variable: str) -> float:
    """One value straight from the provinces.csv rows (NaN when the row is absent)."""
    hit = rows[(rows.region_code == region) & (rows.year == year) & (rows.variable == variable)]
    assert len(hit) <= 1
    return float(hit.value.iloc[0]) if len(hit) else float("nan")


def cell(cubes: dict, name: str, indicator: str, region: str, year: int) -> float:
    _, cube = cubes[name]
    return float(cube.values[cube.years.index(year), cube.regions.index(region), cube.variables.index(indicator)])


# ----------------------------------------------------------------------- shipped files
def test_list_frameworks_has_the_three_shipped() -> None:
    assert list_frameworks() == SHIPPED


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_framework_is_complete_and_valid(name: str, catalog: pd.DataFrame) -> None:
    fw = load_framework(f"{name}@{V1}")
    assert fw.id == name and fw.version == V1 and fw.source_path is not None
    assert fw.source_path.name == f"{name}@{V1}.yaml"
    fw.validate(catalog["variable"])
    fw.validate(catalog)  # a catalog DataFrame is accepted too
    assert fw.name_en and fw.name_zh and fw.description and fw.version and fw.references
    assert fw.variables() <= set(catalog["variable"])
    ids = [i.id for i in fw.indicators]
    assert len(ids) == len(set(ids)) >= 11
    for ind in fw.indicators:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", ind.id), ind.id
        assert ind.name_en and re.search(r"[\u4e00-\u9fff]", ind.name_zh), ind.id
        assert ind.unit and ind.rationale and ind.reference, ind.id
        assert ind.direction in (1, -1)
    # uniform depth: root -> dimensions -> indicators, every dimension with >= 3 indicators
    assert all(isinstance(d, Node) and len(d.children) >= 3 for d in fw.root.children)
    assert all(isinstance(i, Indicator) for d in fw.root.children for i in d.children)
    assert len(fw.not_covered) >= 5
    for entry in fw.not_covered:
        assert {"name_en", "name_zh", "why", "reference"} <= set(entry)


def test_three_elements_structure() -> None:
    fw = load_framework(f"nqpf-three-elements@{V1}")
    assert [d.id for d in fw.root.children] == ["laborers", "means_of_labor", "objects_of_labor"]
    assert [d.name_zh for d in fw.root.children] == ["新型劳动者", "新型劳动资料", "新型劳动对象"]
    costs = {i.id for i in fw.indicators if i.direction == -1}
    assert costs == {"energy_intensity", "co2_intensity"}


def test_four_channels_structure() -> None:
    fw = load_framework(f"hqd-four-channels@{V1}")
    assert [d.id for d in fw.root.children] == [
        "growth_quality", "industrial_upgrading", "innovation_capability", "living_standards"]
    costs = {i.id for i in fw.indicators if i.direction == -1}
    assert costs == {"energy_intensity", "co2_intensity", "unemployment_rate"}
    assert "life_expectancy" not in fw.variables()
    assert any("Life expectancy" in e["name_en"] for e in fw.not_covered)


@pytest.mark.parametrize("name", SHIPPED)
def test_cube_shape_and_axes(name: str, cubes: dict, panel: Panel) -> None:
    fw, cube = cubes[name]
    assert cube.values.shape == (len(panel.years), 31, len(fw.indicators))
    assert cube.regions == PROVINCES
    assert cube.years == panel.years == list(range(2010, 2025))
    assert cube.variables == [i.id for i in fw.indicators]


# The only gaps in 2012-2019, as number of missing province-years per indicator. Every other
# indicator is complete for all 31 provinces in every year 2012-2019.
EXPECTED_GAPS_2012_2019 = {
    "nqpf-three-elements": {
        "tech_market_to_gdp": 5,  # Tibet 2012-2016 (no outflow turnover)
        "energy_intensity": 8,  # Tibet
        "co2_intensity": 8,  # Tibet (CEADs covers 30 provinces)
        "hitech_revenue_to_gdp": 31,  # 2017 absent for all
        "hitech_enterprise_density": 31,  # 2017 absent for all
    },
    "nqpf-technology-economy-industry": {
        "tech_market_to_gdp": 5,
        "enterprise_rd_share": 1,  # Beijing 2012
        "hitech_revenue_to_gdp": 31,
        "hitech_enterprise_density": 31,
        "hitech_revenue_per_enterprise": 31,
    },
    "hqd-four-channels": {
        "energy_intensity": 8,
        "co2_intensity": 8,
        "hitech_revenue_to_gdp": 31,
        "disposable_income": 31,  # 2012 (series starts 2013)
    },
}


@pytest.mark.parametrize("name", SHIPPED)
def test_coverage_2012_2019(name: str, cubes: dict) -> None:
    _, cube = cubes[name]
    sel = [cube.years.index(y) for y in range(2012, 2020)]
    missing = np.isnan(cube.values[sel]).sum(axis=(0, 1))
    gaps = {k: int(m) for k, m in zip(cube.variables, missing, strict=True) if m}
    assert gaps == EXPECTED_GAPS_2012_2019[name]
    # every indicator has a value for all 31 provinces in some year
    assert np.all((~np.isnan(cube.values)).any(axis=0).sum(axis=0) >= 30)
    tibet = cube.regions.index("540000")
    for k in ("co2_intensity", "energy_intensity"):
        if k in cube.variables:
            j = cube.variables.index(k)
            assert np.isnan(cube.values[sel, tibet, j]).all()
    if "co2_intensity" in cube.variables:  # CEADs has no Tibet at all
        assert np.isnan(cube.get("co2_intensity")[:, tibet]).all()


# ------------------------------------------------------------------ hand-checked values
def test_rd_to_gdp_beijing_2020_below_published_intensity(rows: pd.DataFrame, cubes: dict) -> None:
    rd = raw(rows, "110000", 2020, "rd_expenditure")  # 10k yuan
    gdp = raw(rows, "110000", 2020, "gdp")  # 100 million yuan
    assert (rd, gdp) == (23265793.0, 38503.6)
    by_hand = rd * 1e4 / (gdp * 1e8) * 100  # yuan / yuan in %
    assert by_hand == pytest.approx(6.0425, abs=1e-4)
    for name in ("nqpf-three-elements", "nqpf-technology-economy-industry", "hqd-four-channels"):
        assert cell(cubes, name, "rd_to_gdp", "110000", 2020) == pytest.approx(by_hand, rel=1e-12)
    published = raw(rows, "110000", 2020, "rd_intensity")
    assert published == 6.44
    assert 5.9 < by_hand < published  # gdp was revised upwards (CHECKS.md)


def test_rd_to_gdp_jiangsu_2023(rows: pd.DataFrame, cubes: dict) -> None:
    by_hand = raw(rows, "320000", 2023, "rd_expenditure") * 1e4 / (raw(rows, "320000", 2023, "gdp") * 1e8) * 100
    assert by_hand == pytest.approx(42122900.0 / 130924.3 / 100)
    assert cell(cubes, "nqpf-three-elements", "rd_to_gdp", "320000", 2023) == pytest.approx(by_hand)


def test_per_resident_indicators_by_hand(rows: pd.DataFrame, cubes: dict) -> None:
    pop = raw(rows, "110000", 2020, "population") * 1e4  # persons
    patents = raw(rows, "110000", 2020, "valid_invention_patents")
    assert cell(cubes, "nqpf-three-elements", "invention_patents_per_10k", "110000", 2020) == pytest.approx(
        patents / pop * 1e4)
    assert patents / pop * 1e4 == pytest.approx(335575 / 2189, rel=1e-9)  # ~153.3 per 10k
    gd_pop = raw(rows, "440000", 2019, "population") * 1e4
    ent = raw(rows, "440000", 2019, "hitech_enterprises")
    assert cell(cubes, "nqpf-three-elements", "hitech_enterprise_density", "440000", 2019) == pytest.approx(
        ent / gd_pop * 1e6)  # per million residents, ~76.4
    gdp_yuan = raw(rows, "440000", 2019, "gdp") * 1e8
    assert cell(cubes, "hqd-four-channels", "gdp_per_resident", "440000", 2019) == pytest.approx(gdp_yuan / gd_pop)
    edu = raw(rows, "620000", 2016, "budget_expenditure_education") * 1e8
    gs_pop = raw(rows, "620000", 2016, "population") * 1e4
    assert cell(cubes, "hqd-four-channels", "education_spending_per_capita", "620000", 2016) == pytest.approx(
        edu / gs_pop)


def test_co2_and_hitech_ratios_by_hand(rows: pd.DataFrame, cubes: dict) -> None:
    co2_t = raw(rows, "440000", 2019, "co2_emissions") * 1e6  # Mt -> t
    gdp_10k = raw(rows, "440000", 2019, "gdp") * 1e4  # 100 million yuan -> 10k yuan
    assert co2_t / gdp_10k == pytest.approx(0.5152, abs=1e-4)
    for name in ("nqpf-three-elements", "hqd-four-channels"):
        assert cell(cubes, name, "co2_intensity", "440000", 2019) == pytest.approx(co2_t / gdp_10k)
    rev = raw(rows, "440000", 2019, "hitech_revenue")
    assert cell(cubes, "nqpf-three-elements", "hitech_revenue_to_gdp", "440000", 2019) == pytest.approx(
        rev / raw(rows, "440000", 2019, "gdp") * 100)
    assert cell(cubes, "nqpf-technology-economy-industry", "hitech_revenue_per_enterprise", "440000", 2019) == \
        pytest.approx(46723.0 / 9542.0)
    # no high-tech data in 2017 for anyone
    _, cube = cubes["nqpf-three-elements"]
    assert np.isnan(cube.get("hitech_revenue_to_gdp")[cube.years.index(2017)]).all()


def test_shares_growth_and_weighted_means_by_hand(rows: pd.DataFrame, cubes: dict) -> None:
    sci = raw(rows, "520000", 2016, "budget_expenditure_science")
    tot = raw(rows, "520000", 2016, "budget_expenditure_total")
    assert cell(cubes, "nqpf-technology-economy-industry", "science_budget_share", "520000", 2016) == \
        pytest.approx(sci / tot * 100) == pytest.approx(69.3 / 4262.36 * 100)
    assert cell(cubes, "hqd-four-channels", "real_gdp_growth", "520000", 2016) == pytest.approx(10.5)
    u = raw(rows, "310000", 2020, "urbanization_rate") / 100
    inc = u * raw(rows, "310000", 2020, "disposable_income_urban") + (1 - u) * raw(
        rows, "310000", 2020, "disposable_income_rural")
    assert cell(cubes, "hqd-four-channels", "disposable_income", "310000", 2020) == pytest.approx(inc)
    assert inc == pytest.approx(0.893 * 76437.26 + 0.107 * 34911.28)
    ent = raw(rows, "330000", 2018, "rd_funds_enterprise") / raw(rows, "330000", 2018, "rd_expenditure") * 100
    assert cell(cubes, "nqpf-technology-economy-industry", "enterprise_rd_share", "330000", 2018) == pytest.approx(ent)
    ratio = raw(rows, "460000", 2015, "tertiary_share") / raw(rows, "460000", 2015, "secondary_share")
    assert cell(cubes, "hqd-four-channels", "tertiary_to_secondary", "460000", 2015) == pytest.approx(ratio)


def test_missing_inputs_give_nan(rows: pd.DataFrame, cubes: dict) -> None:
    assert np.isnan(raw(rows, "540000", 2015, "tech_market_outflow_value"))
    assert np.isnan(cell(cubes, "nqpf-three-elements", "tech_market_to_gdp", "540000", 2015))
    assert np.isnan(cell(cubes, "nqpf-three-elements", "average_wage", "110000", 2020))
    assert cell(cubes, "nqpf-three-elements", "average_wage", "110000", 2019) == raw(
        rows, "110000", 2019, "average_wage_urban_units")


def test_evaluate_selects_years_and_region_aliases(panel: Panel, cubes: dict) -> None:
    fw, full = cubes["hqd-four-channels"]
    sub = fw.evaluate(panel, years=[2019, 2020], regions=["Beijing", "上海市", "440000"])
    assert sub.years == [2019, 2020] and sub.regions == ["110000", "310000", "440000"]
    t = [full.years.index(2019), full.years.index(2020)]
    r = [full.regions.index(c) for c in sub.regions]
    np.testing.assert_array_equal(sub.values, full.values[np.ix_(t, r)])
    future = fw.evaluate(panel, years=[2030])
    assert future.years == [2030] and np.isnan(future.values).all()


# -------------------------------------------------------------- user-written frameworks
HEADER = """\
id: test-fw
name_en: Test framework
name_zh: 测试框架
version: "0.1"
description: a test
"""


def write(tmp_path: Path, body: str, header: str = HEADER, name: str = "fw.yaml") -> Path:
    path = tmp_path / name
    path.write_text(header + textwrap.dedent(body), encoding="utf-8")
    return path


def ind(id_: str, formula: str, direction: str = "+1", extra: str = "") -> str:
    d = f"\n          direction: {direction}" if direction else ""
    return f"""
        - id: {id_}
          name_en: {id_} en
          name_zh: 指标{id_}
          formula: "{formula}"
          unit: u{d}{extra}"""


def tree(*children: str, dim: str = "dim_a") -> str:
    return f"""
root:
  id: test_index
  name_en: Test index
  name_zh: 测试指数
  children:
    - id: {dim}
      name_en: Dimension
      name_zh: 维度
      children:{''.join(children)}
"""


def test_user_framework_with_growth_lag_and_derived_reference(tmp_path: Path, panel: Panel, rows: pd.DataFrame) -> None:
    path = write(tmp_path, tree(
        ind("gdp_growth", "growth(gdp)"),
        ind("gdp_pc", "gdp / population * 10000"),
        ind("gdp_pc_k", "gdp_pc / 1000"),  # reads another indicator
        ind("hitech_growth", "growth(hitech_revenue)"),
        ind("population", "population"),  # id = variable with the identity formula is fine
        ind("gdp_lag2", "lag(gdp, 2)"),
    ))
    fw = load_framework(path)
    assert fw.variables() == {"gdp", "population", "hitech_revenue"}
    cube = fw.evaluate(panel, years=[2010, 2011, 2016, 2018, 2019], regions=["320000"])
    g = cube.get("gdp_growth")[:, 0]
    assert np.isnan(g[0])  # 2010: no 2009 in the panel
    assert g[1] == pytest.approx(100 * (raw(rows, "320000", 2011, "gdp") / raw(rows, "320000", 2010, "gdp") - 1))
    # history before the first requested year is used: 2016 growth needs 2015
    assert g[2] == pytest.approx(100 * (raw(rows, "320000", 2016, "gdp") / raw(rows, "320000", 2015, "gdp") - 1))
    h = cube.get("hitech_growth")[:, 0]
    assert np.isfinite(h[2])  # 2016 vs 2015
    assert np.isnan(h[3])  # 2018 vs 2017: no 2017 hitech data, never a 2016->2018 change
    assert np.isfinite(h[4])
    np.testing.assert_allclose(cube.get("gdp_pc_k"), cube.get("gdp_pc") / 1000)
    assert cube.get("gdp_lag2")[4, 0] == raw(rows, "320000", 2017, "gdp")
    assert cube.get("population")[4, 0] == raw(rows, "320000", 2019, "population")


def test_tree_frame_and_parent_of(tmp_path: Path) -> None:
    body = tree(ind("a", "gdp"), ind("b", "population", "-1", "\n          weight: 2"))
    fw = load_framework(write(tmp_path, body))
    tf = fw.tree_frame()
    assert list(tf.columns[:10]) == ["node", "parent", "level", "kind", "name_en", "name_zh", "weight",
                                     "direction", "unit", "formula"]
    assert tf["node"].tolist() == ["test_index", "dim_a", "a", "b"]
    assert tf["kind"].tolist() == ["index", "dimension", "indicator", "indicator"]
    assert tf["level"].tolist() == [0, 1, 2, 2]
    assert pd.isna(tf["parent"][0]) and tf["parent"].tolist()[1:] == ["test_index", "dim_a", "dim_a"]
    assert np.isnan(tf["direction"][0]) and tf["direction"].tolist()[2:] == [1.0, -1.0]
    assert np.isnan(tf["weight"][2]) and tf["weight"][3] == 2.0
    assert tf["formula"].tolist()[2:] == ["gdp", "population"]
    assert [n.id for n in fw.nodes] == ["test_index", "dim_a"]
    assert fw.parent_of("b") == "dim_a" and fw.parent_of("test_index") is None
    with pytest.raises(KeyError):
        fw.parent_of("zzz")


def test_direction_words_are_accepted(tmp_path: Path) -> None:
    fw = load_framework(write(tmp_path, tree(ind("a", "gdp", "cost"), ind("b", "gdp", "benefit"),
                                             ind("c", "gdp", "-1"), ind("d", "gdp", "1.0"))))
    assert [i.direction for i in fw.indicators] == [-1, 1, -1, 1]


@pytest.mark.parametrize("name", SHIPPED + [f"{n}@{V1}" for n in SHIPPED])
def test_to_dict_round_trips(name: str) -> None:
    fw = load_framework(name)
    doc = fw.to_dict()
    again = framework_from_dict(yaml.safe_load(yaml.safe_dump(doc, allow_unicode=True)))
    assert again.to_dict() == doc
    assert again.tree_frame().equals(fw.tree_frame())


def problems_of(exc: pytest.ExceptionInfo[FrameworkError]) -> list[str]:
    assert isinstance(exc.value, FrameworkSpecError)
    return exc.value.problems


def test_unknown_variable_with_suggestion(tmp_path: Path, catalog: pd.DataFrame) -> None:
    path = write(tmp_path, tree(ind("rd_int", "rd_expenditur / gdpp / 100")))
    fw = load_framework(path)  # structure is fine; the catalog check comes with validate()
    with pytest.raises(FrameworkError) as info:
        fw.validate(catalog["variable"])
    msg = str(info.value)
    assert str(path) in msg and "'rd_int'" in msg
    assert "unknown variable 'rd_expenditur'" in msg and "did you mean 'rd_expenditure'" in msg
    assert "unknown variable 'gdpp'" in msg and "'gdp'" in msg
    assert len(problems_of(info)) == 2


def test_evaluate_on_a_panel_without_the_variable(tmp_path: Path, panel: Panel) -> None:
    fw = load_framework(write(tmp_path, tree(ind("x", "no_such_variable * 2"))))
    with pytest.raises(FrameworkError, match=r"indicator 'x': unknown variable 'no_such_variable'"):
        fw.evaluate(panel)


def test_duplicate_id(tmp_path: Path) -> None:
    path = write(tmp_path, tree(ind("a", "gdp"), ind("a", "population")))
    with pytest.raises(FrameworkError) as info:
        load_framework(path)
    assert str(path) in str(info.value)
    assert problems_of(info) == ["indicator 'a': duplicate id (at test_index > dim_a > a and at test_index > dim_a > a)"]


def test_cycle_among_formulas(tmp_path: Path) -> None:
    path = write(tmp_path, tree(ind("a", "b * 2"), ind("b", "c / 2"), ind("c", "a + gdp"), ind("d", "gdp")))
    with pytest.raises(FrameworkError, match=r"cycle among formulas \(a -> b -> c -> a\)") as info:
        load_framework(path)
    assert str(path) in str(info.value) and len(problems_of(info)) == 1


def test_self_reference_means_the_variable_not_a_cycle(tmp_path: Path, catalog: pd.DataFrame) -> None:
    fw = load_framework(write(tmp_path, tree(ind("gdp", "gdp"))))
    fw.validate(catalog["variable"])


def test_node_repeated_in_its_own_subtree(tmp_path: Path) -> None:
    body = """
root:
  id: top
  name_en: Top
  name_zh: 顶层
  children:
    - id: dim_a
      name_en: A
      name_zh: 甲
      children:
        - id: dim_a
          name_en: A again
          name_zh: 甲又
          children:""" + textwrap.indent(ind("x", "gdp"), "    ")
    path = write(tmp_path, body)
    with pytest.raises(FrameworkError, match=r"node 'dim_a': cycle, the id repeats inside its own subtree \(top > dim_a > dim_a\)"):
        load_framework(path)


def test_yaml_alias_that_contains_itself(tmp_path: Path) -> None:
    body = """
root: &top
  id: top
  name_en: Top
  name_zh: 顶层
  children:
    - *top
"""
    # aliases are refused before any structure is built (no alias bombs, no self-containing nodes)
    with pytest.raises(FrameworkError, match=r"YAML aliases \(\*top\) are not accepted"):
        load_framework(write(tmp_path, body))


def test_programmatic_node_cycle_is_caught() -> None:
    leaf = Indicator("x", "X", "叉", "gdp", "u", 1)
    dim = Node("d", "D", "丁", [leaf])
    dim.children.append(dim)
    fw = Framework("p", "P", "丙", "", "1", Node("r", "R", "根", [dim]))
    with pytest.raises(FrameworkError, match=r"node 'd': cycle"):
        fw.validate()
    assert [i.id for i in fw.indicators] == ["x"]  # walking does not recurse forever


def test_missing_and_invalid_direction(tmp_path: Path) -> None:
    path = write(tmp_path, tree(ind("a", "gdp", direction=""), ind("b", "gdp", direction="up")))
    with pytest.raises(FrameworkError) as info:
        load_framework(path)
    assert problems_of(info) == [
        "indicator 'a': missing direction (use +1 benefit or -1 cost)",
        "indicator 'b': invalid direction 'up' (use +1 benefit or -1 cost)",
    ]
    assert str(path) in str(info.value)


def test_formula_syntax_error(tmp_path: Path) -> None:
    path = write(tmp_path, tree(ind("bad", "gdp / (population"), ind("ok", "gdp")))
    with pytest.raises(FrameworkError, match=r"indicator 'bad': formula 'gdp / \(population': syntax error") as info:
        load_framework(path)
    assert str(path) in str(info.value) and len(problems_of(info)) == 1


def test_forbidden_construct_in_formula(tmp_path: Path) -> None:
    path = write(tmp_path, tree(ind("evil", "__import__('os').system('true')"), ind("attr", "gdp.real"),
                                ind("fn", "max(gdp, population)")))
    with pytest.raises(FrameworkError) as info:
        load_framework(path)
    p = problems_of(info)
    assert p[0].startswith("indicator 'evil': formula") and "forbidden call" in p[0]
    assert p[1].startswith("indicator 'attr': formula") and "forbidden construct Attribute" in p[1]
    assert p[2].startswith("indicator 'fn': formula") and "unknown function 'max'" in p[2]


def test_empty_dimension_and_missing_fields_collected_together(tmp_path: Path) -> None:
    body = """
root:
  id: top
  name_en: Top
  name_zh: 顶层
  children:
    - id: empty_dim
      name_en: Empty
      name_zh: 空
      children: []
    - id: dim_b
      name_en: B
      children:
        - id: y
          name_en: Y
          name_zh: 乙
          formula: gdp
          direciton: +1
        - id: 2bad
          name_en: Z
          name_zh: 丙
          formula: gdp
          unit: u
          direction: -1
          weight: -3
"""
    path = write(tmp_path, body)
    with pytest.raises(FrameworkError) as info:
        load_framework(path)
    p = problems_of(info)
    expected = [
        "indicator 'y': unknown key 'direciton' (did you mean 'direction'?)",
        "indicator 'y': missing direction (use +1 benefit or -1 cost)",
        "node 'empty_dim': empty dimension (no children)",
        "node 'dim_b': missing name_zh",
        "indicator 'y': missing unit",
        "indicator 'y': missing direction",
        "indicator '2bad' (top > dim_b > 2bad): invalid id",
        "indicator '2bad': weight must be a finite number >= 0, got -3.0",
    ]
    for e in expected:
        assert any(x.startswith(e) for x in p), (e, p)
    assert sum("direction" in x and "'y'" in x for x in p) == 2  # unknown key + missing, no duplicate
    assert str(path) in str(info.value) and "test-fw" in str(info.value)


def test_id_shadowing_a_variable_with_another_formula(tmp_path: Path, catalog: pd.DataFrame) -> None:
    fw = load_framework(write(tmp_path, tree(ind("gdp_per_capita", "gdp / population"))))
    with pytest.raises(FrameworkError, match=r"indicator 'gdp_per_capita': the id is also a panel variable"):
        fw.validate(catalog["variable"])


def test_indicator_and_node_keys_both_or_neither(tmp_path: Path) -> None:
    body = """
root:
  id: top
  name_en: Top
  name_zh: 顶层
  children:
    - id: both
      name_en: B
      name_zh: 乙
      formula: gdp
      children: []
    - id: neither
      name_en: N
      name_zh: 丙
"""
    with pytest.raises(FrameworkError) as info:
        load_framework(write(tmp_path, body))
    p = problems_of(info)
    assert any(x.startswith("'both': has both formula") for x in p)
    assert any(x.startswith("'neither': neither formula") for x in p)


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("id: x\nname_en: [unclosed\nname_zh: y\n", encoding="utf-8")
    with pytest.raises(FrameworkError, match=r"broken.yaml: 1 problem\n  - broken.yaml: YAML syntax error at line \d+"):
        load_framework(path)


def test_missing_root_and_top_level_fields(tmp_path: Path) -> None:
    path = write(tmp_path, "not_covered:\n  - name_en: X\n", header="id: lonely\n")
    with pytest.raises(FrameworkError) as info:
        load_framework(path)
    p = problems_of(info)
    assert "framework 'lonely': missing name_en" in p
    assert "framework 'lonely': missing root (a node with children)" in p


def test_unknown_framework_name_suggests_shipped() -> None:
    with pytest.raises(FrameworkError, match=r"no framework 'nqpf-three-element'.*did you mean nqpf-three-elements"):
        load_framework("nqpf-three-element")


def test_methods_block_is_passed_through(tmp_path: Path) -> None:
    methods = "methods:\n  indicator: {normalise: zscore}\n  dimension: {weights: equal, aggregate: geometric}\n"
    fw = load_framework(write(tmp_path, methods + tree(ind("a", "gdp"))))
    assert fw.methods == {"indicator": {"normalise": "zscore"},
                          "dimension": {"weights": "equal", "aggregate": "geometric"}}

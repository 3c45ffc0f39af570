"""NBS web exports: the 11 real exports in raw/, and fixture exports written by the tests.

Expected indicators, units and years come from raw/MANIFEST.csv (written by the data bundle's
compiler, independently of this code); values are checked against panel/provinces.csv where
the panel was parsed from the same exports (see panel/variables.csv notes).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nqpf.data.importers import detect_importer, read_file
from nqpf.data.importers.nbs import indicator_id, split_indicator
from nqpf.errors import ValidationError
from nqpf.regions import REGISTRY

PROVINCES = {r.code for r in REGISTRY.provinces()}

# file -> (variable id, English unit label); the indicator text comes from MANIFEST.csv
EXPECTED = {
    "nbs_gdp_2006_2024.csv": ("nbs_gdp", "100 million yuan"),
    "nbs_population_sample_2006_2024.csv": ("nbs_sample_population", "persons"),
    "nbs_pop65_sample_2006_2024.csv": ("nbs_sample_population_65plus", "persons"),
    "nbs_urban_unit_employment_2008_2024.csv": ("nbs_employed_urban_units", "10k persons"),
    "nbs_private_individual_employment_2006_2019.csv": ("nbs_employed_private_individual", "10k persons"),
    "nbs_fai_funds_in_place_growth_2018_2024.csv": ("nbs_fai_funds_in_place_growth", "%"),
    "nbs_public_sector_professional_staff_2006_2011.csv": ("nbs_public_sector_professional_staff", "persons"),
    "nbs_en_resident_population_2004_2022.csv": ("nbs_resident_population", "10k persons"),
    "nbs_en_urban_unemployment_rate_2004_2021.csv": ("nbs_urban_unemployment_rate", "%"),
    "nbs_en_higher_edu_students_per_100k_2008_2022.csv": ("nbs_higher_ed_students_per_100k", "persons"),
    "nbs_en_education_funds_2004_2021.csv": ("nbs_education_funds", "10k yuan"),
}


@pytest.fixture(scope="module")
def manifest(data_dir: Path) -> pd.DataFrame:
    m = pd.read_csv(data_dir / "raw" / "MANIFEST.csv")
    m["name"] = m["file"].str.rsplit("/", n=1).str[-1]
    return m.set_index("name")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_export(name: str, data_dir: Path, manifest: pd.DataFrame) -> None:
    folder = "nbs_exports_en" if name.startswith("nbs_en_") else "nbs_exports"
    path = data_dir / "raw" / folder / name
    assert detect_importer(path) == "nbs"
    (batch,) = read_file(path)
    var, unit = EXPECTED[name]
    obs, cat = batch.observations, batch.variables
    assert list(cat["variable"]) == [var]
    assert cat["unit"].iloc[0] == unit
    # the indicator text of the manifest, split at its last parenthesised group
    indicator = manifest.loc[name, "indicator"]
    ind_name, _ = split_indicator(indicator)
    assert indicator in cat["notes"].iloc[0]
    assert ind_name.replace(" _", " ") in (cat["name_en"].iloc[0], cat["name_zh"].iloc[0])
    # 31 provinces, every one resolved, nothing unparseable
    assert set(obs["region_code"]) == PROVINCES
    assert (obs["raw"] == "").all() and (obs["problem"] == "").all()
    assert batch.raw_regions and set(batch.raw_regions.values()) == PROVINCES
    # the years that carry data are the manifest's
    first, last = (int(y) for y in manifest.loc[name, "years_with_data"].split("-"))
    have = obs.dropna(subset=["value"])
    assert (have["year"].min(), have["year"].max()) == (first, last)
    assert batch.provenance.importer == "nbs"


def test_gdp_values_and_cells(data_dir: Path) -> None:
    (batch,) = read_file(data_dir / "raw" / "nbs_exports" / "nbs_gdp_2006_2024.csv")
    obs = batch.observations.set_index(["region_code", "year"])
    # Guangdong 2020 after the 2025 revision (panel/variables.csv notes): 113,708.9
    assert obs.loc[("440000", 2020), "value"] == pytest.approx(113708.9)
    # Beijing is the first data row (line 5); 2024 is column B
    assert obs.loc[("110000", 2024), "line"] == 5
    assert obs.loc[("110000", 2024), "cell"] == "B5"
    assert obs.loc[("110000", 2024), "value"] == pytest.approx(49670.2)
    assert "第五次全国经济普查" in batch.variables["notes"].iloc[0]


PANEL_CHECKS = [
    ("nbs_exports/nbs_gdp_2006_2024.csv", "gdp"),
    ("nbs_exports/nbs_urban_unit_employment_2008_2024.csv", "employed_urban_units"),
    ("nbs_exports_en/nbs_en_higher_edu_students_per_100k_2008_2022.csv", "higher_ed_students_per_100k"),
    ("nbs_exports_en/nbs_en_education_funds_2004_2021.csv", "education_funds"),
    ("nbs_exports_en/nbs_en_urban_unemployment_rate_2004_2021.csv", "unemployment_rate_registered"),
    ("nbs_exports_en/nbs_en_resident_population_2004_2022.csv", "population"),
]


@pytest.fixture(scope="module")
def panel(data_dir: Path) -> pd.DataFrame:
    return pd.read_csv(data_dir / "panel" / "provinces.csv", dtype={"region_code": str})


@pytest.mark.parametrize(("rel", "variable"), PANEL_CHECKS)
def test_export_reproduces_panel(rel: str, variable: str, data_dir: Path, panel: pd.DataFrame) -> None:
    (batch,) = read_file(data_dir / "raw" / rel)
    obs = batch.observations.dropna(subset=["value"])
    p = panel[panel["variable"] == variable]
    years = set(obs["year"])
    p = p[p["year"].isin(years)]  # population: the panel goes on to 2024 from another source
    assert len(p) > 300
    m = p.merge(obs, on=["region_code", "year"], how="left", suffixes=("_panel", "_nbs"))
    assert m["value_nbs"].notna().all()
    np.testing.assert_array_equal(m["value_nbs"].to_numpy(), m["value_panel"].to_numpy())
    # units agree too (the panel's English label)
    assert batch.variables["unit"].iloc[0] == (p["unit"].iloc[0] if variable != "higher_ed_students_per_100k" else "persons")


def test_split_indicator() -> None:
    assert split_indicator("人口数(人口抽样调查)(人)") == ("人口数(人口抽样调查)", "人")
    assert split_indicator("地区生产总值（亿元）") == ("地区生产总值", "亿元")
    assert split_indicator("Resident Population (year-end)(10000 persons)") == (
        "Resident Population (year-end)", "10000 persons")
    assert split_indicator("固定资产投资(不含农户)实际到位资金_比上年增长(%)")[1] == "%"
    assert split_indicator("无单位指标") == ("无单位指标", "")


def test_indicator_ids() -> None:
    assert indicator_id("地区生产总值") == "nbs_gdp"
    assert indicator_id("Resident Population (year-end)") == "nbs_resident_population"
    assert indicator_id("年末常住人口") == "nbs_resident_population"
    # unseen English: readable snake case
    assert indicator_id("Number of Hospitals") == "nbs_number_of_hospitals"
    # unseen Chinese: stable short hash of the NFKC name, different for different names
    a = indicator_id("普通高等学校数")
    assert a == "nbs_zh_" + hashlib.sha1("普通高等学校数".encode()).hexdigest()[:10]
    assert indicator_id("普通高等学校数 ") == a
    assert indicator_id("普通中学数") != a
    # never the curated panel's ids
    assert not indicator_id("地区生产总值").startswith("gdp")


# -- fixture exports (made-up numbers, clearly fixtures) ----------------------------------
UNSEEN_ZH = (
    "数据库：分省年度数据\r\n"
    "指标：普通高等学校数(所)\r\n"
    "时间：最近3年\r\n"
    "地区,2023年,2022年,2021年\r\n"
    "全国,3074,3013,3012\r\n"
    "北京市,92,92,-\r\n"
    "内蒙古自治区,54,…,53\r\n"
    "新疆维吾尔自治区,,,\r\n"
    "注：1.本表为测试数据。\r\n"
    "　　　2.第二条注释，含逗号,仍是注释。\r\n"
    "数据来源：国家统计局\r\n"
)


def test_unseen_export_gbk_crlf(tmp_path: Path) -> None:
    path = tmp_path / "分省年度数据.csv"
    path.write_bytes(UNSEEN_ZH.encode("gbk"))
    (batch,) = read_file(path)
    cat = batch.variables.iloc[0]
    assert cat["variable"] == indicator_id("普通高等学校数")
    assert cat["name_zh"] == "普通高等学校数" and cat["unit"] == "所" and cat["source"] == "nbs"
    assert "本表为测试数据" in cat["notes"] and "第二条注释" in cat["notes"]
    obs = batch.observations.set_index(["region_code", "year"])
    assert set(batch.observations["region_code"]) == {"100000", "110000", "150000", "650000"}
    assert len(obs) == 12
    assert obs.loc[("100000", 2023), "value"] == 3074
    assert obs.loc[("100000", 2023), "cell"] == "B5"
    assert np.isnan(obs.loc[("110000", 2021), "value"])  # "-" is missing, not 0
    assert np.isnan(obs.loc[("150000", 2022), "value"])  # "…" is missing
    assert obs.loc[("650000", 2021), "value"] != 0 and np.isnan(obs.loc[("650000", 2021), "value"])
    assert (batch.observations["raw"] == "").all()


def test_unseen_export_utf8_bom_and_overrides(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(UNSEEN_ZH.encode("utf-8-sig"))
    (batch,) = read_file(path, variable="colleges", unit="institutions", source="my_download")
    cat = batch.variables.iloc[0]
    assert (cat["variable"], cat["unit"], cat["source"]) == ("colleges", "institutions", "my_download")
    assert set(batch.observations["variable"]) == {"colleges"}


def test_unseen_english_export(tmp_path: Path) -> None:
    text = (
        "Database：Annual by Province\n"
        "Indicators：Number of Hospitals(unit)\n"
        "Year：LATEST2\n"
        "Region,2023,2022\n"
        "Beijing,700,690\n"
        "Inner Mongolia,800,--\n"
        "Data Sources：National Bureau of Statistics\n"
    )
    path = tmp_path / "en.csv"
    path.write_bytes(text.encode("gbk"))
    (batch,) = read_file(path)
    cat = batch.variables.iloc[0]
    assert (cat["variable"], cat["name_en"], cat["unit"]) == ("nbs_number_of_hospitals", "Number of Hospitals", "unit")
    obs = batch.observations
    assert obs["value"].isna().sum() == 1 and obs["value"].sum() == 2190


def test_unknown_region_and_bad_cell_are_kept(tmp_path: Path) -> None:
    text = UNSEEN_ZH.replace("北京市,92,92,-", "北京市,92,abc,-").replace("内蒙古自治区", "火星省")
    path = tmp_path / "bad.csv"
    path.write_bytes(text.encode("gbk"))
    (batch,) = read_file(path)  # no exception: validation reports these
    obs = batch.observations
    bad = obs[obs["raw"] != ""]
    assert list(bad["raw"]) == ["abc"] and list(bad["cell"]) == ["C6"]
    unknown = obs[obs["region_code"] == ""]
    assert set(unknown["region_raw"]) == {"火星省"} and len(unknown) == 3


def test_xlsx_export(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "年度数据"
    rows = [["数据库：分省年度数据"], ["指标：地区生产总值(亿元)"], ["时间：最近2年"],
            ["地区", "2023年", "2022年"], ["北京市", 47353.7, 45222.4], ["天津市", 17211.8, None],
            ["注：测试用的工作簿。"], ["数据来源：国家统计局"]]
    for r in rows:
        ws.append(r)
    path = tmp_path / "分省年度数据.xlsx"
    wb.save(path)
    assert detect_importer(path) == "nbs"
    (batch,) = read_file(path)
    assert batch.provenance.sheet == "年度数据"
    cat = batch.variables.iloc[0]
    assert (cat["variable"], cat["unit"]) == ("nbs_gdp", "100 million yuan")
    obs = batch.observations.set_index(["region_code", "year"])
    assert obs.loc[("110000", 2022), "value"] == pytest.approx(45222.4)
    assert obs.loc[("110000", 2022), "cell"] == "C5"
    assert np.isnan(obs.loc[("120000", 2022), "value"])


def test_region_fixed_layout(tmp_path: Path) -> None:
    """An export with 地区 fixed: indicators as rows, years as columns."""
    text = (
        "数据库：分省年度数据\n地区：北京市\n时间：最近2年\n"
        "指标,2023年,2022年\n"
        "地区生产总值(亿元),47353.7,45222.4\n"
        "年末常住人口(万人),2186,2184\n"
    )
    path = tmp_path / "bj.csv"
    path.write_text(text, encoding="utf-8")
    (batch,) = read_file(path)
    assert set(batch.variables["variable"]) == {"nbs_gdp", "nbs_resident_population"}
    assert dict(zip(batch.variables["variable"], batch.variables["unit"], strict=True)) == {
        "nbs_gdp": "100 million yuan", "nbs_resident_population": "10k persons"}
    assert set(batch.observations["region_code"]) == {"110000"}
    with pytest.raises(ValidationError, match="single-indicator"):
        read_file(path, variable="x")


def test_not_an_export(tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    path.write_text("数据库：分省年度数据\n指标：地区生产总值(亿元)\n随便写的一行,1\n", encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        read_file(path)
    assert str(path) in str(err.value) and "NBS" in str(err.value)


@pytest.mark.parametrize(
    "text",
    [
        # year fixed: regions as rows, indicators as columns
        "数据库：分省年度数据\n时间：2023年\n地区,地区生产总值(亿元),年末常住人口(万人)\n北京市,47353.7,2186\n天津市,17211.8,1364\n",
        # indicator fixed, years as rows and regions as columns
        "数据库：分省年度数据\n指标：地区生产总值(亿元)\n时间：最近1年\n时间,北京市,天津市\n2023年,47353.7,17211.8\n",
    ],
)
def test_other_arrangements(text: str, tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text(text, encoding="utf-8")
    (batch,) = read_file(path)
    obs = batch.observations.set_index(["region_code", "year", "variable"])["value"]
    assert obs[("110000", 2023, "nbs_gdp")] == pytest.approx(47353.7)
    assert obs[("120000", 2023, "nbs_gdp")] == pytest.approx(17211.8)
    assert (batch.observations["problem"] == "").all()


def test_xls_export_fixture(tmp_path: Path) -> None:
    """An NBS export saved as legacy .xls (the site's default download), written with xlwt.

    Test fixture: two GDP values copied from panel/provinces.csv, one blank cell, footnotes.
    """
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("Sheet1")
    rows = [["数据库：分省年度数据"], ["指标：地区生产总值(亿元)"], ["时间：最近5年"], ["地区", "2024年", "2023年"],
            ["北京市", 49670.2, 47353.7], ["天津市", 17931.3, ""], ["注：测试夹具"], ["数据来源：国家统计局"]]
    for i, row in enumerate(rows):
        for j, v in enumerate(row):
            ws.write(i, j, v)
    path = tmp_path / "gdp.xls"
    wb.save(str(path))
    (batch,) = read_file(path)
    obs = batch.observations.set_index(["region_code", "year"])
    assert obs.loc[("110000", 2023), "value"] == 47353.7
    assert obs.loc[("110000", 2023), "cell"] == "C5"
    assert np.isnan(obs.loc[("120000", 2023), "value"])  # blank stays missing, never zero
    assert batch.variables.iloc[0]["variable"] == "nbs_gdp"
    assert batch.variables.iloc[0]["unit"] == "100 million yuan"


def test_header_whose_columns_repeat_the_row_dimension_is_a_clear_error(tmp_path: Path) -> None:
    # found by the fuzz test: region rows under region columns used to raise KeyError('year')
    p = tmp_path / "x.csv"
    p.write_text("数据库：分省年度数据\n指标：地区生产总值(亿元)\n时间：最近20年\n地区,北京\n北京\n", encoding="utf-8")
    with pytest.raises(ValidationError, match=r"line 4\] not a recognisable NBS export: the header row's columns are regions"):
        read_file(p)

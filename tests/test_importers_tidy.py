"""Tidy importer: the curated panel (real files) and long/wide fixtures written by the tests."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nqpf.data.importers import ColumnMapping, detect_importer, iter_files, read_file
from nqpf.errors import ValidationError
from nqpf.regions import REGISTRY

PROVINCES = {r.code for r in REGISTRY.provinces()}


@pytest.fixture(scope="module")
def provinces_batch(data_dir: Path):  # type: ignore[no-untyped-def]
    (batch,) = read_file(data_dir / "panel" / "provinces.csv")
    return batch


def test_curated_panel(provinces_batch, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    obs, cat = provinces_batch.observations, provinces_batch.variables
    with (data_dir / "panel" / "provinces.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(obs) == len(rows) == 19823
    assert set(obs["region_code"]) == PROVINCES
    assert (obs["raw"] == "").all() and (obs["problem"] == "").all() and obs["value"].notna().all()
    # ids kept exactly; catalog = variables.csv rows (names, units, sources)
    variables = pd.read_csv(data_dir / "panel" / "variables.csv")
    assert set(obs["variable"]) == {r["variable"] for r in rows}
    assert set(cat["variable"]) == set(obs["variable"]) <= set(variables["variable"])
    merged = cat.merge(variables, on="variable", suffixes=("", "_csv"))
    assert len(merged) == len(cat)
    for col in ("name_en", "name_zh", "unit", "source"):
        assert (merged[col] == merged[f"{col}_csv"]).all(), col
    # line numbers point at the file's own lines (header = line 1)
    for i in (0, 4321, len(rows) - 1):
        rec = obs.iloc[i]
        src = rows[int(rec["line"]) - 2]
        assert (src["region_code"], int(src["year"]), src["variable"]) == (rec["region_code"], rec["year"], rec["variable"])
        assert float(src["value"]) == rec["value"]
        assert rec["cell"] == f"F{rec['line']}"  # value is the sixth column


def test_curated_spot_values(provinces_batch) -> None:  # type: ignore[no-untyped-def]
    obs = provinces_batch.observations.set_index(["region_code", "year", "variable"])["value"]
    assert obs[("110000", 2010, "aging_rate")] == pytest.approx(8.73)  # first data line of the file
    assert obs[("440000", 2020, "gdp")] == pytest.approx(113708.9)   # variables.csv notes
    assert obs[("640000", 2013, "hitech_profit")] == pytest.approx(-0.1)  # legitimately negative


def test_curated_national(data_dir: Path) -> None:
    (batch,) = read_file(data_dir / "panel" / "national.csv")
    assert set(batch.observations["region_code"]) == {"100000"}
    assert len(batch.observations) == 262
    row = batch.observations.set_index(["year", "variable"]).loc[(2010, "patents_granted")]
    assert row["value"] == 740620  # national 2010 grants (variables.csv notes)


def test_curated_without_catalog(tmp_path: Path) -> None:
    path = tmp_path / "mini.csv"
    path.write_text(
        "region_code,region_zh,region_en,year,variable,value,unit,source\r\n"
        "110000,北京,Beijing,2020,gdp,1.5,100 million yuan,test\r\n"
        "120000,北京,Tianjin,2020,gdp,2.5,100 million yuan,test\r\n"
        "999999,火星,Mars,2020,gdp,3,100 million yuan,test\r\n",
        encoding="utf-8-sig",
    )
    (batch,) = read_file(path)
    obs = batch.observations
    assert list(obs["region_code"]) == ["110000", "120000", ""]
    assert obs["region_raw"].iloc[2] == "999999"
    assert "does not match region_zh 北京" in obs["problem"].iloc[1]
    cat = batch.variables.iloc[0]
    assert (cat["variable"], cat["unit"], cat["source"]) == ("gdp", "100 million yuan", "test")


def test_long_with_mapping_gbk(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    text = ("省份,年份,指标,数值,单位\n北京市,2020年,patents,100,件\nTianjin,2020,patents,--,件\n"
            "130000,2021,patents,\"1,234\",件\n")
    path.write_bytes(text.encode("gbk"))
    mapping = {"region": "省份", "year": "年份", "variable": "指标", "value": "数值", "unit": "单位"}
    (batch,) = read_file(path, mapping=mapping, source="fixture")
    obs = batch.observations
    assert list(obs["region_code"]) == ["110000", "120000", "130000"]
    assert list(obs["year"]) == [2020, 2020, 2021]
    assert obs["value"].iloc[0] == 100 and np.isnan(obs["value"].iloc[1]) and obs["value"].iloc[2] == 1234
    assert list(obs["cell"]) == ["D2", "D3", "D4"]
    cat = batch.variables.iloc[0]
    assert (cat["unit"], cat["source"]) == ("pieces", "fixture")


def test_wide_by_variable_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "wide.xlsx"
    with pd.ExcelWriter(path) as xw:
        pd.DataFrame({"region": ["北京", "上海"], "year": [2020, 2020], "x": [1.0, 2.0], "y": ["3", "n/a"]}).to_excel(
            xw, sheet_name="data", index=False)
        pd.DataFrame({"note": ["fixture workbook"]}).to_excel(xw, sheet_name="readme", index=False)
    assert detect_importer(path) == "tidy"
    (batch,) = read_file(path, mapping=ColumnMapping(), unit="yuan")  # readme sheet skipped
    obs = batch.observations.set_index(["region_code", "variable"])
    assert obs.loc[("310000", "x"), "value"] == 2.0 and obs.loc[("310000", "x"), "cell"] == "C3"
    assert obs.loc[("110000", "y"), "value"] == 3.0 and np.isnan(obs.loc[("310000", "y"), "value"])
    assert set(batch.variables["unit"]) == {"yuan"}


def test_wide_by_year(tmp_path: Path) -> None:
    path = tmp_path / "wide_years.csv"
    path.write_text("地区,2021年,2022年\n广东省,1,2\n广西壮族自治区,3,x\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="variable="):
        read_file(path, mapping={"region": "地区"})
    (batch,) = read_file(path, mapping={"region": "地区"}, variable="thing", unit="%")
    obs = batch.observations
    assert set(obs["variable"]) == {"thing"} and set(obs["year"]) == {2021, 2022}
    assert obs.set_index(["region_code", "year"]).loc[("450000", 2021), "value"] == 3
    bad = obs[obs["raw"] != ""]
    assert list(bad["raw"]) == ["x"] and list(bad["cell"]) == ["C3"]


def test_parquet_long(tmp_path: Path) -> None:
    path = tmp_path / "long.parquet"
    pd.DataFrame({"region": [110000, 120000], "year": [2020, 2021], "variable": ["v", "v"],
                  "value": [1.5, np.nan]}).to_parquet(path)
    (batch,) = read_file(path)
    obs = batch.observations
    assert list(obs["region_code"]) == ["110000", "120000"]
    assert obs["value"].iloc[0] == 1.5 and np.isnan(obs["value"].iloc[1])
    assert list(obs["line"]) == [1, 2] and list(obs["cell"]) == ["value", "value"]


def test_mapping_errors(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="region column 'region' not found") as err:
        read_file(path)
    assert str(path) in str(err.value)
    with pytest.raises(ValueError, match="unknown column-mapping keys"):
        read_file(path, mapping={"regoin": "a"})
    with pytest.raises(ValueError, match="layout"):
        ColumnMapping(layout="diagonal")


def test_iter_files(data_dir: Path) -> None:
    files = iter_files([data_dir])
    names = {f.name for f in files}
    assert {"provinces.csv", "national.csv", "nbs_gdp_2006_2024.csv", "RDActivity.rda"} <= names
    assert not names & {"variables.csv", "MANIFEST.csv", "sources.csv", "varsList.rda", "README.md"}
    # text corpora (.txt, .jsonl, .tsv) are not statistics
    assert all(f.relative_to(data_dir).parts[0] in {"panel", "raw", "extension"} for f in files)
    # the extension's tidy tables, without its catalog and without raw/ (the originals)
    ext = [f.relative_to(data_dir).as_posix() for f in files if f.parts[-2] == "extension"]
    assert ext == [f"extension/{n}.csv" for n in (
        "ceads_sectoral_tongjimodule", "cuc_ceads_apparent_and_gdp_index",
        "energy_consumption_wangmeng", "nbs_tongjimodule", "pku_dfiic", "provecon_nbs",
        "rural_income_rain118", "tjjm2026_nbs")]
    assert not any("extension/raw" in f.as_posix() for f in files)
    # given by name, the originals folder is read like any other
    assert len(iter_files([data_dir / "extension" / "raw" / "ceads_apparent_cuc"])) >= 1
    raw = iter_files([data_dir / "raw"])
    assert len(raw) == 7 + 4 + 12
    assert raw == sorted(raw)
    with pytest.raises(ValidationError, match="no such file"):
        iter_files([data_dir / "nope"])

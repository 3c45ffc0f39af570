"""Validation rules, each on a small fixture file written by the test (numbers are made up)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nqpf.data.batch import ImportBatch
from nqpf.data.importers import read_file
from nqpf.data.validate import drop_duplicates, validate_batches, value_rule
from nqpf.errors import ValidationError

HEADER = "region,year,variable,value,unit\n"


def _csv(tmp_path: Path, name: str, body: str, *, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes((HEADER + body).encode(encoding))
    return path


def _read(*paths: Path) -> list[ImportBatch]:
    return [b for p in paths for b in read_file(p, mapping={"unit": "unit"})]


def _problems(batches: list[ImportBatch], **kw: object) -> list[str]:
    with pytest.raises(ValidationError) as err:
        validate_batches(batches, **kw)  # type: ignore[arg-type]
    assert "nothing was imported" in str(err.value)
    return err.value.problems


def test_clean_input_passes(tmp_path: Path) -> None:
    path = _csv(tmp_path, "ok.csv", "北京,2020,gdp,1.5,亿元\n天津,2020,gdp,-,亿元\n河北,2020,gdp,…,亿元\n"
                "山西,2020,gdp,,亿元\n山东,2020,gdp,--,亿元\n")
    batches = _read(path)
    validate_batches(batches)
    assert batches[0].observations["value"].isna().sum() == 4  # dashes, ellipsis and blanks are missing


def test_unknown_regions_all_listed(tmp_path: Path) -> None:
    a = _csv(tmp_path, "a.csv", "Beijin,2020,x,1,yuan\nBeijin,2021,x,1,yuan\n火星,2020,x,1,yuan\n")
    b = _csv(tmp_path, "b.csv", "Shanghai,2020,x,1,yuan\nZhejang,2020,x,1,yuan\n")
    problems = _problems(_read(a, b))
    unknown = [p for p in problems if "unknown region" in p]
    assert len(unknown) == 3
    beijin = next(p for p in unknown if "'Beijin'" in p)
    assert str(a) in beijin and "line 2, 3" in beijin and "Beijing (北京, 110000)" in beijin
    assert any(str(b) in p and "'Zhejang'" in p and "Zhejiang" in p for p in unknown)
    assert any("'火星'" in p for p in unknown)


def test_conflicting_duplicates_name_both_lines(tmp_path: Path) -> None:
    a = _csv(tmp_path, "a.csv", "北京,2020,x,1,yuan\n北京市,2020,x,1,yuan\n天津,2020,x,5,yuan\n")
    b = _csv(tmp_path, "b.csv", "Tianjin,2020,x,6,yuan\n")
    problems = _problems(_read(a, b))
    assert len(problems) == 1  # Beijing's identical duplicate is fine
    p = problems[0]
    assert "region Tianjin (天津, 120000), year 2020, variable x: conflicting values" in p
    assert f"5.0 at {a.resolve()}, line 4" in p and f"6.0 at {b.resolve()}, line 2" in p


def test_rounding_duplicates_collapse(tmp_path: Path) -> None:
    """The same figure published at two precisions (techme RDActivity vs RDSource) is no conflict."""
    a = _csv(tmp_path, "a.csv", "安徽,2018,x,6489540.7,万元\n")
    b = _csv(tmp_path, "b.csv", "安徽,2018,x,6489541,万元\n安徽,2019,x,7,万元\n")
    batches = _read(a, b)
    validate_batches(batches)
    kept = drop_duplicates(batches)
    assert len(kept[0].observations) == 1 and len(kept[1].observations) == 1
    assert kept[0].observations["value"].iloc[0] == 6489540.7  # the more precise value
    assert list(kept[1].observations["year"]) == [2019]
    c = _csv(tmp_path, "c.csv", "安徽,2018,x,6489542,万元\n")
    assert any("conflicting values" in p for p in _problems(_read(a, c)))


def test_non_numeric_cells_named(tmp_path: Path) -> None:
    path = _csv(tmp_path, "t.csv", "北京,2020,x,12a,yuan\n天津,2020,x,-,yuan\n河北,2020,x,n.a.,yuan\n")
    problems = _problems(_read(path))
    assert len(problems) == 2
    assert f"{path.resolve()}, line 2, cell D2, region 北京, variable x: non-numeric value '12a'" in problems
    assert any("cell D4" in p and "'n.a.'" in p for p in problems)


def test_impossible_values(tmp_path: Path) -> None:
    path = _csv(
        tmp_path, "t.csv",
        "北京,2020,population,-5,万人\n"              # negative population
        "北京,2020,hitech_profit,-0.1,亿元\n"          # a profit may be negative
        "北京,2020,unemployment_rate,101,%\n"          # a rate of a whole above 100
        "北京,2020,fai_growth_rate,-15.5,%\n"          # growth rates may be negative
        "北京,2020,gdp_index,98.5,previous year = 100\n"
        "北京,2020,rd_spending,-1,10k yuan\n",
    )
    problems = _problems(_read(path))
    assert len(problems) == 3
    assert any("variable population" in p and "negative value -5.0" in p for p in problems)
    assert any("variable unemployment_rate" in p and "outside 0-100" in p for p in problems)
    assert any("variable rd_spending" in p for p in problems)


def test_value_rule() -> None:
    assert value_rule("100 million yuan", "hitech_profit High-tech industry: total profit 高技术产业利润总额") == ""
    assert value_rule("100 million yuan", "gdp Gross regional product 地区生产总值") == "nonnegative"
    assert value_rule("%", "rd_intensity R&D expenditure as share of GDP R&D经费投入强度") == "share"
    assert value_rule("%", "nbs_fai_funds_in_place_growth x 固定资产投资(不含农户)实际到位资金_比上年增长") == ""
    assert value_rule("%", "urbanization_rate 城镇化率") == "share"
    assert value_rule("persons per 100k population", "students") == "nonnegative"
    assert value_rule("previous year = 100", "cpi") == ""
    assert value_rule("10k persons", "net migration 净迁移") == ""
    assert value_rule("%", "inflation rate") == "" and value_rule("%", "debt ratio") == ""
    assert value_rule("%", "internet penetration 互联网普及率") == "share"


def test_unit_clash_between_files_and_store(tmp_path: Path) -> None:
    a = _csv(tmp_path, "a.csv", "北京,2020,rd,1,万元\n")
    b = _csv(tmp_path, "b.csv", "天津,2020,rd,1,亿元\n")
    c = _csv(tmp_path, "c.csv", "河北,2020,rd,1,10k yuan\n")
    problems = _problems(_read(a, b))
    assert len(problems) == 1 and "unit clash" in problems[0]
    assert "'10k yuan'" in problems[0] and "'100 million yuan'" in problems[0]
    validate_batches(_read(a, c))  # 万元 and 10k yuan are the same unit
    problems = _problems(_read(a), known_units={"rd": "亿元"})
    assert "the store holds" in problems[0] and "'100 million yuan'" in problems[0]
    validate_batches(_read(a), known_units={"rd": "10k yuan", "other": "%"})


def test_unit_clash_within_one_file(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_text("region_code,year,variable,value,unit\n110000,2020,rd,1,万元\n120000,2020,rd,1,亿元\n"
                    "130000,2020,rd,1,万元\n", encoding="utf-8")
    problems = _problems(read_file(path))
    assert len(problems) == 1 and "line 3" in problems[0] and "'100 million yuan'" in problems[0]


def test_year_problems(tmp_path: Path) -> None:
    path = _csv(tmp_path, "t.csv", "北京,二〇二〇,x,1,yuan\n北京,1850,x,1,yuan\n")
    problems = _problems(_read(path))
    assert any("line 2" in p and "is not a year" in p for p in problems)
    assert any("line 3" in p and "outside 1900-2100" in p for p in problems)


def test_every_problem_of_every_file_at_once(tmp_path: Path) -> None:
    a = _csv(tmp_path, "a.csv", "火星,2020,x,1,yuan\n北京,2020,x,abc,yuan\n")
    b = _csv(tmp_path, "b.csv", "月球,2020,x,1,yuan\n天津,2020,x,-3,yuan\n")
    problems = _problems(_read(a, b))
    assert len(problems) == 4
    assert sum(str(a.resolve()) in p for p in problems) == 2 and sum(str(b.resolve()) in p for p in problems) == 2


def test_unreadable_encoding(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(HEADER.encode() + "Zürich,2020,x,1,yuan\n".encode("latin-1") + b"\xff\xff\n")
    with pytest.raises(ValidationError) as err:
        read_file(path, mapping={"unit": "unit"})
    assert "neither UTF-8 nor GBK" in str(err.value) and str(path) in str(err.value)
    nbs = tmp_path / "nbs.csv"
    nbs.write_bytes("数据库：分省年度数据\n".encode() + b"\xff\xfe\xff\n")
    with pytest.raises(ValidationError, match="neither UTF-8 nor GBK"):
        read_file(nbs)


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "image.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(ValidationError) as err:
        read_file(path)
    assert "binary" in str(err.value) and str(path) in str(err.value)


def test_bom_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes((HEADER + "北京,2020,x,1.25,yuan\n").replace("\n", "\r\n").encode("utf-8-sig"))
    (batch,) = _read(path)
    validate_batches([batch])
    obs = batch.observations
    assert list(obs["region_code"]) == ["110000"] and obs["value"].iloc[0] == 1.25
    assert batch.variables["unit"].iloc[0] == "yuan"


def test_real_bundle_validates(data_dir: Path) -> None:
    """All raw exports and the curated panel validate together (rounding duplicates only)."""
    files = sorted((data_dir / "raw" / "nbs_exports").glob("*.csv")) + sorted(
        (data_dir / "raw" / "nbs_exports_en").glob("*.csv")) + [data_dir / "panel" / "provinces.csv",
                                                                 data_dir / "panel" / "national.csv"]
    batches = [b for f in files for b in read_file(f)]
    validate_batches(batches)
    assert sum(len(b.observations) for b in batches) > 25000
    assert np.isfinite(batches[0].observations["value"].dropna()).all()

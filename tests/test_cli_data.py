"""``nqpf data`` on the real data bundle: import, coverage, show, provenance, safety."""

from __future__ import annotations

import hashlib
import io
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner, Result

from nqpf.cli import app
from nqpf.data.batch import sha256_file
from nqpf.data.store import Store

runner = CliRunner()

CURATED_HEADER = "region_code,year,variable,value,unit,source\n"


def nqpf(*args: str | Path) -> Result:
    return runner.invoke(app, ["data", *[str(a) for a in args]])


def sha_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="session")
def real_store(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> tuple[Path, Result]:
    """The real panel and raw files imported once, through the CLI."""
    path = tmp_path_factory.mktemp("real") / "nqpf.duckdb"
    res = nqpf("import", data_dir / "panel", data_dir / "raw", "--store", path, "--no-progress")
    return path, res


@pytest.fixture
def store_path(real_store: tuple[Path, Result]) -> Path:
    path, res = real_store
    assert res.exit_code == 0, res.output
    return path


@pytest.fixture
def store_copy(store_path: Path, tmp_path: Path) -> Path:
    """A private copy of the real store, for tests that add vintages."""
    dst = tmp_path / "copy.duckdb"
    shutil.copyfile(store_path, dst)
    return dst


def test_import_summary(real_store: tuple[Path, Result], data_dir: Path) -> None:
    path, res = real_store
    assert res.exit_code == 0, res.output
    assert "files imported / 已导入文件" in res.output
    imp = Store(path).imports()
    prov = imp[imp["source_file"] == str((data_dir / "panel" / "provinces.csv").resolve())]
    assert len(prov) == 1
    assert prov["sha256"].iloc[0] == sha256_file(data_dir / "panel" / "provinces.csv")
    assert prov["n_values"].iloc[0] == 19823  # CHECKS.md: 19,823 rows, no empty value
    nat = imp[imp["source_file"].str.endswith("panel/national.csv")]
    assert nat["n_values"].iloc[0] == 262


def test_coverage_agrees_with_variables_csv(store_path: Path, data_dir: Path) -> None:
    ref = pd.read_csv(data_dir / "panel" / "variables.csv", dtype=str).set_index("variable")
    cov = Store(store_path).coverage().set_index("variable")
    assert len(ref) == 53
    for var, row in ref.iterrows():
        assert var in cov.index, var
        got = cov.loc[str(var)]
        assert got["years_covered"] == row["years_covered"], var
        assert got["provinces_covered"] == int(row["provinces_covered"]), var
        assert got["unit"] == row["unit"], var


def test_real_values(store_path: Path) -> None:
    st = Store(store_path)
    # CHECKS.md spot checks
    assert st.series("gdp", ["广东"], [2020]).iloc[0, 0] == 113708.9
    assert st.series("rd_intensity", ["Beijing"], [2020]).iloc[0, 0] == 6.44
    assert st.series("rd_expenditure", ["100000"], [2020]).iloc[0, 0] == 243931123.0
    assert st.series("population", ["440000"], [2020]).iloc[0, 0] == 12624.0
    p = st.panel(["gdp", "population"], years=range(2010, 2025))
    assert p.to_array().values.shape == (15, 31, 2)
    assert p.unit("gdp") == "100 million yuan"


def test_reimport_changes_nothing(store_path: Path, data_dir: Path) -> None:
    before = sha_of(store_path)
    n_before = len(Store(store_path).imports())
    n_obs = len(Store(store_path).observations())
    res = nqpf("import", data_dir / "panel", data_dir / "raw", "--store", store_path)
    assert res.exit_code == 0, res.output
    assert "Nothing new" in res.output
    assert sha_of(store_path) == before
    assert len(Store(store_path).imports()) == n_before
    assert len(Store(store_path).observations()) == n_obs


def _fixtures(d: Path) -> tuple[Path, Path]:
    d.mkdir(parents=True, exist_ok=True)
    good = d / "a_good.csv"
    good.write_text(CURATED_HEADER + "110000,2020,test_share,1.5,%,fixture\n", encoding="utf-8")
    bad = d / "b_bad.csv"
    bad.write_text(
        CURATED_HEADER
        + "110000,2020,test_other,1.5,%,fixture\nAtlantis,2020,test_other,2.5,%,fixture\n",
        encoding="utf-8",
    )
    return good, bad


def test_failing_import_leaves_store_unchanged(store_path: Path, tmp_path: Path) -> None:
    good, bad = _fixtures(tmp_path / "fx")
    before = sha_of(store_path)
    res = nqpf("import", good, bad, "--store", store_path, "--no-progress")
    assert res.exit_code == 1
    assert "nothing was written" in res.output
    assert "Atlantis" in res.output
    assert sha_of(store_path) == before
    assert "test_share" not in set(Store(store_path).catalog()["variable"])
    assert sorted(p.name for p in store_path.parent.iterdir()) == ["nqpf.duckdb", "nqpf.duckdb.lock"]


def test_failing_import_creates_no_store(tmp_path: Path) -> None:
    good, bad = _fixtures(tmp_path / "fx")
    path = tmp_path / "new" / "s.duckdb"
    res = nqpf("import", good, bad, "--store", path)
    assert res.exit_code == 1
    assert not path.exists()
    assert not path.parent.exists()


def test_new_vintage_via_cli(store_copy: Path, tmp_path: Path, data_dir: Path) -> None:
    rev = tmp_path / "gdp_revision.csv"
    rev.write_text(CURATED_HEADER + "440000,2020,gdp,110760.9,100 million yuan,fixture\n")
    res = nqpf("import", rev, "--store", store_copy)
    assert res.exit_code == 0, res.output
    st = Store(store_copy)
    assert st.series("gdp", ["广东"], [2020]).iloc[0, 0] == 110760.9
    assert st.series("gdp", ["Beijing"], [2020]).iloc[0, 0] == 38503.6  # untouched cell
    out = nqpf("provenance", "gdp", "广东", "2020", "--store", store_copy, "--csv", "-")
    assert out.exit_code == 0, out.output
    pv = pd.read_csv(io.StringIO(out.stdout))
    assert pv["value"].tolist() == [110760.9, 113708.9]
    assert pv["current"].tolist() == [True, False]
    assert pv["source_file"].iloc[1] == str((data_dir / "panel" / "provinces.csv").resolve())
    assert pv["sha256"].iloc[1] == sha256_file(data_dir / "panel" / "provinces.csv")
    # the older vintage stays reachable
    old = nqpf("show", "gdp", "-r", "广东", "-y", "2020", "--vintage", "2", "--store", store_copy,
               "--csv", "-")  # fmt: skip
    assert "113708.9" in old.stdout
    # a unit clash with the store is refused
    clash = tmp_path / "gdp_yuan.csv"
    clash.write_text(CURATED_HEADER + "440000,2021,gdp,1.0,yuan,fixture\n")
    before = sha_of(store_copy)
    res = nqpf("import", clash, "--store", store_copy)
    assert res.exit_code == 1
    assert "100 million yuan" in res.output
    assert sha_of(store_copy) == before


def test_coverage_csv_and_table(store_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "cov.csv"
    res = nqpf("coverage", "--store", store_path, "--csv", out)
    assert res.exit_code == 0, res.output
    cov = pd.read_csv(out, dtype={"years_covered": str}).set_index("variable")
    assert cov.loc["tech_market_outflow_value", "years_covered"] == "2010,2012-2023"
    assert cov.loc["co2_emissions", "provinces_covered"] == 30
    assert cov.loc["life_expectancy", "n_obs"] == 64
    assert list(cov.columns[:4]) == ["name_en", "name_zh", "unit", "source"]
    res = nqpf("coverage", "--store", store_path)
    assert res.exit_code == 0
    assert "2010,2015,2020" in res.output and "覆盖年份" in res.output


def test_coverage_matrix_csv(store_path: Path) -> None:
    res = nqpf("coverage", "--matrix", "--store", store_path, "--csv", "-")
    assert res.exit_code == 0, res.output
    m = pd.read_csv(io.StringIO(res.stdout), index_col="variable")
    assert m.loc["gdp", "2010"] == 31
    assert m.loc["co2_emissions", "2019"] == 30
    assert m.loc["life_expectancy", "2011"] == 0
    assert m.loc["life_expectancy", "2015"] == 2  # 64 values: 31 + 2 + 31


def test_show(store_path: Path) -> None:
    res = nqpf("show", "gdp", "--regions", "广东,Beijing", "--years", "2019:2020",
               "--store", store_path, "--csv", "-")  # fmt: skip
    assert res.exit_code == 0, res.output
    wide = pd.read_csv(io.StringIO(res.stdout), index_col="year", dtype={"year": int})
    assert list(wide.index) == [2019, 2020]
    assert sorted(wide.columns) == ["110000", "440000"]
    assert wide.loc[2020, "440000"] == 113708.9
    res = nqpf("show", "gdp", "-r", "广东", "-y", "2020", "--store", store_path)
    assert res.exit_code == 0, res.output
    for text in ("地区生产总值", "100 million yuan", "广东 Guangdong", "113,708.9", "数据来源"):
        assert text in res.output, text


def test_show_errors(store_path: Path) -> None:
    res = nqpf("show", "gpd", "--store", store_path)
    assert res.exit_code == 1 and "did you mean gdp" in res.output
    res = nqpf("show", "gdp", "-r", "Atlantis", "--store", store_path)
    assert res.exit_code == 1 and "Atlantis" in res.output
    res = nqpf("show", "gdp", "-y", "2020-2019", "--store", store_path)
    assert res.exit_code == 2 and "2015:2020" in res.output


def test_list_and_imports(store_path: Path) -> None:
    res = nqpf("list", "--store", store_path, "--csv", "-")
    assert res.exit_code == 0, res.output
    v = pd.read_csv(io.StringIO(res.stdout)).set_index("variable")
    assert v.loc["gdp", "n_obs"] == 465 and v.loc["gdp", "n_regions"] == 31
    assert v.loc["rd_expenditure", "n_regions"] == 32  # with the national row
    assert str(v.loc["gdp", "source_files"]).endswith("panel/provinces.csv")
    res = nqpf("list", "--store", store_path)
    assert res.exit_code == 0 and "R&D经费内部支出（合计）" in res.output
    res = nqpf("imports", "--store", store_path, "--csv", "-")
    imp = pd.read_csv(io.StringIO(res.stdout))
    assert imp["import_id"].tolist() == list(range(1, len(imp) + 1))
    assert imp["source_file"].str.endswith("provinces.csv").sum() == 1


def test_provenance_terminal(store_path: Path) -> None:
    res = nqpf("provenance", "rd_intensity", "北京", "2020", "--store", store_path)
    assert res.exit_code == 0, res.output
    assert "6.44" in res.output and "yes / 是" in res.output
    res = nqpf("provenance", "gdp", "北京", "1999", "--store", store_path)
    assert res.exit_code == 0 and "No stored value" in res.output


def test_empty_store_is_reported(tmp_path: Path) -> None:
    res = nqpf("coverage", "--store", tmp_path / "none.duckdb")
    assert res.exit_code == 1 and "empty" in res.output
    assert not (tmp_path / "none.duckdb").exists()


def test_not_a_store(tmp_path: Path) -> None:
    f = tmp_path / "x.duckdb"
    f.write_text("hello")
    res = nqpf("list", "--store", f)
    assert res.exit_code == 2 and "not an nqpf store" in res.output


def test_import_own_table_with_mapping(tmp_path: Path) -> None:
    table = tmp_path / "mine.csv"
    table.write_text("省份,年份,指标A\n北京,2020,1.5\n上海,2020,\n", encoding="utf-8")
    path = tmp_path / "s.duckdb"
    res = nqpf("import", table, "--store", path, "--map", "region=省份", "--map", "year=年份",
               "--map", "layout=wide_variables", "--unit", "%")  # fmt: skip
    assert res.exit_code == 0, res.output
    st = Store(path)
    assert st.series("指标A").to_dict() == {"110000": {2020: 1.5}}
    assert st.units() == {"指标A": "%"}
    imp = st.imports()
    assert (imp["n_values"].tolist(), imp["n_missing"].tolist()) == ([1], [1])
    # the same through a YAML mapping file: the file is already stored, so it is skipped
    yml = tmp_path / "map.yaml"
    yml.write_text("region: 省份\nyear: 年份\nlayout: wide_variables\n", encoding="utf-8")
    before = sha_of(path)
    res = nqpf("import", table, "--store", path, "--mapping", yml, "--unit", "%")
    assert res.exit_code == 0 and "Nothing new" in res.output
    assert sha_of(path) == before


def test_import_bad_options(tmp_path: Path) -> None:
    table = tmp_path / "mine.csv"
    table.write_text("省份,年份,指标A\n北京,2020,1.5\n", encoding="utf-8")
    path = tmp_path / "s.duckdb"
    res = nqpf("import", table, "--store", path, "--importer", "excel")
    assert res.exit_code == 2 and "tidy, nbs, rdata" in res.output
    res = nqpf("import", table, "--store", path, "--map", "region")
    assert res.exit_code == 2 and "KEY=COLUMN" in res.output
    res = nqpf("import", table, "--store", path, "--map", "colour=省份")
    assert res.exit_code == 1 and "colour" in res.output
    assert not path.exists()


def test_unreadable_last_file_writes_nothing(store_path: Path, tmp_path: Path) -> None:
    good, _ = _fixtures(tmp_path / "fx")
    junk = tmp_path / "fx" / "z_junk.csv"
    junk.write_bytes(bytes(range(256)) * 8)
    before = sha_of(store_path)
    res = nqpf("import", good, junk, "--store", store_path)
    assert res.exit_code == 1, res.output
    assert "z_junk.csv" in res.output
    assert sha_of(store_path) == before


def test_fetch_commands_are_mounted_under_data() -> None:
    """`nqpf data sources` and `nqpf data fetch SOURCE SERIES` as the docs show them."""
    from nqpf.cli import app

    res = CliRunner().invoke(app, ["data", "sources"])
    assert res.exit_code == 0 and "worldbank" in res.output
    res = CliRunner().invoke(app, ["data", "fetch", "nbs", "no_such_series", "--dry-run"])
    assert res.exit_code != 0 and "no_such_series" in " ".join(res.output.split())


def test_regions_listing_with_user_groups(tmp_path: Path) -> None:
    from nqpf.cli import app

    grp = tmp_path / "yrd.csv"
    grp.write_text("region,group,group_zh\n上海,yrd,长三角\n江苏省,yrd,长三角\nZhejiang,yrd,长三角\n安徽,yrd,长三角\n", encoding="utf-8")
    out = tmp_path / "regions.csv"
    res = CliRunner().invoke(app, ["data", "regions", "--groups", str(grp), "--csv", str(out)])
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out, dtype={"region_code": str}).set_index("region_code")
    assert len(df) == 31
    assert df.loc["150000", "nbs4"] == "West 西部" and df.loc["150000", "belt3"] == "Central belt 中部地带"
    assert df.loc["340000", "yrd"] == "yrd 长三角" and pd.isna(df.loc["110000", "yrd"])
    bad = tmp_path / "bad.csv"
    bad.write_text("region,group\nGotham,x\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["data", "regions", "--groups", str(bad)])
    assert res.exit_code == 1 and "Gotham" in res.output

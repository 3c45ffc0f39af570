"""`nqpf data check`: hand-worked flags on a fixture, the known breaks of the real bundle, the CLI."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import median_abs_deviation
from typer.testing import CliRunner

from nqpf.cli import app
from nqpf.data.check import (
    FLAG_COLUMNS,
    KINDS,
    CheckResult,
    check_panel,
    check_store,
    gaps,
    jumps,
    outliers,
)
from nqpf.data.store import Store
from nqpf.errors import ValidationError
from nqpf.regions import REGISTRY

CODES = [r.code for r in REGISTRY.provinces()]


# -------------------------------------------------------------------- hand-worked fixture
@pytest.fixture()
def toy() -> pd.DataFrame:
    """Test fixture (not statistics): 16 provinces, 2015-2018, province i at 100 (1 + 0.05 i)
    in 2015 and +10% a year.

    Breaks put in by hand: province 2 doubles 2016->2017 (a jump); province 3 is written in
    another unit in 2018 (x10,000); province 4 has no 2016; province 16 is never observed
    for ``b``; province 5 is 100 times its level in every year.
    """
    rows = []
    for i, code in enumerate(CODES[:16]):
        for t, year in enumerate(range(2015, 2019)):
            v = 100.0 * (1 + 0.05 * i) * 1.1**t
            if i == 1 and year >= 2017:
                v *= 2
            if i == 2 and year == 2018:
                v *= 10000
            if i == 4:
                v *= 100
            if not (i == 3 and year == 2016):
                rows.append({"region_code": code, "year": year, "variable": "a", "value": v})
            if i < 15:
                rows.append({"region_code": code, "year": year, "variable": "b", "value": 50.0 + i})
    return pd.DataFrame(rows)


def test_hand_worked_jump_unit_change_gap(toy: pd.DataFrame) -> None:
    res = check_panel(toy)
    assert isinstance(res, CheckResult) and list(res.flags.columns) == FLAG_COLUMNS
    j = res.of("jump", "a")
    # province 2 doubles while the median province grows 10%: log(2.2 / 1.1) = log 2 excess
    two = j[j.region_code == CODES[1]].iloc[0]
    assert (two.year_from, two.year_to, two.value_from, two.value_to) == (2016, 2017, pytest.approx(115.5),
                                                                         pytest.approx(254.1))
    assert two.score == pytest.approx(np.log(2.0))
    # 15 provinces have both years (province 4 lacks 2016)
    assert two.evidence == "115.5 -> 254.1 (+120%) while the median province changed +10% (15 provinces)"
    u = res.of("unit_change", "a")
    assert u[["region_code", "year_from", "year_to"]].values.tolist() == [[CODES[2], 2017, 2018]]
    assert u.evidence.iloc[0] == ("133.1 -> 1,464,100: a factor of 1.1e+04, 1e+04 times the median province's "
                                  "change, close to 10^4")
    g = res.of("gap", "a")
    assert g[["region_code", "year_from", "year_to"]].values.tolist() == [[CODES[3], 2016, 2016]]
    assert g.evidence.iloc[0] == "no value for 1 year between 2015 and 2017; up to 15 other provinces have values in those years"
    # the check runs against all 31 provinces: the 15 outside the fixture are missing too
    m = res.of("missing_region", "b")
    assert m.region_code.tolist() == CODES[15:] and m.region_en.iloc[0] == "Henan"
    assert res.of("missing_region", "a").region_code.tolist() == CODES[16:]
    # the +10% a year everyone shares is no level break; b never changes
    assert res.of("level_break").empty and res.of(variable="b", kind="jump").empty


def test_outlier_modified_z_matches_scipy(toy: pd.DataFrame) -> None:
    o = outliers(toy)
    five = o[(o.variable == "a") & (o.region_code == CODES[4])].iloc[0]
    assert (five.year_from, five.year_to) == (2015, 2018) and five.evidence.startswith("high in 4 of 4 years")
    # peer: scipy's median_abs_deviation on the log values of one year
    x = np.log(toy[(toy.variable == "a") & (toy.year == 2015)].set_index("region_code")["value"])
    mz = 0.6745 * (x - np.median(x)) / median_abs_deviation(x)
    assert mz[CODES[4]] > 3.5
    by_year = [0.6745 * (np.log(toy[(toy.variable == "a") & (toy.year == y)].set_index("region_code")["value"]) -
               np.median(np.log(toy[(toy.variable == "a") & (toy.year == y)]["value"]))) /
               median_abs_deviation(np.log(toy[(toy.variable == "a") & (toy.year == y)]["value"]))
               for y in range(2015, 2019)]
    assert five.score == pytest.approx(max(abs(s[CODES[4]]) for s in by_year))


def test_threshold_and_bad_arguments(toy: pd.DataFrame) -> None:
    assert jumps(toy, ratio=2.5).query("variable == 'a' and kind == 'jump'").region_code.tolist() == [CODES[2]]
    with pytest.raises(ValidationError, match=r"unknown check kind 'jmp'; use one of jump, level_break"):
        check_panel(toy, kinds=["jmp"])
    with pytest.raises(ValidationError, match=r"unknown variable 'c'"):
        check_panel(toy, variables=["c"])
    assert gaps(toy[toy.variable == "b"]).kind.tolist() == ["missing_region"] * 16


# -------------------------------------------------------------------------- real bundle
@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    """The panel, then the extension as a later import (the revised co2 values a newer vintage)."""
    path = tmp_path_factory.mktemp("check") / "s.duckdb"
    with Store(path) as st:
        st.import_files([data_dir / "panel"], progress=False)
        st.import_files(sorted(p for p in (data_dir / "extension").glob("*.csv") if p.name != "variables.csv"),
                        progress=False)
    return path


@pytest.fixture(scope="module")
def real(store_path: Path) -> CheckResult:
    with Store(store_path) as st:
        return check_store(st)


def _one(res: CheckResult, kind: str, variable: str, region: str | None, years: tuple[int, int]) -> pd.Series:
    f = res.of(kind, variable, region)
    f = f[(f.year_from == years[0]) & (f.year_to == years[1])]
    assert len(f) == 1, (kind, variable, region, years, res.of(kind, variable, region))
    return f.iloc[0]


def test_real_tibet_wage_jump_2015(real: CheckResult) -> None:
    f = _one(real, "jump", "average_wage_urban_units", "Tibet", (2014, 2015))
    assert (f.value_from, f.value_to) == (68059.0, 110980.0)
    assert f.evidence.startswith("68,059 -> 110,980 (+63%) while the median province changed +10%")


def test_real_tibet_tech_market_2019(real: CheckResult) -> None:
    f = _one(real, "jump", "tech_market_outflow_value", "540000", (2018, 2019))
    assert (f.value_from, f.value_to) == (394.2, 9577.0)
    assert f.value_to / f.value_from == pytest.approx(24.3, abs=0.05)  # the "x22" is this jump
    assert "(x24.3)" in f.evidence


def test_real_urban_employment_rebased_2013(real: CheckResult) -> None:
    brk = _one(real, "level_break", "employed_urban_units", None, (2012, 2013))
    assert brk.region_en == "all provinces" and brk.region_code == ""
    assert "median province changed +12%" in brk.evidence and "largest Jiangsu +81%" in brk.evidence
    js = _one(real, "jump", "employed_urban_units", "Jiangsu", (2012, 2013))
    assert (js.value_from, js.value_to) == (830.9, 1503.3)


def test_real_beijing_registered_unemployed_2020(real: CheckResult) -> None:
    f = _one(real, "jump", "unemployed_registered_urban", "北京", (2019, 2020))
    assert (f.value_from, f.value_to) == (7.4, 29.0)
    assert f.evidence.startswith("7.4 -> 29 (x3.9)")


def test_real_vintages_gaps_outliers(real: CheckResult) -> None:
    mv = _one(real, "mixed_vintage", "disposable_income_urban", None, (2013, 2024))
    assert mv.evidence == ("latest values come from 2 imports: 2013-2015 (93 values) from provinces.csv; "
                           "2016-2024 (279 values) from tjjm2026_nbs.csv")
    co2 = _one(real, "missing_region", "co2_emissions", "Tibet", (2010, 2022))
    assert "30 provinces have values 2010-2022" in co2.evidence
    assert _one(real, "mixed_source", "budget_expenditure_total", None, (2010, 2024)).evidence.endswith(
        "techme, renjiyi_panel")
    # hitech series: 2017 is missing for every province, a gap of one year in each
    assert len(real.of("gap", "hitech_revenue").query("year_from == 2017 and year_to == 2017")) == 31
    summary = real.summary.set_index("kind")
    assert list(summary.index) == list(KINDS) and (summary["n_flags"] > 0).all()
    assert summary["n_flags"].sum() == len(real.flags)
    assert real.flags["region_en"].ne("").all() and real.flags["evidence"].str.len().gt(20).all()


def test_csv_and_html_list_every_flag(real: CheckResult, tmp_path: Path) -> None:
    csv = pd.read_csv(real.to_csv(tmp_path / "flags.csv"), dtype={"region_code": str}, keep_default_na=False)
    assert len(csv) == len(real) and list(csv.columns) == FLAG_COLUMNS
    page = real.to_html(tmp_path / "check.html").read_text(encoding="utf-8")
    rows = page.count("<tr>") - 1 - len(KINDS) - sum(1 for k in KINDS if len(real.of(k)))
    assert rows == len(real)

    class Loads(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.found: list[str] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag in {"script", "img", "link", "iframe"}:
                self.found.append(tag)

    parser = Loads()
    parser.feed(page)
    assert parser.found == []  # self-contained, loads nothing
    assert "数据检查" in page and "68,059 -&gt; 110,980 (+63%)" in page


# --------------------------------------------------------------------------------- CLI
FOUR = ["average_wage_urban_units", "tech_market_outflow_value", "employed_urban_units", "unemployed_registered_urban"]


def test_cli_lists_every_flag(store_path: Path, tmp_path: Path) -> None:
    args = ["data", "check", "--store", str(store_path), "--csv", str(tmp_path / "f.csv"),
            "--html", str(tmp_path / "f.html")]
    for v in FOUR:
        args += ["-v", v]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    flags = pd.read_csv(tmp_path / "f.csv", dtype={"region_code": str}, keep_default_na=False)
    assert set(flags["variable"]) <= set(FOUR) and len(flags) > 10
    out = " ".join(res.output.split())
    for r in flags.itertuples():  # every flag is printed with its region, variable and years
        years = str(r.year_from) if r.year_from == r.year_to else f"{r.year_from}-{r.year_to}"
        assert f"{r.region_en} {r.region_zh}" in out and r.variable in out and years in out
    assert "Tibet 西藏" in out and "2014-2015" in out and "Beijing 北京" in out
    assert (tmp_path / "f.html").is_file()


def test_cli_bad_input_exit_2_store_unchanged(store_path: Path, tmp_path: Path) -> None:
    before = store_path.read_bytes()
    cases = [
        (["-k", "jmp"], "unknown --kind 'jmp' (did you mean 'jump'?)"),
        (["-v", "average_wage"], "unknown variable 'average_wage' in the store (did you mean 'average_wage_urban_units'"),
        (["-f", "hqd-four-channels@9"], "framework 'hqd-four-channels' has no version '9'; shipped versions: 1.0, 2.0"),
    ]
    for extra, msg in cases:
        res = CliRunner().invoke(app, ["data", "check", "--store", str(store_path), *extra])
        assert res.exit_code == 2, res.output
        assert msg in " ".join(res.output.split()) and "Traceback" not in res.output
    res = CliRunner().invoke(app, ["data", "check", "--store", str(tmp_path / "empty.duckdb")])
    assert res.exit_code == 2 and "is empty; import data first" in " ".join(res.output.split())
    assert store_path.read_bytes() == before


def test_cli_framework_restricts_to_its_variables(store_path: Path, tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["data", "check", "--store", str(store_path), "-f", "nqpf-three-elements",
                                   "-k", "jump", "-k", "level_break", "--csv", str(tmp_path / "f.csv")])
    assert res.exit_code == 0, res.output
    flags = pd.read_csv(tmp_path / "f.csv")
    from nqpf.frameworks import load_framework

    assert set(flags["variable"]) <= load_framework("nqpf-three-elements").variables()
    assert set(flags["kind"]) <= {"jump", "level_break"}

"""Every kind of bad input, through `nqpf data import`: a clear message, exit 1, store unchanged.

The tables are small test fixtures written here (not statistics); the store starts from the
real national rows (../shared/data/panel/national.csv).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nqpf.cli import app

HEADER = "region,year,variable,value,unit\n"

CASES = {
    "unknown_region": (HEADER + "北京市,2020,population,2189,10k persons\nGotham,2020,population,5,10k persons\n",
                       ["line 3", "Gotham", "unknown region"]),
    "misspelt_region": (HEADER + "Guangdon,2020,population,12624,10k persons\n",
                        ["Guangdon", "did you mean", "Guangdong"]),
    "conflicting_duplicates": (HEADER + "上海,2020,population,2488,10k persons\n上海市,2020,population,2500,10k persons\n",
                               ["310000", "population", "conflicting values", "line 2", "line 3"]),
    "non_numeric": (HEADER + "天津,2020,population,abc,10k persons\n",
                    ["line 2", "D2", "天津", "population", "non-numeric", "abc"]),
    "negative_population": (HEADER + "河北省,2020,population,-7464,10k persons\n",
                            ["line 2", "河北", "population", "negative"]),
    "share_over_100": (HEADER + "山西,2020,urbanization_rate,162.5,%\n",
                       ["山西", "urbanization_rate", "outside 0-100"]),
    "unit_clash_with_store": (HEADER + "北京,2020,rd_expenditure,23262000000,yuan\n",
                              ["rd_expenditure", "unit", "10k yuan", "store"]),
}


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.fixture()
def store(tmp_path: Path, data_dir: Path) -> Path:
    path = tmp_path / "s.duckdb"
    res = CliRunner().invoke(app, ["data", "import", str(data_dir / "panel" / "national.csv"), "--store", str(path)])
    assert res.exit_code == 0, res.output
    return path


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_table_rejected_store_unchanged(case: str, store: Path, tmp_path: Path) -> None:
    text, must_say = CASES[case]
    bad = tmp_path / f"{case}.csv"
    bad.write_text(text, encoding="utf-8")
    before = _sha(store)
    res = CliRunner().invoke(app, ["data", "import", str(bad), "--store", str(store)])
    assert res.exit_code == 1
    out = " ".join(res.output.split())  # rich wraps long lines
    assert f"{case}.csv" in out
    for words in must_say:
        assert words in out, (case, words, out)
    assert _sha(store) == before


@pytest.mark.parametrize(
    "case,payload",
    [
        ("unreadable_encoding", b"region,year,variable,value\n\x81\xff\xfe\x80,2020,population,1\n"),
        ("binary", b"PK\x03\x04\x00\x00\x00binary\x00data"),
    ],
)
def test_unreadable_file_named_store_unchanged(case: str, payload: bytes, store: Path, tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text(HEADER + "北京,2020,population,2189,10k persons\n", encoding="utf-8")
    bad = tmp_path / f"{case}.csv"
    bad.write_bytes(payload)
    before = _sha(store)
    # the good file comes first: it must not be written either (all-or-nothing)
    res = CliRunner().invoke(app, ["data", "import", str(good), str(bad), "--store", str(store)])
    assert res.exit_code == 1
    assert f"{case}.csv" in " ".join(res.output.split())
    assert _sha(store) == before


def test_every_problem_listed_at_once(store: Path, tmp_path: Path) -> None:
    bad = tmp_path / "many.csv"
    bad.write_text(HEADER + "Gotham,2020,population,1,10k persons\n天津,2020,population,x,10k persons\n"
                   "河北,2020,population,-1,10k persons\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["data", "import", str(bad), "--store", str(store)])
    out = " ".join(res.output.split())
    assert res.exit_code == 1
    assert "Gotham" in out and "non-numeric" in out and "negative" in out

"""Store schema 2: ``observations`` without a primary key, uniqueness checked per batch.

* A store made with schema 1 (the primary key on ``(import_id, variable, region, year)``)
  reads as it is, and its next import migrates it in the import's own transaction: same rows,
  version 2, no key; a refused import leaves it at version 1, untouched.
* One value per (variable, region, year) is still enforced: a bulk batch whose repeats were
  not merged by validation is refused by the store's SQL check with the pandas path's words,
  and ``verify`` finds a cell stored twice by one import.

Real values from ../shared/data/panel; the version-1 store is built here from the current
store by rebuilding its table with the old key (what an older nqpf wrote).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from nqpf.data import screen
from nqpf.data.importers import read_file
from nqpf.data.importers.bulk import BulkBatch
from nqpf.data.store import OBSERVATIONS_V1, SCHEMA_VERSION, Store, _check_structure
from nqpf.errors import ValidationError

HEADER = "region,year,variable,value,unit\n"


def _constraints(path: Path) -> list[str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return [str(r[0]) for r in con.execute(
            "SELECT constraint_type FROM duckdb_constraints() WHERE table_name = 'observations'"
        ).fetchall()]
    finally:
        con.close()


def _version(path: Path) -> str:
    con = duckdb.connect(str(path), read_only=True)
    try:
        row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        assert row is not None
        return str(row[0])
    finally:
        con.close()


def _make_v1(path: Path) -> None:
    """Turn a store into what nqpf wrote with schema 1: the observations table with its key."""
    con = duckdb.connect(str(path))
    try:
        con.execute("BEGIN")
        con.execute("CREATE TABLE o_old AS SELECT * FROM observations")
        con.execute("DROP TABLE observations")
        con.execute(OBSERVATIONS_V1)
        con.execute("INSERT INTO observations SELECT * FROM o_old")
        con.execute("DROP TABLE o_old")
        con.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
        con.execute("COMMIT")
        con.execute("CHECKPOINT")
    finally:
        con.close()


@pytest.fixture
def v1_store(tmp_path: Path, data_dir: Path) -> Store:
    s = Store(tmp_path / "v1.duckdb", wait=0)
    s.import_files([data_dir / "panel" / "national.csv"], progress=False)
    _make_v1(s.path)
    assert _version(s.path) == "1" and "PRIMARY KEY" in _constraints(s.path)
    return s


def test_new_store_has_no_primary_key(tmp_path: Path, data_dir: Path) -> None:
    s = Store(tmp_path / "new.duckdb", wait=0)
    s.import_files([data_dir / "panel" / "national.csv"], progress=False)
    assert _version(s.path) == str(SCHEMA_VERSION) == "2"
    assert "PRIMARY KEY" not in _constraints(s.path)
    assert _constraints(s.path).count("NOT NULL") == 5  # the columns' own constraints kept


def test_old_schema_store_reads_then_migrates_on_import(v1_store: Store, data_dir: Path) -> None:
    before = v1_store.observations()
    assert len(before) == 262
    assert v1_store.verify().ok and _version(v1_store.path) == "1"  # read as it is
    pat = before.set_index(["variable", "year"]).loc[("patents_granted", 2020), "value"]
    rep = v1_store.import_files([data_dir / "panel" / "provinces.csv"], progress=False)
    assert rep.n_values == 19823
    assert _version(v1_store.path) == "2" and "PRIMARY KEY" not in _constraints(v1_store.path)
    after = v1_store.observations()
    assert len(after) == 262 + 19823
    old = after[after["import_id"] == 1].reset_index(drop=True)
    pd.testing.assert_frame_equal(old, before)  # the old rows, unchanged
    assert after.set_index(["region_code", "variable", "year"]).loc[("100000", "patents_granted", 2020), "value"] == pat == 3520901.0
    assert v1_store.verify().ok and v1_store.verify().counts["observations"] == 262 + 19823


def test_refused_import_leaves_old_store_unmigrated(v1_store: Store, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "Atlantis,2020,gdp_x,1,yuan\n", encoding="utf-8")
    with pytest.raises(ValidationError):
        v1_store.import_files([bad], progress=False)
    assert _version(v1_store.path) == "1" and "PRIMARY KEY" in _constraints(v1_store.path)


def _bulk(f: Path, monkeypatch: pytest.MonkeyPatch) -> BulkBatch:
    monkeypatch.setenv("NQPF_BULK_MB", "0")
    (b,) = read_file(f)
    assert isinstance(b, BulkBatch)
    return b


def test_bulk_repeats_not_merged_are_refused_in_sql(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "rep.csv"
    f.write_text(HEADER + "北京,2020,gdp_x,1.5,yuan\n上海,2020,gdp_x,2,yuan\n北京市,2020,gdp_x,1.5,yuan\n"
                 "Beijing,2020,gdp_x,1.50,yuan\n", encoding="utf-8")
    b = _bulk(f, monkeypatch)
    assert not b.unique_keys  # nothing has grouped its keys yet
    with pytest.raises(ValidationError) as exc:
        _check_structure([b])  # as if validation had been skipped
    monkeypatch.setenv("NQPF_BULK_MB", "1e9")
    (a,) = read_file(f)
    with pytest.raises(ValidationError) as ref:
        _check_structure([a])  # the pandas path's own check, same words
    assert exc.value.problems == ref.value.problems
    assert exc.value.problems[0].endswith(": 3 values share a (variable, region, year), e.g. gdp_x 110000 2020 at line 2")
    # validation merges the repeats (one figure) and marks the batch: the store adds no pass
    kept = screen.validate([b], {}, "error")[0]
    assert isinstance(kept, BulkBatch) and kept.unique_keys and kept.n_values() == 2
    _check_structure([kept])
    assert screen.repeated_keys(kept, "x") == []


def test_clean_bulk_batch_marked_and_stored_once(tmp_path: Path, data_dir: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    b = _bulk(data_dir / "panel" / "provinces.csv", monkeypatch)
    kept = screen.validate([b], {}, "error")[0]
    assert kept.unique_keys and screen.repeated_keys(kept, "x") == []
    s = Store(tmp_path / "s.duckdb", wait=0)
    s.import_batches([kept])
    con = duckdb.connect(str(s.path), read_only=True)
    try:
        n, keys = con.execute("SELECT count(*), count(DISTINCT (variable, region_code, year)) "
                              "FROM observations").fetchone() or (0, 0)
    finally:
        con.close()
    assert n == keys == 19823


def test_verify_finds_a_cell_stored_twice(tmp_path: Path, data_dir: Path) -> None:
    s = Store(tmp_path / "s.duckdb", wait=0)
    s.import_files([data_dir / "panel" / "national.csv"], progress=False)
    con = duckdb.connect(str(s.path))
    try:  # what the old primary key refused: a second row of one cell in one import
        con.execute("INSERT INTO observations SELECT import_id, variable, region_code, year, value + 1, "
                    "line, cell FROM observations WHERE variable = 'patents_granted' AND year = 2020")
        con.execute("UPDATE imports SET n_values = n_values + 1")
    finally:
        con.close()
    rep = s.verify()
    assert not rep.ok
    assert rep.problems == ["1 cells stored twice by one import (same import, variable, region and year): "
                            "1 patents_granted 100000 2020"]

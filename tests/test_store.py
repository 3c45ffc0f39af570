"""The DuckDB store, on small hand-built batches: vintages, provenance, all-or-nothing writes."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

import nqpf.data.store as store_mod
from nqpf.data.batch import ImportBatch, Provenance
from nqpf.data.store import SCHEMA_VERSION, Store, format_years
from nqpf.errors import StoreError, UnknownRegionError, ValidationError

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def make_batch(
    sha: str,
    rows: list[tuple[str, int, float]],
    *,
    variable: str = "gdp",
    unit: str = "100 million yuan",
    sheet: str = "",
    file: str | None = None,
    at: datetime = T0,
    name_en: str = "Gross regional product",
) -> ImportBatch:
    """A batch of one variable from (region_code, year, value) rows."""
    obs = pd.DataFrame(
        {
            "region_code": [r[0] for r in rows],
            "year": [r[1] for r in rows],
            "variable": variable,
            "value": [r[2] for r in rows],
            "line": list(range(2, 2 + len(rows))),
            "cell": [f"D{i}" for i in range(2, 2 + len(rows))],
        }
    )
    cat = pd.DataFrame(
        [{"variable": variable, "name_en": name_en, "name_zh": "地区生产总值", "unit": unit,
          "source": "test", "notes": ""}]
    )  # fmt: skip
    prov = Provenance(file or f"/data/{sha}.csv", sha, "tidy", sheet, at)
    return ImportBatch(obs, cat, prov)


def sha_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "s.duckdb")


@pytest.fixture
def filled(store: Store) -> Store:
    """Two vintages of gdp: file a (2020-2021, Beijing, Shanghai, nation) then file b."""
    store.import_batches(
        [make_batch("a", [("110000", 2020, 100.0), ("110000", 2021, 110.0),
                          ("310000", 2020, 200.0), ("100000", 2020, 1000.0)], at=T0)]
    )  # fmt: skip
    store.import_batches(
        [make_batch("b", [("110000", 2020, 101.0), ("310000", 2022, 230.0)],
                    at=T0 + timedelta(days=10), name_en="GRP (revised)")]
    )  # fmt: skip
    return store


def test_default_path_from_env(tmp_path: Path) -> None:
    # conftest points NQPF_STORE at tmp_path/store.duckdb
    assert Store().path == tmp_path / "store.duckdb"


def test_import_then_query_values_and_catalog(store: Store) -> None:
    rep = store.import_batches(
        [make_batch("a", [("110000", 2020, 36102.6), ("310000", 2020, np.nan),
                          ("440000", 2020, 110760.9)])]
    )  # fmt: skip
    assert rep.changed and rep.n_values == 2 and rep.n_missing == 1
    assert rep.variables == ["gdp"]
    assert [b.import_id for b in rep.imported] == [1]
    p = store.panel()
    wide = p.to_wide("gdp")
    assert wide.loc[2020, "110000"] == 36102.6
    assert wide.loc[2020, "440000"] == 110760.9
    # the missing value is not stored (and certainly not as zero)
    assert "310000" not in p.regions
    assert p.unit("gdp") == "100 million yuan"
    assert store.imports().loc[0, "n_missing"] == 1
    assert not store.is_empty()


def test_reimport_same_file_is_noop(filled: Store) -> None:
    before = sha_of(filled.path)
    n_before = len(filled.imports())
    rep = filled.import_batches([make_batch("a", [("110000", 2020, 100.0)])])
    assert not rep.changed
    assert [b.status for b in rep.batches] == ["skipped"]
    assert rep.skipped[0].import_id == 1
    assert rep.files_skipped == ["/data/a.csv"] and rep.files_imported == []
    assert sha_of(filled.path) == before
    assert len(filled.imports()) == n_before


def test_same_sha_other_sheet_is_new(filled: Store) -> None:
    rep = filled.import_batches([make_batch("a", [("120000", 2020, 5.0)], sheet="Sheet2")])
    assert rep.changed and rep.imported[0].import_id == 3


def test_duplicate_batches_in_one_import_written_once(store: Store) -> None:
    b = make_batch("a", [("110000", 2020, 1.0)])
    rep = store.import_batches([b, b])
    assert [x.status for x in rep.batches] == ["imported", "skipped"]
    assert len(store.imports()) == 1


def test_latest_vintage_wins_older_kept(filled: Store) -> None:
    obs = filled.observations(["gdp"])
    got = {(r.region_code, r.year): (r.value, r.import_id) for r in obs.itertuples()}
    assert got == {
        ("110000", 2020): (101.0, 2),  # revised by b
        ("110000", 2021): (110.0, 1),  # only in a: still there
        ("310000", 2020): (200.0, 1),
        ("310000", 2022): (230.0, 2),
        ("100000", 2020): (1000.0, 1),
    }
    # one vintage only
    v1 = filled.series("gdp", vintage=1)
    assert v1.loc[2020, "110000"] == 100.0 and 2022 not in v1.index
    # the store as it was between the two imports
    stored = filled.imports()["stored_at"]
    mid = stored.iloc[0] + (stored.iloc[1] - stored.iloc[0]) / 2
    old = filled.panel(as_of=mid).to_wide("gdp")
    assert old.loc[2020, "110000"] == 100.0
    assert 2022 not in old.index
    assert filled.panel(as_of=mid.isoformat()).to_wide("gdp").loc[2020, "110000"] == 100.0
    assert filled.panel(as_of=stored.iloc[1]).to_wide("gdp").loc[2020, "110000"] == 101.0
    assert len(filled.panel(as_of="2000-01-01")) == 0
    # catalog takes the newer non-empty names
    assert filled.catalog().set_index("variable").loc["gdp", "name_en"] == "GRP (revised)"


def test_query_filters_accept_region_aliases(filled: Store) -> None:
    s = filled.series("gdp", regions=["北京", "Shanghai"], years=[2020])
    assert list(s.columns) == ["110000", "310000"]
    assert list(s.loc[2020]) == [101.0, 200.0]
    with pytest.raises(UnknownRegionError):
        filled.series("gdp", regions=["Atlantis"])


def test_provenance_lists_every_vintage(filled: Store) -> None:
    pv = filled.provenance("gdp", "Beijing", 2020)
    assert pv["import_id"].tolist() == [2, 1]
    assert pv["value"].tolist() == [101.0, 100.0]
    assert pv["current"].tolist() == [True, False]
    assert pv["source_file"].tolist() == ["/data/b.csv", "/data/a.csv"]
    assert pv["sha256"].tolist() == ["b", "a"]
    assert pv["cell"].tolist() == ["D2", "D2"]
    assert filled.provenance("gdp", "110000", 1999).empty


def test_unknown_variable_is_named(filled: Store) -> None:
    with pytest.raises(ValidationError, match=r"gpd.*did you mean gdp") as ei:
        filled.panel(["gpd"])
    assert ei.value.variable == "gpd"


def test_unknown_vintage(filled: Store) -> None:
    with pytest.raises(StoreError, match="no import 9"):
        filled.panel(vintage=9)


def test_coverage_and_matrix(filled: Store) -> None:
    filled.import_batches(
        [make_batch("c", [("110000", y, 1.0) for y in (2010, 2012, 2013, 2014)],
                    variable="rd", unit="10k yuan")]
    )  # fmt: skip
    cov = filled.coverage().set_index("variable")
    assert cov.loc["rd", "years_covered"] == "2010,2012-2014"
    assert cov.loc["rd", "provinces_covered"] == 1
    assert cov.loc["rd", "unit"] == "10k yuan"
    assert cov.loc["gdp", "years_covered"] == "2020-2022"
    assert cov.loc["gdp", "provinces_covered"] == 2  # the nation 100000 is not a province
    assert cov.loc["gdp", "n_obs"] == 5
    assert (cov.loc["gdp", "first_year"], cov.loc["gdp", "last_year"]) == (2020, 2022)
    m = filled.coverage_matrix()
    assert m.loc["gdp", 2020] == 2 and m.loc["gdp", 2021] == 1 and m.loc["rd", 2011] == 0


def test_variables_table(filled: Store) -> None:
    v = filled.variables().set_index("variable")
    row = v.loc["gdp"]
    assert row["n_obs"] == 5 and row["n_regions"] == 3 and row["n_vintages"] == 2
    assert row["source_files"] == "/data/a.csv; /data/b.csv"
    assert (row["first_year"], row["last_year"]) == (2020, 2022)


def test_format_years() -> None:
    assert format_years([2010, 2015, 2020]) == "2010,2015,2020"
    assert format_years([2011, 2010, 2013, 2014, 2015]) == "2010-2011,2013-2015"
    assert format_years([]) == ""


def test_unit_clash_rejected_and_store_unchanged(filled: Store) -> None:
    before = sha_of(filled.path)
    with pytest.raises(ValidationError) as ei:
        filled.import_batches([make_batch("z", [("110000", 2023, 1.0)], unit="yuan")])
    assert any("100 million yuan" in p and "gdp" in p for p in ei.value.problems)
    assert sha_of(filled.path) == before


def test_unit_clash_between_new_batches(store: Store) -> None:
    with pytest.raises(ValidationError) as ei:
        store.import_batches(
            [make_batch("x", [("110000", 2020, 1.0)]),
             make_batch("y", [("110000", 2021, 1.0)], unit="yuan")]
        )  # fmt: skip
    assert any("unit" in p and "gdp" in p for p in ei.value.problems)
    assert not store.path.exists()


def _leftovers(d: Path) -> list[str]:
    """Files beside the store other than the store and its lock file (which is kept)."""
    return sorted(p.name for p in d.iterdir() if p.name not in ("s.duckdb", "s.duckdb.lock"))


def test_failure_in_last_batch_writes_nothing(filled: Store) -> None:
    before = sha_of(filled.path)
    good = [make_batch(s, [("120000", 2020, 3.0)]) for s in ("g1", "g2")]
    bad = make_batch("bad", [("110000", 2020, 1.0), ("110000", 2020, 2.0)])  # duplicate key
    with pytest.raises(ValidationError) as ei:
        filled.import_batches([*good, bad])
    assert "bad.csv" in ei.value.problems[0]
    assert sha_of(filled.path) == before
    assert _leftovers(filled.path.parent) == []
    assert len(filled.imports()) == 2


def test_failure_while_writing_leaves_store_unchanged(
    filled: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database error after rows went into the copy: the store is untouched."""
    real = store_mod._merge_catalog

    def broken(*args: object, **kw: object) -> pd.DataFrame:
        cat = real(*args, **kw)  # type: ignore[arg-type]
        cat["unit"] = None  # violates NOT NULL when the catalog is written, after observations
        return cat

    monkeypatch.setattr(store_mod, "_merge_catalog", broken)
    before = sha_of(filled.path)
    with pytest.raises(StoreError, match="nothing was written"):
        filled.import_batches([make_batch("n", [("120000", 2020, 3.0)])])
    assert sha_of(filled.path) == before
    assert _leftovers(filled.path.parent) == []


def test_failed_first_import_creates_no_file(store: Store) -> None:
    bad = make_batch("bad", [("110000", 2020, 1.0), ("110000", 2020, 2.0)])
    with pytest.raises(ValidationError):
        store.import_batches([bad])
    assert not store.path.exists()
    assert _leftovers(store.path.parent) == []


def test_empty_store_queries_create_nothing(store: Store) -> None:
    assert store.is_empty()
    assert store.coverage().empty and store.imports().empty and store.variables().empty
    assert len(store.panel()) == 0
    assert not store.path.exists()


def test_not_an_nqpf_store(tmp_path: Path) -> None:
    junk = tmp_path / "junk.duckdb"
    junk.write_text("region,year\n北京,2020\n")
    with pytest.raises(StoreError, match="not an nqpf store"):
        Store(junk).coverage()
    with pytest.raises(StoreError, match="not an nqpf store"):
        Store(junk).import_batches([make_batch("a", [("110000", 2020, 1.0)])])
    assert junk.read_text() == "region,year\n北京,2020\n"
    other = tmp_path / "other.duckdb"
    con = duckdb.connect(str(other))
    con.execute("CREATE TABLE t (a INT)")
    con.close()
    with pytest.raises(StoreError, match="not an nqpf store"):
        Store(other).is_empty()


def test_schema_version_recorded(filled: Store) -> None:
    con = duckdb.connect(str(filled.path), read_only=True)
    try:
        row = con.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        n = con.execute("SELECT count(*) FROM observations").fetchone()
    finally:
        con.close()
    assert row == (str(SCHEMA_VERSION),)
    assert n == (6,)  # 4 from a + 2 from b: every vintage kept


def test_locked_by_another_process(filled: Store) -> None:
    code = textwrap.dedent(
        f"""
        import duckdb, sys, time
        con = duckdb.connect({str(filled.path)!r})
        print("ready", flush=True)
        sys.stdin.readline()
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        busy = Store(filled.path, wait=0.3)  # a foreign program: waited for, then refused
        with pytest.raises(StoreError, match="locked"):
            busy.import_batches([make_batch("q", [("120000", 2020, 3.0)])])
        with pytest.raises(StoreError, match="locked"):
            busy.coverage()
    finally:
        assert proc.stdin is not None
        proc.stdin.write("\n")
        proc.stdin.close()
        proc.wait(timeout=10)
    assert len(filled.imports()) == 2


def test_empty_file_is_not_a_store(tmp_path: Path) -> None:
    f = tmp_path / "empty.duckdb"
    f.touch()
    with pytest.raises(StoreError, match="empty file"):
        Store(f).import_batches([make_batch("a", [("110000", 2020, 1.0)])])
    assert f.stat().st_size == 0

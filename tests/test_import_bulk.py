"""The bulk import path (DuckDB reader, SQL screen) against the pandas path on the same files.

Every test reads the same input twice, once with the bulk path forced on (``NQPF_BULK_MB=0``)
and once forced off, and asserts the same observations, catalog, stored values and, for bad
input, the same problem messages (file, line, cell, region, variable). Real files come from
../shared/data; the small bad tables are fixtures written here (not statistics).
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nqpf.data.batch import ImportBatch
from nqpf.data.importers import read_file
from nqpf.data.importers.bulk import BulkBatch
from nqpf.data.store import Store, _validate
from nqpf.errors import ValidationError
from test_bad_input import CASES, HEADER


@contextlib.contextmanager
def path(bulk: bool) -> Iterator[None]:
    """Force the bulk path on or off for files read inside the block."""
    mp = pytest.MonkeyPatch()
    mp.setenv("NQPF_BULK_MB", "0" if bulk else "1e9")
    try:
        yield
    finally:
        mp.undo()


def both(f: Path, **kw: object) -> tuple[ImportBatch, ImportBatch]:
    """(bulk, pandas) batches of a one-table file."""
    with path(True):
        (b,) = read_file(f, **kw)  # type: ignore[arg-type]
    with path(False):
        (a,) = read_file(f, **kw)  # type: ignore[arg-type]
    assert isinstance(b, BulkBatch) and not isinstance(a, BulkBatch)
    return b, a


def same_batch(b: ImportBatch, a: ImportBatch) -> None:
    pd.testing.assert_frame_equal(b.observations, a.observations)
    pd.testing.assert_frame_equal(b.variables, a.variables)
    assert b.raw_regions == a.raw_regions
    assert (b.n_rows(), b.n_values(), b.obs_variables()) == (a.n_rows(), a.n_values(), a.obs_variables())


def problems(f: Path | list[Path], store: Path, bulk: bool, **kw: object) -> list[str]:
    """The problems an import of ``f`` is refused with (``[]`` if it is accepted)."""
    with path(bulk):
        try:
            Store(store, wait=0).import_files(f if isinstance(f, list) else [f], progress=False, **kw)  # type: ignore[arg-type]
        except ValidationError as exc:
            return exc.problems
    return []


@pytest.mark.parametrize("rel", ["panel/provinces.csv", "extension/nbs_tongjimodule.csv",
                                 "extension/cuc_ceads_apparent_and_gdp_index.csv"])
def test_real_files_read_the_same(data_dir: Path, rel: str) -> None:
    b, a = both(data_dir / rel)
    same_batch(b, a)
    assert b.n_values() > 3000 and b.observations["raw"].eq("").all()


def test_real_panel_spot_values_and_lines(data_dir: Path) -> None:
    b, _ = both(data_dir / "panel" / "provinces.csv")
    obs = b.observations
    assert len(obs) == 19823
    first = obs.iloc[0]
    assert (first["region_code"], first["year"], first["variable"], first["value"], first["line"], first["cell"]) == \
        ("110000", 2010, "aging_rate", 8.73, 2, "F2")
    hit = obs.set_index(["region_code", "year", "variable"])
    assert hit.loc[("640000", 2013, "hitech_profit"), "value"] == pytest.approx(-0.1)
    assert hit.loc[("440000", 2020, "gdp"), "value"] == pytest.approx(113708.9)


def test_parquet_reads_the_same(tmp_path: Path, data_dir: Path) -> None:
    real = pd.read_csv(data_dir / "panel" / "provinces.csv")  # region codes as integers
    f = tmp_path / "panel.parquet"
    real[["region_code", "year", "variable", "value", "unit"]].to_parquet(f)
    b, a = both(f, mapping={"region": "region_code"})
    same_batch(b, a)
    assert b.observations["cell"].eq("value").all() and b.observations["line"].iloc[0] == 1


def test_stores_hold_the_same(tmp_path: Path, data_dir: Path) -> None:
    files = [data_dir / "panel" / "provinces.csv", data_dir / "panel" / "national.csv"]
    out = []
    for bulk in (True, False):
        s = Store(tmp_path / f"{bulk}.duckdb", wait=0)
        with path(bulk):
            rep = s.import_files(files, progress=False)
        assert rep.n_values == 19823 + 262
        out.append((s.observations(), s.imports()[["source_file", "n_values", "n_missing"]], s.catalog()))
    for x, y in zip(out[0], out[1], strict=True):
        pd.testing.assert_frame_equal(x, y)


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_same_messages(case: str, tmp_path: Path, data_dir: Path) -> None:
    bad = tmp_path / f"{case}.csv"
    bad.write_text(CASES[case][0], encoding="utf-8")
    got = []
    for bulk in (True, False):
        store = tmp_path / f"{bulk}.duckdb"
        Store(store, wait=0).import_files([data_dir / "panel" / "national.csv"], progress=False)
        got.append(problems(bad, store, bulk))
    assert got[0] and got[0] == got[1]


MORE = {
    # a unit per row that differs from the variable's, and several units without a catalog
    "row_units": HEADER + "北京,2020,x1,1,yuan\n上海,2020,x1,2,10k yuan\n天津,2020,x2,1,%\n天津,2021,x2,1,yuan\n",
    "years": HEADER + "北京,1850,x,1,yuan\n北京,twenty,x,1,yuan\n北京,2020年,x,1,yuan\n北京,2021.0,x,1,yuan\n",
    "cells": HEADER + "北京,2020,x,1_000,yuan\n上海,2020,x,\u00a012,yuan\n天津,2020,x,\"1,234.5\",yuan\n"
                      "河北,2020,x,１２３,yuan\n山西,2020,x,inf,yuan\n辽宁,2020,x,1e400,yuan\n吉林,2020,x,--,yuan\n"
                      "黑龙江,2020,x, 7 ,yuan\n江苏,2020,x,+.5,yuan\n",
    "empty_ids": HEADER + ",2020,x,1,yuan\n北京,2020,,1,yuan\n",
    # the same figure at two precisions is accepted (the more precise kept); a third is not
    "precision": HEADER + "北京,2020,gdp_x,6489540.7,yuan\n北京,2020,gdp_x,6489541,yuan\n"
                          "上海,2020,gdp_x,5,yuan\n上海,2020,gdp_x,,yuan\n",
    "conflict": HEADER + "北京,2020,gdp_x,1.5,yuan\n北京市,2020,gdp_x,2.5,yuan\nBeijing,2020,gdp_x,3.5,yuan\n",
    # blank lines are skipped by both readers; spaces around cells are read alike
    "layout": HEADER + "北京,2020,x,1,yuan\n\n 上海 , 2020 , x , 2 , yuan \n",
}


@pytest.mark.parametrize("case", sorted(MORE))
def test_more_cases_same_outcome(case: str, tmp_path: Path) -> None:
    f = tmp_path / f"{case}.csv"
    f.write_text(MORE[case], encoding="utf-8")
    b, a = both(f)
    same_batch(b, a)
    got, stored = [], []
    for bulk in (True, False):
        store = tmp_path / f"{bulk}.duckdb"
        got.append(problems(f, store, bulk))
        stored.append(Store(store).observations() if store.exists() else None)
    assert got[0] == got[1]
    if got[0]:
        assert not any(s is not None and len(s) for s in stored)
    else:
        pd.testing.assert_frame_equal(stored[0], stored[1])


def test_bom_and_header_only(tmp_path: Path) -> None:
    f = tmp_path / "bom.csv"
    f.write_bytes((HEADER + "北京,2020,x,1,yuan\n").encode("utf-8-sig"))
    same_batch(*both(f))
    h = tmp_path / "header.csv"
    h.write_text(HEADER, encoding="utf-8")
    b, a = both(h)
    assert b.n_rows() == a.n_rows() == 0
    with path(True):
        rep = Store(tmp_path / "s.duckdb", wait=0).import_files([h], progress=False)
    assert len(rep.empty) == 1 and not rep.changed


def test_precision_repeat_keeps_the_precise_value(tmp_path: Path) -> None:
    f = tmp_path / "precision.csv"
    f.write_text(MORE["precision"], encoding="utf-8")
    with path(True):
        Store(tmp_path / "s.duckdb", wait=0).import_files([f], progress=False)
    obs = Store(tmp_path / "s.duckdb").observations().set_index("region_code")
    assert obs.loc["110000", "value"] == 6489540.7 and obs.loc["110000", "line"] == 2
    assert obs.loc["310000", "value"] == 5


@pytest.mark.parametrize("policy", ["newer", "older"])
def test_conflict_policies_same_on_both_paths(policy: str, tmp_path: Path) -> None:
    f1, f2 = tmp_path / "a.csv", tmp_path / "b.csv"
    f1.write_text(HEADER + "北京,2020,gdp_x,1.5,yuan\n上海,2020,gdp_x,2,yuan\n", encoding="utf-8")
    f2.write_text(HEADER + "北京,2020,gdp_x,9.5,yuan\n上海,2020,gdp_x,2.0,yuan\n天津,2020,gdp_x,4,yuan\n",
                  encoding="utf-8")
    out = []
    for bulk in (True, False):
        s = Store(tmp_path / f"{bulk}.duckdb", wait=0)
        with path(bulk):
            rep = s.import_files([f1, f2], progress=False, on_conflict=policy)
        out.append((s.observations()[["region_code", "value", "import_id"]], rep.n_kept_older, rep.n_values))
    pd.testing.assert_frame_equal(out[0][0], out[1][0])
    assert out[0][1:] == out[1][1:]
    assert out[0][1] == (1 if policy == "older" else 0)
    with path(True):
        assert problems([f1, f2], tmp_path / "e.duckdb", True)[0].startswith("region Beijing")


def test_falls_back_to_pandas(tmp_path: Path) -> None:
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes(("省份,年份,指标,数值\n北京市,2020年,patents,100\n").encode("gbk"))
    wide = tmp_path / "wide.csv"
    wide.write_text("region,year,x,y\n北京,2020,1,2\n", encoding="utf-8")
    with path(True):
        (g,) = read_file(gbk, mapping={"region": "省份", "year": "年份", "variable": "指标", "value": "数值"})
        (w,) = read_file(wide, mapping={}, unit="yuan")
    assert not isinstance(g, BulkBatch) and g.observations["value"].tolist() == [100.0]
    assert not isinstance(w, BulkBatch) and sorted(w.observations["variable"]) == ["x", "y"]


# -- property-based: random small tables read and validated the same on both paths ------------
VALUE = st.one_of(
    st.sampled_from(["", "-", "…", "NA", "1e308", "-1", "\"1,234.5\"", "１２３", "nan", "inf", "1_0",
                     "0.10", "5", "5.0", " 7", "abc", "+.5", "1e400"]),
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(repr),
    st.integers(-5, 3000).map(str),
)
ROW = st.tuples(
    st.sampled_from(["北京", "北京市", " Guangdong", "110000", "上海", "Shanghai", "Atlantis", ""]),
    st.sampled_from(["2020", "2020年", " 2021", "2021.0", "1850", "year", ""]),
    st.sampled_from(["gdp", "population", "urbanization_rate", "profit_x", " x ", ""]),
    VALUE,
    st.sampled_from(["yuan", "10k yuan", "%", "10k persons", ""]),
)
_DIR = tempfile.TemporaryDirectory(prefix="nqpf_bulk_fuzz_")
COUNT = {"cases": 0, "refused": 0}


def _outcome(f: Path, bulk: bool) -> tuple[str, object]:
    with path(bulk):
        try:
            (b,) = read_file(f)
            kept = _validate([b], {}, "error")[0]
        except ValidationError as exc:
            return "refused", exc.problems
        return "ok", kept.observations.drop(columns=[c for c in ("bulk_row",) if c in kept.observations])


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ROW, min_size=1, max_size=6))
def test_fuzz_both_paths_agree(rows: list[tuple[str, ...]]) -> None:
    f = Path(_DIR.name) / "t.csv"
    f.write_text(HEADER + "".join(",".join(r) + "\n" for r in rows), encoding="utf-8")
    b, a = _outcome(f, True), _outcome(f, False)
    assert b[0] == a[0], (b, a)
    if b[0] == "ok":
        x, y = b[1], a[1]
        assert isinstance(x, pd.DataFrame) and isinstance(y, pd.DataFrame)
        pd.testing.assert_frame_equal(x.reset_index(drop=True), y.reset_index(drop=True))
    else:
        assert b[1] == a[1]
        COUNT["refused"] += 1
    COUNT["cases"] += 1


def test_fuzz_count() -> None:
    print(f"\nbulk/pandas agreement: {COUNT['cases']} random tables, {COUNT['refused']} refused with "
          "the same messages on both paths, the rest read to the same values")
    assert COUNT["cases"] == 40 and 0 < COUNT["refused"] < 40

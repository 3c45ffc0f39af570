"""An import reads and writes only its own variables' catalog rows and history."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
from tests.test_store import T0, make_batch

import nqpf.data.store as store_mod
from nqpf.data.store import Store


def _catalog_rows(store: Store) -> dict[str, tuple[object, ...]]:
    con = duckdb.connect(str(store.path), read_only=True)
    try:
        rows = con.execute("SELECT * FROM variables ORDER BY variable").fetchall()
    finally:
        con.close()
    return {str(r[0]): tuple(r[1:]) for r in rows}


def test_revision_of_an_old_variable_after_unrelated_imports(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.duckdb")
    store.import_batches([make_batch("a", [("110000", 2020, 100.0), ("310000", 2020, 200.0)])])
    for i, sha in enumerate(["p1", "p2"]):
        store.import_batches([make_batch(sha, [("110000", 2020 + i, 5.0 + i)], variable="pop",
                                         unit="10k persons", name_en="Population")])
    before = _catalog_rows(store)
    rep = store.import_batches(
        [make_batch("b", [("110000", 2020, 101.0), ("310000", 2020, 200.0),
                          ("120000", 2020, 50.0)], at=T0 + timedelta(days=1),
                    name_en="GRP (revised)")]
    )  # fmt: skip
    (b,) = rep.imported
    assert (b.import_id, b.n_revised, b.n_restated) == (4, 1, 1)
    after = _catalog_rows(store)
    assert after["pop"] == before["pop"]  # untouched rows stay as they were
    assert after["gdp"][0] == "GRP (revised)" and after["gdp"][-2:] == (1, 4)
    assert set(after) == {"gdp", "pop"}
    assert Store(store.path).verify().ok


def test_revision_counts_since_first_vintage_equal_full_scan(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[dict[int, tuple[int, int]], dict[int, tuple[int, int]]]] = []
    real = store_mod._revision_counts

    def both(con: duckdb.DuckDBPyConnection, first: int, since: int | None = None) -> object:
        fast, full = real(con, first, since), real(con, first)
        seen.append((fast, full))
        return fast

    monkeypatch.setattr(store_mod, "_revision_counts", both)
    store = Store(tmp_path / "s.duckdb")
    for k in range(6):
        var = ["gdp", "pop", "gdp"][k % 3]
        rows = [("110000", 2020 + j, float(k + j)) for j in range(3)] + [("310000", 2020, 7.0)]
        store.import_batches([make_batch(f"f{k}", rows, variable=var)], on_conflict="newer")
    store.import_batches([make_batch("x1", [("110000", 2020, 1.0)], variable="gdp"),
                          make_batch("x2", [("110000", 2020, 2.0)], variable="pop")],
                         on_conflict="newer")  # fmt: skip
    assert seen and all(fast == full for fast, full in seen)
    assert any(fast for fast, _ in seen)

"""The catalog merge of an import (whole-column operations, no loop per variable), checked
against a hand-worked case: which name, unit, source, notes and import ids each variable
keeps when a stored row and two batches speak of it. The frames are fixtures, not statistics."""

from __future__ import annotations

import pandas as pd

from nqpf.data.batch import ImportBatch, Provenance
from nqpf.data.store import _CATALOG_COLS, _merge_catalog, _State

COLS = ["variable", "name_en", "name_zh", "unit", "source", "notes"]


def _batch(catalog: list[tuple[str, ...]], obs_vars: list[str]) -> ImportBatch:
    obs = pd.DataFrame({"region_code": "110000", "year": 2020, "variable": obs_vars, "value": 1.0,
                        "line": 2, "cell": "D2"})
    return ImportBatch(obs, pd.DataFrame(catalog, columns=COLS), Provenance("f.csv", "x", "tidy"))


def test_merge_catalog_hand_worked() -> None:
    stored = pd.DataFrame([("a", "A old", "", "yuan", "s0", "n0", 1, 2)],
                          columns=[*_CATALOG_COLS, "first_import", "last_import"])
    state = _State(True, {}, {"a": "yuan"}, stored, 5, 1)
    b1 = _batch([("a", "", "甲", "10k yuan", "s1", ""), ("b", "B", "", "", "", "")], ["a", "c"])
    # b twice in one batch's catalog: its last row counts, whole (the first row's unit and notes go)
    b2 = _batch([("b", "B2", "", "万元", "", "nb"), ("b", "B3", "", "", "s2", "")], ["b"])
    out = _merge_catalog(state, [b1, b2], [5, 6]).set_index("variable")
    assert list(out.index) == ["a", "b", "c"]
    # a: the stored unit never changes; a later non-empty name/source replaces, empty ones do not;
    # first import stays the stored one, last import is the last with values of it
    assert out.loc["a"].tolist() == ["A old", "甲", "yuan", "s1", "n0", 1, 5]
    # b: new in import 5 (named in its catalog, no values), values in import 6
    assert out.loc["b"].tolist() == ["B3", "", "", "s2", "", 5, 6]
    # c: values only, no catalog row: empty texts, first = last = 5
    assert out.loc["c"].tolist() == ["", "", "", "", "", 5, 5]


def test_merge_catalog_units_normalised_and_first_unit_wins() -> None:
    empty = pd.DataFrame(columns=[*_CATALOG_COLS, "first_import", "last_import"])
    state = _State(False, {}, {}, empty, 1, 1)
    b1 = _batch([("x", "X", "", "万元", "", "")], ["x"])
    b2 = _batch([("x", "", "", "yuan", "", "")], ["x"])
    out = _merge_catalog(state, [b1, b2], [1, 2]).set_index("variable")
    assert out.loc["x"].tolist() == ["X", "", "10k yuan", "", "", 1, 2]

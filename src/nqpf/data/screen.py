"""Vectorised validation of imports that hold bulk batches (:mod:`nqpf.data.importers.bulk`).

The rules and messages are those of :mod:`nqpf.data.validate`, applied in two steps:

1. **Screen.** One SQL pass per bulk batch over the staging database marks every row that
   any rule could name: unknown or empty region, a cell that is not a number, a row fault,
   a year outside 1900-2100, an empty variable id, a negative level or a share outside
   0-100 (by the rule of the variable's unit and name, :func:`~nqpf.data.validate.value_rule`),
   a unit that differs from the variable's (and the first row of each unit of a variable
   without one), and every row of a (region, year, variable) given more than once, within
   the batch or, when conflicts are errors, across all batches of the import.
2. **Message.** Only the marked rows become a pandas batch, and
   :func:`~nqpf.data.validate.validate_batches` runs on them (and on the import's small
   pandas batches, whole). Every rule's message depends only on the rows it names, all of
   which are marked, so the problems, lines and cells are exactly those of the pandas path.

A clean file marks no row, so its rows are never taken out of DuckDB. Repeats that
validation accepts (the same figure at two precisions) and, for ``on_conflict="older"``,
later conflicting values are dropped the same way: the rows of repeated keys are taken out,
the pandas rule decides, and the batch gets a view without the dropped rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from nqpf.data.batch import ImportBatch
from nqpf.data.importers.bulk import BulkBatch, _names, _put, staging
from nqpf.data.importers.common import normalize_unit
from nqpf.data.validate import (
    YEAR_RANGE,
    conflicting_later,
    drop_duplicates,
    validate_batches,
    value_rule,
)
from nqpf.errors import ValidationError
from nqpf.regions import REGISTRY

_KEY = "region_code, year, variable"
_KNOWN = "region_code <> '' AND year IS NOT NULL"


def has_bulk(batches: Sequence[ImportBatch]) -> bool:
    """Whether any batch is a :class:`BulkBatch`."""
    return any(isinstance(b, BulkBatch) for b in batches)


def _subset(b: BulkBatch, rows: np.ndarray) -> ImportBatch:
    """The given 0-based rows of a bulk batch as a pandas batch (file order)."""
    arr = np.unique(np.asarray(rows, dtype="int64"))
    if len(arr) <= 1000:
        return b.subset(f"row IN ({', '.join(map(str, arr.tolist())) or 'NULL'})")
    name = f"screen_rows_{next(_names)}"
    cur = staging()
    try:
        _put(cur, name, pd.DataFrame({"row": arr}))
        return b.subset(f"row IN (SELECT row FROM {name})")
    finally:
        cur.execute(f"DROP TABLE IF EXISTS {name}")
        cur.close()


def _repeated_rows(batches: Sequence[ImportBatch], across: bool) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
    """Rows of repeated (region, year, variable) keys among rows with known region and year,
    per bulk batch index: ``(with_value, any)``. ``with_value`` holds the rows with a value
    whose key has more than one value (across every batch when ``across``, else within the
    batch): what rule 4 compares. ``any`` holds the rows of keys given more than once within
    the batch, values or not: what :func:`dedupe` merges. One hash aggregate finds the
    repeated keys (a second one for ``across`` with several batches); only when there are
    some are their rows looked up."""
    out: tuple[dict[int, np.ndarray], dict[int, np.ndarray]] = ({}, {})
    cur = staging()
    try:
        parts, small = [], []
        for i, b in enumerate(batches):
            if isinstance(b, BulkBatch):
                parts.append(f"SELECT {i} AS batch, row, {_KEY}, value FROM {b.view} WHERE {_KNOWN}")
            elif across:
                o = b.observations
                ok = (o["region_code"].astype(str) != "") & o["year"].notna() & o["value"].notna()
                small.append(pd.DataFrame({"batch": i, "row": -1, "region_code": o.loc[ok, "region_code"].astype(str),
                                           "year": o.loc[ok, "year"].astype("int64"),
                                           "variable": o.loc[ok, "variable"].astype(str),
                                           "value": o.loc[ok, "value"].astype("float64")}))
        if small:
            cur.register("_screen_small", pd.concat(small, ignore_index=True))
            parts.append(f"SELECT batch, row, {_KEY}, value FROM _screen_small")
        if not parts:
            return out
        one = len(parts) == 1 and not small
        if one:  # one bulk batch: its keys grouped by their integer ids (same groups, cheaper)
            parts = [parts[0].replace(f"row, {_KEY}, value", "row, code_id, year, var_id, value")]
        key = "code_id, year, var_id" if one else _KEY
        union = " UNION ALL ".join(parts)
        groupings = [(f"batch, {key}", "count(*) > 1")]
        if across and not one:
            groupings.append((_KEY, "count(value) > 1"))
        found = []
        for by, having in groupings:
            keys = cur.execute(
                f"SELECT {by}, count(*) AS n, count(value) AS nv FROM ({union}) GROUP BY {by} HAVING {having}"
            ).df()
            found.append((by, keys))
        for k, (by, keys) in enumerate(found):
            if keys.empty:
                continue
            cur.register("_screen_keys", keys)
            df = cur.execute(
                f"SELECT u.batch, u.row, u.value IS NOT NULL AS has, k.nv FROM ({union}) u "
                f"JOIN _screen_keys k USING ({by}) WHERE u.row >= 0"
            ).df()
            cur.unregister("_screen_keys")
            for bi in pd.unique(df["batch"]):
                i = int(bi)
                g = df[df["batch"] == bi]
                if k == 0:  # within the batch
                    out[1][i] = g["row"].to_numpy(dtype="int64")
                    if not across or one:
                        out[0][i] = g.loc[g["has"] & (g["nv"] > 1), "row"].to_numpy(dtype="int64")
                else:
                    out[0][i] = g.loc[g["has"], "row"].to_numpy(dtype="int64")
    finally:
        cur.close()
    return out


def _suspects(b: BulkBatch, repeated: np.ndarray | None, known: Mapping[str, str]) -> ImportBatch:
    """The rows of a bulk batch that some validation rule could name, as a pandas batch."""
    cat = b.variables
    exp = {str(v): normalize_unit(str(u)) for v, u in zip(cat["variable"], cat["unit"], strict=True)}
    rules = []
    for rec in cat.to_dict("records"):
        var = str(rec["variable"])
        name = " ".join(str(rec[c]) for c in ("variable", "name_en", "name_zh"))
        unit = normalize_unit(str(rec["unit"])) or normalize_unit(str(known.get(var, "")))
        rules.append({"variable": var, "rule": value_rule(unit, name), "exp": exp.get(var, "")})
    ex = pd.DataFrame(rules, columns=["variable", "rule", "exp"]).drop_duplicates("variable")
    cur = staging()
    name = f"screen_rules_{next(_names)}"
    try:
        _put(cur, name, ex)
        lo, hi = YEAR_RANGE
        marked = cur.execute(f"""
            WITH r AS (SELECT o.row, o.region_code, o.raw, o.problem, o.year, o.variable, o.value,
                              o.unit, coalesce(e.rule, '') AS rule, coalesce(e.exp, '') AS exp
                       FROM {b.view} o LEFT JOIN {name} e USING (variable))
            SELECT row FROM r WHERE region_code = '' OR raw <> '' OR problem <> ''
               OR (year IS NOT NULL AND (year < {lo} OR year > {hi})) OR variable = ''
               OR (rule = 'nonnegative' AND value < 0)
               OR (rule = 'share' AND (value < 0 OR value > 100))
               OR (unit <> '' AND exp <> '' AND unit <> exp)
            UNION
            SELECT min(row) FROM r WHERE unit <> '' AND exp = '' GROUP BY variable, unit
        """).df()["row"].to_numpy(dtype="int64")
    finally:
        cur.execute(f"DROP TABLE IF EXISTS {name}")
        cur.close()
    if repeated is not None and len(repeated):
        marked = np.union1d(marked, repeated)
    return _subset(b, marked)


def validate(batches: list[ImportBatch], known_units: Mapping[str, str], on_conflict: str = "error") -> list[ImportBatch]:
    """:func:`nqpf.data.validate.validate_batches` for an import with bulk batches (same
    problems, same messages), then, within each batch, the repeats it accepted dropped."""
    across = on_conflict == "error"
    compared, repeated = _repeated_rows(batches, across)
    reduced = [
        _suspects(b, compared.get(i), known_units) if isinstance(b, BulkBatch) else b
        for i, b in enumerate(batches)
    ]
    validate_batches(reduced, known_units=dict(known_units), across_batches=across)
    return [dedupe(b, repeated.get(i, np.empty(0, dtype="int64"))) for i, b in enumerate(batches)]


def dedupe(b: ImportBatch, rows: np.ndarray | None = None) -> ImportBatch:
    """:func:`nqpf.data.validate.drop_duplicates` of one batch (bulk or not); ``rows`` are a
    bulk batch's rows of repeated keys when already known."""
    if not isinstance(b, BulkBatch):
        return drop_duplicates([b])[0]
    if rows is None:
        rows = _repeated_rows([b], across=False)[1].get(0)
    if rows is None or not len(rows):
        b.unique_keys = True  # the GROUP BY ... HAVING count(*) > 1 of the screen found no repeat
        return b
    sub = _subset(b, rows)
    kept = drop_duplicates([sub])[0]
    dropped = np.setdiff1d(sub.observations["bulk_row"].to_numpy(), kept.observations["bulk_row"].to_numpy())
    out = b.without(dropped)
    # keys outside ``rows`` occur once; those inside must now too (else the store checks in SQL)
    obs = kept.observations
    out.unique_keys = not obs[obs["value"].notna()].duplicated(["variable", "region_code", "year"]).any()
    return out


def keep_older(batches: list[ImportBatch]) -> tuple[list[ImportBatch], list[int]]:
    """``on_conflict="older"`` for an import with bulk batches: drop from each batch the
    values that conflict with an earlier batch's value (:func:`~nqpf.data.validate.conflicting_later`)."""
    repeated = _repeated_rows(batches, across=True)[0]
    reduced = [
        _subset(b, repeated.get(i, np.array([], dtype="int64"))) if isinstance(b, BulkBatch) else b
        for i, b in enumerate(batches)
    ]
    masks = conflicting_later(reduced)
    out: list[ImportBatch] = []
    lost: list[int] = []
    for b, r, mask in zip(batches, reduced, masks, strict=True):
        lost.append(int(mask.sum()))
        if not mask.any():
            out.append(b)
        elif isinstance(b, BulkBatch):
            out.append(b.without(r.observations["bulk_row"].to_numpy()[mask]))
        else:
            out.append(ImportBatch(b.observations[~mask].reset_index(drop=True), b.variables,
                                   b.provenance, b.raw_regions))
    return out, lost


def check_structure(b: BulkBatch, where: str) -> list[str]:
    """The store's own checks of a bulk batch's values (known region codes, integer years,
    variable ids, one value per (variable, region, year)), as problem lines (empty when it is
    sound), from the batch's per-variable counts (:meth:`BulkBatch.stats`).

    The store's ``observations`` table has no primary key (schema version 2), so one value
    per key is checked here: validation's screen has grouped the batch's keys already
    (``GROUP BY ... HAVING count(*) > 1``) and merged or refused every repeat, which it marks
    (:attr:`BulkBatch.unique_keys`); a batch not so marked is grouped here, in SQL, with the
    pandas path's message."""
    st = b.stats()
    known = {r.code for r in REGISTRY}
    out = []
    bad_codes = [c for c in b.region_codes() if c not in known]
    if bad_codes:
        out.append(f"{where}: values with unknown region code(s) {', '.join(bad_codes[:5])}")
    for col, what in (("n_no_year", "year not an integer"), ("n_no_variable", "empty variable id"),
                      ("n_no_region", "unknown region code")):
        n = int(st[col].sum())
        if n:
            out.append(f"{where}: {n} value(s) with {what}")
    if not out and not b.unique_keys:
        out += repeated_keys(b, where)
    return out


def repeated_keys(b: BulkBatch, where: str) -> list[str]:
    """The problem line of values of a bulk batch that share a (variable, region, year), in
    the words of the store's pandas check (empty when every key has one value)."""
    df = b.query(
        "WITH v AS (SELECT row, variable, region_code, year, line, "
        "count(*) OVER (PARTITION BY variable, region_code, year) AS n FROM {v} WHERE value IS NOT NULL) "
        "SELECT count(*) AS n, arg_min(variable, row) AS variable, arg_min(region_code, row) AS region_code, "
        "arg_min(year, row) AS year, arg_min(line, row) AS line FROM v WHERE n > 1"
    )
    n = int(df["n"].iloc[0])
    if not n:
        return []
    f = df.iloc[0]
    return [f"{where}: {n} values share a (variable, region, year), e.g. {f['variable']} "
            f"{f['region_code']} {int(f['year'])} at line {int(f['line'])}"]


__all__ = ["ValidationError", "check_structure", "dedupe", "has_bulk", "keep_older", "repeated_keys",
           "validate"]

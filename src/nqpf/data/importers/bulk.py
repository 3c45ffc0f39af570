"""The bulk path for large tidy tables: DuckDB parses, rows never become a pandas frame.

A curated or long tidy CSV or Parquet file of at least :func:`bulk_min_bytes` (default 8 MB,
``$NQPF_BULK_MB``) is read by DuckDB's own reader into a table of a process-wide in-memory
*staging* database, one row per data line, with every cell kept as text. Whatever needs a
decision (region labels, years, units, variable ids, cells that are not plain numbers) is
decided once per **distinct** text by the same functions the pandas path uses
(:func:`~nqpf.data.importers.common.resolve_regions`, ``parse_years``, ``normalize_units``,
``parse_values``), so both paths give the same codes, years, units, values and row faults.
Plain decimal numbers (``[+-]digits[.digits][e±d]``) are cast by DuckDB.

The result is a :class:`BulkBatch`: an :class:`~nqpf.data.batch.ImportBatch` whose
observations live in the staging database (a view joining the table to those small maps).
The store validates it with vectorised queries (:mod:`nqpf.data.screen`) and inserts it by
streaming Arrow record batches into its one transaction. ``observations`` still returns the
pandas frame on demand (tests, small tools), built from the same view.

Falls back to the pandas reader (returns ``None``) for wide layouts, Excel, text that is not
UTF-8 (GBK files, whose errors the pandas path locates by line), and files DuckDB cannot
parse (the pandas path then names the fault). Line numbers are counted the same way as there:
the header is line 1 (Parquet rows count from 1), and quoted cells spanning several lines
would shift them.
"""

from __future__ import annotations

import atexit
import itertools
import os
import shutil
import tempfile
import threading
import weakref
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

import duckdb
import numpy as np
import pandas as pd

from nqpf.data.batch import ImportBatch, Provenance
from nqpf.data.importers.common import (
    col_letter,
    normalize_unit,
    normalize_units,
    observations,
    parse_values,
    parse_years,
    resolve_regions,
    variables_frame,
)
from nqpf.data.importers.mapping import CURATED, DEFAULT_SOURCE, curated_catalog

#: a plain decimal number DuckDB may cast itself; every other text goes to ``parse_values``
_NUMBER = r"[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?"
_OUT_COLUMNS = ["region_code", "year", "variable", "value", "line", "cell",
                "region_raw", "raw", "unit", "problem"]  # fmt: skip

_lock = threading.Lock()
_db: duckdb.DuckDBPyConnection | None = None
_names = itertools.count(1)


def bulk_min_bytes() -> int:
    """Files at least this large take the bulk path (``$NQPF_BULK_MB`` megabytes, default 8)."""
    try:
        mb = float(os.environ.get("NQPF_BULK_MB", "8"))
    except ValueError:
        mb = 8.0
    return int(max(mb, 0.0) * 1e6)


def staging_memory_mb() -> int:
    """Memory the staging database may hold before it spills to its temporary folder
    (``$NQPF_STAGING_MB``, default 384)."""
    try:
        return max(64, int(float(os.environ.get("NQPF_STAGING_MB", "384"))))
    except ValueError:
        return 384


_SPILL_PREFIX = "nqpf-staging-"


def _clean_spill_dirs(root: Path) -> None:
    """Remove spill folders that processes killed before they could clean up left behind."""
    for d in root.glob(f"{_SPILL_PREFIX}*"):
        try:
            pid = int(d.name[len(_SPILL_PREFIX):].split("-")[0])
            os.kill(pid, 0)
        except (ValueError, IndexError):
            continue
        except ProcessLookupError:
            shutil.rmtree(d, ignore_errors=True)
        except OSError:
            continue


def staging() -> duckdb.DuckDBPyConnection:
    """A cursor on the process-wide in-memory staging database (created on first use).

    Its memory is capped at :func:`staging_memory_mb`; beyond that DuckDB spills table
    blocks to a private temporary folder, removed at exit (and, if the process was killed,
    by the next process that stages a file).
    """
    global _db
    with _lock:
        if _db is None:
            root = Path(tempfile.gettempdir())
            _clean_spill_dirs(root)
            spill = tempfile.mkdtemp(prefix=f"{_SPILL_PREFIX}{os.getpid()}-")
            atexit.register(shutil.rmtree, spill, True)
            _db = duckdb.connect(":memory:")
            _db.execute("SET preserve_insertion_order = true")
            _db.execute("SET enable_progress_bar = false")
            _db.execute(f"SET temp_directory = '{spill}'")
            _db.execute(f"SET memory_limit = '{staging_memory_mb()}MB'")
        return _db.cursor()


def _q(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _drop(objects: list[tuple[str, str]]) -> None:
    """Drop staging views and tables (a batch's finaliser)."""
    try:
        cur = staging()
        for kind, name in objects:
            cur.execute(f"DROP {kind} IF EXISTS {name}")
        cur.close()
    except duckdb.Error:  # pragma: no cover - interpreter shutdown
        pass


def _put(cur: duckdb.DuckDBPyConnection, name: str, df: pd.DataFrame) -> None:
    """Create staging table ``name`` from a small frame."""
    cur.register("_put_df", df)
    try:
        cur.execute(f"CREATE TABLE {name} AS SELECT * FROM _put_df")
    finally:
        cur.unregister("_put_df")


class BulkBatch(ImportBatch):
    """An import batch whose rows live in the staging database as view :attr:`view`.

    The view has the observation columns (``region_code, year, variable, value, line,
    cell`` and the audit columns ``region_raw, raw, unit, problem``) plus ``row``, the
    0-based data row in the file, which orders it, and ``code_id``/``var_id``: integers
    numbering the batch's distinct region codes and variable ids (equal id, equal text), so
    that grouping by key within the batch hashes integers, not strings. Staging objects are dropped when the
    batch is garbage-collected.
    """

    bulk: ClassVar[bool] = True

    def __init__(self, view: str, variables: pd.DataFrame, provenance: Provenance,
                 raw_regions: dict[str, str], owned: list[tuple[str, str]]) -> None:
        self.view = view
        self.variables = variables
        self.provenance = provenance
        self.raw_regions = raw_regions
        self._owned = owned
        self._stats: pd.DataFrame | None = None
        self._cursor: duckdb.DuckDBPyConnection | None = None
        #: set by validation (:func:`nqpf.data.screen.dedupe`) once the rows are known to hold
        #: one value per (variable, region, year); else the store checks it in SQL
        self.unique_keys = False
        weakref.finalize(self, _drop, list(reversed(owned)))

    def __repr__(self) -> str:
        return f"BulkBatch({self.provenance.source_file!r}, rows={self.n_rows()})"

    def __eq__(self, other: object) -> bool:
        return self is other

    __hash__ = object.__hash__

    # -- the rows, on demand ---------------------------------------------------------------
    def query(self, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
        """Run ``sql`` (with ``{v}`` standing for this batch's view) on the staging database."""
        cur = staging()
        try:
            return cur.execute(sql.format(v=self.view), params or []).df()
        finally:
            cur.close()

    def frame(self, where: str = "TRUE") -> pd.DataFrame:
        """Rows matching SQL condition ``where`` as an observations frame (file order), with
        their 0-based file row in ``bulk_row``."""
        df = self.query(f"SELECT row, {', '.join(_OUT_COLUMNS)} FROM {{v}} WHERE {where} ORDER BY row")
        obs = observations(
            region_code=df["region_code"], year=df["year"], variable=df["variable"],
            value=df["value"].astype("float64"), line=df["line"], cell=df["cell"],
            region_raw=df["region_raw"], raw=df["raw"], unit=df["unit"], problem=df["problem"],
        )
        obs["bulk_row"] = df["row"].to_numpy(dtype="int64")
        return obs

    @property
    def observations(self) -> pd.DataFrame:  # type: ignore[override]
        """All rows as a pandas observations frame (built on demand; the store never asks)."""
        return self.frame().drop(columns="bulk_row")

    def subset(self, where: str) -> ImportBatch:
        """A pandas batch of the rows matching ``where`` (same catalog and provenance)."""
        return ImportBatch(self.frame(where), self.variables, self.provenance, self.raw_regions)

    def without(self, rows: np.ndarray) -> BulkBatch:
        """This batch without the given 0-based file rows (a new view; nothing is copied)."""
        rows = np.unique(np.asarray(rows, dtype="int64"))
        if not len(rows):
            return self
        n = next(_names)
        ex, view = f"bulk_ex_{n}", f"bulk_v_{n}"
        cur = staging()
        try:
            _put(cur, ex, pd.DataFrame({"row": rows}))
            cur.execute(f"CREATE VIEW {view} AS SELECT * FROM {self.view} ANTI JOIN {ex} USING (row)")
        finally:
            cur.close()
        # the new batch keeps this one's objects alive through its own finaliser list
        out = BulkBatch(view, self.variables, self.provenance, self.raw_regions,
                        [*self._owned, ("TABLE", ex), ("VIEW", view)])
        out.unique_keys = self.unique_keys  # removing rows cannot repeat a key
        return out

    # -- summaries the store needs ---------------------------------------------------------
    def stats(self) -> pd.DataFrame:
        """Per variable, in order of first appearance: ``variable, n_rows, n_values`` and the
        values without a year, variable id or known region (``n_no_year, n_no_variable,
        n_no_region``)."""
        if self._stats is None:
            self._stats = self.query(
                "SELECT variable, count(*) AS n_rows, count(value) AS n_values, "
                "count(value) FILTER (WHERE year IS NULL) AS n_no_year, "
                "count(value) FILTER (WHERE variable = '') AS n_no_variable, "
                "count(value) FILTER (WHERE region_code = '') AS n_no_region "
                "FROM {v} GROUP BY variable ORDER BY min(row)"
            )
        return self._stats

    def region_codes(self) -> list[str]:
        """Distinct non-empty region codes the rows resolve to (from the region map)."""
        return sorted(set(self.raw_regions.values()))

    def n_rows(self) -> int:
        return int(self.stats()["n_rows"].sum())

    def n_values(self) -> int:
        return int(self.stats()["n_values"].sum())

    def obs_variables(self) -> list[str]:
        return [str(v) for v in self.stats()["variable"]]

    def record_batches(self, import_id: int, rows: int = 500_000) -> Any:
        """The values to store (missing ones left out), as an Arrow record-batch reader with
        the columns of the store's ``observations`` table."""
        self._cursor = cur = staging()  # kept open while the reader is consumed
        rel = cur.sql(
            f"SELECT {int(import_id)}::INTEGER AS import_id, variable, region_code, year::INTEGER AS year, "
            f"value, line::INTEGER AS line, cell FROM {self.view} WHERE value IS NOT NULL"
        )
        reader: Any = getattr(rel, "to_arrow_reader", None) or rel.record_batch  # DuckDB 2 / 1.x
        return reader(rows)


# -- reading -----------------------------------------------------------------------------------
def _columns(cur: duckdb.DuckDBPyConnection, source: str) -> list[tuple[str, str]] | None:
    """(name, type) of the columns of ``source``; ``None`` if DuckDB cannot read it."""
    try:
        return [(str(r[0]), str(r[1])) for r in cur.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]
    except duckdb.Error:
        return None


def _csv_source(p: Path) -> str:
    path = str(p).replace("'", "''")
    return (f"read_csv('{path}', header = true, all_varchar = true, delim = ',', quote = '\"', "
            "escape = '\"', skip = 0, strict_mode = true, null_padding = false)")


def _text(col: str | None, typ: str, parquet: bool, null: str = "") -> str:
    """SQL text of a column as the pandas path sees it ('' where absent)."""
    if col is None:
        return "''"
    c = _q(col)
    if parquet and typ in {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT",
                           "UINTEGER", "UBIGINT", "HUGEINT"}:
        return f"coalesce(CAST({c} AS VARCHAR), '{null}')"
    if parquet and (typ in {"FLOAT", "DOUBLE"} or typ.startswith("DECIMAL")):
        return f"coalesce(CAST({c} AS VARCHAR), 'nan')" if null else f"coalesce(CAST({c} AS VARCHAR), '')"
    if parquet:
        return f"coalesce(CAST({c} AS VARCHAR), '{'None' if null else ''}')"
    return f"coalesce(ltrim({c}), '')"


_NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER",
            "UBIGINT", "HUGEINT", "FLOAT", "DOUBLE")
_PARQUET_TYPES = (*_NUMERIC, "VARCHAR")


def _region_text(col: str, typ: str, parquet: bool) -> str:
    c = _q(col)
    if parquet and typ in _NUMERIC:  # numeric codes as integers (110000.0 -> "110000")
        return f"coalesce(CAST(CAST({c} AS BIGINT) AS VARCHAR), '')"
    return f"coalesce(CAST({c} AS VARCHAR), '')"


def _value_sql(col: str, typ: str, parquet: bool) -> tuple[str, str]:
    """(numeric value, text to parse in Python) of the value column."""
    c = _q(col)
    if parquet and typ in _NUMERIC:
        v = f"CAST({c} AS DOUBLE)"
        return (f"CASE WHEN isfinite({v}) THEN {v} END",
                f"CASE WHEN isinf({v}) THEN CAST({v} AS VARCHAR) END")
    t = f"trim(CAST({c} AS VARCHAR))"
    num = f"CASE WHEN regexp_full_match({t}, '{_NUMBER}') THEN TRY_CAST({t} AS DOUBLE) END"
    return (f"CASE WHEN isfinite({num}) THEN {num} END",
            f"CASE WHEN NOT coalesce(isfinite({num}), false) AND {t} <> '' THEN ltrim({c}) END")


def read_bulk(path: str | Path, mapping: Any, *, curated: bool, unit: str | None = None,
              source: str | None = None) -> BulkBatch | None:
    """Read a curated or long tidy CSV/Parquet file into a :class:`BulkBatch`.

    ``mapping`` is the :class:`~nqpf.data.importers.mapping.ColumnMapping` (ignored when
    ``curated``). Returns ``None`` when the file is not for this path (the caller then uses
    the pandas reader): a wide layout, text DuckDB cannot read as UTF-8 CSV, column types
    other than text and numbers, or names that clash once stripped.
    """
    p = Path(path)
    parquet = p.suffix.lower() == ".parquet"
    if not parquet:
        with p.open("rb") as fh:
            if b"\x00" in fh.read(65536):
                return None
    src = f"read_parquet('{str(p).replace(chr(39), chr(39) * 2)}')" if parquet else _csv_source(p)
    cur = staging()
    owned: list[tuple[str, str]] = []
    try:
        cols = _columns(cur, src)
        if cols is None:
            return None
        names = {n.strip(): n for n, _ in cols}
        types = {n.strip(): t for n, t in cols}
        if len(names) != len(cols) or (parquet and any(t not in _PARQUET_TYPES for t in types.values())):
            return None
        order = list(names)
        m = CURATED if curated else mapping
        if not curated:
            if m.region not in names:
                return None  # the pandas path names the missing column
            if m.layout not in ("auto", "long") or not (m.variable in names and m.value in names
                                                        and m.year in names):
                return None
        if not curated and not m.unit and unit is None:
            m = replace(m, unit=next((c for c in order if c.lower() in {"unit", "units", "单位"}), None))
        if m.unit and m.unit not in names:
            return None
        rc, yc, vc, valc = str(m.region), str(m.year), str(m.variable), str(m.value)

        def col(key: str | None) -> tuple[str | None, str]:
            return (names[key], types[key]) if key and key in names else (None, "")
        zh = col("region_zh") if curated else (None, "")
        en = col("region_en") if curated else (None, "")
        src_col = col("source") if curated else (None, "")
        val, val_text = _value_sql(names[valc], types[valc], parquet)
        n = next(_names)
        t = f"bulk_t_{n}"
        sql = (
            f"CREATE TABLE {t} AS SELECT "
            f"{_region_text(names[rc], types[rc], parquet)} AS k_region, "
            f"{_text(names[yc], types[yc], parquet, null='nan')} AS k_year, "
            f"{_text(names[vc], types[vc], parquet, null='None')} AS k_var, "
            f"{val} AS value, {val_text} AS value_text, "
            f"{_text(*col(m.unit), parquet)} AS k_unit, "
            f"{_text(*zh, parquet)} AS k_zh, {_text(*en, parquet)} AS k_en, "
            f"{_text(*src_col, parquet)} AS k_source FROM {src}"
        )
        try:
            cur.execute(sql)
        except duckdb.Error:
            cur.execute(f"DROP TABLE IF EXISTS {t}")
            return None  # not UTF-8, ragged rows ...: the pandas path says where
        owned.append(("TABLE", t))
        maps = _maps(cur, t, n, zh[0] is not None, en[0] is not None, unit if m.unit is None else None)
        owned += [("TABLE", name) for name in maps]
        off = 1 if parquet else 2
        cell = f"'{m.value}'" if parquet else f"'{col_letter(order.index(valc))}' || CAST(row + {off} AS VARCHAR)"
        # decided once: the joined rows become one typed table, and the text stage goes
        o, view = f"bulk_o_{n}", f"bulk_v_{n}"
        cur.execute(f"""
            CREATE TABLE {o} AS SELECT s.rowid AS row, r.code AS region_code, y.year AS year,
              vm.variable AS variable, coalesce(s.value, x.value) AS value,
              r.region_raw AS region_raw, coalesce(x.raw, '') AS raw, u.unit AS unit,
              CASE WHEN r.problem <> '' THEN r.problem ELSE y.problem END AS problem,
              s.k_source AS source, r.code_id AS code_id, vm.var_id AS var_id
            FROM {t} s
            JOIN {maps[0]} r ON s.k_region = r.k_region AND s.k_zh = r.k_zh AND s.k_en = r.k_en
            JOIN {maps[1]} y ON s.k_year = y.k_year
            JOIN {maps[2]} vm ON s.k_var = vm.k_var
            JOIN {maps[3]} u ON s.k_unit = u.k_unit
            LEFT JOIN {maps[4]} x ON s.value_text = x.k_text""")
        owned.append(("TABLE", o))
        regmap = cur.execute(f"SELECT region_raw, code FROM {maps[0]} WHERE code <> ''").df()
        raw_regions = dict(zip(regmap["region_raw"].astype(str), regmap["code"].astype(str), strict=True))
        for name in [t, *maps]:
            cur.execute(f"DROP TABLE {name}")
        owned = [("TABLE", o)]
        cur.execute(f"""
            CREATE VIEW {view} AS SELECT row, region_code, year, variable, value, row + {off} AS line,
              {cell} AS cell, region_raw, raw, unit, problem, code_id, var_id FROM {o}""")
        owned.append(("VIEW", view))
        # per variable, in one pass: the counts the store needs and the first units (catalog)
        per = cur.execute(
            f"SELECT any_value(variable) AS variable, count(*) AS n_rows, count(value) AS n_values, "
            f"count(value) FILTER (WHERE year IS NULL) AS n_no_year, "
            f"count(value) FILTER (WHERE variable = '') AS n_no_variable, "
            f"count(value) FILTER (WHERE region_code = '') AS n_no_region, "
            f"arg_min(unit, row) AS first_unit, "
            f"arg_min(unit, CASE WHEN unit <> '' THEN row END) AS first_set_unit FROM {o} "
            "GROUP BY var_id ORDER BY min(row)"
        ).df()
        present = [str(v) for v in per["variable"]]
        prov = Provenance.for_file(p, importer="tidy")
        if curated:
            # each variable's distinct sources in order of first appearance, joined by ";"
            srcs = cur.execute(
                f"SELECT variable, string_agg(source, ';' ORDER BY first) AS joined FROM "
                f"(SELECT variable, source, min(row) AS first FROM {o} WHERE source <> '' GROUP BY ALL) "
                "GROUP BY variable"
            ).fetchall()
            joined = {str(v): str(j) for v, j in srcs}
            first = dict(zip(present, per["first_unit"].fillna("").astype(str), strict=True))
            catalog = curated_catalog(p, present, first, joined, source)
        else:
            first_set = dict(zip(present, per["first_set_unit"], strict=True))
            fallback = normalize_unit(unit) if unit else ""
            catalog = variables_frame([
                {"variable": v, "name_en": v, "name_zh": "",
                 "unit": str(first_set[v]) if isinstance(first_set[v], str) else fallback,
                 "source": source or DEFAULT_SOURCE, "notes": ""}
                for v in present
            ])
        batch = BulkBatch(view, catalog, prov, raw_regions, owned)
        batch._stats = per[["variable", "n_rows", "n_values", "n_no_year", "n_no_variable", "n_no_region"]]
        owned = []  # the batch's finaliser owns them now
        return batch
    finally:
        cur.close()
        if owned:
            _drop(list(reversed(owned)))


def _maps(cur: duckdb.DuckDBPyConnection, t: str, n: int, has_zh: bool, has_en: bool,
          fixed_unit: str | None) -> list[str]:
    """Decide each distinct text once, with the pandas path's own functions; returns the
    names of the map tables (regions, years, variables, units, values)."""
    names = [f"bulk_{what}_{n}" for what in ("reg", "year", "var", "unit", "val")]
    reg = cur.execute(f"SELECT DISTINCT k_region, k_zh, k_en FROM {t}").df()
    raw = reg["k_region"].astype(str).str.strip()
    code = resolve_regions(raw)
    problem = pd.Series("", index=reg.index, dtype=object)
    for name_col, key, present in (("region_zh", "k_zh", has_zh), ("region_en", "k_en", has_en)):
        if not present:
            continue
        label = reg[key].astype(str).str.strip()
        named = resolve_regions(label)
        clash = (code != "") & (named != "") & (named != code)
        problem = problem.mask(clash & (problem == ""), "region code " + raw + f" does not match {name_col} " + label)
    _put(cur, names[0], pd.DataFrame({"k_region": reg["k_region"], "k_zh": reg["k_zh"], "k_en": reg["k_en"],
                                      "code": code.astype(str), "region_raw": raw, "problem": problem.astype(str),
                                      "code_id": pd.factorize(code.astype(str))[0].astype("int32")}))
    yt = cur.execute(f"SELECT DISTINCT k_year FROM {t}").df()["k_year"].astype(object)
    year, bad = parse_years(yt)
    _put(cur, names[1], pd.DataFrame({
        "k_year": yt.astype(str),
        "year": year.astype("Int32"),
        "problem": np.where(bad, "year " + yt.astype(str) + " is not a year", "").astype(object),
    }))
    vt = cur.execute(f"SELECT DISTINCT k_var FROM {t}").df()["k_var"].astype(str)
    var = vt.str.strip()
    _put(cur, names[2], pd.DataFrame({"k_var": vt, "variable": var, "var_id": pd.factorize(var)[0].astype("int32")}))
    ut = cur.execute(f"SELECT DISTINCT k_unit FROM {t}").df()["k_unit"].astype(str)
    units = pd.Series(normalize_unit(fixed_unit), index=ut.index) if fixed_unit is not None else normalize_units(ut)
    _put(cur, names[3], pd.DataFrame({"k_unit": ut, "unit": units.astype(str)}))
    tt = cur.execute(f"SELECT DISTINCT value_text FROM {t} WHERE value_text IS NOT NULL").df()["value_text"]
    tt = tt.astype(object)
    value, rawv = parse_values(tt)
    _put(cur, names[4], pd.DataFrame({"k_text": tt.astype(str), "value": value.astype("float64"),
                                      "raw": rawv.astype(str)}))
    return names


def qualifies(path: Path, mapping: Mapping[str, object] | Any) -> bool:
    """Whether a file is for the bulk path: CSV or Parquet of at least :func:`bulk_min_bytes`
    (layout and text are checked by :func:`read_bulk`, which may still decline)."""
    suffix = path.suffix.lower()
    if suffix not in {".csv", ".parquet"}:
        return False
    try:
        return path.stat().st_size >= bulk_min_bytes()
    except OSError:
        return False

"""Validate import batches before anything is written (the store's all-or-nothing guarantee).

:func:`validate_batches` checks every batch of one import together and raises one
:class:`~nqpf.errors.ValidationError` whose ``problems`` list every fault found, each naming
the file, line and cell, region and variable. Rules:

1. **Unknown regions**: a label the registry does not know (one problem per label and file,
   with its lines and the closest known names).
2. **Non-numeric cells**: text that is neither a number nor a missing marker (blank, ``-``,
   ``--``, ``…``, ``NA``; see :data:`~nqpf.data.importers.common.MISSING_TOKENS`).
3. **Row faults** the importer found (bad year label, region code that contradicts the
   region name beside it), years outside 1900-2100, empty variable ids.
4. **Conflicting duplicates**: the same region-year-variable with different values, within
   or across files. Values that agree within the rounding of the coarser one (half a unit of
   its last decimal, e.g. ``6489540.7`` and ``6489541``) are the same figure published at two
   precisions and do not conflict; :func:`drop_duplicates` keeps the most precise one.
5. **Impossible values** (decided by unit and name, see :func:`value_rule`):
   negative levels of money, counts, population and physical quantities, unless the variable
   is signed by nature (profit, net, balance, growth, change ...; ``hitech_profit`` is
   negative for Ningxia 2013); percentages outside [0, 100] for shares and rates of a whole
   (share, rate, proportion, penetration, 比重, 占比, 比例, 率), not for growth or inflation
   rates, margins or returns, nor for "ratios" (a debt ratio may exceed 100 %).
6. **Unit clashes**: a variable with two units among the files imported (catalog rows or a
   unit column), or a unit other than the one the store already holds (``known_units``).
   Units are compared by their English label (:func:`~nqpf.data.importers.normalize_unit`,
   so ``万元`` equals ``10k yuan``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

import numpy as np
import pandas as pd

from nqpf.data.batch import ImportBatch
from nqpf.data.importers.common import EXTRA_COLUMNS, normalize_unit, normalize_units
from nqpf.errors import ValidationError, location
from nqpf.regions import REGISTRY

#: at most this many problems of one rule are listed per file (then a count of the rest)
MAX_PER_RULE = 200
YEAR_RANGE = (1900, 2100)

_WORD = r"(?<![a-z]){}(?![a-z])"
_SIGNED_EN = ("profit", "profits", "net", "balance", "change", "changes", "growth", "increase",
              "decrease", "surplus", "deficit", "difference", "gap", "margin", "loss", "losses",
              "inflation", "return", "returns")
_SIGNED = re.compile(
    "|".join([_WORD.format(w) for w in _SIGNED_EN]
             + ["利润", "净", "差额", "余额", "增长", "增加", "增量", "增速", "变动", "变化", "盈亏", "亏损", "结余", "顺差", "逆差",
                "涨幅", "上涨", "下降", "收益率"]),
    re.I,
)
_SHARE = re.compile(
    "|".join([_WORD.format(w) for w in ("share", "rate", "proportion", "penetration",
                                         "percentage", "intensity")]
             + ["比重", "占比", "比例", "率", "强度"]),
    re.I,
)
_MONEY = re.compile(r"yuan|usd|dollar|元|美元", re.I)
_COUNT = re.compile(
    r"^(\d[\d\s,.]*\s*|10k\s+|100\s+million\s+|million\s+|thousand\s+)?"
    r"(persons?|person-years|pieces|units|items|papers|enterprises|households|rank|patents|"
    r"tonnes|tons|mt co2|mt|years|人|万人|件|个|项|篇|人年|吨|万吨|位|户|家)$"
    r"|per\s+100|per\s+10k|per\s+100k",
    re.I,
)


@lru_cache(maxsize=65536)  # a large import asks several times per variable
def value_rule(unit: str, name: str) -> str:
    """The range rule of a variable: ``"nonnegative"``, ``"share"`` (0-100) or ``""`` (none).

    ``unit`` is the English unit label; ``name`` joins the id and the English and Chinese
    names. Money, counts, population and physical quantities are non-negative unless the name
    marks a signed quantity; ``%`` variables named as a share or rate of a whole lie in
    [0, 100] unless signed (growth rates, margins).
    """
    signed = bool(_SIGNED.search(name))
    if unit == "%":
        return "share" if _SHARE.search(name) and not signed else ""
    if signed:
        return ""
    if _MONEY.search(unit) or _COUNT.search(unit.strip()):
        return "nonnegative"
    return ""


def _decimals(v: np.ndarray) -> np.ndarray:
    """Decimals shown by the shortest repr of each float (``6489540.7`` -> 1, ``3.0`` -> 0)."""
    out = np.zeros(len(v), dtype=int)
    for i, x in enumerate(v):
        s = repr(float(x))
        if "e" in s or "E" in s:
            out[i] = 15
        elif "." in s:
            frac = s.split(".")[1].rstrip("0")
            out[i] = len(frac)
    return out


def _strs(key: object) -> list[str]:
    """The parts of a groupby key as strings."""
    parts = key if isinstance(key, tuple) else (key,)
    return [str(k) for k in parts]


def _where(file: str, line: object, cell: object, region: str, variable: str) -> str:
    return ", ".join(location(file, line, cell, region, variable))


def _file_label(b: ImportBatch) -> str:
    """The file of a batch, with its sheet (Excel) or table (R data frame) if any."""
    prov = b.provenance
    if not prov.sheet:
        return prov.source_file
    kind = "table" if prov.importer == "rdata" else "sheet"
    return f"{prov.source_file} ({kind} {prov.sheet})"


def _frame(batches: list[ImportBatch]) -> pd.DataFrame:
    frames = []
    for i, b in enumerate(batches):
        o = b.observations.copy()
        for c in EXTRA_COLUMNS:
            if c not in o.columns:
                o[c] = ""
        o["batch"] = i
        o["file"] = _file_label(b)
        frames.append(o)
    if not frames:
        return pd.DataFrame(columns=["region_code", "year", "variable", "value", "line", "cell",
                                     *EXTRA_COLUMNS, "batch", "file", "region_label"])
    df = pd.concat(frames, ignore_index=True)
    for c in ("region_code", "variable", "cell", *EXTRA_COLUMNS):
        df[c] = df[c].fillna("").astype(str)
    df["region_label"] = df["region_raw"].where(df["region_raw"] != "", df["region_code"])
    return df


def _capped(msgs: list[str], file: str, what: str) -> list[str]:
    if len(msgs) <= MAX_PER_RULE:
        return msgs
    return [*msgs[:MAX_PER_RULE], f"{file}: ... and {len(msgs) - MAX_PER_RULE} more {what}"]


def _row_problems(df: pd.DataFrame, mask: pd.Series, make: str, what: str) -> list[str]:
    out: list[str] = []
    sub = df[mask]
    for file, g in sub.groupby("file", sort=False):
        msgs = [
            _where(str(file), r["line"], r["cell"], str(r["region_label"]), str(r["variable"]))
            + ": " + make.format(**{str(k): v for k, v in r.items()})
            for r in g.to_dict("records")
        ]
        out += _capped(msgs, str(file), what)
    return out


def validate_batches(batches: list[ImportBatch], *, known_units: Mapping[str, str] | None = None,
                     across_batches: bool = True) -> None:
    """Check all batches of one import; raise one :class:`ValidationError` listing every problem.

    ``known_units`` maps variable ids to the units the store already holds for them.
    ``across_batches=False`` checks conflicting duplicates (rule 4) only within each batch
    (the import resolves conflicts between files by a stated policy instead).
    Returns ``None`` when every batch is acceptable.
    """
    if not batches:
        return
    df = _frame(batches)
    problems: list[str] = []

    # 1. unknown regions: one problem per label and file
    unknown = df[df["region_code"] == ""]
    for key, g in unknown.groupby(["file", "region_raw"], sort=False):
        file, label = _strs(key)
        lines = [str(int(x)) for x in pd.unique(g["line"].dropna())]
        shown = ", ".join(lines[:8]) + (f" and {len(lines) - 8} more" if len(lines) > 8 else "")
        hint = REGISTRY.suggest(str(label)) if label else []
        msg = f"{file}, line {shown}, region {label!r}: unknown region" if lines else f"{file}, region {label!r}: unknown region"
        if not label:
            msg = f"{file}, line {shown}: empty region"
        if hint:
            msg += f"; did you mean {', '.join(hint)}?"
        problems.append(msg)

    # 2. non-numeric cells
    problems += _row_problems(df, df["raw"] != "", "non-numeric value {raw!r}", "non-numeric cells")

    # 3. row faults, years, empty variable ids
    problems += _row_problems(df, df["problem"] != "", "{problem}", "row problems")
    year = pd.to_numeric(df["year"], errors="coerce")
    bad_year = year.notna() & ((year < YEAR_RANGE[0]) | (year > YEAR_RANGE[1]))
    problems += _row_problems(df, bad_year, f"year {{year}} outside {YEAR_RANGE[0]}-{YEAR_RANGE[1]}", "years")
    problems += _row_problems(df, df["variable"].str.strip() == "", "empty variable id", "rows")

    # 6. units (before values: the value rules need one unit per variable)
    units = _variable_units(batches)
    problems += _unit_problems(batches, df, units, known_units or {})

    # 5. impossible values
    problems += _value_problems(batches, df, known_units)

    # 4. conflicting duplicates
    problems += _duplicate_problems(df, across_batches)

    if problems:
        files = [str(f) for f in pd.unique(df["file"])] if len(df) else []
        raise ValidationError(
            f"{len(problems)} problem(s) found; nothing was imported",
            file=str(files[0]) if len(files) == 1 else None,
            problems=problems,
        )


def _variable_units(batches: list[ImportBatch]) -> pd.DataFrame:
    rows = []
    for b in batches:
        file = b.provenance.source_file
        for rec in b.variables.to_dict("records"):
            rows.append({"variable": str(rec["variable"]), "unit": normalize_unit(str(rec["unit"])), "file": file})
    return pd.DataFrame(rows, columns=["variable", "unit", "file"])


def _unit_problems(batches: list[ImportBatch], df: pd.DataFrame, units: pd.DataFrame,
                   known: Mapping[str, str]) -> list[str]:
    out: list[str] = []
    # row-level units (files with a unit column) against their batch's catalog unit
    cat = units.drop_duplicates(["variable", "file", "unit"])
    rows = df[df["unit"] != ""][["file", "variable", "unit", "line", "region_label", "batch"]]
    if len(rows):
        rows = rows.assign(unit=normalize_units(rows["unit"]))
        by_var = pd.DataFrame(
            [{"batch": i, "variable": str(v), "_exp": normalize_unit(str(u))}
             for i, b in enumerate(batches) for v, u in zip(b.variables["variable"], b.variables["unit"], strict=True)],
            columns=["batch", "variable", "_exp"],
        ).drop_duplicates(["batch", "variable"])
        row_key = pd.MultiIndex.from_arrays([rows["batch"].astype("int64"), rows["variable"].astype(str)])
        lookup = pd.Series(by_var["_exp"].to_numpy(),
                           index=pd.MultiIndex.from_arrays([by_var["batch"].astype("int64"), by_var["variable"]]))
        expected = pd.Series(lookup.reindex(row_key).fillna("").to_numpy(), index=rows.index, dtype=object)
        clash = rows[(expected != "") & (rows["unit"] != expected)]
        for key, g in clash.groupby(["file", "variable", "unit"], sort=False):
            file, var, unit = _strs(key)
            lines = ", ".join(str(int(x)) for x in pd.unique(g["line"].dropna())[:8])
            exp = expected[g.index[0]]
            out.append(f"{file}, line {lines}, variable {var}: unit {unit!r} differs from the variable's unit {exp!r}")
        # several units on rows of one variable without a catalog unit
        multi = rows[expected == ""].groupby(["file", "variable"])["unit"].unique()
        for mkey, us in multi.items():
            file, var = _strs(mkey)
            if len(us) > 1:
                out.append(f"{file}, variable {var}: several units {', '.join(map(repr, us))}")
    # catalog units across files
    n_units = cat.groupby("variable", sort=False)["unit"].nunique()
    for vkey in n_units.index[n_units.to_numpy() > 1]:  # only variables with a clash
        g = cat[cat["variable"] == vkey]
        distinct = [str(u) for u in pd.unique(g["unit"])]
        if len(distinct) > 1:
            desc = "; ".join(
                f"{u!r} in {', '.join(map(str, pd.unique(g.loc[g['unit'] == u, 'file'])))}" for u in distinct
            )
            out.append(f"variable {vkey!s}: unit clash between the files imported: {desc}")
    # against the store
    for rec in cat.to_dict("records"):
        have = known.get(str(rec["variable"]))
        if have is not None and normalize_unit(have) != rec["unit"]:
            out.append(f"{rec['file']!s}, variable {rec['variable']!s}: unit {rec['unit']!r} differs "
                       f"from the unit {normalize_unit(have)!r} the store holds for it")
    return out


def _value_problems(batches: list[ImportBatch], df: pd.DataFrame,
                    known: Mapping[str, str] | None = None) -> list[str]:
    """Range rules by unit; a variable given without a unit takes the unit the store holds."""
    known = known or {}
    rules: dict[tuple[int, str], str] = {}
    for i, b in enumerate(batches):
        for rec in b.variables.to_dict("records"):
            var = str(rec["variable"])
            name = " ".join(str(rec[c]) for c in ("variable", "name_en", "name_zh"))
            unit = normalize_unit(str(rec["unit"])) or normalize_unit(str(known.get(var, "")))
            rules[(i, var)] = value_rule(unit, name)
    idx = pd.MultiIndex.from_arrays([df["batch"], df["variable"]])
    table = pd.Series(rules, dtype=object)
    rule = pd.Series(table.reindex(idx).fillna("").to_numpy(), index=df.index, dtype=object)
    v = df["value"].astype("float64")
    neg = (rule == "nonnegative") & (v < 0)
    share = (rule == "share") & ((v < 0) | (v > 100))
    out = _row_problems(df, neg, "negative value {value} for a level that cannot be negative", "negative values")
    out += _row_problems(df, share, "share/rate {value} outside 0-100 %", "out-of-range shares")
    return out


def _duplicate_groups(df: pd.DataFrame, across_batches: bool = True) -> pd.DataFrame:
    """Rows of keys that occur more than once with a value (known region and year)."""
    ok = (df["region_code"] != "") & df["year"].notna() & df["value"].notna()
    sub = df[ok]
    key = ["region_code", "year", "variable"]
    dup = sub.duplicated(key if across_batches else [*key, "batch"], keep=False)
    return sub[dup].sort_values([*key, "batch", "line"])


def same_figure(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise: whether ``a`` and ``b`` are the same figure, equal within half a unit of
    the last decimal of the coarser one (``6489540.7`` and ``6489541``; rule 4)."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    dec = np.minimum(_decimals(a), _decimals(b))
    tol = 0.5 * 10.0 ** (-dec.astype(float)) + 1e-9 * np.maximum(np.abs(a), np.abs(b))
    return np.abs(a - b) <= tol


def _conflicts(g: pd.DataFrame) -> bool:
    vals = g["value"].to_numpy(dtype=float)
    if np.all(vals == vals[0]):
        return False
    dec = _decimals(vals)
    tol = 0.5 * 10.0 ** (-dec.min()) + 1e-9 * np.abs(vals).max()
    return bool(vals.max() - vals.min() > tol)


def _duplicate_problems(df: pd.DataFrame, across_batches: bool = True) -> list[str]:
    dup = _duplicate_groups(df, across_batches)
    out: list[str] = []
    by = ["region_code", "year", "variable"] if across_batches else ["region_code", "year", "variable", "batch"]
    for key, g in dup.groupby(by, sort=False):
        code, year_s, var = _strs(key)[:3]
        year = int(float(year_s))
        if not _conflicts(g):
            continue
        places = "; ".join(
            f"{r['value']!r} at {_where(str(r['file']), r['line'], r['cell'], '', '')}"
            for r in g.to_dict("records")
        )
        r = REGISTRY.get(code) if code in REGISTRY else None
        label = f"{r.name_en} ({r.name_zh}, {code})" if r else code
        out.append(f"region {label}, year {year}, variable {var}: conflicting values {places}")
    return out


def conflicting_later(batches: list[ImportBatch]) -> list[np.ndarray]:
    """Per batch, a mask of the values that conflict with an earlier batch's value of the
    same (region, year, variable): the first batch giving a cell wins (``on_conflict="older"``).

    Values equal to the earlier one within the rounding of the coarser (see rule 4) are not
    conflicts and are kept.
    """
    masks = [np.zeros(len(b.observations), dtype=bool) for b in batches]
    if len(batches) < 2:
        return masks
    df = _frame(batches)
    df["_row"] = np.concatenate([np.arange(len(b.observations)) for b in batches]) if len(df) else []
    dup = _duplicate_groups(df)
    for _key, g in dup.groupby(["region_code", "year", "variable"], sort=False):
        if g["batch"].nunique() < 2:
            continue
        first_batch = int(g["batch"].iloc[0])
        ref = g[g["batch"] == first_batch]
        for rec in g[g["batch"] != first_batch].to_dict("records"):
            pair = pd.concat([ref.iloc[:1], pd.DataFrame([rec])], ignore_index=True)
            if _conflicts(pair):
                masks[int(rec["batch"])][int(rec["_row"])] = True
    return masks


def drop_duplicates(batches: list[ImportBatch]) -> list[ImportBatch]:
    """Batches without repeated region-year-variable rows, keeping one row per key.

    For validated batches (no conflicting duplicates): among rows of one key with a value,
    the most precise (most decimals) is kept, the first one on ties; a row without a value is
    dropped when another row of the key has one.
    """
    df = _frame(batches)
    if df.empty:
        return batches
    key = ["region_code", "year", "variable"]
    repeated = df.duplicated(key, keep=False).to_numpy()
    if not repeated.any():
        return batches
    dec = np.zeros(len(df), dtype=int)  # decimals matter only among repeated keys
    dec[repeated] = _decimals(df["value"].fillna(0).to_numpy(dtype=float)[repeated])
    df["_dec"] = dec
    df["_has"] = df["value"].notna()
    df["_pos"] = np.arange(len(df))
    order = df.sort_values(["_has", "_dec", "_pos"], ascending=[False, False, True])
    keep = order.drop_duplicates(["region_code", "year", "variable"]).index
    # rows with an unknown region or year are never merged (validation rejects them anyway)
    loose = df.index[(df["region_code"] == "") | df["year"].isna()]
    kept_arr = np.union1d(np.asarray(keep), np.asarray(loose))
    out = []
    start = 0
    for b in batches:
        n = len(b.observations)
        mask = np.isin(np.arange(start, start + n), kept_arr)
        out.append(ImportBatch(b.observations[mask].reset_index(drop=True), b.variables, b.provenance, b.raw_regions))
        start += n
    return out

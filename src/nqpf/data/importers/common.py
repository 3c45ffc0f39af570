"""Shared parsing helpers of the importers: decoding, cell values, units, regions, cell names.

Every helper is vectorised over a :class:`pandas.Series` where it applies to data cells.
Observation frames built here carry, besides :data:`nqpf.data.batch.BATCH_COLUMNS`, the
optional audit columns :data:`EXTRA_COLUMNS` that :func:`nqpf.data.validate.validate_batches`
reads and the store ignores.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from nqpf.data.batch import BATCH_COLUMNS, VARIABLE_COLUMNS
from nqpf.errors import ValidationError
from nqpf.regions import REGISTRY

#: audit columns an importer may add to ``ImportBatch.observations``:
#: ``region_raw`` (the region label as written), ``raw`` (the original text of a cell that is
#: not a number and not a missing marker, else ""), ``unit`` (the unit written on that row,
#: for files with a unit per row) and ``problem`` (any other fault found on that row, else "").
EXTRA_COLUMNS = ["region_raw", "raw", "unit", "problem"]

#: cell texts read as *missing* (NaN, never 0): blanks, the NBS dashes and ellipses, NA markers
MISSING_TOKENS = frozenset(
    {"", "-", "--", "---", "—", "——", "–", "…", "……", "...", "NA", "N/A", "n/a", "NaN", "nan",
     "null", "NULL", "None", "#N/A"}
)

_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


#: a line with two non-ASCII characters: proof that text before a bad byte really is UTF-8
#: (a GBK file almost never decodes as UTF-8 for a whole such line)
_UTF8_LINE = re.compile(r"[^\x00-\x7f][^\n]*[^\x00-\x7f][^\n]*\n")


def _first_bad(chunks: Iterable[bytes], encoding: str) -> tuple[int, int, bool] | None:
    """Stream-decode ``chunks``; ``None`` if all decode, else ``(offset, line, utf8_before)``
    of the first undecodable byte: ``line`` is 1-based, ``utf8_before`` whether a complete
    earlier line holds non-ASCII text that decoded (so the file began in ``encoding``)."""
    dec = codecs.getincrementaldecoder(encoding)()
    offset = 0
    lines = 1
    seen = False
    for chunk in chunks:
        try:
            text = dec.decode(chunk)
        except UnicodeDecodeError as exc:
            buffered = exc.object
            start = offset + len(chunk) - len(buffered) + exc.start
            before = buffered[: exc.start]
            ok_text = before.decode(encoding, errors="replace")
            seen = seen or bool(_UTF8_LINE.search(ok_text))
            return start, lines + before.count(b"\n"), seen
        lines += chunk.count(b"\n")
        seen = seen or bool(_UTF8_LINE.search(text))
        offset += len(chunk)
    try:
        dec.decode(b"", final=True)
    except UnicodeDecodeError:
        return offset, lines, seen
    return None


def _chunks(path: Path, size: int = 1 << 20) -> Iterator[bytes]:
    with path.open("rb") as fh:
        while chunk := fh.read(size):
            yield chunk


def _line_is_gbk(p: Path, data: bytes | None, offset: int) -> bool:
    """Whether the line holding byte ``offset`` decodes as GB18030."""
    if data is not None:
        chunk = data[offset: offset + 4096]
    else:
        with p.open("rb") as fh:
            fh.seek(offset)
            chunk = fh.read(4096)
    end = chunk.find(b"\n")
    try:
        chunk[: end if end >= 0 else len(chunk)].decode("gb18030")
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(path: str | Path, data: bytes | None = None) -> str:
    """``"utf-8-sig"`` or ``"gb18030"`` for a text file, read in chunks (any size).

    Raises :class:`ValidationError` naming the file and the **line** where decoding fails:
    a file whose lines before that are UTF-8 text (non-ASCII included) is reported as mixing
    encodings at that line, rather than being read as GBK and blaming a garbled region later.
    """
    p = Path(path)
    src: Callable[[], Iterable[bytes]] = (lambda: [data]) if data is not None else (lambda: _chunks(p))
    bad = _first_bad(src(), "utf-8-sig")
    if bad is None:
        return "utf-8-sig"
    offset, line, utf8_before = bad
    if utf8_before and _line_is_gbk(p, data, offset):
        raise ValidationError(
            f"mixed encodings: the text before line {line} is UTF-8 but line {line} (byte "
            f"{offset}) is not; save the whole file as UTF-8 / 文件编码混杂，请统一保存为 UTF-8",
            file=str(p), line=line,
        )
    gb = _first_bad(src(), "gb18030")
    if gb is None:
        return "gb18030"
    raise ValidationError(
        f"unreadable encoding at line {gb[1]} (byte {gb[0]}): the file is neither UTF-8 nor "
        "GBK/GB18030 / 无法识别的文件编码",
        file=str(p), line=gb[1],
    )


def decode_bytes(data: bytes, path: str | Path) -> str:
    """Decode a text file: UTF-8 (with or without BOM), else GB18030 (a superset of GBK).

    Raises :class:`ValidationError` naming the file when the bytes are binary (NUL bytes) or
    neither encoding decodes them. CRLF and CR line ends are turned into LF.
    """
    if b"\x00" in data[:65536]:
        raise ValidationError("binary file (NUL bytes), not a text table", file=str(path))
    text = data.decode(detect_encoding(path, data))
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_csv_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV as text cells (UTF-8 with or without BOM, else GB18030); all cells ``str``."""
    p = Path(path)
    with p.open("rb") as fh:
        head = fh.read(65536)
    if b"\x00" in head:
        raise ValidationError("binary file (NUL bytes), not a text table", file=str(p))
    enc = detect_encoding(p)
    try:
        df = pd.read_csv(p, dtype=str, keep_default_na=False, encoding=enc, skipinitialspace=True)
    except pd.errors.ParserError as exc:
        raise ValidationError(f"not a readable CSV table: {exc}", file=str(p)) from None
    except pd.errors.EmptyDataError:
        raise ValidationError("empty file", file=str(p)) from None
    except UnicodeDecodeError as exc:  # pragma: no cover - detect_encoding read it all
        raise ValidationError(f"unreadable encoding: {exc}", file=str(p)) from None
    df.columns = [str(c).strip() for c in df.columns]
    return df


def read_text(path: str | Path) -> str:
    """Read and decode a text file with :func:`decode_bytes`."""
    return decode_bytes(Path(path).read_bytes(), path)


def csv_rows(text: str) -> list[list[str]]:
    """Split decoded CSV text into rows of cells (cells stripped)."""
    return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]


def col_letter(i: int) -> str:
    """Spreadsheet column letters of a 0-based column index (0 -> A, 26 -> AA)."""
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def parse_values(cells: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse cell texts to floats.

    Returns ``(value, raw)``: ``value`` is float (NaN for missing markers and for unparseable
    text), ``raw`` holds the original text where a cell is neither a number nor a missing
    marker (those are errors for validation), else "". Full-width digits are folded (NFKC)
    and thousands separators ``1,234.5`` accepted. Plain numbers take a vectorised path;
    only the other cells are looked at one by one.
    """
    if pd.api.types.is_numeric_dtype(cells.dtype) and not pd.api.types.is_bool_dtype(cells.dtype):
        nums = cells.astype("float64")
        inf = np.isinf(nums)
        rawn = pd.Series(np.where(inf, nums.astype(str), ""), index=cells.index, dtype=object)
        return nums.where(~inf), rawn
    obj = cells.astype(object)
    vals = pd.to_numeric(obj, errors="coerce").astype("float64")
    inf = np.isinf(vals)
    vals = vals.where(~inf)
    raw = pd.Series("", index=cells.index, dtype=object)
    todo = (vals.isna() & obj.notna()) | inf
    if todo.any():
        sub = obj[todo].map(_cell_text)
        folded = sub.map(lambda x: unicodedata.normalize("NFKC", x).strip())
        thousands = folded.str.match(_THOUSANDS).fillna(False).astype(bool)
        folded = folded.where(~thousands, folded.str.replace(",", "", regex=False))
        again = pd.to_numeric(folded, errors="coerce").astype("float64")
        again = again.where(~np.isinf(again))
        missing = folded.isin(MISSING_TOKENS) | sub.isin(MISSING_TOKENS)
        vals.loc[sub.index] = again
        raw.loc[sub.index] = sub.where(again.isna() & ~missing, "")
    return vals, raw


def _cell_text(v: object) -> str:
    if isinstance(v, float):
        return "" if np.isnan(v) else repr(v)
    return str(v).strip()


def parse_years(cells: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse year cells (``2024``, ``2024年``, ``2024.0``) to Int64; ``bad`` marks the rest."""
    nums = pd.to_numeric(cells.astype(object), errors="coerce").astype("float64")
    ok = nums.notna() & np.isfinite(nums) & (nums == np.round(nums)) & (nums >= 1000) & (nums <= 9999)
    years = nums.where(ok).astype("Int64")
    todo = ~ok
    if todo.any():
        text = cells[todo].astype(object).where(cells[todo].notna(), "").map(_cell_text)
        text = text.map(lambda x: unicodedata.normalize("NFKC", x).strip())
        m = text.str.extract(r"^(\d{4})(?:年|\.0+)?$")[0]
        years.loc[text.index] = pd.to_numeric(m, errors="coerce").astype("Int64")
    return years, years.isna()


def is_year_label(s: str) -> bool:
    """Whether a header cell names a year (``2024``, ``2024年``)."""
    return re.fullmatch(r"\d{4}(年|\.0+)?", unicodedata.normalize("NFKC", str(s)).strip()) is not None


@cache
def _unit_table() -> dict[str, str]:
    text = resources.files("nqpf.data.importers").joinpath("units.csv").read_text("utf-8")
    df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    return {_unit_key(p): u for p, u in zip(df["published"], df["unit"], strict=True)}


def _unit_key(u: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", str(u))).strip().lower()


def normalize_unit(unit: str | None) -> str:
    """The English unit label of a published unit (``亿元`` -> ``100 million yuan``).

    Only the label changes, never the value: the table (``units.csv`` beside this module)
    lists unit names with the same meaning. Units not in the table are returned as written
    (NFKC-folded, spaces collapsed).
    """
    if unit is None or (isinstance(unit, float) and np.isnan(unit)):
        return ""
    return _normalize_unit_text(str(unit))


@lru_cache(maxsize=4096)
def _normalize_unit_text(unit: str) -> str:
    """:func:`normalize_unit` of a text, computed once per distinct text (a large import
    asks for the same few units thousands of times)."""
    return _unit_table().get(_unit_key(unit), re.sub(r"\s+", " ", unicodedata.normalize("NFKC", unit)).strip())


def normalize_units(units: pd.Series) -> pd.Series:
    """:func:`normalize_unit` of every cell, computed once per distinct unit (vectorised)."""
    text = units.astype(object).where(units.notna(), "").astype(str)
    table = {u: normalize_unit(u) for u in pd.unique(text)}
    return text.map(table).astype(object)


def resolve_regions(labels: pd.Series, errata: dict[str, str] | None = None) -> pd.Series:
    """Region codes for labels (names, aliases or codes) via :data:`REGISTRY`; "" if unknown.

    ``errata`` maps a label as written (after removing spaces) to the name it stands for;
    it is applied before the registry lookup. Each distinct label is looked up once.
    """
    errata = errata or {}
    uniq = pd.unique(labels.astype(str))
    table: dict[str, str] = {}
    for lab in uniq:
        key = re.sub(r"\s+", "", unicodedata.normalize("NFKC", lab))
        region = REGISTRY.lookup(errata.get(key, lab))
        table[lab] = region.code if region is not None else ""
    return labels.astype(str).map(table)


def observations(
    *,
    region_code: pd.Series,
    year: pd.Series,
    variable: pd.Series | str,
    value: pd.Series,
    line: pd.Series,
    cell: pd.Series | str,
    region_raw: pd.Series,
    raw: pd.Series | None = None,
    unit: pd.Series | None = None,
    problem: pd.Series | None = None,
) -> pd.DataFrame:
    """Assemble an observations frame with :data:`BATCH_COLUMNS` then :data:`EXTRA_COLUMNS`."""
    n = len(region_code)
    idx = region_code.index
    df = pd.DataFrame(
        {
            "region_code": region_code.astype(object).to_numpy(),
            "year": _int_column(year),
            "variable": variable.astype(object).to_numpy() if isinstance(variable, pd.Series) else [variable] * n,
            "value": value.astype("float64").to_numpy(),
            "line": _int_column(line),
            "cell": cell.astype(object).to_numpy() if isinstance(cell, pd.Series) else [cell] * n,
            "region_raw": region_raw.astype(object).to_numpy(),
            "raw": (raw if raw is not None else pd.Series("", index=idx)).astype(object).to_numpy(),
            "unit": (unit if unit is not None else pd.Series("", index=idx)).astype(object).to_numpy(),
            "problem": (problem if problem is not None else pd.Series("", index=idx)).astype(object).to_numpy(),
        }
    )
    return df[BATCH_COLUMNS + EXTRA_COLUMNS].reset_index(drop=True)


def _int_column(s: pd.Series) -> pd.api.extensions.ExtensionArray | np.ndarray:
    """int64 values, or nullable Int64 when some are missing (only in rejected input)."""
    arr = s.astype("Int64").array
    return arr.to_numpy(dtype="int64") if not arr.isna().any() else arr


def variables_frame(rows: list[dict[str, str]]) -> pd.DataFrame:
    """A catalog frame with :data:`VARIABLE_COLUMNS` (missing fields as "")."""
    df = pd.DataFrame(rows, columns=VARIABLE_COLUMNS)
    return df.fillna("").astype(object)


#: pandas engine for every workbook (.xls, .xlsx, .ods): calamine reads them all, and it is
#: pandas' coming default (xlrd, the old .xls reader, is deprecated)
EXCEL_ENGINE: Literal["calamine"] = "calamine"

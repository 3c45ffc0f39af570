"""Batch qualification: a CSV, JSONL or XLSX file of descriptions in, one result row per description out.

Input: a table with an id column and a text column (by default the first of ``id, doc_id, 编号``
and the first of ``text, description, content, 描述, 文本``). Bad rows are reported with their
line (CSV, JSONL) or row number (XLSX) and skipped, and the other rows are processed:

* empty text;
* binary content (NUL bytes, or bytes that are not UTF-8);
* a wrong column: a JSONL record without the text field, a CSV row with more or fewer fields
  than the header;
* malformed JSON.

A file whose header lacks the text column is refused as a whole (:class:`BatchError`).

Identical texts are qualified once per run (the qualifier is deterministic). With
``backend="dask"`` (the default for CSV and JSONL files over :data:`DASK_MIN_BYTES`), the file
is cut into byte ranges at line ends and the ranges are qualified in parallel on a Dask
``LocalCluster``. Each task is a range of about :data:`DASK_RANGE_BYTES`, so it pays for its
scheduling. In this mode a CSV record must not hold a line break inside a quoted cell.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from nqpf.errors import NqpfError
from nqpf.innovation.qualify import Qualification, Qualifier
from nqpf.innovation.qualify_fitted import DEFAULT_MODEL, MODELS, FittedQualifier, qualifier_for

ID_COLUMNS = ("id", "doc_id", "编号", "序号")
TEXT_COLUMNS = ("text", "description", "content", "描述", "文本", "内容")
FORMATS = {".csv": "csv", ".tsv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".xlsx": "xlsx"}
DASK_MIN_BYTES = 64 * 1024 * 1024
"""Files at least this large use the Dask backend when ``backend="auto"``."""
DASK_RANGE_BYTES = 4 * 1024 * 1024
"""Target size of one Dask task (a byte range of the file)."""
RESULT_COLUMNS = ["line", "id", "verdict", "verdict_zh", "confidence", "rule", "disruption", "wealth", "living",
                  "frontier", "concreteness", "vagueness", "sectors", "phrases", "reasons"]


class BatchError(NqpfError):
    """A batch file that cannot be read at all (missing, unknown format, no text column)."""


@dataclass(frozen=True)
class RowError:
    """A bad row: its line (CSV/JSONL) or row (XLSX) number and what is wrong."""

    line: int
    reason: str
    id: str | None = None

    def __str__(self) -> str:
        return f"line {self.line}" + (f" (id {self.id})" if self.id else "") + f": {self.reason}"


@dataclass
class BatchResult:
    """One result row per good description, the bad rows, and counts."""

    results: pd.DataFrame
    errors: list[RowError] = field(default_factory=list)
    unique_texts: int = 0

    def errors_table(self) -> pd.DataFrame:
        """``line, id, reason`` of the bad rows."""
        return pd.DataFrame([(e.line, e.id, e.reason) for e in self.errors], columns=["line", "id", "reason"])


@dataclass(frozen=True)
class _Spec:
    fmt: str
    id_col: str | None
    text_col: str
    header: tuple[str, ...] = ()
    delimiter: str = ","


def _format(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise BatchError(f"[file {path}] unknown batch format {path.suffix or '(none)'!r}; use .csv, .tsv, .jsonl or .xlsx")
    return fmt


def _pick(columns: Sequence[str], wanted: str | None, candidates: Sequence[str], what: str, path: Path) -> str | None:
    if wanted is not None:
        if wanted not in columns:
            raise BatchError(f"[file {path}] no {what} column {wanted!r}; columns: {', '.join(columns) or '(none)'}")
        return wanted
    low = {c.strip().lower(): c for c in columns}
    return next((low[c] for c in candidates if c in low), None)


def inspect(path: str | Path, *, id_col: str | None = None, text_col: str | None = None) -> _Spec:
    """Check the file and find its id and text columns (JSONL: from the first good record)."""
    p = Path(path)
    if not p.is_file():
        raise BatchError(f"[file {p}] {'is a directory' if p.is_dir() else 'does not exist'}; expected a CSV, JSONL or XLSX file")
    fmt = _format(p)
    if fmt == "xlsx":
        header = tuple(str(c) for c in pd.read_excel(p, nrows=0, dtype=str, engine="openpyxl").columns)
    elif fmt == "csv":
        with p.open("rb") as fh:
            first = fh.readline()
        try:
            line = first.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise BatchError(f"[file {p}, line 1] the header is not UTF-8 text") from None
        delim = "\t" if p.suffix.lower() == ".tsv" else ","
        header = tuple(next(csv.reader([line], delimiter=delim), []))
        spec_delim = delim
    else:
        header = ()
        with p.open("rb") as fh:
            for raw in fh:
                try:
                    rec = json.loads(raw.decode("utf-8-sig"))
                except (UnicodeDecodeError, json.JSONDecodeError):
                    continue
                if isinstance(rec, dict):
                    header = tuple(str(k) for k in rec)
                    break
    if not header:
        raise BatchError(f"[file {p}] no header or record found; expected columns such as 'id' and 'text'")
    text = _pick(header, text_col, TEXT_COLUMNS, "text", p)
    if text is None:
        raise BatchError(f"[file {p}] no text column; columns: {', '.join(header)}; "
                         f"name one with --text-column (looked for {', '.join(TEXT_COLUMNS)})")
    ident = _pick(header, id_col, ID_COLUMNS, "id", p)
    return _Spec(fmt, ident, text, header, spec_delim if fmt == "csv" else ",")


def _check_text(value: Any) -> str | None:
    """The reason a cell is bad, or None."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "empty text"
    s = str(value)
    if "\x00" in s or "\ufffd" in s:
        return "binary content (NUL bytes or bytes that are not UTF-8)"
    if not s.strip():
        return "empty text"
    return None


# ----------------------------------------------------------------------------- row readers
def _decoded_lines(data: bytes, first_line: int, errors: list[RowError]) -> Iterator[tuple[int, str]]:
    for n, raw in enumerate(data.splitlines(keepends=True), start=first_line):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            errors.append(RowError(n, f"binary content: not UTF-8 (byte {exc.start + 1} of the line)"))
            continue
        if "\x00" in line:
            errors.append(RowError(n, "binary content (NUL bytes)"))
            continue
        yield n, line


def _csv_rows(data: bytes, first_line: int, spec: _Spec, errors: list[RowError]) -> Iterator[tuple[int, str | None, str]]:
    lines = list(_decoded_lines(data, first_line, errors))
    numbers = [n for n, _ in lines]
    reader = csv.reader(io.StringIO("".join(line for _, line in lines), newline=""), delimiter=spec.delimiter)
    it = iter(reader)
    ti = spec.header.index(spec.text_col)
    ii = spec.header.index(spec.id_col) if spec.id_col else None
    while True:
        try:
            row = next(it)
        except StopIteration:
            return
        except csv.Error as exc:
            errors.append(RowError(numbers[min(reader.line_num, len(numbers)) - 1], f"malformed CSV: {exc}"))
            continue
        n = numbers[min(reader.line_num, len(numbers)) - 1] if numbers else first_line
        if not row or all(not c.strip() for c in row):
            continue
        ident = row[ii] if ii is not None and ii < len(row) else None
        if len(row) != len(spec.header):
            errors.append(RowError(n, f"wrong columns: {len(row)} fields, the header has {len(spec.header)}", ident))
            continue
        yield n, ident, row[ti]


def _jsonl_rows(data: bytes, first_line: int, spec: _Spec, errors: list[RowError]) -> Iterator[tuple[int, str | None, Any]]:
    for n, line in _decoded_lines(data, first_line, errors):
        if not line.strip():
            continue
        try:
            rec = json.loads(line.lstrip("\ufeff"))
        except json.JSONDecodeError as exc:
            errors.append(RowError(n, f"malformed JSON: {exc.msg}"))
            continue
        if not isinstance(rec, dict):
            errors.append(RowError(n, "a record must be a JSON object"))
            continue
        ident = str(rec[spec.id_col]) if spec.id_col and rec.get(spec.id_col) is not None else None
        if spec.text_col not in rec:
            errors.append(RowError(n, f"wrong column: no {spec.text_col!r} field (fields: {', '.join(map(str, rec)) or 'none'})", ident))
            continue
        yield n, ident, rec[spec.text_col]


def _xlsx_rows(path: Path, spec: _Spec) -> Iterator[tuple[int, str | None, Any]]:
    df = pd.read_excel(path, dtype=object, engine="openpyxl")
    for i, rec in enumerate(df.to_dict("records"), start=2):
        ident = rec.get(spec.id_col) if spec.id_col else None
        yield i, None if ident is None or ident != ident else str(ident), rec.get(spec.text_col)


# ----------------------------------------------------------------------------- qualification
def _result_row(line: int, ident: str | None, q: Qualification) -> tuple[Any, ...]:
    s = q.scores
    return (line, ident, q.verdict.value, q.verdict.label_zh, round(q.confidence, 4), q.rule, s["disruption"], s["wealth"],
            s["living"], s["frontier"], s["concreteness"], s["vagueness"], ";".join(q.sectors), ";".join(q.phrases),
            " | ".join(r.en for r in q.reasons))


def qualify_rows(rows: Iterator[tuple[int, str | None, Any]], errors: list[RowError], qualifier: Qualifier | FittedQualifier,
                 cache: dict[str, Qualification]) -> list[tuple[Any, ...]]:
    """Qualify good rows (memoised by text); bad cells go to ``errors``. New texts go to the
    qualifier's ``qualify_many`` in chunks of :data:`FIT_CHUNK` (the fitted layer scores a chunk at once)."""
    good: list[tuple[int, str | None, str]] = []
    for n, ident, value in rows:
        bad = _check_text(value)
        if bad:
            errors.append(RowError(n, bad, ident))
            continue
        good.append((n, ident, str(value)))
    new = list(dict.fromkeys(t for _, _, t in good if t not in cache))
    for i in range(0, len(new), FIT_CHUNK):
        chunk = new[i : i + FIT_CHUNK]
        cache.update(zip(chunk, qualifier.qualify_many(chunk), strict=True))
    return [_result_row(n, ident, cache[text]) for n, ident, text in good]


FIT_CHUNK = 1000
"""Descriptions scored together by the fitted layer in batch mode."""


def _range_task(path: str, start: int, end: int, spec: _Spec,
                model: str = DEFAULT_MODEL) -> tuple[list[tuple[Any, ...]], list[RowError], int, int]:
    """Qualify the lines in ``[start, end)`` of a file; line numbers are relative (first = 1)."""
    with open(path, "rb") as fh:
        fh.seek(start)
        data = fh.read(end - start)
    errors: list[RowError] = []
    cache: dict[str, Qualification] = {}
    reader = _csv_rows if spec.fmt == "csv" else _jsonl_rows
    rows = qualify_rows(reader(data, 1, spec, errors), errors, qualifier_for(model), cache)
    return rows, errors, data.count(b"\n"), len(cache)


def byte_ranges(path: Path, target: int, skip_header: bool) -> list[tuple[int, int]]:
    """Cut a file into ranges of about ``target`` bytes, each ending at a line end."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        start = len(fh.readline()) if skip_header else 0
        out = []
        while start < size:
            fh.seek(min(start + target, size))
            if fh.tell() < size:
                fh.readline()
            end = fh.tell()
            out.append((start, end))
            start = end
    return out


def qualify_batch(
    path: str | Path,
    *,
    id_col: str | None = None,
    text_col: str | None = None,
    backend: str = "auto",
    workers: int = 2,
    progress: bool = False,
    client: Any = None,
    model: str = DEFAULT_MODEL,
) -> BatchResult:
    """Qualify every description of a batch file; see the module docstring. ``model``: one of
    :data:`~nqpf.innovation.qualify_fitted.MODELS`, ``hybrid`` by default (the rules unless the fitted
    text model is confident), ``rules`` or ``fitted``."""
    if model not in MODELS:
        raise BatchError(f"unknown model {model!r}; use one of: {', '.join(MODELS)}")
    p = Path(path)
    spec = inspect(p, id_col=id_col, text_col=text_col)
    if backend == "auto":
        backend = "dask" if spec.fmt != "xlsx" and p.stat().st_size >= DASK_MIN_BYTES else "local"
    if backend not in ("local", "dask"):
        raise BatchError(f"unknown backend {backend!r}; use auto, local or dask")
    if backend == "dask" and spec.fmt == "xlsx":
        raise BatchError(f"[file {p}] the Dask backend reads CSV and JSONL only; use --backend local for XLSX")
    errors: list[RowError] = []
    if spec.fmt == "xlsx":
        cache: dict[str, Qualification] = {}
        rows = qualify_rows(_xlsx_rows(p, spec), errors, qualifier_for(model), cache)
        unique = len(cache)
    elif backend == "local":
        rows, unique = _run_local(p, spec, errors, progress, model)
    else:
        rows, unique = _run_dask(p, spec, errors, workers, progress, client, model)
    df = pd.DataFrame(rows, columns=RESULT_COLUMNS).sort_values("line", ignore_index=True)
    return BatchResult(df, sorted(errors, key=lambda e: e.line), unique)


def _run_local(p: Path, spec: _Spec, errors: list[RowError], progress: bool,
               model: str = DEFAULT_MODEL) -> tuple[list[tuple[Any, ...]], int]:
    ranges = byte_ranges(p, 1 << 20, skip_header=spec.fmt == "csv")
    cache: dict[str, Qualification] = {}
    rows: list[tuple[Any, ...]] = []
    line = 2 if spec.fmt == "csv" else 1
    reader = _csv_rows if spec.fmt == "csv" else _jsonl_rows

    def work(start: int, end: int, first: int) -> int:
        with p.open("rb") as fh:
            fh.seek(start)
            data = fh.read(end - start)
        rows.extend(qualify_rows(reader(data, first, spec, errors), errors, qualifier_for(model), cache))
        return data.count(b"\n")

    if progress:
        from nqpf.innovation.progress import byte_progress

        with byte_progress() as bar:
            task = bar.add_task("qualify / 认定", total=p.stat().st_size)
            for s, e in ranges:
                line += work(s, e, line)
                bar.advance(task, e - s)
    else:
        for s, e in ranges:
            line += work(s, e, line)
    return rows, len(cache)


def _run_dask(p: Path, spec: _Spec, errors: list[RowError], workers: int, progress: bool,
              client: Any, model: str = DEFAULT_MODEL) -> tuple[list[tuple[Any, ...]], int]:
    from nqpf.innovation.dask_backend import cluster_client, preload

    ranges = byte_ranges(p, DASK_RANGE_BYTES, skip_header=spec.fmt == "csv")
    results: dict[int, tuple[list[tuple[Any, ...]], list[RowError], int, int]] = {}
    with cluster_client(workers, client) as cl:
        preload(cl, functools.partial(qualifier_for, model), name=f"nqpf-qualifier-{model}")  # jieba, cues (model), once per worker
        futures = [cl.submit(_range_task, str(p), s, e, spec, model, pure=False) for s, e in ranges]
        index = {f.key: i for i, f in enumerate(futures)}
        from distributed import as_completed

        if progress:
            from nqpf.innovation.progress import byte_progress

            with byte_progress() as bar:
                task = bar.add_task(f"qualify / 认定 (dask, {workers} workers)", total=p.stat().st_size)
                for fut in as_completed(futures):
                    i = index[fut.key]
                    results[i] = fut.result()
                    bar.advance(task, ranges[i][1] - ranges[i][0])
        else:
            for fut in as_completed(futures):
                results[index[fut.key]] = fut.result()
    rows: list[tuple[Any, ...]] = []
    unique = 0
    offset = 1 if spec.fmt == "csv" else 0  # lines before the first range
    for i in range(len(ranges)):
        r, errs, n_lines, u = results[i]
        rows.extend((row[0] + offset, *row[1:]) for row in r)
        errors.extend(RowError(e.line + offset, e.reason, e.id) for e in errs)
        offset += n_lines
        unique += u
    return rows, unique


def write_results(res: BatchResult, out: str | Path) -> list[Path]:
    """Write results (CSV, JSONL or XLSX by extension) and, if any, the bad rows beside them."""
    o = Path(out)
    fmt = _format(o)
    if fmt == "csv":
        res.results.to_csv(o, index=False)
    elif fmt == "jsonl":
        res.results.to_json(o, orient="records", lines=True, force_ascii=False)
    else:
        res.results.to_excel(o, index=False)
    written = [o]
    if res.errors:
        e = o.with_name(o.stem + "_errors.csv")
        res.errors_table().to_csv(e, index=False)
        written.append(e)
    return written

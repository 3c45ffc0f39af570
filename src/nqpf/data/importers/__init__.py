"""Importers: files -> :class:`~nqpf.data.batch.ImportBatch` (validated later, then stored).

:func:`read_file` detects the format:

========================================  =========  ==============================
file                                      importer   module
========================================  =========  ==============================
curated panel CSV (``region_code`` ...)    ``tidy``   :mod:`.tidy`
NBS export CSV/XLS/XLSX (zh or en)        ``nbs``    :mod:`.nbs`
R ``.rda``/``.RData``/``.rds``            ``rdata``  :mod:`.rdata`
tidy long or wide CSV/Excel/Parquet       ``tidy``   :mod:`.tidy` (give a mapping)
========================================  =========  ==============================

Importers never raise on a bad cell or an unknown region: they keep it visible in the
audit columns (``region_raw``, ``raw``, ``unit``, ``problem``) so that
:func:`nqpf.data.validate.validate_batches` lists every problem of every file at once. They
raise :class:`~nqpf.errors.ValidationError` only for whole-file faults (unreadable encoding,
binary, unrecognisable layout), naming the file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from nqpf.data.batch import ImportBatch
from nqpf.data.importers.common import EXCEL_ENGINE, EXTRA_COLUMNS, decode_bytes, normalize_unit
from nqpf.data.importers.nbs import looks_like_nbs, read_nbs
from nqpf.data.importers.rdata import read_rdata
from nqpf.data.importers.tidy import ColumnMapping, read_tidy
from nqpf.errors import ValidationError

__all__ = [
    "EXTRA_COLUMNS",
    "IMPORTABLE_SUFFIXES",
    "ColumnMapping",
    "detect_importer",
    "iter_files",
    "normalize_unit",
    "read_file",
]

IMPORTERS = ("tidy", "nbs", "rdata")
R_SUFFIXES = frozenset({".rda", ".rdata", ".rds"})
EXCEL_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls"})
TEXT_SUFFIXES = frozenset({".csv"})
#: file suffixes :func:`iter_files` picks up in a folder
IMPORTABLE_SUFFIXES = R_SUFFIXES | EXCEL_SUFFIXES | TEXT_SUFFIXES | {".parquet"}
#: file names that are catalogs or documentation, never data (lower case)
SKIPPED_NAMES = frozenset({"manifest.csv", "sources.csv", "variables.csv", "varslist.rda"})


def _excel_first_rows(p: Path, n: int = 5) -> list[list[str]]:
    import pandas as pd

    try:
        df = pd.read_excel(p, sheet_name=0, header=None, nrows=n, dtype=object, engine=EXCEL_ENGINE)
    except Exception as exc:
        raise ValidationError(f"cannot read the workbook: {exc}", file=str(p)) from exc
    return [["" if v is None or (isinstance(v, float) and v != v) else str(v) for v in rec]
            for rec in df.itertuples(index=False)]


def detect_importer(path: str | Path) -> str:
    """The importer for a file: ``"rdata"``, ``"nbs"`` or ``"tidy"`` (by suffix and content)."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in R_SUFFIXES:
        return "rdata"
    if suffix == ".parquet":
        return "tidy"
    if suffix in EXCEL_SUFFIXES:
        return "nbs" if looks_like_nbs(_excel_first_rows(p)) else "tidy"
    with p.open("rb") as fh:
        head = fh.read(4096)
    if head[:2] == b"\x1f\x8b" or head[:3] == b"BZh" or head[:5] == b"RDX2\n" or head[:5] == b"RDX3\n":
        return "rdata"
    text = decode_bytes(_trim_partial(head), p)
    rows = [line.split(",") for line in text.split("\n")[:5]]
    return "nbs" if looks_like_nbs(rows) else "tidy"


def _trim_partial(head: bytes) -> bytes:
    """Cut a byte prefix at its last newline so a multi-byte character is never split."""
    cut = head.rfind(b"\n")
    return head[: cut + 1] if cut > 0 and len(head) >= 4096 else head


def read_file(
    path: str | Path,
    *,
    importer: str | None = None,
    mapping: ColumnMapping | Mapping[str, object] | None = None,
    variable: str | None = None,
    unit: str | None = None,
    source: str | None = None,
) -> list[ImportBatch]:
    """Read one file into batches (one per table or sheet), detecting its format.

    ``importer`` forces one of ``"tidy"``, ``"nbs"``, ``"rdata"``; ``mapping`` says which
    columns of a tidy table hold what (:class:`ColumnMapping` or a dict of its fields);
    ``variable``/``unit`` override the id/unit of a single-indicator NBS export (or name the
    variable of a one-column-per-year table); ``source`` sets the catalog source id.
    """
    p = Path(path)
    if not p.is_file():
        raise ValidationError("no such file", file=str(p))
    if importer is not None and importer not in IMPORTERS:
        raise ValueError(f"importer must be one of {', '.join(IMPORTERS)}, got {importer!r}")
    kind = importer or ("tidy" if mapping is not None and p.suffix.lower() not in R_SUFFIXES
                        else detect_importer(p))
    if kind == "nbs":
        return read_nbs(p, variable=variable, unit=unit, source=source)
    if kind == "rdata":
        return read_rdata(p, mapping, variable=variable, unit=unit, source=source)
    return read_tidy(p, mapping, variable=variable, unit=unit, source=source)


def _holds_derived_data(folder: Path) -> bool:
    """Whether a folder holds data files of its own (tables, a catalog, a corpus)."""
    return any(
        g.is_file()
        and g.suffix.lower() in IMPORTABLE_SUFFIXES | {".jsonl"}
        and g.name.lower() not in {"manifest.csv", "sources.csv"}
        for g in folder.iterdir()
    )


def _in_bundle_originals(f: Path, root: Path) -> bool:
    """Whether ``f`` lies (below ``root``) in a ``raw/`` folder beside data made from it."""
    d = f.parent
    while d != root and root in d.parents:
        if d.name.lower() == "raw" and _holds_derived_data(d.parent):
            return True
        d = d.parent
    return False


def iter_files(paths: Iterable[str | Path]) -> list[Path]:
    """Files to import: given files as they are, folders expanded (recursively, sorted).

    In folders only :data:`IMPORTABLE_SUFFIXES` are taken, skipping hidden files, README,
    ``MANIFEST.csv``, ``sources.csv``, ``variables.csv`` (the curated catalog, read beside
    its panel) and ``varsList.rda`` (the techme label catalog), and a ``raw/`` folder that sits
    beside data made from it (a tidy table, a ``variables.csv`` catalog or a
    ``documents.jsonl`` corpus, e.g. ``extension/raw/``): it holds the originals, not more
    statistics. Such a folder given by name is read.
    """
    out: list[Path] = []
    for item in paths:
        p = Path(item)
        if p.is_dir():
            found = [
                f for f in sorted(p.rglob("*"))
                if f.is_file()
                and f.suffix.lower() in IMPORTABLE_SUFFIXES
                and f.name.lower() not in SKIPPED_NAMES
                and not f.name.lower().startswith("readme")
                and not any(part.startswith(".") for part in f.relative_to(p).parts)
                and not _in_bundle_originals(f, p)
            ]
            out.extend(found)
        elif p.exists():
            out.append(p)
        else:
            raise ValidationError("no such file or folder", file=str(p))
    seen: set[Path] = set()
    uniq = []
    for f in out:
        r = f.resolve()
        if r not in seen:
            seen.add(r)
            uniq.append(f)
    return uniq

"""The reading layer of the publication report: a run folder, read through the service layer.

:func:`read_run` takes a job folder written by ``nqpf run --out DIR`` (or one framework's
folder inside it) and returns a :class:`ReportContext`: every framework run loaded back whole
(:func:`nqpf.services.load`) with its tables, plus whichever analysis tables exist
(robustness/, regional/, profiles/ per framework; productivity/, linkage/ per job; names in
:mod:`nqpf.report.publication.tables`). Absent tables are not an error: they are listed in
``absent`` so the report can say what was not in the run.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from nqpf.errors import NqpfError
from nqpf.report.publication.tables import FRAMEWORK_TABLES, JOB_TABLES, OPTIONAL_SECTIONS, TableRef

if TYPE_CHECKING:
    from nqpf.index.result import IndexResult

__all__ = ["FrameworkRun", "ReportContext", "ReportError", "read_run"]


PRIMARY_FRAMEWORK = "nqpf-three-elements"
"""The index the report and the briefing are about when the run holds several."""


class ReportError(NqpfError):
    """A run folder the report cannot read (not a run, damaged table)."""


@dataclass
class FrameworkRun:
    """One framework of a run: the result loaded back, its spec record and its tables by key."""

    id: str
    folder: Path
    result: IndexResult
    meta: dict[str, Any]
    tables: dict[str, pd.DataFrame]
    absent: list[tuple[str, TableRef]] = field(default_factory=list)
    robustness_meta: dict[str, Any] | None = None
    _cache: dict[Any, Any] = field(default_factory=dict, repr=False)

    @property
    def root(self) -> str:
        """The id of the index node (the tree's root)."""
        return str(self.result.framework.root.id)

    @property
    def name_en(self) -> str:
        return str(self.meta.get("name_en") or self.result.name_en)

    @property
    def name_zh(self) -> str:
        return str(self.meta.get("name_zh") or self.result.name_zh)

    @property
    def scores(self) -> pd.DataFrame:
        """The tidy score table (scores.csv): region_code, region_en, region_zh, year, node, score, rank."""
        return self.tables["scores"]

    def node_scores(self, node: str | None = None) -> pd.DataFrame:
        """Rows of scores.csv for one node (default: the index)."""
        s = self.scores
        return s[s["node"] == (node or self.root)]

    def value(self, node: str, code: str, year: int, column: str = "score") -> float:
        """One cell of scores.csv (``column`` of the row for ``node``, ``code``, ``year``)."""
        key = ("_lookup", column)
        cache = self._cache.get(key)
        if cache is None:
            s = self.scores
            cache = dict(zip(zip(s["node"], s["region_code"], s["year"].astype(int), strict=True),
                             s[column].astype(float), strict=True))
            self._cache[key] = cache
        return float(cache[(node, code, int(year))])

    @property
    def years(self) -> list[int]:
        return sorted(int(y) for y in self.scores["year"].unique())


@dataclass
class ReportContext:
    """Everything the report shows, read from one run folder."""

    run_dir: Path
    frameworks: list[FrameworkRun]
    job_tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    job_absent: list[tuple[str, TableRef]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def framework(self, fid: str | None = None) -> FrameworkRun:
        """A framework run by id; default the primary one (nqpf-three-elements, else the first NQPF
        index, else the first)."""
        if fid is None:
            nq = sorted((f for f in self.frameworks if f.id.startswith("nqpf")),
                        key=lambda f: (f.id != PRIMARY_FRAMEWORK, f.id))
            return (nq or self.frameworks)[0]
        for f in self.frameworks:
            if f.id == fid:
                return f
        raise ReportError(f"the run has no framework {fid!r} (it has {', '.join(f.id for f in self.frameworks)})")

    @property
    def absent(self) -> list[tuple[str, str, TableRef]]:
        """Every optional table not in the run: (framework id or 'job', section, table)."""
        out = [(f.id, sec, ref) for f in self.frameworks for sec, ref in f.absent]
        out += [("job", sec, ref) for sec, ref in self.job_absent]
        return out


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path, dtype={"region_code": str, "code": str, "region": str})
    except (OSError, ValueError, UnicodeDecodeError) as e:
        raise ReportError(f"cannot read {path}: {e} (write the run again with nqpf run)") from None


def _framework_folders(run_dir: Path) -> tuple[list[Path], Path]:
    """The framework folders of a run and the job folder (where productivity/, linkage/ sit)."""
    if (run_dir / "run.json").is_file():
        return [run_dir], run_dir.parent
    found = sorted(p.parent for p in run_dir.glob("*/run.json"))
    return found, run_dir


def read_framework(folder: Path) -> FrameworkRun:
    """One framework folder: the result (services.load), spec.json and every table that exists."""
    from nqpf import services

    try:
        result = services.load(folder)
    except NqpfError as e:
        raise ReportError(str(e)) from None
    spec_file = folder / "spec.json"
    meta: dict[str, Any] = json.loads(spec_file.read_text(encoding="utf-8")) if spec_file.is_file() else {}
    tables: dict[str, pd.DataFrame] = {}
    for ref in FRAMEWORK_TABLES:
        p = folder / ref.path
        if p.is_file():
            tables[ref.key] = _read_csv(p)
    if "scores" not in tables:
        raise ReportError(f"{folder} has no scores.csv: it is not a complete run (write it again with nqpf run)")
    absent: list[tuple[str, TableRef]] = []
    for section, refs in OPTIONAL_SECTIONS.items():
        for ref in refs:
            p = folder / ref.path
            if p.is_file():
                tables[ref.key] = _read_csv(p)
            else:
                absent.append((section, ref))
    rob_meta = None
    rj = folder / "robustness" / "robustness.json"
    if rj.is_file():
        rob_meta = json.loads(rj.read_text(encoding="utf-8"))
    return FrameworkRun(id=result.framework.id, folder=folder, result=result, meta=meta, tables=tables,
                        absent=absent, robustness_meta=rob_meta)


def read_run(run_dir: str | Path, progress: Callable[[str], None] | None = None) -> ReportContext:
    """Read a run folder (a job folder of ``nqpf run --out DIR`` or one framework's folder)."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        what = "is a file" if run_dir.exists() else "does not exist"
        raise ReportError(f"{run_dir} {what}: give the folder written by nqpf run --out DIR")
    folders, job = _framework_folders(run_dir)
    if not folders:
        raise ReportError(f"{run_dir} is not a run folder (no <framework>/run.json inside): "
                          "give the folder written by nqpf run --out DIR")
    runs = []
    for f in folders:
        if progress:
            progress(f"reading {f.name} / 读取")
        runs.append(read_framework(f))
    ctx = ReportContext(run_dir=run_dir, frameworks=runs)
    for section, refs in JOB_TABLES.items():
        for ref in refs:
            p = job / ref.path
            if p.is_file():
                ctx.job_tables[ref.key] = _read_csv(p)
            else:
                ctx.job_absent.append((section, ref))
    return ctx

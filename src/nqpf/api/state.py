"""The run folders and the store a server reads: found once, loaded lazily, cached per process.

Clients name a framework by id; the id must be one of the run folders found under the
run directory, so no client text ever becomes a file path.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from nqpf.errors import NqpfError

if TYPE_CHECKING:
    from nqpf.data.store import Store
    from nqpf.index.result import IndexResult


class NotFound(NqpfError):
    """A framework, node, year, region or table the client asked for does not exist."""


class BadRequest(NqpfError):
    """A request whose values are well-formed but not acceptable."""


@dataclass
class Run:
    """One run folder (``<run_dir>/<framework id>/``) and what is read from it."""

    folder: Path

    @property
    def id(self) -> str:
        return self.folder.name

    @cached_property
    def meta(self) -> dict[str, Any]:
        """``spec.json``: framework, version, names, years, spec, hashes, notes."""
        doc: dict[str, Any] = json.loads((self.folder / "spec.json").read_text(encoding="utf-8"))
        return doc

    @cached_property
    def framework_doc(self) -> dict[str, Any]:
        """The framework document recorded in ``run.json``."""
        doc = json.loads((self.folder / "run.json").read_text(encoding="utf-8"))
        fw: dict[str, Any] = doc["framework"]
        return fw

    @cached_property
    def scores(self) -> pd.DataFrame:
        """The tidy scores: ``region_code, region_en, region_zh, year, framework, node, score, rank``."""
        df = pd.read_parquet(self.folder / "scores.parquet")
        df["region_code"] = df["region_code"].astype(str)
        df["node"] = df["node"].astype(str)
        df["year"] = df["year"].astype("int64")
        return df

    @cached_property
    def tree(self) -> pd.DataFrame:
        """``node, parent, name_en, name_zh, kind`` (kind: ``node`` or ``indicator``), root first."""
        rows: list[dict[str, Any]] = []

        def walk(n: dict[str, Any], parent: str | None) -> None:
            kind = "indicator" if "formula" in n else "node"
            rows.append({"node": n["id"], "parent": parent or "", "name_en": n.get("name_en", n["id"]),
                         "name_zh": n.get("name_zh", ""), "kind": kind})
            for c in n.get("children") or []:
                walk(c, n["id"])

        walk(self.framework_doc["root"], None)
        return pd.DataFrame(rows)

    @cached_property
    def root(self) -> str:
        return str(self.framework_doc["root"]["id"])

    @cached_property
    def dims(self) -> list[str]:
        return [str(c["id"]) for c in self.framework_doc["root"].get("children") or []]

    @cached_property
    def nodes(self) -> list[str]:
        return sorted(set(self.scores["node"]))

    @cached_property
    def years(self) -> list[int]:
        return sorted(int(y) for y in self.scores["year"].unique())

    @cached_property
    def by_node_year(self) -> dict[tuple[str, int], pd.DataFrame]:
        """Scores split once by (node, year), each part sorted by rank: the fast path of the API."""
        parts = {}
        for key, g in self.scores.groupby(["node", "year"], sort=False):
            node, year = key
            parts[(str(node), int(str(year)))] = g.sort_values(["rank", "region_code"]).reset_index(drop=True)
        return parts

    def table(self, name: str) -> pd.DataFrame | None:
        """A CSV table of the run folder by bare name (``weights``, ``imputed``...), or None."""
        p = self.folder / f"{name}.csv"
        if not p.is_file():
            return None
        return pd.read_csv(p, dtype={"region_code": str})

    def check_node(self, node: str | None) -> str:
        if node is None:
            return self.root
        if node not in set(self.nodes):
            raise NotFound(f"framework {self.id} has no node {node!r}; nodes: {', '.join(self.nodes[:40])}")
        return node

    def check_year(self, year: int | None) -> int:
        if year is None:
            return self.years[-1]
        if year not in self.years:
            raise NotFound(f"framework {self.id} covers {self.years[0]}-{self.years[-1]}, not {year}")
        return int(year)


class Catalog:
    """The runs under ``run_dir`` and the optional read-only store; safe to share across threads."""

    def __init__(self, run_dir: str | Path, store_path: str | Path | None = None, *,
                 home: str | Path | None = None, generation: str = "") -> None:
        self.run_dir = Path(run_dir).expanduser()
        #: the folder the server was started on (saved scenarios, rebuilds); ``run_dir`` is the
        #: generation served now: ``home`` itself, or ``home/_rebuilds/<job>`` after a rebuild
        self.home = Path(home).expanduser() if home is not None else self.run_dir
        self.generation = generation
        self.store_path = Path(store_path).expanduser() if store_path is not None else None
        self._lock = threading.Lock()
        self._results: dict[str, IndexResult] = {}
        #: per-process results derived from the runs (e.g. linkage estimates), computed once
        self.memo: dict[str, Any] = {}
        #: response bodies of the hot read-only routes, valid for this generation only
        self.cache: Any = None
        self._runs = {p.parent.name: Run(p.parent) for p in sorted(self.run_dir.glob("*/run.json"))}

    @property
    def ids(self) -> list[str]:
        return list(self._runs)

    def run(self, framework: str) -> Run:
        """The run of ``framework`` (an id from :attr:`ids`), else :class:`NotFound`."""
        try:
            return self._runs[framework]
        except KeyError:
            known = ", ".join(self._runs) or "none (run `nqpf run` first)"
            raise NotFound(f"no run for framework {framework!r}; known: {known}") from None

    def result(self, framework: str) -> IndexResult:
        """The whole result, loaded once per process (needed for scenarios)."""
        run = self.run(framework)
        with self._lock:
            if framework not in self._results:
                from nqpf.runs import load_run

                self._results[framework] = load_run(run.folder)
            return self._results[framework]

    def store(self) -> Store | None:
        """The store (read-only use), or None when none was given or it does not exist."""
        if self.store_path is None or not self.store_path.is_file():
            return None
        from nqpf.data.store import Store

        return Store(self.store_path)

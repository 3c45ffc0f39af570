"""Read a run folder written by ``nqpf run`` (``scores.csv`` + ``weights.csv``) as an index-like result.

:class:`RunScores` has the attributes the regional analyses read from an
:class:`~nqpf.index.build.IndexResult`: ``scores`` ({node: (T, R)}), ``years``, ``regions``,
``framework.id`` and ``framework.root.id``, ``weights`` (node, parent, weight), and
``normalised``/``indicators`` (the indicator leaves' scores, which are their normalised values).
Values are as written in the CSV (six decimals).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from nqpf.regional.series import RegionalError

__all__ = ["RunScores", "load_run"]


@dataclass(frozen=True)
class _Root:
    id: str


@dataclass(frozen=True)
class _Framework:
    id: str
    root: _Root


@dataclass
class RunScores:
    """Scores of one framework read back from a run folder (see the module docstring)."""

    framework: _Framework
    years: list[int]
    regions: list[str]
    scores: dict[str, np.ndarray]
    weights: pd.DataFrame
    indicators: list[str]
    normalised: np.ndarray
    folder: Path


def load_run(folder: str | Path) -> RunScores:
    """Read ``scores.csv`` (and ``weights.csv`` if present) from a run folder of one framework."""
    folder = Path(folder)
    path = folder / "scores.csv"
    if not path.is_file():
        raise RegionalError(f"no scores.csv in {folder}; give a framework folder written by `nqpf run` "
                            "(e.g. nqpf-output/nqpf-three-elements)")
    tidy = pd.read_csv(path, dtype={"region_code": str})
    need = {"region_code", "year", "node", "score", "framework"}
    if not need <= set(tidy.columns):
        raise RegionalError(f"{path} lacks the columns {', '.join(sorted(need - set(tidy.columns)))}")
    years = sorted(int(y) for y in tidy["year"].unique())
    regions = sorted(tidy["region_code"].unique())
    nodes = list(dict.fromkeys(tidy["node"]))
    cube = tidy.pivot_table(index=["node", "year"], columns="region_code", values="score", dropna=False)
    scores = {n: cube.loc[n].reindex(index=years, columns=regions).to_numpy(dtype=float) for n in nodes}
    wpath = folder / "weights.csv"
    weights = pd.read_csv(wpath) if wpath.is_file() else pd.DataFrame(columns=["node", "parent", "weight"])
    parents = set(weights["parent"])
    leaves = [n for n in nodes if n in set(weights["node"]) and n not in parents]
    normalised = np.stack([scores[n] for n in leaves], axis=-1) if leaves else np.zeros((len(years), len(regions), 0))
    fid = str(tidy["framework"].iloc[0])
    return RunScores(_Framework(fid, _Root(nodes[0])), years, regions, scores, weights, leaves, normalised, folder)

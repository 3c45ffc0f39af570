"""What one index construction produced: every step's data and fitted parameters, and views."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from nqpf.frameworks import Framework
from nqpf.index import impute as imp
from nqpf.index.plan import Tree
from nqpf.index.spec import spec_hash
from nqpf.index.steps import Stage, rank_desc
from nqpf.panel import Panel
from nqpf.regions import RegionRegistry

if TYPE_CHECKING:
    from nqpf.index.frozen import ScoredScenario

TIDY_COLUMNS = ["region_code", "region_en", "region_zh", "year", "framework", "node", "score", "rank"]


@dataclass
class IndexResult:
    """Everything one index construction produced, plus what it was built from.

    ``stages`` holds, for each step of :data:`~nqpf.index.plan.STEP_NAMES`, its fitted
    parameters and output data (COINr's coin). The attributes below are views of them:

    years, regions, indicators:
        The axes of every cube (T, R, K); ``indicators`` are those kept after screening.
    raw:
        Indicator values as evaluated from the formulas (T, R, K), in each indicator's unit.
    filled, imputed:
        Values after imputation (still in the indicator's unit) and the flags of filled cells.
    treated, normalised:
        Values after outlier treatment, and normalised (higher = better for every indicator).
    scores, ranks:
        ``{node_id: (T, R) array}`` for every node and indicator of the tree.
    weights:
        DataFrame ``node, parent, weight, method, effective_weight``: each child's weight within
        its parent, and its weight in the index (the product down the tree).
    notes:
        Every choice the construction made for the user (filled cells, a rescaled range, a
        variant without an indicator), in words.
    """

    framework: Framework
    spec: dict[str, Any]
    panel: Panel
    registry: RegionRegistry
    stages: dict[str, Stage]
    notes: list[str] = field(default_factory=list)
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    # -- stage views ---------------------------------------------------------------------
    @property
    def tree_plan(self) -> Tree:
        return Tree.of(self.framework)

    @property
    def years(self) -> list[int]:
        return list(self.stages["indicators"].data["years"])

    @property
    def regions(self) -> list[str]:
        return list(self.stages["indicators"].data["regions"])

    @property
    def indicators(self) -> list[str]:
        return list(self.stages["screen"].data["indicators"])

    @property
    def raw(self) -> np.ndarray:
        return self.stages["screen"].data["raw"]

    @property
    def filled(self) -> np.ndarray:
        return self.stages["impute"].data["filled"]

    @property
    def imputed(self) -> np.ndarray:
        return self.stages["impute"].data["kind"] != imp.KIND_OBSERVED

    @property
    def treated(self) -> np.ndarray:
        return self.stages["treat"].data["treated"]

    @property
    def normalised(self) -> np.ndarray:
        return self.stages["normalise"].data["normalised"]

    @property
    def scores(self) -> dict[str, np.ndarray]:
        return self.stages["aggregate"].data["scores"]

    @property
    def ranks(self) -> dict[str, np.ndarray]:
        return self.stages["rank"].data["ranks"]

    @property
    def screened_out(self) -> pd.DataFrame:
        return self.stages["screen"].data["screened_out"]

    @property
    def treatment_log(self) -> pd.DataFrame:
        return self.stages["treat"].params["log"]

    @property
    def data_hash(self) -> str:
        return str(self.stages["indicators"].data["data_hash"])

    @property
    def ahp(self) -> pd.DataFrame:
        return pd.DataFrame(self.stages["weight"].params["ahp"],
                            columns=["node", "method", "lambda_max", "ci", "cr", "consistent"])

    @property
    def weights(self) -> pd.DataFrame:
        nodes = self.stages["weight"].params["nodes"]
        rows = [{"node": c, "parent": n, "weight": float(w), "method": info["method"]}
                for n in Tree.of(self.framework).nodes if n in nodes
                for info in [nodes[n]] for c, w in zip(info["children"], info["weights"], strict=True)]
        df = pd.DataFrame(rows, columns=["node", "parent", "weight", "method"])
        eff = self.effective_weights()
        df["effective_weight"] = df["node"].map(eff).astype(float)
        return df

    @property
    def index(self) -> np.ndarray:
        """The top-level index score, (T, R)."""
        return self.scores[self.framework.root.id]

    @property
    def name_en(self) -> str:
        """The index name; a variant without screened-out indicators says so."""
        dropped = self.stages["screen"].params.get("dropped") or []
        return self.framework.name_en + (f" (variant without {', '.join(dropped)})" if dropped else "")

    @property
    def name_zh(self) -> str:
        dropped = self.stages["screen"].params.get("dropped") or []
        return self.framework.name_zh + (f"（不含 {', '.join(dropped)} 的变体）" if dropped else "")

    # -- tree ----------------------------------------------------------------------------
    def node_children(self, node: str) -> list[str]:
        """The kept children of an aggregate node, in the order of its weights."""
        return list(self.stages["weight"].params["nodes"][node]["children"])

    def node_weights(self, node: str) -> np.ndarray:
        """The fitted weights of a node's kept children (sum 1)."""
        return np.asarray(self.stages["weight"].params["nodes"][node]["weights"], dtype=float)

    def effective_weights(self) -> dict[str, float]:
        """Each node's and indicator's weight in the index: the product of weights down the tree."""
        nodes = self.stages["weight"].params["nodes"]
        out = {self.framework.root.id: 1.0}
        for n in Tree.of(self.framework).nodes:
            if n not in nodes or n not in out:
                continue
            w = np.asarray(nodes[n]["weights"], dtype=float)
            w = w / w.sum()
            for c, wi in zip(nodes[n]["children"], w, strict=True):
                out[c] = out[n] * float(wi)
        return out

    def node_ids(self) -> list[str]:
        """Node and indicator ids in tree order (root first), kept ones only."""
        return [i for i in self.framework.tree_frame()["node"] if i in self.scores]

    def tree(self) -> pd.DataFrame:
        """The framework tree (``node, parent, level, kind, name_en, name_zh, ...``), kept nodes only."""
        tf = self.framework.tree_frame()
        return tf[tf["node"].isin(self.node_ids())].reset_index(drop=True)

    # -- tables --------------------------------------------------------------------------
    def _names(self) -> tuple[list[str], list[str]]:
        en, zh = [], []
        for c in self.regions:
            r = self.registry.lookup(c) if c in self.registry else None
            en.append(r.name_en if r is not None else c)
            zh.append(r.name_zh if r is not None else c)
        return en, zh

    def to_tidy(self) -> pd.DataFrame:
        """Tidy scores: ``region_code, region_en, region_zh, year, framework, node, score, rank``.

        Rank 1 is the best region of that node and year (ties share the lower rank).
        """
        nodes = self.node_ids()
        t, r = len(self.years), len(self.regions)
        n = len(nodes)
        en, zh = self._names()
        codes_idx = np.tile(np.arange(r, dtype=np.int32), n * t)
        node_idx = np.repeat(np.arange(n, dtype=np.int32), t * r)
        score = np.empty(n * t * r)
        rank = np.empty(n * t * r)
        for j, nd in enumerate(nodes):
            score[j * t * r:(j + 1) * t * r] = self.scores[nd].reshape(-1)
            rank[j * t * r:(j + 1) * t * r] = self.ranks[nd].reshape(-1)

        def cat(idx: np.ndarray, labels: Sequence[str]) -> Any:
            import pyarrow as pa  # take from the few labels: no per-row Python strings

            return pd.Series(pa.array(list(labels), type=pa.large_string()).take(pa.array(idx)), dtype="str").array

        df = pd.DataFrame({
            "region_code": cat(codes_idx, self.regions),
            "region_en": cat(codes_idx, en),
            "region_zh": cat(codes_idx, zh),
            "year": np.tile(np.repeat(np.asarray(self.years, dtype=np.int64), r), n),
            "framework": self.framework.id,
            "node": cat(node_idx, nodes),
            "score": score,
            "rank": pd.array(rank, dtype="Float64").astype("Int64"),
        })
        return df[TIDY_COLUMNS]

    def wide(self) -> pd.DataFrame:
        """One row per region-year, one column per node and indicator (normalised indicator values)."""
        nodes = self.node_ids()
        t, r = len(self.years), len(self.regions)
        idx = pd.MultiIndex.from_arrays(
            [np.tile(np.array(self.regions), t), np.repeat(np.array(self.years), r)],
            names=["region_code", "year"],
        )
        return pd.DataFrame({n: self.scores[n].reshape(-1) for n in nodes}, index=idx)

    def imputed_cells(self) -> pd.DataFrame:
        """Every filled cell: ``region_code, year, indicator, value, unit, method, from_year, to_year``.

        ``value`` is the imputed value in the indicator's own unit (before outlier treatment);
        ``from_year``/``to_year`` are the observations it was interpolated or carried from.
        """
        d = self.stages["impute"].data
        t_i, r_i, k_i = np.nonzero(d["kind"] != imp.KIND_OBSERVED)
        units = {i.id: i.unit for i in self.framework.indicators}
        inds = np.array(self.indicators)[k_i]
        kinds = d["kind"][t_i, r_i, k_i]
        return pd.DataFrame({
            "region_code": np.array(self.regions)[r_i],
            "year": np.array(self.years)[t_i],
            "indicator": inds,
            "value": d["filled"][t_i, r_i, k_i],
            "unit": [units.get(i, "") for i in inds],
            "method": [imp.KIND_LABELS.get(int(k), "") for k in kinds],
            "from_year": pd.array(d["year_from"][t_i, r_i, k_i], dtype="Float64").astype("Int64"),
            "to_year": pd.array(d["year_to"][t_i, r_i, k_i], dtype="Float64").astype("Int64"),
        })

    def missing_cells(self) -> pd.DataFrame:
        """Cells still missing after imputation (``region_code, year, indicator``): aggregation
        skips them and reweights the indicators that are there."""
        t_i, r_i, k_i = np.nonzero(np.isnan(self.filled))
        return pd.DataFrame({"region_code": np.array(self.regions)[r_i], "year": np.array(self.years)[t_i],
                             "indicator": np.array(self.indicators)[k_i]})

    def real_share_by_year(self) -> pd.DataFrame:
        """Per year, the share of indicator cells that are real observations (not imputed)."""
        raw = self.raw
        share = np.mean(~np.isnan(raw), axis=(1, 2))
        return pd.DataFrame({"year": self.years, "real_share": share,
                             "imputed_cells": self.imputed.sum(axis=(1, 2)),
                             "missing_cells": np.isnan(self.filled).sum(axis=(1, 2))})

    def ranking(self, year: int | None = None, node: str | None = None) -> pd.DataFrame:
        """Regions ranked for one year (default: the last) and node (default: the index)."""
        node = node or self.framework.root.id
        year = year if year is not None else self.years[-1]
        ti = self.years.index(year)
        en, zh = self._names()
        df = pd.DataFrame({
            "region_code": self.regions, "region_en": en, "region_zh": zh,
            "year": year, "framework": self.framework.id, "node": node, "score": self.scores[node][ti],
            "rank": pd.array(self.ranks[node][ti], dtype="Float64").astype("Int64"),
        })
        return df.sort_values(["rank", "region_code"]).reset_index(drop=True)[TIDY_COLUMNS]

    def group_means(self, grouping: str = "nbs4", node: str | None = None) -> pd.DataFrame:
        """Unweighted mean score of each group of regions, per year (years x groups)."""
        node = node or self.framework.root.id
        s = self.scores[node]
        cols = {}
        for key, g in self.registry.groups(grouping).items():
            mask = np.isin(np.array(self.regions), g.codes)
            if mask.any():
                cols[key] = np.nanmean(s[:, mask], axis=1)
        return pd.DataFrame(cols, index=pd.Index(self.years, name="year"))

    # -- text ----------------------------------------------------------------------------
    @property
    def summary(self) -> str:
        """A short text summary: framework, spec, coverage, notes and the latest top and bottom."""
        rk = self.ranking()
        top = ", ".join(rk["region_en"].head(5))
        bottom = ", ".join(rk["region_en"].tail(5))
        sp = self.spec
        lines = [
            f"{self.name_en} / {self.name_zh} ({self.framework.id} v{self.framework.version})",
            f"years {self.years[0]}-{self.years[-1]}, {len(self.regions)} regions, "
            f"{len(self.indicators)} indicators ({len(self.screened_out)} screened out), "
            f"{int(self.imputed.sum())} cells imputed, {int(np.isnan(self.filled).sum())} missing",
            f"normalisation {sp['normalisation']['method']} ({sp['normalisation'].get('scope', 'pooled')}), "
            f"weighting {sp['weighting']['method']} / upper {sp['weighting_upper']['method']}, "
            f"aggregation {sp['aggregation']['method']}",
            f"top {self.years[-1]}: {top}",
            f"bottom {self.years[-1]}: {bottom}",
            f"data hash {self.data_hash[:16]}, spec hash {spec_hash(self.spec)}",
            *[f"note: {n}" for n in self.notes],
        ]
        return "\n".join(lines)

    def __repr__(self) -> str:
        rk = self.ranking()
        sp = self.spec
        return (f"<IndexResult {self.framework.id} v{self.framework.version} {self.years[0]}-{self.years[-1]}, "
                f"{len(self.regions)} regions, {len(self.indicators)} indicators; "
                f"{sp['normalisation']['method']}/{sp['weighting']['method']}/{sp['aggregation']['method']}; "
                f"top {', '.join(rk['region_en'].head(3))}; bottom {', '.join(rk['region_en'].tail(3))}>")

    # -- rebuilding and scoring ------------------------------------------------------------
    def regenerate(self, spec: Mapping[str, Any] | None = None, *, from_step: str | None = None,
                   **changes: Any) -> IndexResult:
        """Rebuild with the spec changed (COINr's ``Regen``), restarting from the earliest step
        whose settings changed (or from ``from_step``); earlier steps' data are reused."""
        from nqpf.index.build import rebuild

        return rebuild(self, spec, from_step=from_step, **changes)

    def score(self, data: Panel | pd.DataFrame, *, out_of_range: str = "clip") -> ScoredScenario:
        """Score changed or new data on this result's frozen scale (see :mod:`nqpf.index.frozen`).

        ``data``: a :class:`~nqpf.panel.Panel`, or tidy changes ``region_code, year, variable,
        value`` applied to this result's panel. ``out_of_range``: ``"clip"`` values outside the
        fitted range to it, or ``"extrapolate"``; either way every such cell is listed.
        """
        from nqpf.index.frozen import score

        return score(self, data, out_of_range=out_of_range)

    def evaluate_variants(self, **kw: Any) -> dict[str, np.ndarray]:
        """Scores of many variants of this construction at once (:func:`nqpf.index.batch.evaluate_variants`)."""
        from nqpf.index.batch import evaluate_variants

        return evaluate_variants(self, **kw)

    def coherence(self) -> Any:
        """Correlations, Cronbach's alpha and PCA per dimension (:mod:`nqpf.index.coherence`)."""
        from nqpf.index.coherence import coherence

        return coherence(self.wide(), self.tree())


def ranks_of(scores: np.ndarray) -> np.ndarray:
    """Ranks along the last axis (1 = best), for any leading axes."""
    return rank_desc(scores)

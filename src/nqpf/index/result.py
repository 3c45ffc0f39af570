"""What one index construction produced: every step's data and fitted parameters, and views.

:class:`IndexResult` is a :class:`~nqpf.index.construction.Construction` (the fitted stages and
their views) with its tables, its text and the operations on it as methods: ``regenerate``
(:mod:`nqpf.index.runner`), ``score`` (:mod:`nqpf.index.frozen`), ``evaluate_variants``
(:mod:`nqpf.index.batch`) and ``coherence`` (:mod:`nqpf.index.coherence`). Those modules read a
``Construction`` and never this module, so the imports run one way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from nqpf.index import batch, frozen
from nqpf.index import impute as imp
from nqpf.index.construction import Construction
from nqpf.index.runner import restart
from nqpf.index.spec import spec_hash
from nqpf.index.steps import Context, rank_desc
from nqpf.panel import Panel

__all__ = ["TIDY_COLUMNS", "Construction", "IndexResult", "ranks_of"]

TIDY_COLUMNS = ["region_code", "region_en", "region_zh", "year", "framework", "node", "score", "rank"]


class IndexResult(Construction):
    """Everything one index construction produced, plus what it was built from.

    The fields and stage views (``years, regions, indicators, raw, filled, imputed, treated,
    normalised, scores, ranks, weights, notes``, ...) are :class:`Construction`'s; this class adds
    the tables (``to_tidy``, ``wide``, ``ranking``, ``imputed_cells``, ...), the text
    (``summary``) and the operations (``regenerate``, ``score``, ``evaluate_variants``,
    ``coherence``).
    """

    @classmethod
    def of(cls, ctx: Context) -> IndexResult:
        """The result of a run of the step plan (:mod:`nqpf.index.runner`)."""
        return cls(framework=ctx.framework, spec=ctx.spec, panel=ctx.panel, registry=ctx.registry,
                   stages=ctx.stages, notes=ctx.notes)

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
        return IndexResult.of(restart(self, spec, from_step=from_step, **changes))

    def score(self, data: Panel | pd.DataFrame, *, out_of_range: str = "clip") -> frozen.ScoredScenario:
        """Score changed or new data on this result's frozen scale (see :mod:`nqpf.index.frozen`).

        ``data``: a :class:`~nqpf.panel.Panel`, or tidy changes ``region_code, year, variable,
        value`` applied to this result's panel. ``out_of_range``: ``"clip"`` values outside the
        fitted range to it, or ``"extrapolate"``; either way every such cell is listed.
        """
        return frozen.score(self, data, out_of_range=out_of_range)

    def evaluate_variants(self, **kw: Any) -> dict[str, np.ndarray]:
        """Scores of many variants of this construction at once (:func:`nqpf.index.batch.evaluate_variants`)."""
        return batch.evaluate_variants(self, **kw)

    def coherence(self) -> Any:
        """Correlations, Cronbach's alpha and PCA per dimension (:mod:`nqpf.index.coherence`)."""
        from nqpf.index.coherence import coherence

        return coherence(self.wide(), self.tree())


def ranks_of(scores: np.ndarray) -> np.ndarray:
    """Ranks along the last axis (1 = best), for any leading axes."""
    return rank_desc(scores)

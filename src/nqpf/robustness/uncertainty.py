"""Monte Carlo uncertainty analysis of an index's ranks (the JRC audit of the GII and COINr's
``get_sensitivity(SA_type = "UA")``).

``N`` draws of the uncertain construction (:mod:`nqpf.robustness.spec`) are evaluated in batches
(:mod:`nqpf.robustness.sampling`); per region, year and node the result reports the nominal rank,
the median and mean rank, the 5th and 95th percentile of rank and score, the share of draws in
the top 5 and top 10, and for pairs of regions the probability that one ranks above the other
(Saisana, Saltelli & Tarantola 2005; OECD/JRC Handbook 2008, step 7). Percentiles are NumPy's
default (linear interpolation, Hyndman & Fan type 7), so ranks may be fractional.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from nqpf.index.steps import rank_desc
from nqpf.robustness.backends import evaluate_blocks
from nqpf.robustness.spec import UncertaintySpec, default_spec

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from nqpf.index.result import IndexResult

RANK_COLUMNS = ["region_code", "region_en", "region_zh", "year", "node", "nominal_rank", "nominal_score",
                "median_rank", "mean_rank", "rank_p05", "rank_p95", "score_p05", "score_p95",
                "top5_share", "top10_share"]
#: a rank is called robust when its 90% interval spans at most this many places
ROBUST_WIDTH = 3.0


@dataclass
class UncertaintyResult:
    """The outcome of :func:`uncertainty`.

    ranks:
        Tidy ``RANK_COLUMNS``: one row per region, year and node.
    pairs:
        ``year, node, region_a, region_b, p_above``: share of draws where A ranks above (better
        than) B, for every ordered pair of regions (the nodes in ``pair_nodes``).
    draws:
        Every draw's sampled parameters (:func:`nqpf.robustness.sampling.draw_parameters`).
    scores:
        ``{node: (N, T, R)}`` the draws' scores (kept for charts and further statistics).
    """

    framework: str
    spec: UncertaintySpec
    seed: int
    ranks: pd.DataFrame
    pairs: pd.DataFrame
    draws: pd.DataFrame
    scores: dict[str, np.ndarray] = field(repr=False)
    rebuilds: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.draws)

    def latest(self, node: str | None = None) -> pd.DataFrame:
        """The rank table of the last year and one node (default: the index), by median rank."""
        node = node or self.ranks["node"].iloc[0]
        df = self.ranks[(self.ranks["node"] == node) & (self.ranks["year"] == self.ranks["year"].max())]
        return df.sort_values(["median_rank", "nominal_rank"]).reset_index(drop=True)

    def robust(self, node: str | None = None, width: float = ROBUST_WIDTH) -> pd.DataFrame:
        """Last-year rows with a flag ``robust``: the 5-95% rank interval spans <= ``width`` places."""
        df = self.latest(node).copy()
        df["interval_width"] = df["rank_p95"] - df["rank_p05"]
        df["robust"] = df["interval_width"] <= width
        return df

    @property
    def summary(self) -> str:
        """Text summary: factors, draws, and the robust and non-robust regions of the last year."""
        rb = self.robust()
        year = int(rb["year"].iloc[0])
        ok = rb[rb["robust"]]
        bad = rb[~rb["robust"]].sort_values("interval_width", ascending=False)

        def fmt(d: pd.DataFrame) -> str:
            return ", ".join(f"{r.region_en} {r.region_zh} ({r.rank_p05:.0f}-{r.rank_p95:.0f})"
                             for r in d.itertuples()) or "none / 无"

        return "\n".join([
            f"Monte Carlo uncertainty / 蒙特卡洛不确定性分析: {self.framework}, {self.n} draws, seed {self.seed}, "
            f"{self.rebuilds} constructions rebuilt",
            *[f"  factor 因素: {d}" for d in self.spec.describe()],
            f"robust ranks {year} (90% interval <= {ROBUST_WIDTH:.0f} places) / 排名稳健: {fmt(ok)}",
            f"not robust {year} / 排名不稳健: {fmt(bad)}",
            *[f"note: {n}" for n in self.notes],
        ])

    def to_tidy(self) -> pd.DataFrame:
        """The rank table (``RANK_COLUMNS``)."""
        return self.ranks

    def figure(self, node: str | None = None, year: int | None = None) -> go.Figure:
        """Median rank with 5-95% bars (:func:`nqpf.robustness.charts.rank_uncertainty_figure`)."""
        from nqpf.robustness.charts import rank_uncertainty_figure

        return rank_uncertainty_figure(self.ranks, node=node, year=year)


def rank_statistics(scores: np.ndarray, nominal_scores: np.ndarray, nominal_ranks: np.ndarray) -> dict[str, np.ndarray]:
    """Per (T, R) cell statistics of ``(N, T, R)`` draw scores: ranks within each draw and year."""
    ranks = rank_desc(scores)
    nan = bool(np.isnan(ranks).any())
    pct = np.nanpercentile if nan else np.percentile
    mean = np.nanmean if nan else np.mean
    with np.errstate(invalid="ignore"):
        rp = pct(ranks, [5.0, 50.0, 95.0], axis=0)
        sp = pct(scores, [5.0, 95.0], axis=0)
        valid = np.maximum((~np.isnan(ranks)).sum(axis=0), 1)
        return {
            "nominal_rank": nominal_ranks, "nominal_score": nominal_scores,
            "median_rank": rp[1], "mean_rank": mean(ranks, axis=0),
            "rank_p05": rp[0], "rank_p95": rp[2], "score_p05": sp[0], "score_p95": sp[1],
            "top5_share": (ranks <= 5).sum(axis=0) / valid, "top10_share": (ranks <= 10).sum(axis=0) / valid,
        }, ranks


def pair_probabilities(ranks: np.ndarray) -> np.ndarray:
    """``(T, R, R)``: share of draws where region ``a`` ranks strictly above (better than) ``b``."""
    n, t, r = ranks.shape
    out = np.empty((t, r, r))
    for ti in range(t):
        x = ranks[:, ti, :]
        out[ti] = (x[:, :, None] < x[:, None, :]).sum(axis=0) / n
    return out


def uncertainty(
    result: IndexResult,
    spec: UncertaintySpec | None = None,
    *,
    n: int = 1000,
    seed: int = 0,
    nodes: Sequence[str] | None = None,
    pair_nodes: Sequence[str] | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = False,
) -> UncertaintyResult:
    """Monte Carlo uncertainty analysis of ``result`` over the factors of ``spec``.

    Parameters
    ----------
    spec:
        The uncertainty specification (default :func:`nqpf.robustness.spec.default_spec`).
    n, seed:
        Number of draws and the seed; the numbers are identical for the same seed whatever the
        backend and number of workers.
    nodes:
        Nodes to analyse (default: the index); ``pair_nodes`` those with pairwise probabilities
        (default: the index).
    workers, scheduler:
        ``None``: evaluate in this process. ``workers=k``: a local Dask cluster of ``k``
        processes; ``scheduler="tcp://..."``: an existing Dask scheduler.
    progress:
        Show a rich progress bar.
    """
    from nqpf.errors import NqpfError

    if n < 2:
        raise NqpfError(f"robustness needs at least 2 draws, got {n}")
    spec = spec or default_spec(result)
    root = result.framework.root.id
    nodes = list(nodes) if nodes is not None else [root]
    unknown = [x for x in nodes if x not in result.scores]
    if unknown:
        raise NqpfError(f"unknown node(s) {unknown}; nodes of {result.framework.id}: {', '.join(result.node_ids())}")
    pair_nodes = list(pair_nodes) if pair_nodes is not None else [root]
    scores, draws, rebuilds = evaluate_blocks(result, spec, n=n, seed=seed, nodes=nodes, workers=workers,
                                              scheduler=scheduler, progress=progress)
    en, zh = result._names()
    frames, pair_frames = [], []
    t, r = len(result.years), len(result.regions)
    notes = []
    for nd in nodes:
        stats, ranks = rank_statistics(scores[nd], result.scores[nd], result.ranks[nd])
        missing = int(np.isnan(scores[nd]).all(axis=(1, 2)).sum())
        if missing:
            notes.append(f"{nd}: {missing} draws left no indicator under this node (excluded from its statistics)")
        frames.append(pd.DataFrame({
            "region_code": np.tile(result.regions, t), "region_en": np.tile(en, t), "region_zh": np.tile(zh, t),
            "year": np.repeat(result.years, r), "node": nd,
            **{k: np.asarray(v, dtype=float).reshape(-1) for k, v in stats.items()},
        }))
        if nd in pair_nodes:
            p = pair_probabilities(ranks)
            a, b = np.meshgrid(np.arange(r), np.arange(r), indexing="ij")
            off = a != b
            for ti, y in enumerate(result.years):
                pair_frames.append(pd.DataFrame({
                    "year": y, "node": nd, "region_a": np.asarray(result.regions)[a[off]],
                    "region_b": np.asarray(result.regions)[b[off]], "p_above": p[ti][off]}))
    ranks_df = pd.concat(frames, ignore_index=True)[RANK_COLUMNS]
    pairs = pd.concat(pair_frames, ignore_index=True) if pair_frames else pd.DataFrame(
        columns=["year", "node", "region_a", "region_b", "p_above"])
    return UncertaintyResult(result.framework.id, spec, seed, ranks_df, pairs, draws, scores, rebuilds, notes)



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
from typing import TYPE_CHECKING

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
        than) B, for every ordered pair of regions (``pair_nodes`` and ``pair_years``; default the
        index in the last year).
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


def ranks_of_draws(scores: np.ndarray) -> np.ndarray:
    """Ranks along the last axis (1 = best, ties share the lower rank, NaN stays NaN), equal to
    :func:`nqpf.index.steps.rank_desc`: two argsorts, and ``rank_desc`` for the rows with ties."""
    x = np.asarray(scores, dtype=float)
    filled = np.where(np.isnan(x), -np.inf, x)
    order = np.argsort(-filled, axis=-1, kind="stable")
    ranks = np.argsort(order, axis=-1).astype(float) + 1.0
    srt = np.take_along_axis(filled, order, axis=-1)
    ties = (srt[..., 1:] == srt[..., :-1]).any(axis=-1)
    if ties.any():
        ranks[ties] = rank_desc(x[ties])
    ranks[np.isnan(x)] = np.nan
    return ranks


def _order_stat(cum: np.ndarray, j: np.ndarray) -> np.ndarray:
    """The ``j``-th smallest rank (0-based) of each cell from cumulative rank counts ``cum``."""
    return (cum <= j[:, None]).sum(axis=1) + 1.0


def rank_statistics(scores: np.ndarray, nominal_scores: np.ndarray, nominal_ranks: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Per (T, R) cell statistics of ``(N, T, R)`` draw scores, with the ranks of each draw and year.

    Rank percentiles are the type-7 percentiles of the draws' integer ranks, read from their
    counts per cell (equal to ``np.percentile``; tests check it).
    """
    ranks = ranks_of_draws(scores)
    _, t, r = ranks.shape
    ok = ~np.isnan(ranks)
    cell = np.broadcast_to(np.arange(t * r).reshape(t, r), ranks.shape)[ok]
    counts = np.bincount(cell * r + ranks[ok].astype(np.int64) - 1, minlength=t * r * r).reshape(t * r, r)
    valid = counts.sum(axis=1)
    cum = np.cumsum(counts, axis=1)
    stats: dict[str, np.ndarray] = {"nominal_rank": nominal_ranks, "nominal_score": nominal_scores}
    with np.errstate(invalid="ignore", divide="ignore"):
        for name, q in (("rank_p05", 0.05), ("median_rank", 0.5), ("rank_p95", 0.95)):
            h = (valid - 1) * q
            lo = np.floor(h)
            x_lo = _order_stat(cum, lo)
            x_hi = _order_stat(cum, np.minimum(lo + 1, np.maximum(valid - 1, 0)))
            stats[name] = np.where(valid > 0, x_lo + (h - lo) * (x_hi - x_lo), np.nan).reshape(t, r)
        stats["mean_rank"] = ((counts * np.arange(1, r + 1)).sum(axis=1) / valid).reshape(t, r)
        pct = np.nanpercentile if bool(np.isnan(scores).any()) else np.percentile
        cells = np.ascontiguousarray(scores.reshape(scores.shape[0], -1).T)  # (T R, N): partition rows
        sp = pct(cells, [5.0, 95.0], axis=1).reshape(2, t, r)
        stats["score_p05"], stats["score_p95"] = sp[0], sp[1]
        stats["top5_share"] = (cum[:, min(4, r - 1)] / np.maximum(valid, 1)).reshape(t, r)
        stats["top10_share"] = (cum[:, min(9, r - 1)] / np.maximum(valid, 1)).reshape(t, r)
    order = ["nominal_rank", "nominal_score", "median_rank", "mean_rank", "rank_p05", "rank_p95", "score_p05",
             "score_p95", "top5_share", "top10_share"]
    return {k: stats[k] for k in order}, ranks


def pair_probabilities(ranks: np.ndarray) -> np.ndarray:
    """``(T, R, R)``: share of draws where region ``a`` ranks strictly above (better than) ``b``."""
    n, t, r = ranks.shape
    out = np.empty((t, r, r))
    x = np.where(np.isnan(ranks), np.inf, ranks).astype(np.float32)
    for ti in range(t):
        xt = np.ascontiguousarray(x[:, ti, :])
        for a in range(r):
            out[ti, a] = np.count_nonzero(xt[:, a:a + 1] < xt, axis=0)
    return out / n


def uncertainty(
    result: IndexResult,
    spec: UncertaintySpec | None = None,
    *,
    n: int = 1000,
    seed: int = 0,
    nodes: Sequence[str] | None = None,
    pair_nodes: Sequence[str] | None = None,
    pair_years: Sequence[int] | None = None,
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
        Nodes to analyse (default: the index); ``pair_nodes`` and ``pair_years`` those with
        pairwise probabilities (default: the index, the last year; they cost ``N R^2`` a year).
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
    pair_years = list(pair_years) if pair_years is not None else [result.years[-1]]
    bad_years = [y for y in pair_years if y not in result.years]
    if bad_years:
        raise NqpfError(f"pair_years {bad_years} are not years of the result ({result.years[0]}-{result.years[-1]})")
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
            tis = [result.years.index(y) for y in pair_years]
            p = pair_probabilities(ranks[:, tis, :])
            a, b = np.meshgrid(np.arange(r), np.arange(r), indexing="ij")
            off = a != b
            for ti, y in enumerate(pair_years):
                pair_frames.append(pd.DataFrame({
                    "year": y, "node": nd, "region_a": np.asarray(result.regions)[a[off]],
                    "region_b": np.asarray(result.regions)[b[off]], "p_above": p[ti][off]}))
    ranks_df = pd.concat(frames, ignore_index=True)[RANK_COLUMNS]
    pairs = pd.concat(pair_frames, ignore_index=True) if pair_frames else pd.DataFrame(
        columns=["year", "node", "region_a", "region_b", "p_above"])
    return UncertaintyResult(result.framework.id, spec, seed, ranks_df, pairs, draws, scores, rebuilds, notes)



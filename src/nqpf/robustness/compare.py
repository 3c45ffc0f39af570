"""Compare two constructions (COINr's ``compare_coins``): rank shifts per region and rank correlations.

Spearman's rho and Kendall's tau-b (``scipy.stats``) of the two constructions' scores, over the
regions both score, per year and for one node of each.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from nqpf.errors import NqpfError

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from nqpf.index.result import IndexResult


@dataclass
class Comparison:
    """Two constructions side by side.

    table:
        ``region_code, region_en, region_zh, year, score_a, score_b, rank_a, rank_b, shift`` where
        ``shift = rank_b - rank_a`` (positive: B places the region lower).
    correlations:
        ``year, n, spearman, spearman_p, kendall, kendall_p, mean_abs_shift, max_abs_shift``.
    """

    label_a: str
    label_b: str
    table: pd.DataFrame
    correlations: pd.DataFrame

    @property
    def summary(self) -> str:
        c = self.correlations.iloc[-1]
        t = self.table[self.table["year"] == c["year"]]
        big = t.reindex(t["shift"].abs().sort_values(ascending=False).index).head(5)
        moves = ", ".join(f"{r.region_en} {r.rank_a}->{r.rank_b}" for r in big.itertuples())
        return (f"{self.label_a} vs {self.label_b}, {int(c['year'])}: Spearman {c['spearman']:.3f}, "
                f"Kendall {c['kendall']:.3f}, mean |shift| {c['mean_abs_shift']:.2f} / 平均名次变动; "
                f"largest moves 最大变动: {moves}")

    def to_tidy(self) -> pd.DataFrame:
        return self.table

    def figure(self, year: int | None = None) -> go.Figure:
        """Rank shift per region (:func:`nqpf.robustness.charts.rank_shift_figure`)."""
        from nqpf.robustness.charts import rank_shift_figure

        return rank_shift_figure(self.table, year=year, title=f"{self.label_a} → {self.label_b}")


def compare(result_a: IndexResult, result_b: IndexResult, *, node_a: str | None = None,
            node_b: str | None = None, label_a: str = "A", label_b: str = "B") -> Comparison:
    """Rank shifts and Spearman / Kendall correlations of two results, over their common years and regions."""
    na = node_a or result_a.framework.root.id
    nb = node_b or result_b.framework.root.id
    for res, nd in ((result_a, na), (result_b, nb)):
        if nd not in res.scores:
            raise NqpfError(f"node {nd!r} is not in {res.framework.id} (nodes: {', '.join(res.node_ids())})")
    years = [y for y in result_a.years if y in result_b.years]
    regions = [r for r in result_a.regions if r in result_b.regions]
    if not years or len(regions) < 3:
        raise NqpfError("the two results share no year or fewer than 3 regions; nothing to compare")
    en, zh = result_a._names()
    names = dict(zip(result_a.regions, zip(en, zh, strict=True), strict=True))
    rows, corr = [], []
    ia = [result_a.regions.index(r) for r in regions]
    ib = [result_b.regions.index(r) for r in regions]
    from nqpf.index.steps import rank_desc

    for y in years:
        sa = result_a.scores[na][result_a.years.index(y), ia]
        sb = result_b.scores[nb][result_b.years.index(y), ib]
        ra, rb = rank_desc(sa), rank_desc(sb)
        ok = ~np.isnan(sa) & ~np.isnan(sb)
        rho = stats.spearmanr(sa[ok], sb[ok])
        tau = stats.kendalltau(sa[ok], sb[ok])
        shift = rb - ra
        corr.append({"year": y, "n": int(ok.sum()), "spearman": float(rho.statistic), "spearman_p": float(rho.pvalue),
                     "kendall": float(tau.statistic), "kendall_p": float(tau.pvalue),
                     "mean_abs_shift": float(np.nanmean(np.abs(shift))), "max_abs_shift": float(np.nanmax(np.abs(shift)))})
        rows.append(pd.DataFrame({
            "region_code": regions, "region_en": [names[r][0] for r in regions],
            "region_zh": [names[r][1] for r in regions], "year": y, "score_a": sa, "score_b": sb,
            "rank_a": pd.array(ra, dtype="Float64").astype("Int64"),
            "rank_b": pd.array(rb, dtype="Float64").astype("Int64"),
            "shift": pd.array(shift, dtype="Float64").astype("Int64")}))
    return Comparison(label_a, label_b, pd.concat(rows, ignore_index=True), pd.DataFrame(corr))

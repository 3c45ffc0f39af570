"""Plotly figures of the robustness analysis (bilingual labels): rank uncertainty, Sobol bars, rank shifts."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go


def rank_uncertainty_figure(ranks: pd.DataFrame, *, node: str | None = None, year: int | None = None) -> go.Figure:
    """Median rank per region with 5-95% percentile bars and the nominal rank, one node and year."""
    node = node or str(ranks["node"].iloc[0])
    year = int(year if year is not None else ranks["year"].max())
    d = ranks[(ranks["node"] == node) & (ranks["year"] == year)].sort_values(["median_rank", "nominal_rank"])
    labels = [f"{e} {z}" for e, z in zip(d["region_en"], d["region_zh"], strict=True)]
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=d["median_rank"], y=labels, mode="markers", name="median rank 中位排名",
        error_x={"type": "data", "symmetric": False, "array": d["rank_p95"] - d["median_rank"],
                 "arrayminus": d["median_rank"] - d["rank_p05"]}))
    fig.add_trace(go.Scatter(x=d["nominal_rank"], y=labels, mode="markers", name="nominal rank 基准排名",
                             marker={"symbol": "x", "size": 8}))
    fig.update_layout(title=f"Rank uncertainty 排名不确定性 ({node}, {year}): median and 5-95% / 中位数与5-95%区间",
                      xaxis_title="rank 排名 (1 = best 最优)", yaxis={"autorange": "reversed"},
                      height=max(400, 22 * len(d)), template="plotly_white")
    return fig


def sobol_figure(indices: pd.DataFrame, *, title: str = "") -> go.Figure:
    """First- and total-order Sobol indices per factor, with confidence intervals."""
    fig = go.Figure()
    for col, name in (("S1", "first order 一阶"), ("ST", "total order 总效应")):
        fig.add_trace(go.Bar(x=indices["factor"], y=indices[col], name=name,
                             error_y={"type": "data", "symmetric": False,
                                      "array": (indices[f"{col}_high"] - indices[col]).clip(lower=0),
                                      "arrayminus": (indices[col] - indices[f"{col}_low"]).clip(lower=0)}))
    fig.update_layout(barmode="group", title=f"Sobol sensitivity 敏感性指数: {title}",
                      yaxis_title="share of variance 方差占比", template="plotly_white")
    return fig


def rank_shift_figure(table: pd.DataFrame, *, year: int | None = None, title: str = "") -> go.Figure:
    """Rank shift per region between two constructions, one year."""
    year = int(year if year is not None else table["year"].max())
    d = table[table["year"] == year].sort_values("rank_a")
    fig = go.Figure(go.Bar(x=[f"{e} {z}" for e, z in zip(d["region_en"], d["region_zh"], strict=True)],
                           y=d["shift"].astype(float), name="rank shift 名次变动"))
    fig.update_layout(title=f"Rank shift 名次变动 {title} ({year})", yaxis_title="rank B - rank A",
                      template="plotly_white")
    return fig

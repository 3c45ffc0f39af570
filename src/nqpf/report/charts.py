"""Plotly figure builders for the offline summary: map, radar and trend charts.

Every builder takes plain pandas inputs already reduced to what it draws and returns a
``plotly.graph_objects.Figure`` that needs no network: the map is a ``go.Choropleth`` on the
shipped province polygons with the geo base layers hidden (no tiles, no topojson from a CDN;
see :data:`GEO_ASSETS_STUB`). Labels are bilingual, ``"English 中文"``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from nqpf.report.maps import boundary_lines, other_geojson, province_geojson

__all__ = [
    "FONT",
    "GEO_ASSETS_STUB",
    "choropleth_figure",
    "radar_figure",
    "trend_groups_figure",
    "trend_national_figure",
]

FONT = '-apple-system, "Segoe UI", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC", sans-serif'
"""System font stack (Latin and CJK); no web font is ever loaded."""

_EMPTY = '{"type":"GeometryCollection","geometries":[]}'
_LAYERS = ("coastlines", "land", "ocean", "lakes", "rivers", "countries", "subunits")
GEO_ASSETS_STUB = (
    "window.PlotlyGeoAssets={topojson:{"
    + ",".join(
        f'"world_{res}m":{{"type":"Topology","arcs":[],"objects":{{'
        + ",".join(f'"{layer}":{_EMPTY}' for layer in _LAYERS)
        + "}}"
        for res in (110, 50)
    )
    + "}};"
)
"""JavaScript to run before plotly.js: an empty world topojson, so that a geo subplot with
hidden base layers never fetches ``world_110m.json`` from plotly's CDN."""

_PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22")


def _layout(fig: go.Figure, title: str, height: int = 460) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.01},
        font={"family": FONT, "size": 13},
        template="plotly_white",
        height=height,
        margin={"l": 40, "r": 20, "t": 60, "b": 40},
    )
    return fig


def _menu(buttons: list[dict[str, Any]], active: int) -> dict[str, Any]:
    """A dropdown placed between the title and the plot area (needs a top margin of ~110 px)."""
    return {"buttons": buttons, "active": active, "x": 0.0, "y": 1.02, "xanchor": "left", "yanchor": "bottom",
            "direction": "down", "showactive": True}


def choropleth_figure(
    values: Mapping[str, float] | pd.Series,
    *,
    title: str = "Index score 指数得分",
    colorbar_title: str = "score<br>得分",
    hover: Mapping[str, str] | None = None,
) -> go.Figure:
    """Map of the provinces coloured by ``values`` (GB/T 2260 code -> value).

    Taiwan, Hong Kong and Macao are drawn in grey without data, and the national boundary
    lines shipped with the polygons in thin grey. ``hover`` maps a code to its hover label.
    """
    s = pd.Series(values, dtype=float)
    gj = province_geojson()
    names = {f["id"]: f"{f['properties']['name_en']} {f['properties']['name_zh']}" for f in gj["features"]}
    codes = [c for c in names if c in s.index and pd.notna(s[c])]
    labels = [hover[c] if hover and c in hover else names[c] for c in codes]
    fig = go.Figure()
    fig.add_trace(
        go.Choropleth(
            geojson=gj,
            featureidkey="id",
            locations=codes,
            z=[float(s[c]) for c in codes],
            text=labels,
            hovertemplate="%{text}<br>%{z:.3f}<extra></extra>",
            colorscale="Viridis",
            marker_line_color="white",
            marker_line_width=0.5,
            colorbar={"title": {"text": colorbar_title}},
            name="",
        )
    )
    other = other_geojson()
    fig.add_trace(
        go.Choropleth(
            geojson=other,
            featureidkey="id",
            locations=[f["id"] for f in other["features"]],
            z=[0.0] * len(other["features"]),
            text=[f"{f['properties']['name_en']} {f['properties']['name_zh']}: no data 无数据" for f in other["features"]],
            hovertemplate="%{text}<extra></extra>",
            colorscale=[[0, "#d9d9d9"], [1, "#d9d9d9"]],
            showscale=False,
            marker_line_color="white",
            marker_line_width=0.5,
            name="",
        )
    )
    lon, lat = boundary_lines()
    fig.add_trace(
        go.Scattergeo(lon=lon, lat=lat, mode="lines", line={"color": "#888888", "width": 1},
                      hoverinfo="skip", showlegend=False, name="")
    )
    fig.update_geos(fitbounds="locations", visible=False, projection_type="mercator")
    _layout(fig, title, height=560)
    fig.update_layout(margin={"l": 0, "r": 0, "t": 50, "b": 0})
    return fig


def radar_figure(
    dims: pd.DataFrame,
    *,
    dim_labels: Sequence[str],
    region_labels: Mapping[str, str],
    default: str | None = None,
    reference: pd.Series | None = None,
    reference_label: str = "National mean 全国均值",
    title: str = "Dimension scores 维度得分",
) -> go.Figure:
    """Radar (polar) chart of dimension scores, one trace per region, chosen by a dropdown.

    ``dims``: rows = region codes, columns = dimensions (in ``dim_labels`` order). The
    ``default`` region (the first row if None) is shown first; ``reference`` (e.g. the
    national mean of each dimension) stays visible as a dashed outline.
    """
    codes = [str(c) for c in dims.index]
    default = default if default in codes else codes[0]
    theta = [*dim_labels, dim_labels[0]]
    fig = go.Figure()
    for code in codes:
        r = [float(v) for v in dims.loc[code].to_numpy(dtype=float)]
        fig.add_trace(
            go.Scatterpolar(r=[*r, r[0]], theta=theta, fill="toself", name=region_labels.get(code, code),
                            visible=code == default, line={"color": _PALETTE[0]},
                            hovertemplate="%{theta}: %{r:.3f}<extra>%{fullData.name}</extra>")
        )
    if reference is not None:
        ref = [float(v) for v in reference]
        fig.add_trace(
            go.Scatterpolar(r=[*ref, ref[0]], theta=theta, name=reference_label, mode="lines",
                            line={"color": "#555555", "dash": "dash"},
                            hovertemplate="%{theta}: %{r:.3f}<extra>%{fullData.name}</extra>")
        )
    n = len(codes)
    buttons: list[dict[str, Any]] = []
    for i, code in enumerate(codes):
        vis = [j == i for j in range(n)] + ([True] if reference is not None else [])
        buttons.append({"label": region_labels.get(code, code), "method": "update", "args": [{"visible": vis}]})
    hi = float(dims.to_numpy(dtype=float).max())
    lo = min(0.0, float(dims.to_numpy(dtype=float).min()))
    fig.update_layout(
        polar={"radialaxis": {"range": [lo, hi * 1.05 if hi > 0 else 1.0]}},
        updatemenus=[_menu(buttons, codes.index(default))],
        showlegend=True,
        legend={"x": 1.0, "y": 0.0, "xanchor": "right"},
    )
    _layout(fig, title, height=560)
    fig.update_layout(margin={"t": 110})
    return fig


def trend_national_figure(
    means: pd.DataFrame,
    *,
    labels: Mapping[str, str],
    title: str = "National mean over time 全国均值走势",
) -> go.Figure:
    """Lines of the national mean of each node (columns of ``means``, rows = years).

    The first column (the index) is drawn thicker.
    """
    fig = go.Figure()
    for i, node in enumerate(means.columns):
        fig.add_trace(
            go.Scatter(x=[int(y) for y in means.index], y=means[node].astype(float).tolist(), mode="lines+markers",
                       name=labels.get(node, node), line={"width": 4 if i == 0 else 2, "color": _PALETTE[i % len(_PALETTE)]},
                       hovertemplate="%{x}: %{y:.3f}<extra>%{fullData.name}</extra>")
        )
    fig.update_xaxes(title_text="year 年份", dtick=1)
    fig.update_yaxes(title_text="mean score 平均得分")
    return _layout(fig, title)


def trend_groups_figure(
    group_means: Mapping[str, pd.DataFrame],
    national: pd.DataFrame,
    *,
    labels: Mapping[str, str],
    group_labels: Mapping[str, str],
    title: str = "Regional means over time 区域均值走势",
) -> go.Figure:
    """Means of the NBS four regions for one node at a time, with a dropdown of nodes.

    ``group_means[node]``: rows = years, columns = group keys; ``national``: rows = years,
    columns = nodes (drawn dashed for reference).
    """
    fig = go.Figure()
    nodes = list(group_means)
    spans: list[int] = []
    for k, node in enumerate(nodes):
        tab = group_means[node]
        years = [int(y) for y in tab.index]
        for i, g in enumerate(tab.columns):
            fig.add_trace(
                go.Scatter(x=years, y=tab[g].astype(float).tolist(), mode="lines+markers", name=group_labels.get(g, g),
                           visible=k == 0, line={"color": _PALETTE[(i + 1) % len(_PALETTE)]},
                           hovertemplate="%{x}: %{y:.3f}<extra>%{fullData.name}</extra>")
            )
        fig.add_trace(
            go.Scatter(x=[int(y) for y in national.index], y=national[node].astype(float).tolist(), mode="lines",
                       name="National 全国", visible=k == 0, line={"color": "#333333", "dash": "dash"},
                       hovertemplate="%{x}: %{y:.3f}<extra>%{fullData.name}</extra>")
        )
        spans.append(len(tab.columns) + 1)
    total = sum(spans)
    buttons: list[dict[str, Any]] = []
    start = 0
    for node, width in zip(nodes, spans, strict=True):
        vis = [start <= j < start + width for j in range(total)]
        buttons.append({"label": labels.get(node, node), "method": "update", "args": [{"visible": vis}]})
        start += width
    fig.update_layout(updatemenus=[_menu(buttons, 0)])
    fig.update_xaxes(title_text="year 年份", dtick=1)
    fig.update_yaxes(title_text="mean score 平均得分")
    _layout(fig, title, height=500)
    fig.update_layout(margin={"t": 110})
    return fig

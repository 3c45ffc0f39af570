"""Static figures for print: matplotlib drawings of the report's charts, saved as SVG and PNG.

WeasyPrint runs no JavaScript, so the PDF (and the HTML it is made from) embeds static SVG.
The figures are drawn with matplotlib (Agg backend): no browser, no network, the same result
on a 2-core CI box (the Plotly charts of the interactive summary need a headless Chromium to
export, which is slower to start and fragile under load; see docs/report.md). Text is kept as
paths in the SVG (``svg.fonttype = "path"``) so a figure needs no font where it is shown;
Chinese labels use the system font Noto Sans CJK (Debian ``fonts-noto-cjk``). PNG files are
written at 300 dpi (print resolution).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.collections import PatchCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Polygon as MplPolygon

from nqpf.report.maps import boundary_lines, other_geojson, province_geojson

__all__ = ["PNG_DPI", "cjk_font", "groups_figure", "map_figure", "profile_figure", "rank_figure",
           "save_figure", "svg_bytes", "trend_figure"]

PNG_DPI = 300
"""Resolution of the PNG files (dots per inch)."""

_CJK_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
)
_PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf")


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """Register the system's Noto Sans CJK with matplotlib; its family name, or None if absent."""
    from matplotlib import font_manager

    name = None
    for f in _CJK_FILES:
        if Path(f).is_file():
            font_manager.fontManager.addfont(f)
            name = name or font_manager.FontProperties(fname=f).get_name()
    if name is None:  # another install place: ask fontconfig's list as matplotlib sees it
        for fe in font_manager.fontManager.ttflist:
            if "CJK" in fe.name and "Sans" in fe.name:
                name = fe.name
                break
    return name


def _style() -> Any:
    cjk = cjk_font()
    return {"font.family": ["DejaVu Sans", *([cjk] if cjk else [])], "font.size": 9, "svg.fonttype": "path",
            "axes.spines.top": False, "axes.spines.right": False, "axes.titlesize": 10,
            "axes.titleweight": "bold", "axes.unicode_minus": False}


def _figure(w: float, h: float) -> Figure:
    with plt.rc_context(_style()):
        fig = Figure(figsize=(w, h))
    return fig


def _rings(geom: Mapping[str, Any]) -> list[np.ndarray]:
    polys = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
    return [np.asarray(p[0], dtype=float) for p in polys]


def map_figure(values: Mapping[str, float] | pd.Series, *, title: str, colorbar_label: str,
               no_data_label: str = "no data") -> Figure:
    """Choropleth of the provinces (GB/T 2260 code -> value), viridis; Taiwan, Hong Kong and
    Macao in grey without data; the national boundary lines (South China Sea) in grey."""
    with plt.rc_context(_style()):
        s = pd.Series(values, dtype=float)
        fig = _figure(6.8, 5.2)
        ax = fig.add_axes((0.0, 0.02, 0.86, 0.9))
        vals = s.dropna()
        norm = Normalize(vmin=float(vals.min()), vmax=float(vals.max()))
        cmap = matplotlib.colormaps["viridis"]
        patches: list[MplPolygon] = []
        colours: list[Any] = []
        for feat in province_geojson()["features"]:
            v = s.get(feat["id"], np.nan)
            for ring in _rings(feat["geometry"]):
                patches.append(MplPolygon(ring, closed=True))
                colours.append(cmap(norm(v)) if pd.notna(v) else "#d9d9d9")
        for feat in other_geojson()["features"]:
            for ring in _rings(feat["geometry"]):
                patches.append(MplPolygon(ring, closed=True))
                colours.append("#d9d9d9")
        ax.add_collection(PatchCollection(patches, facecolor=colours, edgecolor="white", linewidth=0.3))
        lon, lat = boundary_lines()
        ax.plot([np.nan if x is None else x for x in lon], [np.nan if y is None else y for y in lat],
                color="#888888", linewidth=0.5)
        ax.set_xlim(73, 136)
        ax.set_ylim(3, 54)
        ax.set_aspect(1 / np.cos(np.deg2rad(35)))
        ax.axis("off")
        ax.set_title(title, loc="left")
        cax = fig.add_axes((0.86, 0.2, 0.025, 0.55))
        sm = matplotlib.cm.ScalarMappable(norm=norm, cmap=cmap)
        cb = fig.colorbar(sm, cax=cax)
        cb.set_label(colorbar_label)
        ax.text(0.01, 0.02, f"■ {no_data_label}", color="#bbbbbb", transform=ax.transAxes, fontsize=7)
    return fig


def rank_figure(table: pd.DataFrame, *, title: str, xlabel: str, interval_label: str | None = None) -> Figure:
    """Ranks of all provinces with their 90% rank intervals when known.

    ``table``: ``label, rank`` and optionally ``rank_p05, rank_p95`` (rows in rank order). With
    intervals, a bar runs from the 5th to the 95th percentile rank of the Monte Carlo draws and
    the dot is the nominal rank; without, dots only.
    """
    with plt.rc_context(_style()):
        n = len(table)
        fig = _figure(6.8, 0.17 * n + 1.0)
        ax = fig.add_axes((0.3, 0.6 / (0.17 * n + 1.0), 0.66, 1 - 1.0 / (0.17 * n + 1.0)))
        y = np.arange(n)
        if {"rank_p05", "rank_p95"} <= set(table.columns) and table["rank_p05"].notna().any():
            ax.hlines(y, table["rank_p05"].astype(float), table["rank_p95"].astype(float), color="#9ecae1",
                      linewidth=5, label=interval_label or "")
        ax.plot(table["rank"].astype(float), y, "o", color=_PALETTE[0], markersize=4)
        ax.set_yticks(y, [str(v) for v in table["label"]])
        ax.invert_yaxis()
        ax.set_xlim(0.5, n + 0.5)
        ax.set_xlabel(xlabel)
        ax.grid(axis="x", color="#eeeeee")
        ax.set_title(title, loc="left")
        if interval_label:
            ax.legend(loc="lower right", frameon=False, fontsize=7)
    return fig


def trend_figure(means: pd.DataFrame, *, labels: Mapping[str, str], title: str, ylabel: str,
                 xlabel: str) -> Figure:
    """Lines of ``means`` (rows = years, columns = series); the first column drawn thicker."""
    with plt.rc_context(_style()):
        fig = _figure(6.8, 3.2)
        ax = fig.add_axes((0.09, 0.14, 0.6, 0.74))
        for i, col in enumerate(means.columns):
            ax.plot([int(y) for y in means.index], means[col].astype(float), marker="o", markersize=3,
                    linewidth=2.4 if i == 0 else 1.3, color=_PALETTE[i % len(_PALETTE)], label=labels.get(col, col))
        ax.set_xticks([int(y) for y in means.index])
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.grid(color="#eeeeee")
        ax.set_title(title, loc="left")
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False, fontsize=7)
    return fig


def groups_figure(means: pd.DataFrame, *, labels: Mapping[str, str], title: str, ylabel: str,
                  xlabel: str, national: pd.Series | None = None, national_label: str = "National") -> Figure:
    """Group means over time (rows = years, columns = groups), the national mean dashed."""
    fig = trend_figure(means, labels=labels, title=title, ylabel=ylabel, xlabel=xlabel)
    ax = fig.axes[0]
    for line in ax.get_lines():
        line.set_linewidth(1.5)
    if national is not None:
        with plt.rc_context(_style()):
            ax.plot([int(y) for y in national.index], national.astype(float), color="#333333", linestyle="--",
                    linewidth=1.2, label=national_label)
            ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False, fontsize=7)
    return fig


def profile_figure(values: pd.Series, reference: pd.Series, *, labels: Sequence[str], title: str,
                   value_label: str, reference_label: str) -> Figure:
    """Horizontal bars of one province's dimension scores, with the national mean as ticks."""
    with plt.rc_context(_style()):
        n = len(values)
        fig = _figure(6.2, 0.42 * n + 1.0)
        ax = fig.add_axes((0.34, 0.7 / (0.42 * n + 1.0), 0.6, 1 - 1.2 / (0.42 * n + 1.0)))
        y = np.arange(n)
        ax.barh(y, values.astype(float).to_numpy(), color=_PALETTE[0], height=0.55, label=value_label)
        ax.plot(reference.astype(float).to_numpy(), y, "|", color="#d62728", markersize=16, markeredgewidth=2,
                label=reference_label)
        ax.set_yticks(y, list(labels))
        ax.invert_yaxis()
        ax.grid(axis="x", color="#eeeeee")
        ax.set_title(title, loc="left")
        ax.legend(loc="lower right", frameon=False, fontsize=7)
    return fig


def svg_bytes(fig: Figure) -> bytes:
    """The figure as SVG (text as paths: no font needed where it is shown)."""
    buf = io.BytesIO()
    with plt.rc_context(_style()):
        fig.savefig(buf, format="svg")
    return buf.getvalue()


def save_figure(fig: Figure, folder: Path, name: str) -> dict[str, Path]:
    """Write ``name.svg`` and ``name.png`` (300 dpi) into ``folder``; returns both paths."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {"svg": folder / f"{name}.svg", "png": folder / f"{name}.png"}
    with plt.rc_context(_style()):
        fig.savefig(out["svg"], format="svg", bbox_inches="tight")
        fig.savefig(out["png"], format="png", dpi=PNG_DPI, bbox_inches="tight")
    return out

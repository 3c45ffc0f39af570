"""The registry of analysis views: each analysis plugs into the API and the dashboard with one call.

An :class:`AnalysisView` has a name, English and Chinese titles, a ``load(run)`` function that
reads a run folder's files (or its scores) and returns a table, and a ``chart`` hint telling the
dashboard how to draw it (``table``, ``lines``, ``bars``, ``scatter``). The API serves every
registered view at ``/api/v1/frameworks/{id}/analyses/{name}`` and the dashboard's analyses page
draws every view whose ``load`` returns a table, so a new analysis needs only::

    register_view(AnalysisView("productivity", "Productivity", "全要素生产率",
                               lambda run: read_csvs(run, "productivity"), chart="lines",
                               x="year", y="tfp", series="region_code"))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from nqpf.regions import REGISTRY

if TYPE_CHECKING:
    from nqpf.api.state import Run


@dataclass(frozen=True)
class AnalysisView:
    """One analysis as the API and the dashboard show it."""

    name: str
    title_en: str
    title_zh: str
    load: Callable[[Run], pd.DataFrame | None]
    chart: str = "table"
    x: str | None = None
    y: str | None = None
    series: str | None = None
    description_en: str = ""
    description_zh: str = ""


VIEWS: dict[str, AnalysisView] = {}


def register_view(view: AnalysisView) -> AnalysisView:
    """Add (or replace) an analysis view; returns it."""
    VIEWS[view.name] = view
    return view


def read_csvs(run: Run, subfolder: str) -> pd.DataFrame | None:
    """All ``<run>/<subfolder>/*.csv`` stacked (with a ``table`` column), or None when absent."""
    folder = run.folder / subfolder
    files = sorted(folder.glob("*.csv")) if folder.is_dir() else []
    if not files:
        return None
    parts = [pd.read_csv(f, dtype={"region_code": str}).assign(table=f.stem) for f in files]
    return pd.concat(parts, ignore_index=True)


# -- computed views -------------------------------------------------------------------------
def dispersion(scores: pd.DataFrame) -> pd.DataFrame:
    """Sigma dispersion of the provinces per node and year: ``node, year, n, mean, std, cv,
    max_min_ratio``.

    ``std`` is the population standard deviation (ddof=0) across regions and ``cv = std / mean``,
    the sigma-convergence statistic of Barro & Sala-i-Martin (1992, *J. Political Economy* 100(2));
    a falling ``cv`` over the years means the provinces converge. ``max_min_ratio`` is NaN when
    the minimum is not positive.
    """
    s = scores.dropna(subset=["score"])
    g = s.groupby(["node", "year"])["score"]
    out = pd.DataFrame({"n": g.size(), "mean": g.mean(), "std": g.std(ddof=0), "max": g.max(), "min": g.min()})
    out["cv"] = out["std"] / out["mean"].where(out["mean"] != 0)
    out["max_min_ratio"] = out["max"] / out["min"].where(out["min"] > 0)
    return out.reset_index()[["node", "year", "n", "mean", "std", "cv", "max_min_ratio"]]


def group_means(scores: pd.DataFrame, grouping: str = "nbs4") -> pd.DataFrame:
    """Unweighted mean score of each group per node and year: ``node, year, group, group_en,
    group_zh, mean, n``."""
    groups = REGISTRY.groups(grouping)
    code_group = {c: k for k, g in groups.items() for c in g.codes}
    s = scores.dropna(subset=["score"]).assign(group=lambda d: d["region_code"].map(code_group)).dropna(subset=["group"])
    out = s.groupby(["node", "year", "group"])["score"].agg(["mean", "size"]).reset_index()
    out = out.rename(columns={"size": "n"})
    out["group_en"] = out["group"].map({k: g.name_en for k, g in groups.items()})
    out["group_zh"] = out["group"].map({k: g.name_zh for k, g in groups.items()})
    return out[["node", "year", "group", "group_en", "group_zh", "mean", "n"]]


def dynamics(scores: pd.DataFrame) -> pd.DataFrame:
    """Per region and node, first and latest year: ``score_first, score_latest, change,
    annual_change`` (score points per year, linear) and ``rank_first, rank_latest, rank_change``
    (positive = moved up)."""
    s = scores.dropna(subset=["score"])
    first, last = int(s["year"].min()), int(s["year"].max())
    a = s[s["year"] == first].set_index(["node", "region_code"])
    b = s[s["year"] == last].set_index(["node", "region_code"])
    j = b[["region_en", "region_zh", "score", "rank"]].join(a[["score", "rank"]].add_suffix("_first"), how="inner")
    out = pd.DataFrame({
        "region_en": j["region_en"], "region_zh": j["region_zh"],
        "first_year": first, "latest_year": last,
        "score_first": j["score_first"], "score_latest": j["score"],
        "change": j["score"] - j["score_first"],
        "annual_change": (j["score"] - j["score_first"]) / max(last - first, 1),
        "rank_first": j["rank_first"].astype("Int64"), "rank_latest": j["rank"].astype("Int64"),
    })
    out["rank_change"] = (out["rank_first"] - out["rank_latest"]).astype("Int64")
    return out.reset_index()


def opportunity_matrix(scores: pd.DataFrame, node: str) -> pd.DataFrame:
    """Level against momentum for one node: latest score (x) and its change since the first
    year (y), each region placed in a quadrant by the medians (``leader``: high level, rising;
    ``rising``: low level, rising; ``slowing``: high level, lagging momentum; ``lagging``)."""
    d = dynamics(scores[scores["node"] == node])
    lx, ly = float(np.median(d["score_latest"])), float(np.median(d["change"]))
    hi_l, hi_m = d["score_latest"] >= lx, d["change"] >= ly
    d["quadrant"] = np.select([hi_l & hi_m, ~hi_l & hi_m, hi_l & ~hi_m], ["leader", "rising", "slowing"], "lagging")
    d.attrs.update(median_level=lx, median_change=ly)
    return d


def _uncertainty(run: Run) -> pd.DataFrame | None:
    path = run.folder / "robustness" / "rank_uncertainty.csv"  # written by nqpf.robustness.run_robustness
    if not path.is_file():
        return None
    df = pd.read_csv(path, dtype={"region_code": str}).rename(columns={"median_rank": "rank_median"})
    if not {"region_code", "year", "node", "rank_median", "rank_p05", "rank_p95"} <= set(df.columns):
        return None
    return df


def rank_uncertainty(run: Run) -> pd.DataFrame | None:
    """``robustness/*.csv`` of a run folder when an uncertainty analysis wrote it (columns
    ``region_code, year, node, rank_median, rank_p05, rank_p95``), else None."""
    return _uncertainty(run)


register_view(AnalysisView("weights", "Weights (nominal and effective)", "权重(名义与有效)",
                           lambda r: r.table("weights"), chart="table"))
register_view(AnalysisView("real_share", "Share of real (not imputed) cells", "真实观测占比",
                           lambda r: r.table("real_share"), chart="lines", x="year", y="real_share"))
register_view(AnalysisView("imputed", "Imputed cells", "插补单元格", lambda r: r.table("imputed")))
register_view(AnalysisView("missing", "Cells still missing", "仍缺失单元格", lambda r: r.table("missing")))
register_view(AnalysisView("treatment", "Outlier treatment", "异常值处理", lambda r: r.table("treatment")))
register_view(AnalysisView("screened_out", "Indicators dropped by screening", "筛除的指标",
                           lambda r: r.table("screened_out")))
register_view(AnalysisView("disparity", "Dispersion across provinces (sigma convergence)", "省际离散度(σ收敛)",
                           lambda r: dispersion(r.scores), chart="lines", x="year", y="cv", series="node",
                           description_en="Coefficient of variation of the scores across provinces each year; falling = converging (Barro & Sala-i-Martin 1992).",
                           description_zh="各年省际得分的变异系数;下降即收敛。"))
register_view(AnalysisView("group_means", "NBS four-region means", "四大区域均值",
                           lambda r: group_means(r.scores[r.scores["node"] == r.root]), chart="lines",
                           x="year", y="mean", series="group_en"))
register_view(AnalysisView("dynamics", "Change since the first year", "首年以来的变化",
                           lambda r: dynamics(r.scores[r.scores["node"] == r.root]), chart="bars",
                           x="region_en", y="change"))
register_view(AnalysisView("rank_uncertainty", "Rank uncertainty", "排名不确定性", rank_uncertainty,
                           chart="table",
                           description_en="Median rank and 5-95% interval over the uncertainty analysis's variants.",
                           description_zh="不确定性分析各方案下排名的中位数与5%-95%区间。"))

"""Tables the report shows, reduced from the run's tables (no number is made here, only selected).

Each function takes a :class:`~nqpf.report.publication.context.FrameworkRun` and returns a
plain DataFrame read from its CSV tables: the ranking of a year with rank intervals and the
change since the previous year, national and group means over time, and per-province
dimension ranks.
"""

from __future__ import annotations

import pandas as pd

from nqpf.report.publication.context import FrameworkRun

__all__ = ["dimension_table", "group_means", "indicator_table", "national_means", "ranking", "region_label"]


def region_label(row: pd.Series | dict[str, object], lang: str) -> str:
    """The province's name in ``lang`` (Chinese name for ``zh``, English otherwise)."""
    return str(row["region_zh"] if lang == "zh" else row["region_en"])


def ranking(fw: FrameworkRun, year: int | None = None, node: str | None = None) -> pd.DataFrame:
    """The ranking of ``node`` (default the index) in ``year`` (default the latest).

    Columns: ``rank, region_code, region_en, region_zh, score`` (scores.csv), ``prev_rank`` and
    ``change`` (rank in the previous year minus this year's: positive = moved up), and, when
    the run has robustness tables, ``median_rank, rank_p05, rank_p95`` (rank_uncertainty.csv).
    """
    node = node or fw.root
    s = fw.node_scores(node)
    years = sorted(int(y) for y in s["year"].unique())
    year = year if year is not None else years[-1]
    cur = s[s["year"] == year].copy()
    prev_year = max((y for y in years if y < year), default=None)
    if prev_year is not None:
        prev = s[s["year"] == prev_year].set_index("region_code")["rank"]
        cur["prev_rank"] = cur["region_code"].map(prev)
        cur["change"] = cur["prev_rank"] - cur["rank"]
    else:
        cur["prev_rank"] = pd.NA
        cur["change"] = pd.NA
    ru = fw.tables.get("rank_uncertainty")
    if ru is not None:
        sel = ru[(ru["year"] == year) & (ru["node"] == node)].set_index("region_code")
        for col in ("median_rank", "rank_p05", "rank_p95"):
            cur[col] = cur["region_code"].map(sel[col]) if col in sel.columns else pd.NA
    cur = cur.sort_values(["rank", "region_code"]).reset_index(drop=True)
    cur.attrs.update(year=year, prev_year=prev_year, node=node)
    return cur


def national_means(fw: FrameworkRun, nodes: list[str]) -> pd.DataFrame:
    """Unweighted mean over provinces of each node, per year (rows = years, columns = nodes)."""
    s = fw.scores[fw.scores["node"].isin(nodes)]
    return s.pivot_table(index="year", columns="node", values="score", aggfunc="mean")[nodes]


def group_means(fw: FrameworkRun, node: str | None = None, grouping: str = "nbs4") -> pd.DataFrame:
    """Unweighted mean of ``node`` over the provinces of each group, per year (years x group keys)."""
    s = fw.node_scores(node)
    groups = fw.result.registry.groups(grouping)
    code_group = {c: k for k, g in groups.items() for c in g.codes}
    s = s.assign(group=s["region_code"].map(code_group)).dropna(subset=["group"])
    tab = s.pivot_table(index="year", columns="group", values="score", aggfunc="mean")
    return tab[[k for k in groups if k in tab.columns]]


def dimension_table(fw: FrameworkRun, year: int) -> pd.DataFrame:
    """Scores and ranks of every dimension in ``year``: rows = (region_code, node)."""
    dims = [str(c.id) for c in fw.result.framework.root.children]
    s = fw.scores
    return s[(s["year"] == year) & s["node"].isin(dims)].copy()


def indicator_table(fw: FrameworkRun, year: int) -> pd.DataFrame:
    """Every indicator of every province in ``year`` from the run's recorded stages: the value
    used (after imputation, in the indicator's unit), whether it was imputed, and the province's
    rank on it (1 = best, by the normalised value, so cost indicators rank low values first).

    Columns: ``region_code, indicator, name_en, name_zh, unit, value, imputed, rank``.
    """
    import numpy as np

    res = fw.result
    ti = res.years.index(year)
    norm = res.normalised[ti]  # regions x indicators
    filled = res.filled[ti]
    imputed = res.imputed[ti]
    inds = {i.id: i for i in res.framework.indicators}
    rows = []
    for k, ind in enumerate(res.indicators):
        col = norm[:, k]
        order = pd.Series(col).rank(ascending=False, method="min").to_numpy()
        meta = inds.get(ind)
        for r, code in enumerate(res.regions):
            rows.append({"region_code": code, "indicator": ind,
                         "name_en": meta.name_en if meta else ind, "name_zh": meta.name_zh if meta else ind,
                         "unit": meta.unit if meta else "", "value": float(filled[r, k]),
                         "imputed": bool(imputed[r, k]),
                         "rank": int(order[r]) if np.isfinite(col[r]) else pd.NA})
    return pd.DataFrame(rows)

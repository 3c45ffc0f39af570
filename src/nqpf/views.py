"""Chart and table data, computed once for every front end (HTML summary, report, web service).

A view holds plain tables reduced to what a front end shows; renderers (``nqpf.report``, the
API) only draw them. :func:`summary_view` takes an :class:`~nqpf.index.result.IndexResult`;
:func:`summary_view_from_tidy` takes the tidy score table of a run folder and the tree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from nqpf.errors import ValidationError
from nqpf.regions import REGISTRY, RegionRegistry

if TYPE_CHECKING:
    from nqpf.index.result import IndexResult

SCORE_COLUMNS = ["region_code", "year", "node", "score"]


@dataclass
class SummaryView:
    """Everything the one-index summary shows.

    ``ranking``: the latest year's ranking (see :func:`ranking_table`); ``map_values``: index
    score per region code; ``radar``: regions x dimensions (latest year, rank order) and
    ``radar_reference`` their means; ``national``: years x nodes (unweighted means);
    ``groups``: ``{node: years x group}`` NBS four-region means; ``labels``: node -> "English 中文";
    ``weights``, ``coherence``, ``real_share``, ``notes`` when known.
    """

    title_en: str
    title_zh: str
    root: str
    dims: list[str]
    labels: dict[str, str]
    region_names: dict[str, str]
    ranking: pd.DataFrame
    latest_year: int
    first_year: int
    map_values: pd.Series
    radar: pd.DataFrame
    radar_reference: pd.Series
    national: pd.DataFrame
    groups: dict[str, pd.DataFrame]
    group_labels: dict[str, str]
    weights: pd.DataFrame | None = None
    coherence: Any | None = None
    real_share: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)


def root_and_dims(tree: pd.DataFrame) -> tuple[str, list[str]]:
    """The root node of a tree table and its children (the dimensions)."""
    parent = tree["parent"].where(tree["parent"].notna() & (tree["parent"] != ""), None)
    roots = tree.loc[parent.isna(), "node"].astype(str).tolist()
    if len(roots) != 1:
        raise ValidationError(f"the tree must have exactly one root, found {roots}")
    dims = tree.loc[parent == roots[0], "node"].astype(str).tolist()
    return roots[0], dims


def node_labels(tree: pd.DataFrame) -> dict[str, str]:
    """node -> ``"English 中文"``."""
    out = {}
    for node, en, zh in zip(tree["node"].astype(str), tree.get("name_en", tree["node"]), tree.get("name_zh", tree["node"]), strict=True):
        en = node if pd.isna(en) or en == "" else str(en)
        zh = "" if pd.isna(zh) or zh == en else str(zh)
        out[node] = f"{en} {zh}".strip()
    return out


def ranking_table(scores: pd.DataFrame, node: str, registry: RegionRegistry | None = None) -> pd.DataFrame:
    """The latest year's ranking of ``node``: rank, code, names, score, rank change, group.

    ``rank_change`` = rank in the first year minus rank in the latest (positive = moved up);
    ``group_en``/``group_zh`` are the NBS four regions. Rank is the engine's ``rank`` if
    present, else 1 = highest score.
    """
    reg_ = registry or REGISTRY
    s = scores[scores["node"] == node].dropna(subset=["score"]).copy()
    if s.empty:
        raise ValidationError(f"no scores for node {node!r}")
    if "rank" not in s.columns or s["rank"].isna().any():
        s["rank"] = s.groupby("year")["score"].rank(ascending=False, method="min")
    first, last = int(s["year"].min()), int(s["year"].max())
    cur = s[s["year"] == last].set_index("region_code")
    prev = s[s["year"] == first]
    base = dict(zip(prev["region_code"].astype(str), prev["rank"].astype(float), strict=True))
    rows = []
    for code, row in cur.iterrows():
        reg = reg_.get(str(code)) if str(code) in reg_ else None
        grp = reg_.group_of(str(code), "nbs4") if str(code) in reg_ else None
        rows.append({
            "rank": int(row["rank"]),
            "region_code": str(code),
            "region_en": reg.name_en if reg else str(row.get("region_en", code)),
            "region_zh": reg.name_zh if reg else str(row.get("region_zh", code)),
            "score": float(row["score"]),
            "rank_change": int(base[str(code)] - row["rank"]) if str(code) in base else None,
            "group_en": grp.name_en if grp else "",
            "group_zh": grp.name_zh if grp else "",
        })
    out = pd.DataFrame(rows).sort_values(["rank", "region_code"]).reset_index(drop=True)
    out.attrs.update(first_year=first, latest_year=last)
    return out


def summary_view_from_tidy(
    scores: pd.DataFrame,
    tree: pd.DataFrame,
    *,
    weights: pd.DataFrame | None = None,
    coherence: Any | None = None,
    title_en: str = "New Quality Productive Forces: provincial index",
    title_zh: str = "新质生产力省域指数",
    framework: str | None = None,
    registry: RegionRegistry | None = None,
    real_share: pd.DataFrame | None = None,
    notes: list[str] | None = None,
) -> SummaryView:
    """The summary's data from a tidy score table (one row per region, year and node)."""
    reg = registry or REGISTRY
    missing = [c for c in SCORE_COLUMNS if c not in scores.columns]
    if missing:
        raise ValidationError(f"scores lack columns {missing}")
    if "framework" in scores.columns:
        fws = sorted(scores["framework"].dropna().astype(str).unique())
        if framework is None and len(fws) > 1:
            raise ValidationError(f"scores hold several frameworks {fws}; pass framework=")
        if framework is not None:
            scores = scores[scores["framework"] == framework]
    s = scores.copy()
    s["region_code"] = s["region_code"].astype(str)
    s["year"] = s["year"].astype(int)
    root, dims = root_and_dims(tree)
    labels = node_labels(tree)
    dims = [d for d in dims if d in set(s["node"])]
    tab = ranking_table(s, root, reg)
    latest, first = tab.attrs["latest_year"], tab.attrs["first_year"]
    names = {c: f"{r.name_en} {r.name_zh}" for c in s["region_code"].unique()
             for r in [reg.get(c) if c in reg else None] if r is not None}
    wide = s[s["node"].isin([root, *dims])].pivot_table(index=["year", "region_code"], columns="node", values="score")
    if dims:
        cur = wide.loc[latest][dims].dropna()
        order = [c for c in tab["region_code"] if c in cur.index]
        radar = cur.loc[order]
        reference = cur[dims].mean()
    else:
        radar, reference = pd.DataFrame(), pd.Series(dtype=float)
    nodes = [root, *dims]
    national = wide.groupby(level="year").mean()[nodes]
    groups = reg.groups("nbs4")
    code_group = {c: k for k, g in groups.items() for c in g.codes}
    w2 = wide.reset_index()
    w2["group"] = w2["region_code"].map(code_group)
    by_group = {n: w2.groupby(["year", "group"])[n].mean().unstack("group").reindex(columns=list(groups)) for n in nodes}
    return SummaryView(
        title_en=title_en, title_zh=title_zh, root=root, dims=dims, labels=labels, region_names=names,
        ranking=tab, latest_year=latest, first_year=first, map_values=tab.set_index("region_code")["score"],
        radar=radar, radar_reference=reference, national=national, groups=by_group,
        group_labels={k: f"{g.name_en} {g.name_zh}" for k, g in groups.items()},
        weights=weights, coherence=coherence, real_share=real_share, notes=list(notes or []),
    )


def summary_view(result: IndexResult) -> SummaryView:
    """The summary's data for one result (its title says when it is a variant)."""
    return summary_view_from_tidy(
        result.to_tidy(), result.tree(), weights=result.weights, coherence=result.coherence(),
        title_en=result.name_en, title_zh=result.name_zh, registry=result.registry,
        real_share=result.real_share_by_year(), notes=result.notes,
    )

"""Province profiles: where a province stands, at every level and over time.

The views follow the innovation scoreboards:

* scores and ranks of the index, every dimension and every indicator, every year;
* strengths and weaknesses, GII style (Dutta et al., *Global Innovation Index 2023*, Appendix:
  "strengths and weaknesses" are the indicators with the best and worst ranks of an economy);
  ranks come from normalised values, which are oriented so that higher is better, so a cost
  indicator (energy intensity) is a strength when its value is low;
* the performance group, EIS style (European Commission, *European Innovation Scoreboard 2023*,
  Methodology Report §3): the index score relative to the mean of all provinces, above 125%
  leader, 100-125% strong, 70-100% moderate, below 70% emerging;
* growth of every score between the first and last year, and the position within the
  province's NBS region;
* the uncertainty of the rank, when a robustness table (``rank_p05, rank_median, rank_p95``) is
  given or the run folder holds one (``robustness/rank_uncertainty.csv``, :mod:`nqpf.profiles.intervals`).
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from nqpf.profiles.errors import ProfileError
from nqpf.profiles.intervals import ROBUSTNESS_COLUMNS, check_robustness, rank_intervals, ranks_path

if TYPE_CHECKING:
    from nqpf.index.result import IndexResult

#: EIS performance groups: (lower bound of score / mean in %, key, English, Chinese)
PERFORMANCE_GROUPS: tuple[tuple[float, str, str, str], ...] = (
    (125.0, "leader", "Leader", "领先型"),
    (100.0, "strong", "Strong performer", "强劲型"),
    (70.0, "moderate", "Moderate performer", "中等型"),
    (-np.inf, "emerging", "Emerging performer", "新兴型"),
)

def performance_group(ratio_pct: float) -> tuple[str, str, str]:
    """``(key, English, Chinese)`` of the EIS group for a score at ``ratio_pct`` % of the mean."""
    if not np.isfinite(ratio_pct):
        return ("n/a", "not available", "无数据")
    # EIS: "above 125%", "between 100% and 125%", "between 70% and 100%", "below 70%"
    i = 0 if ratio_pct > 125 else 1 if ratio_pct >= 100 else 2 if ratio_pct >= 70 else 3
    return PERFORMANCE_GROUPS[i][1:]


def resolve_region(result: IndexResult, region: str) -> str:
    """The GB/T code of ``region`` (code, Chinese or English name) among the result's regions."""
    reg = result.registry.lookup(region)
    code = reg.code if reg is not None else str(region)
    if code not in result.regions:
        hint = result.registry.suggest(str(region)) if reg is None else []
        known = f"; did you mean {', '.join(hint)}?" if hint else \
            f"; the index covers {len(result.regions)} regions, e.g. {', '.join(result.regions[:3])}"
        raise ProfileError(f"unknown province {region!r}{known}")
    return code


def resolve_year(result: IndexResult, year: int | None) -> int:
    """``year`` (default: the last one) if the result covers it."""
    if year is None:
        return result.years[-1]
    if int(year) not in result.years:
        raise ProfileError(f"year {year} is outside the index ({result.years[0]}-{result.years[-1]})")
    return int(year)


_CACHE: dict[int, dict[str, Any]] = {}


def _cache(result: IndexResult) -> dict[str, Any]:
    """Per-result memo of tree views (a result's tree never changes), dropped with the result."""
    key = id(result)
    if key not in _CACHE:
        _CACHE[key] = {}
        weakref.finalize(result, _CACHE.pop, key, None)
    return _CACHE[key]


def tree_info(result: IndexResult) -> dict[str, dict[str, Any]]:
    """Each kept node and indicator -> its tree row (``name_en, name_zh, level, kind, unit, direction, ...``)."""
    c = _cache(result)
    if "tree_info" not in c:
        c["tree"] = result.tree()
        c["tree_info"] = {str(r["node"]): {str(k): v for k, v in r.items()} for r in c["tree"].to_dict("records")}
    return dict(c["tree_info"])


def dimension_of(result: IndexResult) -> dict[str, str]:
    """Each node and indicator -> the top-level dimension (child of the root) it belongs to."""
    c = _cache(result)
    if "dimension_of" not in c:
        c["dimension_of"] = _dimension_of(result)
    return dict(c["dimension_of"])


def _dimension_of(result: IndexResult) -> dict[str, str]:
    tree_info(result)
    tree = _cache(result)["tree"]
    parent = dict(zip(tree["node"], tree["parent"], strict=True))
    root = result.framework.root.id
    out = {}
    for n in tree["node"]:
        cur = n
        while cur != root and parent.get(cur) not in (root, None):
            cur = parent[cur]
        out[n] = cur
    return out


def percentile_of_rank(rank: np.ndarray | float, n: int) -> np.ndarray:
    """Share of the other regions a region ranks above, in % (rank 1 of n -> 100, rank n -> 0)."""
    r = np.asarray(rank, dtype=float)
    return 100.0 * (n - r) / max(n - 1, 1)


@dataclass
class Profile:
    """One province's profile. Tables (DataFrames):

    scores:
        ``year, node, name_en, name_zh, level, kind, score, rank, n_regions`` for every node and
        indicator and year (scores in the index's units, e.g. 0-1 for min-max).
    indicators:
        For ``year``: ``indicator, name_en, name_zh, dimension, unit, direction, value`` (in the
        indicator's unit; ``imputed`` says it was filled), ``normalised, rank, percentile``.
    strengths, weaknesses:
        The ``n`` indicators with the best / worst ranks (ties broken by percentile), same columns.
    performance:
        ``year, score, national_mean, ratio_pct, group, group_en, group_zh`` (EIS groups).
    growth:
        Per node: ``score_first, score_last, change, change_per_year, pct_change, rank_first,
        rank_last, rank_change`` (a positive rank change is an improvement).
    position:
        Within the NBS region: ``grouping, group, group_en, group_zh, rank_in_group, group_size,
        group_mean, group_leader, leader_score`` (for ``year``).
    uncertainty:
        Rows of the robustness table for this province (empty when none was given or found);
        ``uncertainty_source`` says where they come from ("" when none).
    """

    region_code: str
    region_en: str
    region_zh: str
    framework: str
    root: str
    year: int
    years: list[int]
    n_regions: int
    scores: pd.DataFrame
    indicators: pd.DataFrame
    strengths: pd.DataFrame
    weaknesses: pd.DataFrame
    performance: pd.DataFrame
    growth: pd.DataFrame
    position: pd.DataFrame
    dimensions: pd.DataFrame
    uncertainty: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=ROBUSTNESS_COLUMNS))
    notes: list[str] = field(default_factory=list)
    uncertainty_source: str = ""

    @property
    def rank_interval(self) -> pd.Series | None:
        """``rank_p05, rank_median, rank_p95`` of the index in ``year``, or None when not computed."""
        u = self.uncertainty
        row = u[(u["year"] == self.year) & (u["node"] == self.root)]
        return None if row.empty else row.iloc[0]

    @property
    def index_row(self) -> pd.Series:
        """The index score and rank in ``year``."""
        if "_index_row" not in self.__dict__:
            s = self.scores
            self.__dict__["_index_row"] = s[(s["year"] == self.year) & (s["node"] == self.root)].iloc[0]
        return self.__dict__["_index_row"]

    @property
    def group(self) -> pd.Series:
        """The performance-group row of ``year``."""
        if "_group" not in self.__dict__:
            self.__dict__["_group"] = self.performance[self.performance["year"] == self.year].iloc[0]
        return self.__dict__["_group"]

    def to_tidy(self) -> pd.DataFrame:
        """``region_code, year, node, score, rank`` plus names, for export."""
        out = self.scores.copy()
        out.insert(0, "region_code", self.region_code)
        return out

    @property
    def summary(self) -> str:
        row = self.index_row
        g = self.group
        lines = [f"{self.region_en} / {self.region_zh} — {self.framework} {self.year}: rank {row['rank']:.0f} of "
                 f"{self.n_regions}, score {row['score']:.3f}, {g['ratio_pct']:.0f}% of the mean "
                 f"({g['group_en']} / {g['group_zh']})",
                 "strengths / 优势: " + ", ".join(f"{r['name_en']} (#{r['rank']:.0f})" for r in self.strengths.to_dict("records")),
                 "weaknesses / 劣势: " + ", ".join(f"{r['name_en']} (#{r['rank']:.0f})" for r in self.weaknesses.to_dict("records")),
                 *[f"note: {n}" for n in self.notes]]
        return "\n".join(lines)


def _scores_table(result: IndexResult, ri: int) -> pd.DataFrame:
    tree = tree_info(result)
    nodes = result.node_ids()
    t = len(result.years)
    rows = [tree[n] for n in nodes]
    return pd.DataFrame({
        "year": np.tile(np.asarray(result.years), len(nodes)), "node": np.repeat(nodes, t),
        "name_en": np.repeat([r["name_en"] for r in rows], t), "name_zh": np.repeat([r["name_zh"] for r in rows], t),
        "level": np.repeat([int(r["level"]) for r in rows], t), "kind": np.repeat([r["kind"] for r in rows], t),
        "score": np.concatenate([result.scores[n][:, ri] for n in nodes]),
        "rank": np.concatenate([result.ranks[n][:, ri] for n in nodes]),
        "n_regions": np.concatenate([np.sum(np.isfinite(result.scores[n]), axis=1) for n in nodes]),
    })


def _indicator_table(result: IndexResult, ri: int, ti: int) -> pd.DataFrame:
    tree = tree_info(result)
    dims = dimension_of(result)
    rows = []
    for k, ind in enumerate(result.indicators):
        rank = float(result.ranks[ind][ti, ri])
        n = int(np.sum(np.isfinite(result.scores[ind][ti])))
        rows.append({
            "indicator": ind, "name_en": tree[ind]["name_en"], "name_zh": tree[ind]["name_zh"],
            "dimension": dims[ind], "unit": tree[ind]["unit"], "direction": int(tree[ind]["direction"]),
            "value": float(result.filled[ti, ri, k]), "imputed": bool(result.imputed[ti, ri, k]),
            "normalised": float(result.normalised[ti, ri, k]), "rank": rank,
            "percentile": float(percentile_of_rank(rank, n)) if np.isfinite(rank) else np.nan, "n_regions": n,
        })
    return pd.DataFrame(rows)


def _growth(scores: pd.DataFrame, first: int, last: int) -> pd.DataFrame:
    a = scores[scores["year"] == first].set_index("node")
    b = scores[scores["year"] == last].set_index("node")
    g = pd.DataFrame({"name_en": b["name_en"], "name_zh": b["name_zh"], "kind": b["kind"],
                      "score_first": a["score"], "score_last": b["score"]})
    g["change"] = g["score_last"] - g["score_first"]
    g["change_per_year"] = g["change"] / max(last - first, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        g["pct_change"] = np.where(g["score_first"].abs() > 0, 100 * g["change"] / g["score_first"].abs(), np.nan)
    g["rank_first"], g["rank_last"] = a["rank"], b["rank"]
    g["rank_change"] = g["rank_first"] - g["rank_last"]
    g.insert(0, "year_first", first)
    g.insert(1, "year_last", last)
    return g.reset_index()


def _performance(result: IndexResult, ri: int) -> pd.DataFrame:
    s = result.index
    mean = np.nanmean(s, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = 100 * s[:, ri] / mean
    groups = [performance_group(float(r)) for r in ratio]
    return pd.DataFrame({"year": result.years, "score": s[:, ri], "national_mean": mean, "ratio_pct": ratio,
                         "group": [g[0] for g in groups], "group_en": [g[1] for g in groups],
                         "group_zh": [g[2] for g in groups]})


def _position(result: IndexResult, code: str, ti: int, grouping: str) -> pd.DataFrame:
    grp = result.registry.group_of(code, grouping)
    if grp is None:
        return pd.DataFrame(columns=["grouping", "group", "group_en", "group_zh", "rank_in_group", "group_size",
                                     "group_mean", "group_leader", "leader_score"])
    members = [c for c in grp.codes if c in result.regions]
    idx = [result.regions.index(c) for c in members]
    s = result.index[ti, idx]
    own = s[members.index(code)]
    lead = int(np.nanargmax(s))
    return pd.DataFrame([{
        "grouping": grouping, "group": grp.key, "group_en": grp.name_en, "group_zh": grp.name_zh,
        "rank_in_group": int(1 + np.sum(s > own)), "group_size": len(members), "group_mean": float(np.nanmean(s)),
        "group_leader": members[lead], "leader_score": float(s[lead]),
    }])


def profile(result: IndexResult, region: str, *, year: int | None = None, n: int = 3,
            robustness: pd.DataFrame | None = None, grouping: str = "nbs4",
            run: str | Path | None = None) -> Profile:
    """The profile of one province (code, Chinese or English name) in ``year`` (default: last).

    ``n`` strengths and weaknesses are listed; ``robustness`` (optional) adds the rank interval;
    without it, ``run`` (the framework's run folder) adds the interval of the run's robustness
    analysis when the folder has one.
    """
    code = resolve_region(result, region)
    year = resolve_year(result, year)
    if n < 1:
        raise ProfileError(f"the number of strengths and weaknesses must be at least 1, got {n}")
    ri, ti = result.regions.index(code), result.years.index(year)
    reg = result.registry.lookup(code)
    scores = _scores_table(result, ri)
    inds = _indicator_table(result, ri, ti)
    ranked = inds[np.isfinite(inds["rank"])]
    strengths = ranked.sort_values(["rank", "percentile", "indicator"], ascending=[True, False, True]).head(n)
    weaknesses = ranked.sort_values(["rank", "percentile", "indicator"], ascending=[False, True, True]).head(n)
    root = result.framework.root.id
    dims = scores[(scores["year"] == year) & (scores["level"] == 1) & (scores["kind"] != "indicator")]
    if dims.empty:  # a flat framework: indicators are the dimensions
        dims = scores[(scores["year"] == year) & (scores["level"] == 1)]
    dims = dims.sort_values(["rank", "score"], ascending=[True, False]).reset_index(drop=True)
    notes = []
    filled = inds[inds["imputed"]]
    if len(filled):
        notes.append(f"{len(filled)} indicator value(s) of {year} were imputed: {', '.join(filled['indicator'])}")
    unc = pd.DataFrame(columns=ROBUSTNESS_COLUMNS)
    source = "given table" if robustness is not None else ""
    if robustness is None and run is not None:  # the run's own robustness analysis, when it has one
        robustness = rank_intervals(run)
        source = str(ranks_path(run)) if robustness is not None else ""
    if robustness is not None:
        rt = check_robustness(robustness)
        unc = rt[rt["region_code"] == code].reset_index(drop=True)
    return Profile(
        region_code=code, region_en=reg.name_en if reg else code, region_zh=reg.name_zh if reg else code,
        framework=result.framework.id, root=root, year=year, years=list(result.years),
        n_regions=int(np.sum(np.isfinite(result.index[ti]))), scores=scores, indicators=inds,
        strengths=strengths.reset_index(drop=True), weaknesses=weaknesses.reset_index(drop=True),
        performance=_performance(result, ri), growth=_growth(scores, result.years[0], year),
        position=_position(result, code, ti, grouping), dimensions=dims, uncertainty=unc, notes=notes,
        uncertainty_source=source,
    )


def profiles(result: IndexResult, regions: Sequence[str] | None = None, **kw: object) -> dict[str, Profile]:
    """Profiles of ``regions`` (default: every region of the result), keyed by code."""
    codes = list(regions) if regions is not None else list(result.regions)
    return {resolve_region(result, c): profile(result, c, **kw) for c in codes}  # type: ignore[arg-type]

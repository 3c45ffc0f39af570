"""Province profiles and comparisons from a run's tidy scores: radar, trend, strengths and
weaknesses, peers and a bilingual narrative.

Strengths and weaknesses follow the European/Regional Innovation Scoreboard's profile pages
(European Commission, *Regional Innovation Scoreboard 2023, Methodology report*, sec. 5): the
indicators on which a region ranks best and worst among all regions. Peers are the regions
nearest in the space of dimension scores of the latest year (Euclidean distance), the
"regions with a similar profile" of the same tools.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from nqpf.api.state import NotFound
from nqpf.regions import REGISTRY

if TYPE_CHECKING:
    from nqpf.api.state import Run


def resolve_region(name: str) -> str:
    """A region code from a code or any alias (北京, Beijing, 110000), else :class:`NotFound`."""
    r = REGISTRY.lookup(name) if len(name) <= 64 else None
    if r is None or r.level == "country":
        hints = REGISTRY.suggest(name[:64]) if name else []
        hint = f"; did you mean {', '.join(hints)}?" if hints else ""
        raise NotFound(f"unknown province {name[:64]!r}{hint} (give a code like 440000 or a name like Guangdong/广东)")
    return r.code


@dataclass
class Profile:
    """One province in one framework and year."""

    region_code: str
    region_en: str
    region_zh: str
    year: int
    rank: int | None
    n_regions: int
    score: float | None
    rank_change: int | None
    dims: pd.DataFrame
    trend: pd.DataFrame
    strengths: pd.DataFrame
    weaknesses: pd.DataFrame
    peers: pd.DataFrame
    narrative_en: str
    narrative_zh: str
    notes: list[str] = field(default_factory=list)
    rank_interval: dict[str, float] | None = None  # median, p05, p95 of the run's robustness analysis

    def to_dict(self) -> dict[str, Any]:
        from nqpf.api.tables import records

        return {
            "region_code": self.region_code, "region_en": self.region_en, "region_zh": self.region_zh,
            "year": self.year, "rank": self.rank, "n_regions": self.n_regions, "score": self.score,
            "rank_change": self.rank_change, "dims": records(self.dims), "trend": records(self.trend),
            "strengths": records(self.strengths), "weaknesses": records(self.weaknesses),
            "peers": records(self.peers), "narrative_en": self.narrative_en, "narrative_zh": self.narrative_zh,
            "notes": self.notes, "rank_interval": self.rank_interval,
        }


def _labels(run: Run) -> tuple[dict[str, str], dict[str, str]]:
    t = run.tree
    return dict(zip(t["node"], t["name_en"], strict=True)), dict(zip(t["node"], t["name_zh"], strict=True))


def dims_table(run: Run, year: int) -> pd.DataFrame:
    """Regions x dimensions of one year (scores)."""
    s = run.scores
    d = s[(s["year"] == year) & s["node"].isin(run.dims)]
    return d.pivot_table(index="region_code", columns="node", values="score").reindex(columns=run.dims)


def peers(run: Run, code: str, year: int, k: int = 5) -> pd.DataFrame:
    """The ``k`` regions nearest to ``code`` in dimension scores of ``year``: ``region_code,
    region_en, region_zh, distance`` (Euclidean, score units), nearest first."""
    w = dims_table(run, year).dropna()
    if code not in w.index:
        return pd.DataFrame(columns=["region_code", "region_en", "region_zh", "distance"])
    dist = np.sqrt(((w - w.loc[code]) ** 2).sum(axis=1)).drop(code).sort_values(kind="stable").head(k)
    return pd.DataFrame({"region_code": dist.index, "region_en": [REGISTRY.get(c).name_en for c in dist.index],
                         "region_zh": [REGISTRY.get(c).name_zh for c in dist.index], "distance": dist.to_numpy()})


def profile(run: Run, region: str, year: int | None = None, k_peers: int = 5, n_sw: int = 3) -> Profile:
    """The profile of ``region`` (code or name) in ``run`` for ``year`` (default: the latest)."""
    code = resolve_region(region)
    year = run.check_year(year)
    s = run.scores
    mine = s[s["region_code"] == code]
    if mine.empty:
        raise NotFound(f"framework {run.id} has no scores for {code}")
    en, zh = _labels(run)
    reg = REGISTRY.get(code)
    cur = s[s["year"] == year]
    n_regions = int(cur[cur["node"] == run.root]["region_code"].nunique())
    here = mine[mine["year"] == year].set_index("node")
    mean = cur.groupby("node")["score"].mean()
    dims = pd.DataFrame({"node": run.dims, "name_en": [en.get(d, d) for d in run.dims],
                         "name_zh": [zh.get(d, d) for d in run.dims],
                         "score": [here["score"].get(d, np.nan) for d in run.dims],
                         "rank": [here["rank"].get(d, pd.NA) for d in run.dims],
                         "national_mean": [mean.get(d, np.nan) for d in run.dims]})
    nodes = [run.root, *run.dims]
    tr = mine[mine["node"].isin(nodes)].pivot_table(index="year", columns="node", values="score")
    trend = tr.reindex(columns=nodes).reset_index()
    nat = s[s["node"] == run.root].groupby("year")["score"].mean()
    trend["national_mean"] = trend["year"].map(nat)
    leaves = run.tree[run.tree["kind"] == "indicator"]["node"]
    ind = here.loc[here.index.intersection(pd.Index(leaves))].dropna(subset=["rank"]).reset_index()
    ind = ind.assign(name_en=ind["node"].map(en), name_zh=ind["node"].map(zh))[["node", "name_en", "name_zh", "score", "rank"]]
    ind = ind.sort_values(["rank", "node"], kind="stable")
    strengths, weaknesses = ind.head(n_sw).reset_index(drop=True), ind.tail(n_sw).iloc[::-1].reset_index(drop=True)
    pr = peers(run, code, year, k_peers)
    rank = int(here["rank"][run.root]) if run.root in here.index and pd.notna(here["rank"][run.root]) else None
    score = float(here["score"][run.root]) if run.root in here.index and pd.notna(here["score"][run.root]) else None
    first = mine[(mine["year"] == run.years[0]) & (mine["node"] == run.root)]["rank"]
    rank_change = int(first.iloc[0] - rank) if rank is not None and len(first) and pd.notna(first.iloc[0]) else None
    p = Profile(code, reg.name_en, reg.name_zh, year, rank, n_regions, score, rank_change, dims, trend,
                strengths, weaknesses, pr, "", "", rank_interval=rank_interval(run, code, year))
    p.narrative_en, p.narrative_zh = narrative(p, run)
    return p


def rank_interval(run: Run, code: str, year: int) -> dict[str, float] | None:
    """The index rank's median and 90% interval from the run's ``robustness/rank_uncertainty.csv``
    (``nqpf run --robustness N``), or None when the run has none."""
    from nqpf.profiles.intervals import rank_intervals

    t = rank_intervals(run.folder)
    if t is None:
        return None
    row = t[(t["region_code"] == code) & (t["year"] == year) & (t["node"] == run.root)]
    if row.empty:
        return None
    r = row.iloc[0]
    return {"median": float(r["rank_median"]), "p05": float(r["rank_p05"]), "p95": float(r["rank_p95"])}


def narrative(p: Profile, run: Run) -> tuple[str, str]:
    """Two or three sentences in English and Chinese, built from the profile's numbers only."""
    if p.rank is None or p.score is None:
        return (f"{p.region_en} has no index score in {p.year}.", f"{p.region_zh}{p.year}年无指数得分。")
    first = run.years[0]
    from nqpf.profiles.intervals import NOT_COMPUTED

    iv = p.rank_interval
    u_en = u_zh = ""
    if iv is not None:
        u_en = f", median {iv['median']:.0f}, 90% interval {iv['p05']:.0f}-{iv['p95']:.0f}"
        u_zh = f"，中位数第{iv['median']:.0f}位，90%区间第{iv['p05']:.0f}-{iv['p95']:.0f}位"
    en = [f"In {p.year}, {p.region_en} ranks {p.rank} of {p.n_regions} on {run.meta.get('name_en', run.id)} "
          f"(score {p.score:.3f}{u_en})."]
    zh = [f"{p.year}年，{p.region_zh}在{run.meta.get('name_zh', run.id)}中位列第{p.rank}（共{p.n_regions}个省份，得分{p.score:.3f}{u_zh}）。"]
    if iv is None:
        en.append(NOT_COMPUTED[0])
        zh.append(NOT_COMPUTED[1])
    if p.rank_change is not None and p.year != first:
        if p.rank_change > 0:
            en.append(f"It has moved up {p.rank_change} place(s) since {first}.")
            zh.append(f"较{first}年上升{p.rank_change}位。")
        elif p.rank_change < 0:
            en.append(f"It has moved down {-p.rank_change} place(s) since {first}.")
            zh.append(f"较{first}年下降{-p.rank_change}位。")
        else:
            en.append(f"Its rank is the same as in {first}.")
            zh.append(f"排名与{first}年持平。")
    d = p.dims.dropna(subset=["rank"])
    if len(d) >= 2:
        best = d.sort_values("rank", kind="stable").iloc[0]
        worst = d.sort_values("rank", kind="stable").iloc[-1]
        en.append(f"Its strongest dimension is {best['name_en']} (rank {int(best['rank'])}), "
                  f"its weakest {worst['name_en']} (rank {int(worst['rank'])}).")
        zh.append(f"最强维度为{best['name_zh']}（第{int(best['rank'])}位），最弱为{worst['name_zh']}（第{int(worst['rank'])}位）。")
    if len(p.peers):
        en.append("Closest profiles: " + ", ".join(p.peers["region_en"].head(3)) + ".")
        zh.append("结构最相近的省份：" + "、".join(p.peers["region_zh"].head(3)) + "。")
    return " ".join(en), "".join(zh)


def compare(run: Run, regions: list[str], year: int | None = None) -> pd.DataFrame:
    """2-4 provinces side by side: one row per node (root and dimensions) and region, with score
    and rank in ``year`` and the change since the first year."""
    if not 2 <= len(regions) <= 4:
        from nqpf.api.state import BadRequest

        raise BadRequest(f"compare 2 to 4 provinces, not {len(regions)} (e.g. regions=110000,310000)")
    codes = list(dict.fromkeys(resolve_region(r) for r in regions))
    year = run.check_year(year)
    en, zh = _labels(run)
    nodes = [run.root, *run.dims]
    s = run.scores
    s = s[s["region_code"].isin(codes) & s["node"].isin(nodes)]
    cy, by = s[s["year"] == year], s[s["year"] == run.years[0]]
    cur: dict[tuple[str, str], tuple[float, Any]] = {
        (str(n), str(c)): (float(v), k)
        for n, c, v, k in zip(cy["node"], cy["region_code"], cy["score"], cy["rank"], strict=True)}
    base: dict[tuple[str, str], float] = {
        (str(n), str(c)): float(v) for n, c, v in zip(by["node"], by["region_code"], by["score"], strict=True)}
    rows = []
    for n in nodes:
        for c in codes:
            if (n, c) not in cur:
                continue
            score, rank = cur[(n, c)]
            b = base.get((n, c))
            rows.append({"node": n, "name_en": en.get(n, n), "name_zh": zh.get(n, n), "region_code": c,
                         "region_en": REGISTRY.get(c).name_en, "region_zh": REGISTRY.get(c).name_zh,
                         "year": year, "score": score, "rank": None if pd.isna(rank) else int(rank),
                         "change_since_first": None if b is None else score - b})
    return pd.DataFrame(rows)

"""Bilingual narrative summaries, filled from the profile's tables by templates.

Nothing is invented: each sentence has a ``facts`` mapping whose values are read from the
tables (:class:`~nqpf.profiles.profile.Profile`, :class:`~nqpf.profiles.priorities.Priorities`),
and the English and Chinese templates print only those facts, formatted by :func:`fmt`.
A sentence is left out when its table is empty; a rank interval that was not computed (no
robustness analysis in the run) is said to be missing, with how to get it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from nqpf.profiles.intervals import NOT_COMPUTED
from nqpf.profiles.priorities import Priorities
from nqpf.profiles.profile import Profile


def fmt(value: Any, kind: str = "int") -> str:
    """How a fact prints: ``int`` (rank, count, year), ``score`` (3 decimals), ``pct`` (0 decimals),
    ``signed`` (+0.012), ``signed_int`` (+3)."""
    v = float(value)
    if kind == "int":
        return f"{v:.0f}"
    if kind == "score":
        return f"{v:.3f}"
    if kind == "pct":
        return f"{v:.0f}"
    if kind == "signed":
        return f"{v:+.3f}"
    if kind == "signed_int":
        return f"{v:+.0f}"
    raise ValueError(f"unknown format {kind!r}")


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 21st ..."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


@dataclass
class Sentence:
    """One sentence in both languages and the facts (name -> (value, format)) it prints."""

    key: str
    en: str
    zh: str
    facts: dict[str, tuple[Any, str]] = field(default_factory=dict)


@dataclass
class Narrative:
    """The sentences of one province's summary; ``en`` and ``zh`` join them."""

    region_code: str
    sentences: list[Sentence]

    @property
    def en(self) -> str:
        return " ".join(s.en for s in self.sentences)

    @property
    def zh(self) -> str:
        return "".join(s.zh for s in self.sentences)

    def to_frame(self) -> pd.DataFrame:
        """``region_code, key, en, zh``."""
        return pd.DataFrame([{"region_code": self.region_code, "key": s.key, "en": s.en, "zh": s.zh}
                             for s in self.sentences])


def _names(rows: pd.DataFrame, lang: str) -> list[tuple[str, float]]:
    return [(str(r[f"name_{lang}"]), float(r["rank"])) for r in rows.to_dict("records")]


def narrate(p: Profile, pri: Priorities | None = None, *, n_actions: int = 2) -> Narrative:
    """The bilingual summary of profile ``p`` (and the first ``n_actions`` action areas of ``pri``)."""
    out: list[Sentence] = []
    row = p.index_row
    index_en, index_zh = str(row["name_en"]), str(row["name_zh"])
    rank, score = int(row["rank"]), float(row["score"])
    f: dict[str, tuple[Any, str]] = {"rank": (rank, "int"), "n": (p.n_regions, "int"), "year": (p.year, "int"),
                                     "score": (score, "score")}
    u = p.rank_interval
    u_en = u_zh = ""
    if u is not None:
        f.update({"median": (float(u["rank_median"]), "int"), "p05": (float(u["rank_p05"]), "int"),
                  "p95": (float(u["rank_p95"]), "int")})
        u_en = (f" (median {fmt(u['rank_median'])}, 90% interval {fmt(u['rank_p05'])}-{fmt(u['rank_p95'])})")
        u_zh = f"（中位数第{fmt(u['rank_median'])}位，90%区间第{fmt(u['rank_p05'])}-{fmt(u['rank_p95'])}位）"
    out.append(Sentence(
        "rank",
        f"{p.region_en} ranks {ordinal(rank)} of {p.n_regions}{u_en} on the {index_en} in {p.year}, "
        f"with a score of {fmt(score, 'score')}.",
        f"{p.year}年，{p.region_zh}在{index_zh}中排名第{rank}位（共{p.n_regions}个）{u_zh}，得分{fmt(score, 'score')}。",
        f))
    if u is None:
        out.append(Sentence("interval", NOT_COMPUTED[0], NOT_COMPUTED[1], {}))
    g = p.group
    out.append(Sentence(
        "group",
        f"Its score is {fmt(g['ratio_pct'], 'pct')}% of the provincial mean: a {str(g['group_en']).lower()}.",
        f"得分为各省均值的{fmt(g['ratio_pct'], 'pct')}%，属于{g['group_zh']}。",
        {"ratio_pct": (float(g["ratio_pct"]), "pct")}))
    if len(p.dimensions) >= 2:
        best, worst = p.dimensions.iloc[0], p.dimensions.iloc[-1]
        out.append(Sentence(
            "dimensions",
            f"Its strongest dimension is {best['name_en']} (rank {fmt(best['rank'])}); its weakest dimension is "
            f"{worst['name_en']} (rank {fmt(worst['rank'])}).",
            f"最强维度为{best['name_zh']}（第{fmt(best['rank'])}位），最弱维度为{worst['name_zh']}（第{fmt(worst['rank'])}位）。",
            {"best_rank": (float(best["rank"]), "int"), "worst_rank": (float(worst["rank"]), "int")}))
    for key, table, en_label, zh_label in (("strengths", p.strengths, "Strengths", "优势指标"),
                                           ("weaknesses", p.weaknesses, "Weaknesses", "劣势指标")):
        if table.empty:
            continue
        en_items = "; ".join(f"{n} (rank {fmt(r)})" for n, r in _names(table, "en"))
        zh_items = "；".join(f"{n}（第{fmt(r)}位）" for n, r in _names(table, "zh"))
        facts = {f"{key}_{i}": (float(r), "int") for i, (_, r) in enumerate(_names(table, "en"))}
        out.append(Sentence(key, f"{en_label}: {en_items}.", f"{zh_label}：{zh_items}。", facts))
    gr = p.growth[p.growth["node"] == p.root]
    if len(gr) and p.years[0] < p.year:
        r = gr.iloc[0]
        if np.isfinite(r["change"]) and np.isfinite(r["rank_change"]):
            out.append(Sentence(
                "growth",
                f"Since {fmt(r['year_first'])} its score changed by {fmt(r['change'], 'signed')} and its rank moved "
                f"from {fmt(r['rank_first'])} to {fmt(r['rank_last'])} ({fmt(r['rank_change'], 'signed_int')} places).",
                f"自{fmt(r['year_first'])}年以来，得分变化{fmt(r['change'], 'signed')}，排名由第{fmt(r['rank_first'])}位"
                f"变为第{fmt(r['rank_last'])}位（{fmt(r['rank_change'], 'signed_int')}位）。",
                {"year_first": (int(r["year_first"]), "int"), "change": (float(r["change"]), "signed"),
                 "rank_first": (float(r["rank_first"]), "int"), "rank_last": (float(r["rank_last"]), "int"),
                 "rank_change": (float(r["rank_change"]), "signed_int")}))
    if len(p.position):
        pos = p.position.iloc[0]
        out.append(Sentence(
            "region",
            f"Within the {pos['group_en']} region it ranks {fmt(pos['rank_in_group'])} of {fmt(pos['group_size'])}.",
            f"在{pos['group_zh']}地区的{fmt(pos['group_size'])}个省份中排名第{fmt(pos['rank_in_group'])}位。",
            {"rank_in_group": (int(pos["rank_in_group"]), "int"), "group_size": (int(pos["group_size"]), "int")}))
    if pri is not None and len(pri.actions):
        for i, a in enumerate(pri.actions.head(n_actions).to_dict("records"), start=1):
            out.append(Sentence(f"action_{i}", f"Action area {i}: {a['text_en']}", f"行动方向{i}：{a['text_zh']}",
                                {"action": (i, "int")}))
    return Narrative(p.region_code, out)

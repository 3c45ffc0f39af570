"""The two-page briefing for journalists and China watchers, every sentence from templates.

:func:`make_briefing` reads the primary index of a run (latest year and the one before) and
returns a :class:`Briefing`: the key map, the top and bottom provinces with their rank
intervals, what changed since the previous year and three findings stated with their numbers.
Each sentence is a template of :mod:`~nqpf.report.publication.text` filled with numbers that
went through :class:`~nqpf.report.publication.facts.Facts` (table, rows, column), so a test can
recompute every number from the run's tables. :func:`briefing_html` renders it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from nqpf.report.publication import derive, figures
from nqpf.report.publication.context import FrameworkRun, ReportContext
from nqpf.report.publication.facts import Facts
from nqpf.report.publication.layout import esc, figure_html, page
from nqpf.report.publication.text import t

__all__ = ["Briefing", "Sentence", "briefing_html", "make_briefing"]

N_SHOWN = 5
"""Provinces shown at the top and at the bottom of the ranking."""


@dataclass
class Sentence:
    """One sentence: its template, the values filled in (``numbers`` name the facts used)."""

    key: str
    text: str
    fields: dict[str, str]
    numbers: dict[str, str]


@dataclass
class Briefing:
    """The briefing's content: sentences by part, facts, the top/bottom tables and the map."""

    lang: str
    framework: str
    year: int
    prev_year: int | None
    facts: Facts
    intro: list[Sentence] = field(default_factory=list)
    top: list[Sentence] = field(default_factory=list)
    bottom: list[Sentence] = field(default_factory=list)
    changes: list[Sentence] = field(default_factory=list)
    findings: list[Sentence] = field(default_factory=list)
    map_figure: Figure | None = None

    @property
    def sentences(self) -> list[Sentence]:
        return [*self.intro, *self.top, *self.bottom, *self.changes, *self.findings]


class _Maker:
    def __init__(self, ctx: ReportContext, fw: FrameworkRun, lang: str) -> None:
        self.ctx, self.fw, self.lang = ctx, fw, lang
        self.facts = Facts()
        self.scores_table = os.path.relpath(fw.folder / "scores.csv", ctx.run_dir).replace(os.sep, "/")
        self.ru_table = os.path.relpath(fw.folder / "robustness" / "rank_uncertainty.csv", ctx.run_dir).replace(os.sep, "/")

    def sentence(self, key: str, numbers: dict[str, tuple[str, str]], **words: str) -> Sentence:
        """``numbers``: field -> (fact key, text); ``words``: names filled in as they are."""
        fields = {**words, **{k: v[1] for k, v in numbers.items()}}
        return Sentence(key, t(key, self.lang, **fields), fields, {k: v[0] for k, v in numbers.items()})

    def cell(self, key: str, code: str, year: int, column: str = "score", node: str | None = None) -> tuple[str, str]:
        fw = self.fw
        v = fw.value(node or fw.root, code, year, column)
        return key, self.facts.add(key, v, table=self.scores_table, column=column,
                                   where={"node": node or fw.root, "region_code": code, "year": year},
                                   digits=3 if column == "score" else None)

    def year(self, key: str, y: int) -> tuple[str, str]:
        return key, self.facts.add(key, y, table=self.scores_table, column="year", agg="year", digits=None)

    def mean(self, key: str, year: int, codes: list[str] | None = None) -> tuple[str, str]:
        s = self.fw.node_scores()
        s = s[s["year"] == year]
        where: dict[str, Any] = {"node": self.fw.root, "year": year}
        if codes is not None:
            s = s[s["region_code"].isin(codes)]
            where["region_code"] = list(codes)
        return key, self.facts.add(key, float(s["score"].mean()), table=self.scores_table, column="score",
                                   where=where, agg="mean")

    def derived(self, key: str, agg: str, a: str, b: str, digits: int | None, suffix: str = "") -> tuple[str, str]:
        va, vb = self.facts[a].value, self.facts[b].value
        v = {"diff": va - vb, "ratio": va / vb, "pct": 100 * (vb / va - 1)}[agg]
        return key, self.facts.add(key, abs(v) if agg in ("diff", "pct") else v, agg=agg, args=(a, b),
                                   digits=digits, suffix=suffix)

    def make(self) -> Briefing:
        fw, lang = self.fw, self.lang
        rk = derive.ranking(fw)
        y1, prev = int(rk.attrs["year"]), rk.attrs["prev_year"]
        y0 = fw.years[0]
        b = Briefing(lang=lang, framework=fw.id, year=y1, prev_year=prev, facts=self.facts)
        n = len(rk)
        b.intro.append(self.sentence("brief_intro", {
            "n": ("intro.n", self.facts.add("intro.n", n, table=self.scores_table, column="region_code",
                                            where={"node": fw.root, "year": y1}, agg="count", digits=None)),
            "y0": self.year("intro.y0", y0), "y1": self.year("intro.y1", y1)},
            name=fw.name_zh if lang == "zh" else fw.name_en))
        has_iv = "rank_p05" in rk.columns and rk["rank_p05"].notna().any()

        def place(row: pd.Series, part: str) -> Sentence:
            code = str(row["region_code"])
            key = f"{part}.{code}"
            nums = {"r": self.cell(f"{key}.rank", code, y1, "rank"), "s": self.cell(f"{key}.score", code, y1)}
            if has_iv:
                w = {"node": fw.root, "region_code": code, "year": y1}
                nums["a"] = (f"{key}.p05", self.facts.add(f"{key}.p05", row["rank_p05"], table=self.ru_table,
                                                          column="rank_p05", where=w, digits=None))
                nums["b"] = (f"{key}.p95", self.facts.add(f"{key}.p95", row["rank_p95"], table=self.ru_table,
                                                          column="rank_p95", where=w, digits=None))
                return self.sentence("brief_top_iv", nums, p=derive.region_label(row, lang))
            return self.sentence("brief_top", nums, p=derive.region_label(row, lang))

        b.top = [place(r, "top") for _, r in rk.head(N_SHOWN).iterrows()]
        b.bottom = [place(r, "bottom") for _, r in rk.tail(N_SHOWN).iterrows()]
        if prev is not None:
            v0, v1 = self.mean("change.mean_prev", prev), self.mean("change.mean_last", y1)
            d = self.derived("change.mean_diff", "diff", v1[0], v0[0], 3)
            sign = "+" if self.facts[v1[0]].value >= self.facts[v0[0]].value else "-"
            b.changes.append(self.sentence("brief_national_change", {
                "prev": self.year("change.prev", prev), "y1": self.year("change.y1", y1), "v0": v0, "v1": v1,
                "d": (d[0], sign + d[1])}))
            moved = rk.dropna(subset=["change"])
            risers = moved[moved["change"] > 0].sort_values(["change", "rank"], ascending=[False, True]).head(3)
            fallers = moved[moved["change"] < 0].sort_values(["change", "rank"]).head(3)
            for part, tab, tkey in (("rise", risers, "brief_riser"), ("fall", fallers, "brief_faller")):
                for _, r in tab.iterrows():
                    code = str(r["region_code"])
                    key = f"{part}.{code}"
                    now = self.cell(f"{key}.rank", code, y1, "rank")
                    before = self.cell(f"{key}.prev_rank", code, prev, "rank")
                    k = self.derived(f"{key}.places", "diff", before[0], now[0], None)
                    b.changes.append(self.sentence(tkey, {"k": k, "r": now}, p=derive.region_label(r, lang)))
            if risers.empty and fallers.empty:
                b.changes.append(self.sentence("brief_no_moves", {}))
        # three findings
        top, last = rk.iloc[0], rk.iloc[-1]
        s1 = self.cell("gap.top", str(top["region_code"]), y1)
        sn = self.cell("gap.last", str(last["region_code"]), y1)
        b.findings.append(self.sentence("finding_gap", {"s1": s1, "sn": sn, "ratio": self.derived(
            "gap.ratio", "ratio", s1[0], sn[0], 1)}, p1=derive.region_label(top, lang), pn=derive.region_label(last, lang)))
        groups = fw.result.registry.groups("nbs4")
        if {"east", "west", "central"} <= set(groups):
            b.findings.append(self.sentence("finding_groups", {
                "y1": self.year("groups.y1", y1),
                "ve": self.mean("groups.east", y1, list(groups["east"].codes)),
                "vw": self.mean("groups.west", y1, list(groups["west"].codes)),
                "vc": self.mean("groups.central", y1, list(groups["central"].codes))}))
        if has_iv:
            ru = fw.tables["rank_uncertainty"]
            sel = ru[(ru["year"] == y1) & (ru["node"] == fw.root)]
            width = sel["rank_p95"] - sel["rank_p05"]
            n_robust = int((width <= 3).sum())
            wide = sel.iloc[int(width.to_numpy().argmax())]
            code = str(wide["region_code"])
            w = {"node": fw.root, "year": y1}
            nums = {
                "k": ("robust.k", self.facts.add("robust.k", n_robust, table=self.ru_table, column="rank_p95", where=w,
                                                 agg="robust_count", digits=None)),
                "n": ("robust.n", self.facts.add("robust.n", len(sel), table=self.ru_table, column="rank_p95",
                                                 where=w, agg="count", digits=None)),
                "a": ("robust.wide.p05", self.facts.add("robust.wide.p05", wide["rank_p05"], table=self.ru_table,
                                                        column="rank_p05", where={**w, "region_code": code}, digits=None)),
                "b": ("robust.wide.p95", self.facts.add("robust.wide.p95", wide["rank_p95"], table=self.ru_table,
                                                        column="rank_p95", where={**w, "region_code": code}, digits=None)),
            }
            row = rk[rk["region_code"] == code].iloc[0]
            b.findings.append(self.sentence("finding_robust", nums, p=derive.region_label(row, lang)))
        else:
            v0, v1 = self.mean("growth.first", y0), self.mean("growth.last", y1)
            pct = self.derived("growth.pct", "pct", v0[0], v1[0], 1, suffix="%")
            gains = {c: fw.value(fw.root, c, y1) - fw.value(fw.root, c, y0) for c in rk["region_code"]}
            best = max(gains, key=lambda c: gains[c])
            a, bb = self.cell("growth.best_last", best, y1), self.cell("growth.best_first", best, y0)
            row = rk[rk["region_code"] == best].iloc[0]
            key = "finding_growth" if self.facts[v1[0]].value >= self.facts[v0[0]].value else "finding_growth_fell"
            b.findings.append(self.sentence(key, {"pct": pct, "y0": self.year("growth.y0", y0),
                                                  "y1": self.year("growth.y1", y1), "v0": v0, "v1": v1,
                                                  "d": self.derived("growth.best_gain", "diff", a[0], bb[0], 3)},
                                            p=derive.region_label(row, lang)))
        b.map_figure = figures.map_figure(rk.set_index("region_code")["score"],
                                          title=f"{fw.name_zh if lang == 'zh' else fw.name_en} · {y1}",
                                          colorbar_label=t("score_label", lang), no_data_label=t("no_data", lang))
        return b


def make_briefing(ctx: ReportContext, lang: str = "en", framework: str | None = None) -> Briefing:
    """The briefing of a run's primary index (or ``framework``) in ``lang``."""
    return _Maker(ctx, ctx.framework(framework), lang).make()


_BRIEF_CSS = """
@page { size: A4; margin: 12mm 13mm; }
html { font-size: 9pt; }
.cols { display: flex; gap: 8mm; }
.cols > div { flex: 1; }
.brief h2 { margin-top: 8pt; }
"""


def briefing_html(b: Briefing) -> str:
    """The briefing as one offline HTML page (two printed pages)."""
    lang = b.lang

    def para(ss: list[Sentence]) -> str:
        return "".join(f"<p>{esc(s.text)}</p>" for s in ss)

    def lst(ss: list[Sentence]) -> str:
        return "<ol>" + "".join(f"<li>{esc(s.text)}</li>" for s in ss) + "</ol>"

    mp = figure_html(figures.svg_bytes(b.map_figure), alt=t("map", lang)) if b.map_figure is not None else ""
    prev = b.prev_year if b.prev_year is not None else ""
    body = (f"<div class='brief'><h1>{esc(t('briefing_title', lang))} · {b.year}</h1>{para(b.intro)}{mp}"
            f"<div class='cols'><div><h2>{esc(t('top', lang))}</h2>{para(b.top)}</div>"
            f"<div><h2>{esc(t('bottom', lang))}</h2>{para(b.bottom)}</div></div>"
            f"<h2 style='break-before: page'>{esc(t('changed', lang, prev=prev))}</h2>{para(b.changes)}"
            f"<h2>{esc(t('findings', lang))}</h2>{lst(b.findings)}"
            f"<p class='note'>{esc(t('generated', lang, version=_version(), run=b.framework))}</p></div>")
    return page(t("briefing_title", lang), body, lang).replace("</style>", _BRIEF_CSS + "</style>")


def _version() -> str:
    from nqpf import __version__

    return __version__




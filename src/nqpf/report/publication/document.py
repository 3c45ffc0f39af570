"""The publication report: one offline HTML document (and, printed by WeasyPrint, its PDF).

:func:`build_report` turns a :class:`~nqpf.report.publication.context.ReportContext` into a
:class:`ReportDocument`: the HTML (static SVG figures embedded as ``data:`` URIs, so it loads
no external resource and prints as it shows), the figures (to save as SVG/PNG) and the
:class:`~nqpf.report.publication.facts.Facts` behind its sentences. Sections: method summary
(framework tree, weights, normalisation, robustness settings), ranking with rank-uncertainty
bars, map, national and regional trends, robustness, disparity, convergence, spatial,
productivity, linkage, the other indices, province profiles, investor matrix, data sources and
coverage, imputed cells, and what was not in the run. Sections whose tables are absent say so.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from nqpf.report.publication import derive, figures
from nqpf.report.publication.context import FrameworkRun, ReportContext
from nqpf.report.publication.facts import Facts
from nqpf.report.publication.layout import bars_html, esc, figure_html, page, table_html
from nqpf.report.publication.tables import JOB_TABLES, OPTIONAL_SECTIONS, TableRef
from nqpf.report.publication.text import t

__all__ = ["ReportDocument", "build_report"]

ROWS_SHOWN = 40
"""Rows of an analysis table shown in the report (the full table stays in the run folder)."""


@dataclass
class ReportDocument:
    """The report's HTML, its figures by file name, and the facts its sentences use."""

    html: str
    lang: str
    facts: Facts
    figures: dict[str, Figure] = field(default_factory=dict)
    sections: list[str] = field(default_factory=list)


def _rel(ctx: ReportContext, fw: FrameworkRun, name: str) -> str:
    return os.path.relpath(fw.folder / name, ctx.run_dir).replace(os.sep, "/")


def _name(fw: FrameworkRun, lang: str) -> str:
    return fw.name_zh if lang == "zh" else fw.name_en


def _labels(fw: FrameworkRun, lang: str) -> dict[str, str]:
    tree = fw.result.tree()
    col = "name_zh" if lang == "zh" else "name_en"
    return {str(n): str(v) if isinstance(v, str) and v else str(n) for n, v in zip(tree["node"], tree[col], strict=True)}


class _Builder:
    def __init__(self, ctx: ReportContext, lang: str, progress: Callable[[str], None] | None) -> None:
        self.ctx, self.lang, self.progress = ctx, lang, progress
        self.facts = Facts()
        self.figs: dict[str, Figure] = {}
        self.sections: list[tuple[str, str, str]] = []

    # -- helpers ---------------------------------------------------------------------------
    def tt(self, key: str, **kw: Any) -> str:
        return t(key, self.lang, **kw)

    def fig(self, name: str, fig: Figure, caption: str, cls: str = "") -> str:
        self.figs[name] = fig
        return figure_html(figures.svg_bytes(fig), alt=caption, caption=caption, cls=cls)

    def say(self, msg: str) -> None:
        if self.progress:
            self.progress(msg)

    def score_fact(self, fw: FrameworkRun, key: str, code: str, year: int, column: str = "score",
                   node: str | None = None) -> str:
        value = fw.value(node or fw.root, code, year, column)
        return self.facts.add(key, value, table=_rel(self.ctx, fw, "scores.csv"), column=column,
                              where={"node": node or fw.root, "region_code": code, "year": year},
                              digits=3 if column == "score" else None)

    def year_fact(self, fw: FrameworkRun, key: str, year: int) -> str:
        return self.facts.add(key, year, table=_rel(self.ctx, fw, "scores.csv"), column="year", agg="year",
                              digits=None)

    def mean_fact(self, fw: FrameworkRun, key: str, year: int, codes: list[str] | None = None) -> str:
        s = fw.node_scores()
        s = s[s["year"] == year]
        where: dict[str, Any] = {"node": fw.root, "year": year}
        if codes is not None:
            s = s[s["region_code"].isin(codes)]
            where["region_code"] = list(codes)
        return self.facts.add(key, float(s["score"].mean()), table=_rel(self.ctx, fw, "scores.csv"),
                              column="score", where=where, agg="mean")

    def absent_note(self, section: str, refs: tuple[TableRef, ...]) -> str:
        files = ", ".join(r.path for r in refs)
        return f"<p class='note'>{esc(self.tt('absent_section', what=self.tt(section), files=files))}</p>"

    def optional_tables(self, tables: dict[str, pd.DataFrame], refs: tuple[TableRef, ...], where: str) -> str:
        parts = []
        for ref in refs:
            df = tables.get(ref.key)
            if df is None:
                continue
            title = ref.title_zh if self.lang == "zh" else ref.title_en
            more = (f"<p class='note'>{esc(self.tt('rows_more', n=ROWS_SHOWN, m=len(df), path=f'{where}/{ref.path}'))}"
                    "</p>" if len(df) > ROWS_SHOWN else "")
            parts.append(f"<h3>{esc(title)}</h3>" + table_html(df.head(ROWS_SHOWN), cls="small") + more)
        return "".join(parts)

    # -- sections --------------------------------------------------------------------------
    def method(self, fw: FrameworkRun) -> str:
        spec = fw.meta.get("spec") or fw.result.spec
        tree = fw.result.tree()
        n_ind = int((tree["kind"] == "indicator").sum())
        n_dim = len(fw.result.framework.root.children)
        n_reg = int(fw.node_scores()["region_code"].nunique())
        years = fw.years

        def m(step: str) -> str:
            d = spec.get(step) or {}
            extra = ", ".join(f"{k} {v}" for k, v in d.items() if k != "method" and not isinstance(v, dict))
            return f"{d.get('method', '-')}" + (f" ({extra})" if extra else "")

        weighting = m("weighting") + (f" / {m('weighting_upper')}" if spec.get("weighting_upper") else "")
        parts = [f"<p>{esc(self.tt('method_spec', n_ind=n_ind, n_dim=n_dim, n_reg=n_reg, y0=years[0], y1=years[-1], norm=m('normalisation'), weighting=weighting, aggregation=m('aggregation'), imputation=m('imputation'), treat=m('treatment')))}</p>",
                 f"<p class='note'>{esc(self.tt('method_hash', fw=fw.id, ver=fw.meta.get('framework_version', ''), spec_hash=fw.meta.get('spec_hash', ''), data_hash=str(fw.meta.get('data_hash', ''))[:16]))}</p>"]
        rm = fw.robustness_meta
        if rm:
            parts.append(f"<p>{esc(self.tt('rob_settings', draws=rm.get('draws'), seed=rm.get('seed'), factors='; '.join(map(str, rm.get('factors', [])))))}</p>")
        else:
            parts.append(f"<p class='note'>{esc(self.tt('rob_none'))}</p>")
        labels = _labels(fw, self.lang)
        w = fw.tables.get("weights")
        tab = tree[["node", "parent", "kind"]].copy()
        tab.insert(1, "name", tab["node"].map(labels))
        if w is not None:
            tab = tab.merge(w[["node", "weight", "method", "effective_weight"]], on="node", how="left")
        tab["parent"] = tab["parent"].fillna("")
        tab["name"] = [("  " * int(lv)) + str(nm) for lv, nm in zip(tree["level"], tab["name"], strict=True)]
        heads = [self.tt("node"), self.tt("name"), self.tt("parent"), "kind", self.tt("weight"), "method",
                 self.tt("eff_weight")]
        parts.append(f"<h3>{esc(self.tt('framework_tree'))} · {esc(self.tt('weights'))}</h3>"
                     + table_html(tab[["node", "name", "parent", "kind", "weight", "method", "effective_weight"]]
                                  if w is not None else tab, heads if w is not None else None, cls="small",
                                  table_id="weights"))
        return "".join(parts)

    def ranking_section(self, fw: FrameworkRun, prefix: str, full: bool = True) -> tuple[str, pd.DataFrame]:
        rk = derive.ranking(fw)
        y1, prev = rk.attrs["year"], rk.attrs["prev_year"]
        lab = [derive.region_label(r, self.lang) for _, r in rk.iterrows()]
        first, second, last = rk.iloc[0], rk.iloc[1], rk.iloc[-1]
        sent = self.tt("ranking_lead", y1=self.year_fact(fw, f"{prefix}.year", y1),
                       p1=derive.region_label(first, self.lang),
                       s1=self.score_fact(fw, f"{prefix}.first.score", first["region_code"], y1),
                       p2=derive.region_label(second, self.lang),
                       s2=self.score_fact(fw, f"{prefix}.second.score", second["region_code"], y1),
                       pn=derive.region_label(last, self.lang),
                       sn=self.score_fact(fw, f"{prefix}.last.score", last["region_code"], y1))
        parts = [f"<p>{esc(sent)}</p>"]
        has_iv = "rank_p05" in rk.columns and rk["rank_p05"].notna().any()
        if has_iv:
            ru = fw.tables["rank_uncertainty"]
            sel = ru[(ru["year"] == y1) & (ru["node"] == fw.root)]
            k = int(((sel["rank_p95"] - sel["rank_p05"]) <= 3).sum())
            kt = self.facts.add(f"{prefix}.robust_count", k, table=_rel(self.ctx, fw, "robustness/rank_uncertainty.csv"),
                                column="rank_p95", where={"node": fw.root, "year": y1}, agg="robust_count", digits=None)
            nt = self.facts.add(f"{prefix}.robust_n", len(sel), table=_rel(self.ctx, fw, "robustness/rank_uncertainty.csv"),
                                column="rank_p95", where={"node": fw.root, "year": y1}, agg="count", digits=None)
            parts.append(f"<p>{esc(self.tt('robust_count', k=kt, n=nt))}</p>")
        if not full:
            return "".join(parts), rk
        fig = figures.rank_figure(
            pd.DataFrame({"label": lab, "rank": rk["rank"], **({"rank_p05": rk["rank_p05"], "rank_p95": rk["rank_p95"]}
                                                                 if has_iv else {})}),
            title=f"{_name(fw, self.lang)} · {y1}", xlabel=self.tt("rank"),
            interval_label=self.tt("interval") if has_iv else None)
        parts.append(self.fig(f"{fw.id}-ranking", fig, f"{self.tt('ranking')} · {y1}"))
        tab = pd.DataFrame({self.tt("rank"): rk["rank"].astype(int), self.tt("province"): lab,
                            self.tt("score"): rk["score"].astype(float)})
        if has_iv:
            tab[self.tt("interval")] = [f"{int(a)}-{int(b)}" for a, b in zip(rk["rank_p05"], rk["rank_p95"], strict=True)]
        if prev is not None:
            tab[self.tt("change_prev", prev=prev)] = [("+" if c > 0 else "") + str(int(c)) if pd.notna(c) else ""
                                                      for c in rk["change"]]
        groups = fw.result.registry
        tab[self.tt("region_group")] = [
            (g.name_zh if self.lang == "zh" else g.name_en) if (g := groups.group_of(c, "nbs4")) else ""
            for c in rk["region_code"]]
        parts.append(table_html(tab, cls="", table_id=f"ranking-{fw.id}"))
        return "".join(parts), rk

    def map_section(self, fw: FrameworkRun, rk: pd.DataFrame, cls: str = "") -> str:
        y1 = rk.attrs["year"]
        fig = figures.map_figure(rk.set_index("region_code")["score"], title=f"{_name(fw, self.lang)} · {y1}",
                                 colorbar_label=self.tt("score_label"), no_data_label=self.tt("no_data"))
        return self.fig(f"{fw.id}-map", fig, f"{self.tt('map')} · {y1}", cls=cls)

    def trends(self, fw: FrameworkRun) -> str:
        labels = _labels(fw, self.lang)
        dims = [str(c.id) for c in fw.result.framework.root.children]
        nat = derive.national_means(fw, [fw.root, *dims])
        y0, y1 = int(nat.index[0]), int(nat.index[-1])
        s = self.tt("trend_national", v0=self.mean_fact(fw, "trend.national.first", y0), y0=self.year_fact(fw, "trend.y0", y0),
                    v1=self.mean_fact(fw, "trend.national.last", y1), y1=self.year_fact(fw, "trend.y1", y1))
        grp = derive.group_means(fw)
        groups = fw.result.registry.groups("nbs4")
        glab = {k: (g.name_zh if self.lang == "zh" else g.name_en) for k, g in groups.items()}
        last = grp.loc[y1]
        hi, lo = str(last.idxmax()), str(last.idxmin())
        s2 = self.tt("trend_groups", y1=y1, hi=glab[hi], lo=glab[lo],
                     vhi=self.mean_fact(fw, "trend.group.high", y1, list(groups[hi].codes)),
                     vlo=self.mean_fact(fw, "trend.group.low", y1, list(groups[lo].codes)))
        f1 = figures.trend_figure(nat, labels=labels, title=self.tt("national"), ylabel=self.tt("mean_score"),
                                  xlabel=self.tt("year"))
        f2 = figures.groups_figure(grp, labels=glab, title=f"{labels[fw.root]} · {self.tt('region_group')}",
                                   ylabel=self.tt("mean_score"), xlabel=self.tt("year"), national=nat[fw.root],
                                   national_label=self.tt("national"))
        return (f"<p>{esc(s)}</p><p>{esc(s2)}</p>" + self.fig(f"{fw.id}-trend-national", f1, self.tt("national"))
                + self.fig(f"{fw.id}-trend-regions", f2, self.tt("region_group")))

    def robustness(self, fw: FrameworkRun) -> str:
        if fw.robustness_meta is None and "rank_uncertainty" not in fw.tables:
            return self.absent_note("robustness", OPTIONAL_SECTIONS["robustness"])
        sob = fw.tables.get("sobol")
        out = ""
        if sob is not None:
            out += f"<h3>{esc(OPTIONAL_SECTIONS['robustness'][1].title_zh if self.lang == 'zh' else OPTIONAL_SECTIONS['robustness'][1].title_en)}</h3>"
            out += table_html(sob.head(ROWS_SHOWN), cls="small")
        return out or self.absent_note("robustness", OPTIONAL_SECTIONS["robustness"])

    def analysis(self, fw: FrameworkRun, section: str) -> str:
        refs = OPTIONAL_SECTIONS[section]
        body = self.optional_tables(fw.tables, refs, fw.folder.name)
        return body or self.absent_note(section, refs)

    def job_analysis(self, section: str) -> str:
        refs = JOB_TABLES[section]
        body = self.optional_tables(self.ctx.job_tables, refs, ".")
        return body or self.absent_note(section, refs)

    def profile(self, fw: FrameworkRun, row: pd.Series, n: int, prev: int | None, dims_tab: pd.DataFrame,
                labels: dict[str, str], dims: list[str], inds: pd.DataFrame) -> str:
        code = str(row["region_code"])
        y1 = int(row["year"])
        name = derive.region_label(row, self.lang)
        other = row["region_en"] if self.lang == "zh" else row["region_zh"]
        key = f"profile.{code}"
        interval = ""
        if "rank_p05" in row and pd.notna(row.get("rank_p05")):
            ru = _rel(self.ctx, fw, "robustness/rank_uncertainty.csv")
            w = {"node": fw.root, "region_code": code, "year": y1}
            interval = self.tt("profile_interval",
                               a=self.facts.add(f"{key}.p05", row["rank_p05"], table=ru, column="rank_p05", where=w, digits=None),
                               b=self.facts.add(f"{key}.p95", row["rank_p95"], table=ru, column="rank_p95", where=w, digits=None))
        if prev is None or pd.isna(row["change"]):
            change = ""
        else:
            c = int(row["change"])
            k = self.facts.add(f"{key}.change", abs(c), agg="diff", args=(f"{key}.prev_rank", f"{key}.rank"), digits=None)
            self.score_fact(fw, f"{key}.prev_rank", code, prev, column="rank")
            change = self.tt("profile_up" if c > 0 else "profile_down" if c < 0 else "profile_same", k=k, prev=prev)
        line = self.tt("profile_line", p=name, r=self.score_fact(fw, f"{key}.rank", code, y1, column="rank"), n=n, y1=y1,
                       s=self.score_fact(fw, f"{key}.score", code, y1), interval=interval, change=change)
        d = dims_tab[dims_tab["region_code"] == code].set_index("node").reindex(dims)
        ref = dims_tab.groupby("node")["score"].mean().reindex(dims)
        best, worst = str(d["rank"].idxmin()), str(d["rank"].idxmax())
        line2 = self.tt("profile_best", d=labels[best], r=self.score_fact(fw, f"{key}.best_rank", code, y1, "rank", best),
                        w=labels[worst], rw=self.score_fact(fw, f"{key}.worst_rank", code, y1, "rank", worst))
        tab = pd.DataFrame({self.tt("dimension"): [labels[x] for x in dims], self.tt("score"): d["score"].to_numpy(),
                            self.tt("rank"): d["rank"].astype(int).to_numpy(), self.tt("national"): ref.to_numpy()})
        it = inds[inds["region_code"] == code].sort_values(["rank", "indicator"])
        name_col = "name_zh" if self.lang == "zh" else "name_en"
        itab = pd.DataFrame({self.tt("indicator"): it[name_col], self.tt("value"): [
            (f"{v:,.0f}" if abs(v) >= 1e4 else f"{v:.4g}") + (" *" if imp else "") for v, imp in zip(it["value"], it["imputed"], strict=True)],
            self.tt("unit"): it["unit"], self.tt("rank"): it["rank"]})
        extra = (f"<h3>{esc(self.tt('indicator'))}</h3>" + table_html(itab, cls="small", digits=0)
                 + f"<p class='note'>{esc(self.tt('profile_ind_note'))}</p>")
        for tkey in ("narratives", "strengths", "weaknesses"):
            df = fw.tables.get(tkey)
            if df is not None and "region_code" in df.columns:
                sel = df[df["region_code"] == code]
                if len(sel):
                    extra += table_html(sel.head(12), cls="small")
        return (f"<section class='profile' id='profile-{code}'><h2>{esc(name)} <span class='sub'>{esc(other)}</span></h2>"
                f"<p>{esc(line)}</p><p>{esc(line2)}</p>"
                + bars_html([labels[x] for x in dims], d["score"].tolist(), ref.tolist(), self.tt("this_province"),
                            self.tt("national"))
                + table_html(tab) + extra + "</section>")

    def profiles(self, fw: FrameworkRun, rk: pd.DataFrame) -> str:
        y1, prev = rk.attrs["year"], rk.attrs["prev_year"]
        labels = _labels(fw, self.lang)
        dims = [str(c.id) for c in fw.result.framework.root.children]
        dims_tab = derive.dimension_table(fw, y1)
        inds = derive.indicator_table(fw, y1)
        parts = []
        for i, (_, row) in enumerate(rk.iterrows()):
            if i % 8 == 0:
                self.say(f"profiles {i + 1}-{min(i + 8, len(rk))} of {len(rk)} / 省份画像")
            parts.append(self.profile(fw, row, len(rk), prev, dims_tab, labels, dims, inds))
        missing = [r for r in OPTIONAL_SECTIONS["profiles"] if r.key not in fw.tables]
        note = self.absent_note("profiles", tuple(missing)) if missing else ""
        return note + "".join(parts)

    def sources(self) -> str:
        parts = []
        for fw in self.ctx.frameworks:
            rs = fw.tables.get("real_share")
            if rs is not None and len(rs):
                lo, hi = rs["real_share"].min(), rs["real_share"].max()
                parts.append(f"<h3>{esc(_name(fw, self.lang))}</h3>"
                             f"<p>{esc(self.tt('coverage_line', lo=f'{100 * lo:.1f}%', hi=f'{100 * hi:.1f}%'))}</p>")
                parts.append(table_html(rs.assign(real_share=rs["real_share"].astype(float)),
                                        [self.tt("year"), self.tt("real_share"), self.tt("imputed_cells"),
                                         self.tt("missing_cells")], cls="small"))
        cats = [fw.tables["catalog"] for fw in self.ctx.frameworks if "catalog" in fw.tables]
        if cats:
            col = "name_zh" if self.lang == "zh" else "name_en"
            c = pd.concat(cats).drop_duplicates("variable").sort_values("variable")[["variable", col, "unit", "source"]]
            parts.append(f"<h3>{esc(self.tt('variable'))} · {esc(self.tt('source'))}</h3>"
                         + table_html(c.fillna(""), [self.tt("variable"), self.tt("name"), self.tt("unit"),
                                                     self.tt("source")], cls="small"))
        return "".join(parts)

    def imputed(self) -> str:
        """Every imputed cell, grouped by indicator and method: one line per group (compact to print)."""
        parts = []
        for fw in self.ctx.frameworks:
            imp = fw.tables.get("imputed")
            miss = fw.tables.get("missing")
            if imp is None:
                continue
            names = fw.node_scores().drop_duplicates("region_code").set_index("region_code")
            col = "region_zh" if self.lang == "zh" else "region_en"
            parts.append(f"<h3>{esc(_name(fw, self.lang))}</h3><p>"
                         + esc(self.tt("imputed_count", n=len(imp), m=0 if miss is None else len(miss))) + "</p>")
            rows = []
            for (ind, unit, how), g in imp.fillna({"unit": "", "method": ""}).groupby(
                    ["indicator", "unit", "method"], sort=True):
                cells = "; ".join(
                    f"{names[col].get(c, c)} {int(y)}: {float(v):.4g}"
                    + (f" ({float(a):.0f}-{float(b):.0f})" if pd.notna(a) and pd.notna(b) else "")
                    for c, y, v, a, b in g.sort_values(["region_code", "year"])[
                        ["region_code", "year", "value", "from_year", "to_year"]].itertuples(index=False))
                rows.append(f"<p class='note'><b>{esc(ind)}</b> [{esc(unit)}] · {esc(how)} ({len(g)}): {esc(cells)}</p>")
            parts.append("".join(rows))
        return "".join(parts)

    def absent(self) -> str:
        rows = self.ctx.absent
        if not rows:
            return "<p>-</p>"
        items = "".join(f"<li>{esc(where)}: {esc(self.tt(sec))} — {esc(ref.path)}</li>" for where, sec, ref in rows)
        return f"<ul class='absent'>{items}</ul>"

    # -- the document ----------------------------------------------------------------------
    def build(self) -> ReportDocument:
        from nqpf import __version__

        ctx, lang = self.ctx, self.lang
        fw = ctx.framework()
        self.say(f"method and ranking of {fw.id} / 方法与排名")
        add = self.sections.append
        add(("method", self.tt("method"), self.method(fw)))
        rank_html, rk = self.ranking_section(fw, "ranking")
        add(("ranking", self.tt("ranking"), rank_html))
        self.say("map and trends / 地图与走势")
        add(("map", self.tt("map"), self.map_section(fw, rk)))
        add(("trends", self.tt("trends"), self.trends(fw)))
        add(("robustness", self.tt("robustness"), self.robustness(fw)))
        for sec in ("disparity", "convergence", "spatial"):
            add((sec, self.tt(sec), self.analysis(fw, sec)))
        for sec in ("productivity", "linkage"):
            add((sec, self.tt(sec), self.job_analysis(sec)))
        others = [f for f in ctx.frameworks if f is not fw]
        if others:
            parts = []
            for i, o in enumerate(others):
                self.say(f"other index {o.id} / 其他指数")
                h, ork = self.ranking_section(o, f"other{i}", full=False)
                parts.append(f"<h3>{esc(_name(o, lang))}</h3>{h}{self.map_section(o, ork, cls='half')}")
            add(("others", self.tt("other_indices"), "".join(parts)))
        add(("profiles", self.tt("profiles"), self.profiles(fw, rk)))
        add(("investor", self.tt("investor"), self.analysis(fw, "investor")))
        add(("sources", self.tt("sources"), self.sources()))
        add(("imputed", self.tt("imputed"), self.imputed()))
        add(("absent", self.tt("absent"), self.absent()))
        title = self.tt("report_title")
        toc = "".join(f"<li>{esc(h)}</li>" for _, h, _ in self.sections)
        head = (f"<h1>{esc(title)}</h1><p class='sub'>{esc(_name(fw, lang))} · {fw.years[0]}-{fw.years[-1]}</p>"
                f"<p class='note'>{esc(self.tt('generated', version=__version__, run=ctx.run_dir.name))}</p>"
                f"<h3>{esc(self.tt('contents'))}</h3><ol class='toc'>{toc}</ol>")
        body = head + "".join(f"<section id='{sid}' class='page'><h2>{esc(h)}</h2>{c}</section>"
                              for sid, h, c in self.sections)
        return ReportDocument(html=page(title, body, lang), lang=lang, facts=self.facts, figures=self.figs,
                              sections=[s for s, _, _ in self.sections])


def build_report(ctx: ReportContext, lang: str = "en", progress: Callable[[str], None] | None = None) -> ReportDocument:
    """The report of a run in ``lang`` (``"en"`` or ``"zh"``)."""
    return _Builder(ctx, lang, progress).build()

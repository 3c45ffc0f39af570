"""HTML sections for the run's summary page: ``(id, title_en, title_zh, html)`` tuples, the form
``nqpf.report.html.write_summary(..., extra_sections=...)`` and ``nqpf.runs.write_run`` take.

Plain tables and text built from the profile and investor tables (escaped); figures are Plotly
``div``s without the library (the summary page already carries plotly.js).
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from nqpf.profiles import charts
from nqpf.profiles.investor import SECTORS, InvestorView
from nqpf.profiles.narrative import Narrative
from nqpf.profiles.profile import Profile


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table class='data'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def profiles_section(profiles: Mapping[str, Profile], narratives: Mapping[str, Narrative]) -> tuple[str, str, str, str]:
    """One section: every province's rank, performance group, strongest and weakest dimension,
    first strength and weakness, and its bilingual narrative."""
    ps = sorted(profiles.values(), key=lambda p: float(p.index_row["rank"]))
    rows = []
    for p in ps:
        g = p.group
        dims = p.dimensions
        iv = p.rank_interval
        rows.append([f"{p.index_row['rank']:.0f}",
                     f"{iv['rank_median']:.0f} ({iv['rank_p05']:.0f}-{iv['rank_p95']:.0f})" if iv is not None
                     else "not computed 未计算", f"{p.region_en} {p.region_zh}", f"{p.index_row['score']:.3f}",
                     f"{g['ratio_pct']:.0f}%", f"{g['group_en']} / {g['group_zh']}",
                     f"{dims.iloc[0]['name_en']} (#{dims.iloc[0]['rank']:.0f})" if len(dims) else "",
                     f"{dims.iloc[-1]['name_en']} (#{dims.iloc[-1]['rank']:.0f})" if len(dims) else "",
                     f"{p.strengths.iloc[0]['name_en']} (#{p.strengths.iloc[0]['rank']:.0f})" if len(p.strengths) else "",
                     f"{p.weaknesses.iloc[0]['name_en']} (#{p.weaknesses.iloc[0]['rank']:.0f})" if len(p.weaknesses) else ""])
    table = _table(["rank 排名", "median (90% interval) 中位数（90%区间）", "province 省份", "score 得分", "% of mean 相对均值", "group 类型",
                    "strongest dimension 最强维度", "weakest dimension 最弱维度", "top strength 首要优势",
                    "top weakness 首要劣势"], rows)
    texts = "".join(f"<details><summary>{escape(p.region_en)} {escape(p.region_zh)}</summary>"
                    f"<p>{escape(narratives[p.region_code].en)}</p><p>{escape(narratives[p.region_code].zh)}</p></details>"
                    for p in ps if p.region_code in narratives)
    year = ps[0].year if ps else ""
    return ("profiles", f"Province profiles {year}", f"省份画像 {year}",
            "<p>Performance groups as in the European Innovation Scoreboard (score relative to the provincial "
            "mean); strengths and weaknesses are the indicators with the best and worst ranks; rank intervals "
            "come from the run's robustness analysis (nqpf run --robustness N) and are marked not computed "
            "without it. Tables: profiles/*.csv. "
            "类型按欧洲创新记分牌划分；优势与劣势为排名最高与最低的指标；排名区间来自稳健性分析。</p>" + table + texts)


def investor_section(view: InvestorView, names: Mapping[str, str], top: int = 3) -> tuple[str, str, str, str]:
    """One section: the opportunity heatmap and the ``top`` provinces of each sector with their rank interval."""
    rows = []
    for s in view.matrix.columns:
        t = view.top(s, top)
        en, zh = SECTORS[s][0], SECTORS[s][1]
        rows.append([f"{en} / {zh}", "; ".join(f"{names.get(c, c)} {o:.3f} ({a:.0f}-{b:.0f})" for c, o, a, b in
                                               zip(t["region_code"], t["opportunity"], t["rank_p05"], t["rank_p95"],
                                                   strict=True))])
    fig = charts.opportunity_heatmap(view, dict(names)).to_html(full_html=False, include_plotlyjs=False)
    weights = ", ".join(f"{k} {v:.2f}" for k, v in view.weights.items())
    it = view.items[view.items["component"] == "strength"].drop_duplicates(["sector", "item"])
    src_rows = [[f"{SECTORS[r['sector']][0]} / {SECTORS[r['sector']][1]}", f"{r['name_en']} / {r['name_zh']}",
                 str(r["unit"]), str(r["year"]), str(r["source"])] for r in it.to_dict("records")]
    notes = "".join(f"<li>{escape(n)}</li>" for n in view.notes)
    return ("investor", "Investor view", "投资视角",
            f"<p>Weights / 权重: {escape(weights)}. Rank intervals: 5th-95th percentile over Monte Carlo draws of "
            "weight noise and component exclusion. / 排名区间：权重扰动与成分剔除蒙特卡洛抽样的5%-95%分位。</p>"
            + _table(["sector 产业", f"top {top} (score, 90% rank interval) 前{top}位"], rows) + fig
            + "<p>Sector strength statistics (proxy = no series of the sector in the data) / 产业基础指标：</p>"
            + _table(["sector 产业", "statistic 指标", "unit 单位", "year 年份", "source 来源"], src_rows)
            + (f"<ul>{notes}</ul>" if notes else ""))

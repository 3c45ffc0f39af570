"""The productivity and linkage page of a run (``productivity/summary.html``).

:func:`nqpf.productivity_job.write_productivity_linkage` measures and writes the tables; this
front-end module draws them (it is the ``page`` that ``nqpf run`` hands the job).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from nqpf.report.charts import choropleth_figure
from nqpf.report.sections_page import figure_html, table_html, write_sections_page

if TYPE_CHECKING:
    from nqpf.linkage.analysis import LinkageRun
    from nqpf.productivity.measure import ProductivityRun

__all__ = ["productivity_sections", "write_productivity_page"]

TITLE_EN = "Productivity and the NQPF → high-quality development link"
TITLE_ZH = "生产率与新质生产力—高质量发展联动"


def write_productivity_page(path: Path, prod: ProductivityRun | None, link: LinkageRun | None, notes: list[str],
                            meta: dict[str, str]) -> Path:
    """Write the page at ``path`` (:data:`nqpf.productivity_job.ProductivityPage`) and return it."""
    return write_sections_page(path, TITLE_EN, TITLE_ZH, productivity_sections(prod, link, notes), meta=meta)


def productivity_sections(prod: ProductivityRun | None, link: LinkageRun | None,
                          notes: list[str]) -> list[tuple[str, str, str, str]]:
    """The page's sections ``(id, title_en, title_zh, html)``: TFP map and trend, DEA efficiency,
    national growth accounting, the linkage coefficients, spillovers, threshold, finding, notes."""
    from nqpf.productivity import charts

    def p(text: str) -> str:
        import html

        return f"<p class='sub'>{html.escape(text)}</p>"

    out: list[tuple[str, str, str, str]] = []
    if prod is not None:
        mq = prod.malmquist.index
        y0, y1 = int(mq.index.min()) - 1, int(mq.index.max())
        fig = choropleth_figure(charts.tfp_map_data(prod), title=f"Cumulative Malmquist TFP change {y0}-{y1} / 累计TFP变化",
                                colorbar_title="x (1 = none)<br>倍数")
        out.append(("tfp-map", "Where productivity grew", "全要素生产率变化地图",
                    p(f"Product of the yearly Malmquist indices {y0}-{y1} (CRS, output distance functions; 1 = no "
                      "change); malmquist.csv. / 各年 Malmquist 指数之积。") + figure_html(fig, "nqpf-tfp-map")))
        out.append(("tfp-trend", "TFP growth over time", "全要素生产率增长走势",
                    p("National Solow residual (growth accounting, alpha = 0.5) and the geometric means of the "
                      "Malmquist and Malmquist-Luenberger indices minus 1; tfp_national.csv, malmquist*.csv. / "
                      "索洛余值与 Malmquist 指数。") + figure_html(charts.tfp_trend_figure(prod), "nqpf-tfp-trend")))
        out.append(("efficiency", "DEA efficiency over time", "DEA 效率走势",
                    p("Mean efficiency across provinces per model; efficiency.csv. / 各模型平均效率。")
                    + figure_html(charts.efficiency_trend_figure(prod), "nqpf-efficiency")))
        nat = prod.growth.national.reset_index()
        nat.columns = ["year", *nat.columns[1:]]
        out.append(("tfp-table", "National growth accounting", "全国增长核算",
                    p("Log growth rates a year (0.01 = 1 %); the labour frame-break year (2013) is left out; from 2018 "
                      "the capital stock is extended with FAI growth (capital_flags.csv), so later years rest on "
                      "extended data. / 对数增长率；2018年起资本存量为外推值。")
                    + table_html(nat, ["Year 年份", "TFP growth TFP增长", "GDP growth GDP增长",
                                       "Capital growth 资本增长", "Labour growth 劳动增长"])))
    if link is not None:
        c = link.coefficients()
        out.append(("coefficients", "Does NQPF raise high-quality development?", "新质生产力是否推动高质量发展",
                    p(f"Two-way fixed effects of the HQD index and each channel on the NQPF index with controls, SE "
                      f"clustered by region, 95 % CI (N = {int(c['nobs'].iloc[0])}); fe_coefficients.csv. These are "
                      "associations, not causal effects. / 双向固定效应，地区聚类标准误。")
                    + figure_html(charts.coefficient_figure(c), "nqpf-coefficients")
                    + table_html(c[["name_en", "name_zh", "estimate", "std_error", "p_value", "stars", "nobs"]],
                                 ["Dependent", "被解释变量", "NQPF coef. 系数", "SE 标准误", "p", "", "N"])))
        eff = link.spatial_effects()
        if len(eff):
            first = next(iter(link.spatial.values()))
            out.append(("spatial", "Spillovers to neighbours (spatial Durbin model)", "空间溢出（空间杜宾模型）",
                        p(f"SDM with two-way fixed effects, queen contiguity (Hainan linked to Guangdong), Lee-Yu "
                          f"QML, {first.years[0]}-{first.years[-1]}; direct, indirect and total effects of NQPF "
                          "(LeSage and Pace 2009) with simulated SEs; sdm_effects.csv, sdm_coefficients.csv. / "
                          "直接、间接与总效应。")
                        + figure_html(charts.spatial_effects_figure(eff), "nqpf-spatial")
                        + table_html(eff[["name_en", "effect", "estimate", "std_error", "p_value", "stars", "rho"]],
                                     ["Dependent", "Effect 效应", "Estimate 估计", "SE 标准误", "p", "", "rho ρ"])))
        if link.threshold is not None:
            out.append(("threshold", "Threshold in NQPF (Hansen 1999)", "门槛效应", p(link.threshold.summary)))
        out.append(("finding", "What the regressions find", "结论", p(link.closing_note())))
    if notes:
        import html

        out.append(("notes", "Choices made for you", "自动处理说明",
                    "<ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in notes) + "</ul>"))
    return out

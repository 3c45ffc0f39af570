"""The job-level productivity and linkage output of ``nqpf run``: tables and one summary page.

:func:`write_productivity_linkage` measures productivity on the run's panel and tests the
NQPF → high-quality-development link with the NQPF and HQD indices of the same run, then writes

* ``DIR/productivity/``: ``capital_stock.csv``, ``capital_flags.csv``, ``tfp_growth_accounting.csv``,
  ``tfp_national.csv``, ``efficiency.csv``, ``malmquist.csv``, ``malmquist_luenberger.csv``,
  ``dea_inputs.csv``, ``flags.txt`` and ``summary.html`` (TFP map, TFP and efficiency trends,
  coefficient plot, spatial effects, tables, every choice made);
* ``DIR/linkage/``: ``fe_coefficients.csv``, ``robustness.csv``, ``mediation.csv``, ``threshold.csv``,
  ``sdm_coefficients.csv``, ``sdm_effects.csv``, ``notes.txt``.

Columns and units are documented in ``docs/productivity.md`` (section "Run folder tables").
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from nqpf.errors import NqpfError

if TYPE_CHECKING:
    from nqpf.index.result import IndexResult
    from nqpf.linkage.analysis import LinkageRun
    from nqpf.panel import Panel
    from nqpf.productivity.measure import ProductivityRun

#: the years of the productivity measures in a run: every DEA input is observed for 30 provinces
#: (Tibet lacks energy); from 2020 energy totals are missing for up to 6 provinces a year
PRODUCTIVITY_YEARS = (2011, 2019)


@dataclass
class ProductivityLinkageOutput:
    """What :func:`write_productivity_linkage` wrote: ``paths`` (name → file), ``html``, the
    index-page ``link`` (href, English, Chinese label), ``notes`` and ``seconds``."""

    paths: dict[str, Path] = field(default_factory=dict)
    html: Path | None = None
    link: tuple[str, str, str] | None = None
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    productivity: ProductivityRun | None = None
    linkage: LinkageRun | None = None


BROAD_LABOUR = ("employed_urban_units", "nbs_employed_private_individual")
"""Growth accounting's labour input in a run when the store has both series (NBS raw export to 2019)."""


def pick_indices(results: Sequence[IndexResult]) -> tuple[IndexResult | None, IndexResult | None]:
    """The NQPF index (``nqpf-three-elements`` if built, else the first other non-HQD index) and
    the HQD index (``hqd-four-channels``) among the run's results."""
    hqd = next((r for r in results if r.framework.id.startswith("hqd")), None)
    others = [r for r in results if r is not hqd]
    nq = next((r for r in others if r.framework.id == "nqpf-three-elements"), others[0] if others else None)
    return nq, hqd


def productivity_tables(run: ProductivityRun) -> dict[str, pd.DataFrame]:
    """The productivity tables of a run folder (see ``docs/productivity.md``)."""
    t = run.tables()
    cap = t["capital_stock"].copy()
    cap["extended"] = ~(cap["investment_source"].str.contains("observed")
                        & cap["deflator_source"].str.contains("observed"))
    nat = run.growth.national.reset_index().rename(columns={"index": "year"})
    return {"capital_stock": cap, "capital_flags": t["capital_flags"],
            "tfp_growth_accounting": t["tfp_growth_accounting"], "tfp_national": nat,
            "efficiency": t["efficiency"], "malmquist": t["malmquist"],
            "malmquist_luenberger": t["malmquist_luenberger"], "dea_inputs": t["dea_inputs"]}


def linkage_tables(run: LinkageRun) -> dict[str, pd.DataFrame]:
    """The linkage tables of a run folder (see ``docs/productivity.md``)."""
    from nqpf.linkage.analysis import CHANNEL_NAMES

    fe = []
    for dep, r in run.main.items():
        en, zh = CHANNEL_NAMES.get(dep, (dep, dep))
        tid = r.to_tidy()
        tid.insert(1, "name_en", en)
        tid.insert(2, "name_zh", zh)
        tid["t"] = tid["estimate"] / tid["std_error"]
        tid["ci_low"] = tid["estimate"] - 1.96 * tid["std_error"]
        tid["ci_high"] = tid["estimate"] + 1.96 * tid["std_error"]
        tid["n_regions"] = r.n_entities
        tid["r2_within"] = r.rsquared_within
        fe.append(tid)
    cols = ["dependent", "name_en", "name_zh", "term", "estimate", "std_error", "t", "p_value", "stars",
            "ci_low", "ci_high", "nobs", "n_regions", "r2_within"]
    rob = run.robustness.copy()
    rob["t"] = rob["estimate"] / rob["std_error"]
    rob["ci_low"] = rob["estimate"] - 1.96 * rob["std_error"]
    rob["ci_high"] = rob["estimate"] + 1.96 * rob["std_error"]
    out = {"fe_coefficients": pd.concat(fe, ignore_index=True)[cols], "robustness": rob, "mediation": run.mediation}
    if run.threshold is not None:
        out["threshold"] = run.threshold.to_tidy()
    if run.spatial:
        sdm = []
        for sr in run.spatial.values():
            tid = sr.to_tidy()
            tid["sigma2"], tid["loglik"] = sr.sigma2, sr.loglik
            tid["years"] = f"{sr.years[0]}-{sr.years[-1]}"
            sdm.append(tid)
        out["sdm_coefficients"] = pd.concat(sdm, ignore_index=True)
        out["sdm_effects"] = pd.concat([r.effects_tidy() for r in run.spatial.values()], ignore_index=True)
    return out


def _sections(prod: ProductivityRun | None, link: LinkageRun | None, notes: list[str]) -> list[tuple[str, str, str, str]]:
    from nqpf.productivity import charts
    from nqpf.report.charts import choropleth_figure
    from nqpf.report.sections_page import figure_html, table_html

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


def write_productivity_linkage(results: Sequence[IndexResult], panel: Panel, out: str | Path, *,
                               years: tuple[int, int] = PRODUCTIVITY_YEARS, threshold_boot: int = 100,
                               spatial_sim: int = 1000, html: bool = True,
                               log: Callable[[str], None] | None = None) -> ProductivityLinkageOutput:
    """Productivity measures and the NQPF → HQD linkage of one run, written under ``out``.

    A part that cannot run on this panel or these indices (e.g. a store without the capital
    series, a run without the HQD index, regions without polygons) is skipped and named in
    ``notes``, in ``flags.txt``/``notes.txt`` and on the page; the rest still runs.
    """
    from nqpf.linkage.analysis import run_linkage
    from nqpf.productivity.measure import measure

    t0 = time.perf_counter()
    say = log or (lambda _m: None)
    res = ProductivityLinkageOutput()
    out = Path(out)
    pdir, ldir = out / "productivity", out / "linkage"
    prod = link = None
    try:
        say(f"productivity {years[0]}-{years[1]} / 生产率")
        labour = BROAD_LABOUR if set(BROAD_LABOUR) <= set(panel.variables) else None
        prod = measure(panel, years[0], years[1], capital_share=0.5, labour=labour)
        res.notes.append(
            "growth accounting L = urban-unit + private and self-employed employment (the broad input: urban units "
            "alone understate labour growth and overstate TFP growth, see docs/productivity.md) / 劳动投入含私营与个体就业"
            if labour else
            "growth accounting L = urban-unit employment only (nbs_employed_private_individual not in the store): TFP "
            "growth is an upper bound / 劳动投入仅含城镇单位就业，全要素生产率增长为上限")
    except NqpfError as e:
        res.notes.append(f"productivity not measured: {e} / 未测算生产率")
    nq, hqd = pick_indices(results)
    if nq is None or hqd is None:
        res.notes.append("linkage not estimated: the run needs an NQPF index and the HQD index "
                         "(-f nqpf-three-elements -f hqd-four-channels) / 缺少指数，未做联动检验")
    else:
        weights: Any = None
        try:
            from nqpf.regional.weights import SpatialWeights

            regions = sorted({str(r) for r in nq.regions} & {str(r) for r in hqd.regions})
            weights = SpatialWeights.queen(regions)
        except NqpfError as e:
            res.notes.append(f"spatial Durbin model not estimated: {e}")
        try:
            say(f"linkage {nq.framework.id} -> {hqd.framework.id} / 联动检验")
            link = run_linkage(nq, hqd, panel, threshold_boot=threshold_boot, weights=weights,
                               spatial_sim=spatial_sim, progress=say)
            res.notes.append(f"linkage: NQPF = {nq.framework.id} v{nq.framework.version}, HQD = "
                             f"{hqd.framework.id} v{hqd.framework.version}, same run; threshold bootstrap "
                             f"{threshold_boot} draws")
        except NqpfError as e:
            res.notes.append(f"linkage not estimated: {e} / 未做联动检验")
    if prod is not None:
        pdir.mkdir(parents=True, exist_ok=True)
        for name, tab in productivity_tables(prod).items():
            res.paths[f"productivity/{name}"] = _csv(tab, pdir / f"{name}.csv")
        (pdir / "flags.txt").write_text("\n".join(prod.flags) + "\n", encoding="utf-8")
        res.paths["productivity/flags"] = pdir / "flags.txt"
    if link is not None:
        ldir.mkdir(parents=True, exist_ok=True)
        for name, tab in linkage_tables(link).items():
            if nq is not None and hqd is not None and "dependent" in tab.columns:  # which indices: readers pick by it
                tab = tab.assign(nqpf_framework=nq.framework.id, hqd_framework=hqd.framework.id)
            res.paths[f"linkage/{name}"] = _csv(tab, ldir / f"{name}.csv")
        (ldir / "notes.txt").write_text("\n".join([*link.notes, "", link.closing_note()]) + "\n", encoding="utf-8")
        res.paths["linkage/notes"] = ldir / "notes.txt"
    notes = list(res.notes) + (prod.flags if prod is not None else []) + (link.notes if link is not None else [])
    if html and (prod is not None or link is not None):
        from nqpf.report.sections_page import write_sections_page

        res.html = write_sections_page(
            pdir / "summary.html", "Productivity and the NQPF → high-quality development link",
            "生产率与新质生产力—高质量发展联动", _sections(prod, link, notes),
            meta={"productivity years": f"{years[0]}-{years[1]}",
                  "indices": f"{nq.framework.id if nq else '-'}, {hqd.framework.id if hqd else '-'}"})
        res.paths["productivity/summary"] = res.html
        res.link = ("productivity/summary.html", "Productivity and linkage", "生产率与联动检验")
    res.productivity, res.linkage = prod, link
    res.seconds = time.perf_counter() - t0
    return res


def _csv(tab: pd.DataFrame, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tab.replace([np.inf, -np.inf], np.nan).to_csv(path, index=False, float_format="%.10g")
    return path

"""Plotly figures for the HTML summary: TFP map data and trends, efficiency trends, and the
NQPF coefficient per channel. The map itself is drawn by the report layer
(``nqpf.report.charts.choropleth_figure(tfp_map_data(run))``); this module stays below it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from nqpf.productivity.measure import ProductivityRun

MODEL_NAMES = {"ccr": "CCR (CRS) 规模报酬不变", "bcc": "BCC (VRS) 规模报酬可变",
               "ccr_super": "CCR super-efficiency 超效率", "sbm_green": "Green SBM (CO2) 绿色SBM"}


def tfp_map_data(run: ProductivityRun, measure: str = "malmquist") -> pd.Series:
    """Cumulative productivity change per province over the run (code -> value; 1 = no change):
    the product of the Malmquist (or ``"luenberger"``) index over all pairs of years."""
    res = run.malmquist if measure == "malmquist" else run.luenberger
    return res.index.prod(axis=0, min_count=1).rename("cumulative_tfp_change")


def tfp_trend_figure(run: ProductivityRun) -> go.Figure:
    """National TFP growth (growth accounting) and the geometric-mean Malmquist and ML indices
    minus 1, per year, in %."""
    fig = go.Figure()
    nat = run.growth.national["tfp_growth"]
    fig.add_trace(go.Scatter(x=nat.index, y=100 * nat.to_numpy(), mode="lines+markers",
                             name="Solow residual 索洛余值 (national 全国)"))
    for res, name in ((run.malmquist, "Malmquist 曼奎斯特"), (run.luenberger, "Malmquist-Luenberger ML")):
        gm = np.exp(np.log(res.index).mean(axis=1))
        fig.add_trace(go.Scatter(x=gm.index, y=100 * (gm.to_numpy() - 1), mode="lines+markers",
                                 name=f"{name} (geometric mean 几何平均)"))
    fig.add_hline(y=0, line_color="grey", line_width=1)
    fig.update_layout(title="TFP growth, % a year / 全要素生产率增长率（%）", xaxis_title="year 年份",
                      yaxis_title="% a year 年增长率", height=420, template="plotly_white")
    return fig


def efficiency_trend_figure(run: ProductivityRun) -> go.Figure:
    """Mean DEA efficiency across provinces per year, one line per model."""
    fig = go.Figure()
    mean = run.efficiency.groupby(["model", "year"])["efficiency"].mean()
    for model in MODEL_NAMES:
        if model in mean.index.get_level_values(0):
            s = mean.loc[model]
            fig.add_trace(go.Scatter(x=s.index, y=s.to_numpy(), mode="lines+markers", name=MODEL_NAMES[model]))
    fig.update_layout(title="Mean DEA efficiency / 平均效率", xaxis_title="year 年份",
                      yaxis_title="efficiency 效率", height=420, template="plotly_white")
    return fig


def coefficient_figure(coefficients: pd.DataFrame) -> go.Figure:
    """NQPF coefficient with its 95 % interval, one row per dependent (HQD and each channel);
    ``coefficients`` is :meth:`nqpf.linkage.analysis.LinkageRun.coefficients`."""
    c = coefficients.iloc[::-1]
    labels = [f"{en} {zh}" for en, zh in zip(c["name_en"], c["name_zh"], strict=True)]
    fig = go.Figure(go.Scatter(
        x=c["estimate"], y=labels, mode="markers", marker={"size": 10},
        error_x={"type": "data", "symmetric": False, "array": c["ci_high"] - c["estimate"],
                 "arrayminus": c["estimate"] - c["ci_low"]},
        text=[f"{b:.3f}{s} (SE {se:.3f})" for b, s, se in zip(c["estimate"], c["stars"], c["std_error"], strict=True)],
        hovertemplate="%{y}: %{text}<extra></extra>"))
    fig.add_vline(x=0, line_color="grey", line_width=1)
    fig.update_layout(title="Effect of NQPF by channel (two-way FE, 95% CI) / 新质生产力对各路径的影响",
                      xaxis_title="coefficient 系数", height=380, template="plotly_white",
                      margin={"l": 260})
    return fig


def spatial_effects_figure(effects: pd.DataFrame) -> go.Figure:
    """Direct, indirect (spillover) and total effects of NQPF with 95 % intervals, one row per
    dependent; ``effects`` is :meth:`nqpf.linkage.analysis.LinkageRun.spatial_effects`."""
    fig = go.Figure()
    names = {"direct": "direct 直接效应", "indirect": "indirect (spillover) 间接效应（溢出）", "total": "total 总效应"}
    deps = list(dict.fromkeys(effects["dependent"]))[::-1]
    for kind, colour in (("direct", "#1f77b4"), ("indirect", "#ff7f0e"), ("total", "#2ca02c")):
        e = effects[effects["effect"] == kind].set_index("dependent").reindex(deps)
        labels = [f"{en} {zh}" for en, zh in zip(e["name_en"], e["name_zh"], strict=True)]
        fig.add_trace(go.Scatter(
            x=e["estimate"], y=labels, mode="markers", name=names[kind], marker={"size": 9, "color": colour},
            error_x={"type": "data", "symmetric": False, "array": e["ci_high"] - e["estimate"],
                     "arrayminus": e["estimate"] - e["ci_low"]},
            text=[f"{b:.3f}{s} (SE {se:.3f})" for b, s, se in zip(e["estimate"], e["stars"], e["std_error"], strict=True)],
            hovertemplate="%{y}: %{text}<extra>" + names[kind] + "</extra>"))
    fig.add_vline(x=0, line_color="grey", line_width=1)
    fig.update_layout(title="Spatial Durbin effects of NQPF (95% CI, simulated) / 新质生产力的空间杜宾效应",
                      xaxis_title="effect 效应", height=420, template="plotly_white", margin={"l": 260},
                      scattermode="group")
    return fig

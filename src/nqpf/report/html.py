"""One self-contained, offline, bilingual HTML summary of a composite index run.

:func:`write_summary` writes a single ``.html`` file that loads no external resource:
plotly.js is inlined once (:func:`plotly.offline.get_plotlyjs`), the province map is drawn
from polygons embedded in the page (no tiles, no CDN topojson), fonts are the system's,
and the page has no hyperlinks. Sections: a sortable ranking table of the latest year, a
choropleth of the index, a radar chart of the dimensions per province, the national and
NBS four-region mean trends, weights and coherence flags when given, and a meta block.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from nqpf.errors import ValidationError
from nqpf.report.charts import (
    FONT,
    GEO_ASSETS_STUB,
    choropleth_figure,
    radar_figure,
    trend_groups_figure,
    trend_national_figure,
)
from nqpf.views import SummaryView, ranking_table, summary_view_from_tidy

__all__ = ["ranking_table", "write_summary"]

_CONFIG = {"displaylogo": False, "responsive": True, "showSendToCloud": False, "modeBarButtonsToRemove": ["sendChartToCloud"]}
_META_LABELS = {
    "framework": "Framework 指标体系",
    "framework_id": "Framework 指标体系",
    "methods": "Methods 方法",
    "data_hash": "Data hash 数据哈希",
    "generated": "Generated 生成时间",
    "generated_at": "Generated 生成时间",
    "nqpf_version": "nqpf version 版本",
    "version": "nqpf version 版本",
}

_CSS = """
body{font-family:%(font)s;margin:0 auto;max-width:1180px;padding:0 16px 40px;color:#222;background:#fff}
h1{font-size:1.6em;margin:20px 0 4px} h2{font-size:1.25em;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
.sub{color:#666;margin:0 0 12px} .zh{color:#444}
table{border-collapse:collapse;font-size:0.92em;margin:6px 0}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:left} td.num{text-align:right;font-variant-numeric:tabular-nums}
th{background:#f4f6f8;cursor:pointer;user-select:none} th.nosort{cursor:default}
tr:nth-child(even) td{background:#fafafa}
.up{color:#1a7f37} .down{color:#c62828}
.meta td:first-child{font-weight:600;white-space:nowrap}
.note{color:#666;font-size:0.88em}
"""

_SORT_JS = """
document.querySelectorAll('table.sortable').forEach(function(t){
  t.querySelectorAll('th').forEach(function(th,i){
    th.addEventListener('click',function(){
      var b=t.tBodies[0],rows=Array.from(b.rows),asc=th.dataset.dir!=='asc';
      t.querySelectorAll('th').forEach(function(h){delete h.dataset.dir;});
      th.dataset.dir=asc?'asc':'desc';
      rows.sort(function(x,y){
        var a=x.cells[i].dataset.v!==undefined?x.cells[i].dataset.v:x.cells[i].textContent,
            c=y.cells[i].dataset.v!==undefined?y.cells[i].dataset.v:y.cells[i].textContent,
            p=parseFloat(a),q=parseFloat(c);
        var r=(!isNaN(p)&&!isNaN(q))?p-q:a.localeCompare(c);
        return asc?r:-r;});
      rows.forEach(function(r){b.appendChild(r);});
    });
  });
});
"""


def _e(x: object) -> str:
    return html.escape(str(x), quote=True)


def _ranking_html(tab: pd.DataFrame) -> str:
    first, last = tab.attrs["first_year"], tab.attrs["latest_year"]
    head = (
        "<tr><th>Rank 排名</th><th>Province 省份</th><th>省份</th><th>Score 得分</th>"
        f"<th>Change since {first} 较{first}年变化</th><th>Region 区域</th></tr>"
    )
    body = []
    for r in tab.to_dict("records"):
        ch = r["rank_change"]
        if ch is None or pd.isna(ch):
            ch_html, v = "", ""
        else:
            ch = int(ch)
            cls = "up" if ch > 0 else "down" if ch < 0 else ""
            ch_html, v = (f"<span class='{cls}'>{'+' if ch > 0 else ''}{ch}</span>", str(ch))
        body.append(
            f"<tr><td class='num'>{r['rank']}</td><td>{_e(r['region_en'])}</td><td>{_e(r['region_zh'])}</td>"
            f"<td class='num'>{float(r['score']):.4f}</td><td class='num' data-v='{v}'>{ch_html}</td>"
            f"<td>{_e(r['group_en'])} {_e(r['group_zh'])}</td></tr>"
        )
    return (
        f"<p class='sub'>Year {last}; click a column header to sort. / {last}年；点击表头排序。</p>"
        f"<table class='sortable' id='ranking'><thead>{head}</thead><tbody>{''.join(body)}</tbody></table>"
    )


def _simple_table(df: pd.DataFrame, headers: list[str], *, cls: str = "sortable") -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    rows = []
    for rec in df.itertuples(index=False):
        cells = []
        for v in rec:
            if isinstance(v, float):
                cells.append(f"<td class='num'>{'' if pd.isna(v) else f'{v:.3f}'}</td>")
            elif isinstance(v, int) and not isinstance(v, bool):
                cells.append(f"<td class='num'>{v}</td>")
            else:
                cells.append(f"<td>{_e('' if v is None else v)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table class='{cls}'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _fig_html(fig: go.Figure, div_id: str) -> str:
    return str(fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, config=_CONFIG))


def _meta_html(meta: Mapping[str, Any]) -> str:
    rows = []
    for k, v in meta.items():
        if isinstance(v, list | tuple):
            v = ", ".join(str(x) for x in v)
        elif isinstance(v, dict):
            v = json.dumps(v, ensure_ascii=False, sort_keys=True)
        rows.append(f"<tr><td>{_e(_META_LABELS.get(k, k))}</td><td>{_e(v)}</td></tr>")
    return f"<table class='meta'><tbody>{''.join(rows)}</tbody></table>"


def write_summary(
    path: str | Path,
    scores: pd.DataFrame | SummaryView,
    tree: pd.DataFrame | None = None,
    *,
    weights: pd.DataFrame | None = None,
    coherence: Any | None = None,
    title_en: str = "New Quality Productive Forces: provincial index",
    title_zh: str = "新质生产力省域指数",
    meta: Mapping[str, Any] | None = None,
    framework: str | None = None,
    extra_sections: list[tuple[str, str, str, str]] | None = None,
) -> Path:
    """Write the offline HTML summary and return its path.

    Parameters
    ----------
    scores:
        A :class:`~nqpf.views.SummaryView` (``nqpf.views.summary_view(result)``), or the
        engine's tidy scores ``region_code, year, node, score[, rank, framework, ...]`` with
        ``tree`` (``node, parent, level, kind, name_en, name_zh``: the root is the index, its
        children the dimensions shown in the radar and trend charts).
    weights, coherence, title_en, title_zh, framework:
        With tidy scores: the optional weights table, coherence result, titles and the
        framework to show when the scores hold several.
    meta:
        Shown in the meta block (framework id, methods, data hash, generation time, nqpf
        version, ...); ``generated`` (UTC now) and ``nqpf_version`` are filled if absent.
    extra_sections:
        ``(id, title_en, title_zh, html)`` sections appended before the meta block (analyses).
    """
    if isinstance(scores, SummaryView):
        view = scores
    else:
        if tree is None:
            raise ValidationError("write_summary needs the tree with tidy scores")
        view = summary_view_from_tidy(scores, tree, weights=weights, coherence=coherence, title_en=title_en,
                                      title_zh=title_zh, framework=framework)
    return _render(Path(path), view, meta, extra_sections or [])


def _render(out: Path, view: SummaryView, meta: Mapping[str, Any] | None,
            extra_sections: list[tuple[str, str, str, str]]) -> Path:
    tab, latest, labels, root, dims = view.ranking, view.latest_year, view.labels, view.root, view.dims
    names = view.region_names
    map_fig = choropleth_figure(
        view.map_values,
        title=f"{labels[root]} · {latest}",
        hover={
            str(r["region_code"]): f"{names.get(str(r['region_code']), str(r['region_code']))}<br>rank 排名 {r['rank']}"
            for r in tab.to_dict("records")
        },
    )
    sections = [
        ("ranking", "Ranking", "排名", _ranking_html(tab)),
        ("map", "Map", "地图", _fig_html(map_fig, "nqpf-map")),
    ]
    if dims and len(view.radar):
        order = list(view.radar.index)
        radar = radar_figure(
            view.radar, dim_labels=[labels[d] for d in dims], region_labels={c: names.get(c, c) for c in order},
            default=order[0], reference=view.radar_reference, title=f"Dimension scores 维度得分 · {latest}",
        )
        sections.append(("radar", "Dimensions by province", "分省维度得分", _fig_html(radar, "nqpf-radar")))
    trend = trend_national_figure(view.national, labels=labels)
    gtrend = trend_groups_figure(view.groups, view.national, labels=labels, group_labels=view.group_labels)
    sections.append(("trend", "National mean over time", "全国均值走势",
                     "<p class='sub'>Unweighted mean over provinces. / 各省简单平均。</p>" + _fig_html(trend, "nqpf-trend")))
    sections.append(("regions", "NBS four regions", "四大区域",
                     "<p class='sub'>Unweighted means over the provinces of each NBS region (East, Central, West, "
                     "Northeast); choose the index or a dimension. / 国家统计局四大区域内各省简单平均，可选择指数或维度。</p>"
                     + _fig_html(gtrend, "nqpf-regions")))
    weights = view.weights
    if weights is not None and len(weights):
        cols = ["node", "parent", "weight"] + (["effective_weight"] if "effective_weight" in weights.columns else [])
        wt = weights[cols].copy()
        wt.insert(1, "name", wt["node"].astype(str).map(lambda n: labels.get(n, n)))
        wt["weight"] = wt["weight"].astype(float)
        heads = ["Node 节点", "Name 名称", "Parent 上级", "Weight 权重"]
        if "effective_weight" in cols:
            heads.append("Weight in the index 指数中的权重")
        sections.append(("weights", "Weights", "权重",
                         "<p class='sub'>Each child's weight within its parent, and its effective weight in the "
                         "index (the product of weights down the tree). / 各项在上级中的权重，以及在总指数中的有效权重（逐级权重之积）。</p>"
                         + _simple_table(wt, heads)))
    if view.real_share is not None and len(view.real_share):
        rs = view.real_share.copy()
        sections.append(("coverage", "Real data per year", "各年真实数据占比",
                         "<p class='sub'>Share of indicator cells that are observations, not imputed; imputed and "
                         "still-missing cells are listed in imputed.csv and missing.csv. / 指标单元格中为观测值（非插补）的比例；"
                         "插补和仍缺失的单元格见 imputed.csv 与 missing.csv。</p>"
                         + _simple_table(rs, ["Year 年份", "Real share 真实占比", "Imputed cells 插补单元", "Missing cells 缺失单元"])))
    if view.notes:
        sections.append(("notes", "Choices made for you", "自动处理说明",
                         "<ul>" + "".join(f"<li>{_e(n)}</li>" for n in view.notes) + "</ul>"))
    coherence = view.coherence
    if coherence is not None:
        body = []
        flags = getattr(coherence, "flags", None)
        if flags is not None and len(flags):
            body.append(_simple_table(flags[["kind", "node_a", "node_b", "r", "message_en", "message_zh"]],
                                      ["Kind 类型", "Node A", "Node B", "r", "Message", "说明"]))
        else:
            body.append("<p>No collinear or negatively correlated indicators. / 无共线或负相关指标。</p>")
        cr, pca = getattr(coherence, "cronbach", None), getattr(coherence, "pca", None)
        if cr is not None and pca is not None and len(cr):
            m = cr[["node", "n_children", "alpha"]].merge(pca[["node", "share_1", "n_eigen_gt_1"]], on="node")
            m.insert(1, "name", m["node"].map(lambda n: labels.get(n, n)))
            body.append(_simple_table(m, ["Node 节点", "Name 名称", "Children 子项数", "Cronbach α",
                                          "PC1 share 第一主成分占比", "Eigenvalues > 1 特征值>1个数"]))
        sections.append(("coherence", "Statistical coherence", "统计一致性", "".join(body)))
    sections.extend(extra_sections)

    info: dict[str, Any] = dict(meta or {})
    info.setdefault("generated", datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"))
    if "nqpf_version" not in info and "version" not in info:
        from nqpf import __version__

        info["nqpf_version"] = __version__
    sections.append(("meta", "About this report", "报告信息", _meta_html(info)))

    page = sections_document(view.title_en, view.title_zh, sections)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    return out


def sections_document(title_en: str, title_zh: str, sections: Sequence[tuple[str, str, str, str]]) -> str:
    """The whole offline page: ``sections`` are ``(id, title_en, title_zh, html)``; the style,
    the geo stub, plotly.js and the table-sorting script are inlined (no external resource)."""
    body_html = "\n".join(
        f"<section id='{sid}'><h2>{_e(en)} <span class='zh'>{_e(zh)}</span></h2>{content}</section>"
        for sid, en, zh, content in sections
    )
    return (
        "<!DOCTYPE html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>\n"
        f"<title>{_e(title_en)} · {_e(title_zh)}</title>\n"
        f"<style>{_CSS % {'font': FONT}}</style>\n"
        f"<script type='text/javascript'>{GEO_ASSETS_STUB}</script>\n"
        f"<script type='text/javascript'>{get_plotlyjs()}</script>\n"
        "</head>\n<body>\n"
        f"<h1>{_e(title_en)}</h1><p class='sub zh' lang='zh'>{_e(title_zh)}</p>\n"
        f"{body_html}\n"
        "<p class='note'>Generated by nqpf; works offline. / 由 nqpf 生成，可离线查看。</p>\n"
        f"<script type='text/javascript'>{_SORT_JS}</script>\n"
        "</body>\n</html>\n"
    )

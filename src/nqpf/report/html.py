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
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from nqpf.errors import ValidationError
from nqpf.regions import REGISTRY
from nqpf.report.charts import (
    FONT,
    GEO_ASSETS_STUB,
    choropleth_figure,
    radar_figure,
    trend_groups_figure,
    trend_national_figure,
)

__all__ = ["ranking_table", "write_summary"]

_SCORE_COLUMNS = ["region_code", "year", "node", "score"]
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


def _root_and_dims(tree: pd.DataFrame) -> tuple[str, list[str]]:
    parent = tree["parent"].where(tree["parent"].notna() & (tree["parent"] != ""), None)
    roots = tree.loc[parent.isna(), "node"].astype(str).tolist()
    if len(roots) != 1:
        raise ValidationError(f"the tree must have exactly one root, found {roots}")
    dims = tree.loc[parent == roots[0], "node"].astype(str).tolist()
    return roots[0], dims


def _labels(tree: pd.DataFrame) -> dict[str, str]:
    out = {}
    for node, en, zh in zip(tree["node"].astype(str), tree.get("name_en", tree["node"]), tree.get("name_zh", tree["node"]), strict=True):
        en = node if pd.isna(en) or en == "" else str(en)
        zh = "" if pd.isna(zh) or zh == en else str(zh)
        out[node] = f"{en} {zh}".strip()
    return out


def ranking_table(scores: pd.DataFrame, node: str) -> pd.DataFrame:
    """The latest year's ranking of ``node``: rank, code, names, score, rank change, group.

    ``rank_change`` = rank in the first year minus rank in the latest (positive = moved up);
    ``group_en``/``group_zh`` are the NBS four regions. Rank is the engine's ``rank`` if
    present, else 1 = highest score.
    """
    s = scores[scores["node"] == node].dropna(subset=["score"]).copy()
    if s.empty:
        raise ValidationError(f"no scores for node {node!r}")
    if "rank" not in s.columns or s["rank"].isna().any():
        s["rank"] = s.groupby("year")["score"].rank(ascending=False, method="min")
    first, last = int(s["year"].min()), int(s["year"].max())
    cur = s[s["year"] == last].set_index("region_code")
    prev = s[s["year"] == first]
    base = dict(zip(prev["region_code"].astype(str), prev["rank"].astype(float), strict=True))
    rows = []
    for code, row in cur.iterrows():
        reg = REGISTRY.get(str(code)) if str(code) in REGISTRY else None
        grp = REGISTRY.group_of(str(code), "nbs4")
        rows.append(
            {
                "rank": int(row["rank"]),
                "region_code": str(code),
                "region_en": reg.name_en if reg else str(row.get("region_en", code)),
                "region_zh": reg.name_zh if reg else str(row.get("region_zh", code)),
                "score": float(row["score"]),
                "rank_change": int(base[str(code)] - row["rank"]) if str(code) in base else None,
                "group_en": grp.name_en if grp else "",
                "group_zh": grp.name_zh if grp else "",
            }
        )
    out = pd.DataFrame(rows).sort_values(["rank", "region_code"]).reset_index(drop=True)
    out.attrs.update(first_year=first, latest_year=last)
    return out


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
    scores: pd.DataFrame,
    tree: pd.DataFrame,
    *,
    weights: pd.DataFrame | None = None,
    coherence: Any | None = None,
    title_en: str = "New Quality Productive Forces: provincial index",
    title_zh: str = "新质生产力省域指数",
    meta: Mapping[str, Any] | None = None,
    framework: str | None = None,
) -> Path:
    """Write the offline HTML summary and return its path.

    Parameters
    ----------
    scores:
        The engine's tidy scores ``region_code, year, node, score[, rank, framework, ...]``,
        one row per region, year and node (index, dimensions, indicators).
    tree:
        ``node, parent, level, kind, name_en, name_zh``; the root is the index, its children
        the dimensions shown in the radar and trend charts.
    weights:
        Optional ``node, parent, weight`` table, shown as is.
    coherence:
        Optional :class:`nqpf.index.coherence.CoherenceResult`; its flags, alpha and PCA are shown.
    meta:
        Shown in the meta block (framework id, methods, data hash, generation time, nqpf
        version, ...); ``generated`` (UTC now) and ``nqpf_version`` are filled if absent.
    framework:
        Which framework of ``scores`` to show when it holds several.
    """
    missing = [c for c in _SCORE_COLUMNS if c not in scores.columns]
    if missing:
        raise ValidationError(f"scores lack columns {missing}")
    if "framework" in scores.columns:
        fws = sorted(scores["framework"].dropna().astype(str).unique())
        if framework is None and len(fws) > 1:
            raise ValidationError(f"scores hold several frameworks {fws}; pass framework=")
        if framework is not None:
            scores = scores[scores["framework"] == framework]
    s = scores.copy()
    s["region_code"] = s["region_code"].astype(str)
    s["year"] = s["year"].astype(int)
    root, dims = _root_and_dims(tree)
    labels = _labels(tree)
    dims = [d for d in dims if d in set(s["node"])]

    tab = ranking_table(s, root)
    latest = tab.attrs["latest_year"]
    names = {r.code: f"{r.name_en} {r.name_zh}" for r in REGISTRY.provinces()}

    # (b) map
    map_fig = choropleth_figure(
        tab.set_index("region_code")["score"],
        title=f"{labels[root]} · {latest}",
        hover={
            str(r["region_code"]): f"{names.get(str(r['region_code']), str(r['region_code']))}<br>rank 排名 {r['rank']}"
            for r in tab.to_dict("records")
        },
    )
    # (c) radar: dimension scores of the latest year, provinces in rank order
    parts = [_fig_html(map_fig, "nqpf-map")]
    wide = s[s["node"].isin([root, *dims])].pivot_table(index=["year", "region_code"], columns="node", values="score")
    if dims:
        cur = wide.loc[latest][dims].dropna()
        order = [c for c in tab["region_code"] if c in cur.index]
        radar = radar_figure(
            cur.loc[order],
            dim_labels=[labels[d] for d in dims],
            region_labels={c: names.get(c, c) for c in order},
            default=order[0],
            reference=cur[dims].mean(),
            title=f"Dimension scores 维度得分 · {latest}",
        )
        parts.append(_fig_html(radar, "nqpf-radar"))
    # (d) trends: unweighted means over provinces
    nodes = [root, *dims]
    national = wide.groupby(level="year").mean()[nodes]
    trend = trend_national_figure(national, labels=labels)
    groups = REGISTRY.groups("nbs4")
    code_group = {c: k for k, g in groups.items() for c in g.codes}
    w2 = wide.reset_index()
    w2["group"] = w2["region_code"].map(code_group)
    by_group = {n: w2.groupby(["year", "group"])[n].mean().unstack("group").reindex(columns=list(groups)) for n in nodes}
    gtrend = trend_groups_figure(by_group, national, labels=labels,
                                 group_labels={k: f"{g.name_en} {g.name_zh}" for k, g in groups.items()})

    sections = [
        ("ranking", "Ranking", "排名", _ranking_html(tab)),
        ("map", "Map", "地图", parts[0]),
    ]
    if dims:
        sections.append(("radar", "Dimensions by province", "分省维度得分", parts[1]))
    sections.append(("trend", "National mean over time", "全国均值走势",
                     "<p class='sub'>Unweighted mean over provinces. / 各省简单平均。</p>" + _fig_html(trend, "nqpf-trend")))
    sections.append(("regions", "NBS four regions", "四大区域",
                     "<p class='sub'>Unweighted means over the provinces of each NBS region (East, Central, West, "
                     "Northeast); choose the index or a dimension. / 国家统计局四大区域内各省简单平均，可选择指数或维度。</p>"
                     + _fig_html(gtrend, "nqpf-regions")))
    if weights is not None and len(weights):
        wt = weights[["node", "parent", "weight"]].copy()
        wt.insert(1, "name", wt["node"].astype(str).map(lambda n: labels.get(n, n)))
        wt["weight"] = wt["weight"].astype(float)
        sections.append(("weights", "Weights", "权重",
                         _simple_table(wt, ["Node 节点", "Name 名称", "Parent 上级", "Weight 权重"])))
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

    info: dict[str, Any] = dict(meta or {})
    info.setdefault("generated", datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"))
    if "nqpf_version" not in info and "version" not in info:
        from nqpf import __version__

        info["nqpf_version"] = __version__
    sections.append(("meta", "About this report", "报告信息", _meta_html(info)))

    body_html = "\n".join(
        f"<section id='{sid}'><h2>{_e(en)} <span class='zh'>{_e(zh)}</span></h2>{content}</section>"
        for sid, en, zh, content in sections
    )
    page = (
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
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    return out

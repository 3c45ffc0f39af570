"""HTML building blocks shared by the report and the briefing: page shell, print CSS, tables
and figures embedded as ``data:`` URIs (the documents load no external resource)."""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence

import pandas as pd

__all__ = ["CSS", "bars_html", "esc", "figure_html", "page", "table_html"]

FONT_STACK = '"Noto Sans CJK SC", "Noto Sans", "DejaVu Sans", sans-serif'
"""System fonts only: Noto Sans CJK SC (Debian fonts-noto-cjk) renders the Chinese text."""

CSS = """
@page { size: A4; margin: 16mm 14mm 16mm 14mm;
        @bottom-right { content: counter(page) " / " counter(pages); font-size: 8pt; color: #777; } }
html { font-family: %(font)s; font-size: 9.5pt; color: #222; line-height: 1.4; }
body { max-width: 190mm; margin: 0 auto; }
h1 { font-size: 18pt; margin: 0 0 4pt; }
h2 { font-size: 13pt; border-bottom: 1px solid #ccc; padding-bottom: 2pt; margin: 16pt 0 6pt; break-after: avoid; }
h3 { font-size: 11pt; margin: 10pt 0 4pt; break-after: avoid; }
p { margin: 3pt 0 6pt; }
.sub { color: #555; }
.note { color: #666; font-size: 8.5pt; }
table { border-collapse: collapse; margin: 4pt 0 8pt; font-size: 8.5pt; }
th, td { border: 0.5pt solid #ccc; padding: 1.5pt 4pt; text-align: left; vertical-align: top; }
th { background: #f1f3f5; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.small { font-size: 7pt; }
figure { margin: 6pt 0; break-inside: avoid; }
figure img { width: 100%%; }
figure.half img { width: 70%%; }
figcaption { font-size: 8pt; color: #555; }
section.page { break-before: page; }
section.profile { break-before: page; }
.bars { margin: 6pt 0 8pt; }
.bar-row { display: flex; align-items: center; margin: 2pt 0; }
.bar-label { width: 40%%; font-size: 8.5pt; }
.bar-track { position: relative; width: 50%%; height: 10pt; background: #f1f3f5; }
.bar-fill { position: absolute; left: 0; top: 0; height: 10pt; background: #1f77b4; }
.bar-ref { position: absolute; top: -2pt; width: 1.5pt; height: 14pt; background: #d62728; }
.bar-val { width: 10%%; text-align: right; font-size: 8pt; }
.legend-fill { display: inline-block; width: 10pt; height: 8pt; background: #1f77b4; }
.legend-ref { display: inline-block; width: 2pt; height: 10pt; background: #d62728; }
ul.absent li { margin: 1pt 0; }
.toc li { margin: 1pt 0; }
"""


def esc(x: object) -> str:
    """HTML-escaped text."""
    return html.escape(str(x), quote=True)


def figure_html(svg: bytes, alt: str, caption: str = "", cls: str = "") -> str:
    """An SVG figure as an ``<img>`` with a ``data:`` URI, and its caption."""
    uri = "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
    cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return f"<figure class='{cls}'><img src='{uri}' alt='{esc(alt)}'>{cap}</figure>"


def _cell(v: object, digits: int) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NA:
        return "<td></td>"
    if isinstance(v, bool):
        return f"<td>{esc(v)}</td>"
    if isinstance(v, int):
        return f"<td class='num'>{v}</td>"
    if isinstance(v, float):
        return f"<td class='num'>{v:.{digits}f}</td>"
    return f"<td>{esc(v)}</td>"


def table_html(df: pd.DataFrame, headers: Sequence[str] | None = None, *, digits: int = 3, cls: str = "",
               table_id: str = "") -> str:
    """A plain table: floats with ``digits`` decimals, integers as integers, text escaped."""
    heads = list(headers) if headers is not None else [str(c) for c in df.columns]
    head = "".join(f"<th>{esc(h)}</th>" for h in heads)
    rows = []
    for rec in df.astype(object).itertuples(index=False):
        cells = []
        for v in rec:
            if hasattr(v, "item") and not isinstance(v, str):
                v = v.item()
            if isinstance(v, float) and v.is_integer() and abs(v) < 1e15 and digits == 0:
                v = int(v)
            cells.append(_cell(v, digits))
        rows.append("<tr>" + "".join(cells) + "</tr>")
    tid = f" id='{esc(table_id)}'" if table_id else ""
    return f"<table class='{cls}'{tid}><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def bars_html(labels: Sequence[str], values: Sequence[float], reference: Sequence[float], value_label: str,
              reference_label: str) -> str:
    """Horizontal bars drawn in CSS (scores in [0, 1] of the track; ``reference`` as red ticks):
    a static chart that prints without any figure file."""
    hi = max([*values, *reference, 1e-12])
    top = 1.0 if hi <= 1.0 else hi
    rows = []
    for lab, v, r in zip(labels, values, reference, strict=True):
        rows.append(f"<div class='bar-row'><div class='bar-label'>{esc(lab)}</div><div class='bar-track'>"
                    f"<div class='bar-fill' style='width:{100 * max(v, 0) / top:.1f}%'></div>"
                    f"<div class='bar-ref' style='left:{100 * max(r, 0) / top:.1f}%'></div></div>"
                    f"<div class='bar-val'>{v:.3f}</div></div>")
    legend = (f"<p class='note'><span class='legend-fill'></span> {esc(value_label)} &nbsp; "
              f"<span class='legend-ref'></span> {esc(reference_label)}</p>")
    return f"<div class='bars'>{''.join(rows)}{legend}</div>"


def page(title: str, body: str, lang: str) -> str:
    """A complete offline HTML document (print CSS inline, system fonts, no script)."""
    return ("<!DOCTYPE html>\n"
            f"<html lang='{'zh-CN' if lang == 'zh' else 'en'}'>\n<head>\n<meta charset='utf-8'>\n"
            f"<title>{esc(title)}</title>\n<style>{CSS % {'font': FONT_STACK}}</style>\n</head>\n"
            f"<body>\n{body}\n</body>\n</html>\n")

"""The landing page of an ``nqpf run`` output folder: one line per index, linking its summary."""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import nqpf

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;color:#222}"
    "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}"
    "th{background:#f3f3f3}.zh{color:#555}"
)


def write_index_page(path: str | Path, entries: Sequence[dict[str, Any]], *, meta: dict[str, Any] | None = None,
                     links: Sequence[tuple[str, str, str]] = ()) -> Path:
    """Write ``index.html`` listing each built index, then job-level pages (``links``: relative
    href, English and Chinese label, e.g. the productivity and linkage summary).

    ``entries``: dicts with ``framework``, ``name_en``, ``name_zh``, ``years`` (first, last),
    ``top`` (list of ``(region_en, region_zh, score)``) and ``href`` (relative link to the
    framework's ``summary.html``). Self-contained: no script, style sheet or font is loaded.
    """
    rows = []
    for e in entries:
        top = "<br>".join(
            f"{i}. {html.escape(en)} <span class=zh>{html.escape(zh)}</span> {score:.3f}"
            for i, (en, zh, score) in enumerate(e["top"], start=1)
        )
        rows.append(
            f"<tr><td><a href=\"{html.escape(e['href'])}\">{html.escape(e['name_en'])}</a><br>"
            f"<span class=zh>{html.escape(e['name_zh'])}</span><br><code>{html.escape(e['framework'])}</code></td>"
            f"<td>{e['years'][0]}-{e['years'][1]}</td><td>{top}</td></tr>"
        )
    info = "".join(f"<li>{html.escape(str(k))}: {html.escape(str(v))}</li>" for k, v in (meta or {}).items())
    page = (
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
        "<title>nqpf indices / 新质生产力指数</title>"
        f"<style>{_STYLE}</style></head><body>"
        "<h1>New Quality Productive Forces indices <span class=zh>新质生产力指数</span></h1>"
        "<table><tr><th>index 指数</th><th>years 年份</th><th>leading regions, latest year 最新年份领先地区</th></tr>"
        + "".join(rows)
        + "</table>"
        + ("<h2>Across indices <span class=zh>跨指数分析</span></h2><ul>" + "".join(
            f"<li><a href=\"{html.escape(h)}\">{html.escape(en)}</a> <span class=zh>{html.escape(zh)}</span></li>"
            for h, en, zh in links) + "</ul>" if links else "")
        + f"<ul>{info}<li>nqpf {html.escape(nqpf.__version__)}</li></ul></body></html>"
    )
    out = Path(path)
    out.write_text(page, encoding="utf-8")
    return out

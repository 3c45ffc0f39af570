"""A self-contained, offline, bilingual HTML page made of sections (title, figures, tables):
the page style of the index summaries (:mod:`nqpf.report.html`) for job-level analyses such as
the productivity and linkage summary. plotly.js is inlined once; no external resource is loaded."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from nqpf.report.html import _meta_html, _simple_table, sections_document

__all__ = ["figure_html", "table_html", "write_sections_page"]

_CONFIG = {"displaylogo": False, "responsive": True}


def figure_html(fig: go.Figure, div_id: str) -> str:
    """A figure as a div (plotly.js is inlined once by the page)."""
    return str(fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, config=_CONFIG))


def table_html(df: pd.DataFrame, headers: Sequence[str], digits: int = 4) -> str:
    """A sortable table; floats rounded to ``digits`` significant figures."""
    shown = df.copy()
    for c in shown.columns:
        if pd.api.types.is_float_dtype(shown[c]):
            shown[c] = shown[c].map(lambda v: "" if pd.isna(v) else f"{v:.{digits}g}")
    return _simple_table(shown, list(headers))


def write_sections_page(path: str | Path, title_en: str, title_zh: str,
                        sections: Sequence[tuple[str, str, str, str]],
                        meta: Mapping[str, Any] | None = None) -> Path:
    """Write the page: ``sections`` are ``(id, title_en, title_zh, html)``; ``meta`` is shown last
    (generation time and nqpf version are added)."""
    from nqpf import __version__

    info: dict[str, Any] = dict(meta or {})
    info.setdefault("generated", datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"))
    info.setdefault("nqpf_version", __version__)
    parts = [*sections, ("meta", "About this report", "报告信息", _meta_html(info))]
    page = sections_document(title_en, title_zh, parts)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    return out

"""``nqpf report``: a run folder in, the report's outputs out.

:func:`write_report` writes into ``out`` (default ``RUN_DIR/report``): ``report-<lang>.html``
and ``.pdf`` (the full report), ``figures/*.svg|png`` (300 dpi), ``briefing-<lang>.html`` and
``.pdf`` (two pages), each with a ``*.facts.json`` listing the numbers its sentences use and
their sources; ``xlsx`` and ``tex`` call the workbook and LaTeX writers of ``nqpf.report``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path

from nqpf.report.publication.context import ReportError, read_run
from nqpf.report.publication.text import LANGS

__all__ = ["FORMATS", "check_options", "write_report"]

FORMATS = ("html", "pdf", "figures", "briefing", "xlsx", "tex")
"""The outputs ``nqpf report --formats`` can make."""


def check_options(formats: Sequence[str], lang: str) -> list[str]:
    """Validated formats (in order, no repeats); a :class:`ReportError` names a bad one."""
    if lang not in LANGS:
        raise ReportError(f"unknown language {lang!r}: use one of {', '.join(LANGS)}")
    out: list[str] = []
    for f in formats:
        f = f.strip().lower()
        if not f:
            continue
        if f not in FORMATS:
            raise ReportError(f"unknown format {f!r}: use any of {','.join(FORMATS)}")
        if f not in out:
            out.append(f)
    if not out:
        raise ReportError(f"no format given: use any of {','.join(FORMATS)}")
    return out


def _xlsx(run_dir: Path, out: Path, lang: str) -> list[Path]:
    from nqpf.report.workbook import write_workbook

    return [Path(write_workbook(run_dir, out / f"nqpf-tables-{lang}.xlsx", lang=lang))]


def _tex(run_dir: Path, out: Path, lang: str = "en") -> list[Path]:
    """The LaTeX tables in ``out/tex`` (English) or ``out/tex-zh`` (Chinese; XeLaTeX with ctex)."""
    from nqpf.report.latex import write_latex_tables

    return [Path(p) for p in write_latex_tables(run_dir, out / ("tex" if lang == "en" else f"tex-{lang}"), lang=lang)]


def write_report(run_dir: str | Path, out: str | Path | None = None, *, lang: str = "en",
                 formats: Sequence[str] = ("html", "pdf", "figures", "briefing"),
                 progress: Callable[[str], None] | None = None) -> dict[str, list[Path]]:
    """Write the chosen outputs of the run in ``run_dir`` into ``out``; returns paths by format."""
    fmts = check_options(formats, lang)
    run_dir = Path(run_dir)
    ctx = read_run(run_dir, progress)
    folder = Path(out) if out is not None else run_dir / "report"
    if folder.exists() and not folder.is_dir():
        raise ReportError(f"--out {folder} is a file; give a folder")
    folder.mkdir(parents=True, exist_ok=True)
    say = progress or (lambda _m: None)
    written: dict[str, list[Path]] = {}
    if {"html", "pdf", "figures"} & set(fmts):
        from nqpf.report.publication.document import build_report

        doc = build_report(ctx, lang, progress)
        facts = folder / f"report-{lang}.facts.json"
        facts.write_text(json.dumps(doc.facts.to_records(), ensure_ascii=False, indent=1), encoding="utf-8")
        if "html" in fmts:
            p = folder / f"report-{lang}.html"
            p.write_text(doc.html, encoding="utf-8")
            written["html"] = [p, facts]
        if "pdf" in fmts:
            from nqpf.report.publication.pdf import write_pdf

            say("printing the PDF / 生成 PDF")
            written["pdf"] = [write_pdf(doc.html, folder / f"report-{lang}.pdf")[0]]
        if "figures" in fmts:
            from nqpf.report.publication.figures import save_figure

            say(f"saving {len(doc.figures)} figures as SVG and PNG / 保存图表")
            written["figures"] = [p for name, fig in doc.figures.items()
                                  for p in save_figure(fig, folder / "figures", f"{name}-{lang}").values()]
    if "briefing" in fmts:
        from nqpf.report.publication.briefing import briefing_html, make_briefing
        from nqpf.report.publication.pdf import write_pdf

        say("briefing / 简报")
        b = make_briefing(ctx, lang)
        html = briefing_html(b)
        hp = folder / f"briefing-{lang}.html"
        hp.write_text(html, encoding="utf-8")
        pp, _pages = write_pdf(html, folder / f"briefing-{lang}.pdf")
        fp = folder / f"briefing-{lang}.facts.json"
        fp.write_text(json.dumps({"framework": b.framework, "year": b.year, "prev_year": b.prev_year,
                                  "facts": b.facts.to_records(),
                                  "sentences": [asdict(s) for s in b.sentences]}, ensure_ascii=False, indent=1),
                      encoding="utf-8")
        written["briefing"] = [hp, pp, fp]
        if "figures" in fmts and b.map_figure is not None:
            from nqpf.report.publication.figures import save_figure

            written["figures"] += list(save_figure(b.map_figure, folder / "figures", f"briefing-map-{lang}").values())
    if "xlsx" in fmts:
        say("Excel workbook / Excel 工作簿")
        written["xlsx"] = _xlsx(run_dir, folder, lang)
    if "tex" in fmts:
        say("LaTeX tables / LaTeX 表格")
        written["tex"] = _tex(run_dir, folder, lang)
    return written

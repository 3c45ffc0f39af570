"""``nqpf report RUN_DIR``: the publication report, its PDF, print figures and the briefing / 报告."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from nqpf.cli.common import console, escape, fail, safe


def report(
    run_dir: Annotated[Path, typer.Argument(help="Run folder written by nqpf run --out DIR / 运行结果目录")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output folder (default RUN_DIR/report) / 输出目录")] = None,
    lang: Annotated[str, typer.Option("--lang", help="en or zh / 语言")] = "en",
    formats: Annotated[str, typer.Option("--formats", help="Comma list of html,pdf,figures,briefing,xlsx,tex / 输出格式")]
    = "html,pdf,figures,briefing,xlsx,tex",
) -> None:
    """Turn a run folder into the report (HTML, PDF), figures (SVG, PNG), the two-page briefing, the Excel
    workbook of every table and the LaTeX tables."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from nqpf.report.publication.build import check_options, write_report

    t0 = time.perf_counter()
    with safe():
        fmts = check_options(formats.split(","), lang)  # a bad option costs nothing
        if not run_dir.is_dir():
            fail(f"{run_dir} {'is a file' if run_dir.exists() else 'does not exist'}: "
                 "give the folder written by nqpf run --out DIR")
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console,
                      transient=True) as prog:
            task = prog.add_task("reading the run / 读取运行结果", total=None)
            written = write_report(run_dir, out, lang=lang, formats=fmts,
                                   progress=lambda m: prog.update(task, description=m))
    for fmt, paths in written.items():
        shown = ", ".join(escape(p) for p in paths[:3]) + (f" (+{len(paths) - 3} more)" if len(paths) > 3 else "")
        console.print(f"  {fmt}: {shown}")
    console.print(f"[green]done / 完成[/] in {time.perf_counter() - t0:.1f}s")

"""``nqpf run`` (the main job) and ``nqpf frameworks``: thin wrappers over :mod:`nqpf.services`."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer

from nqpf.cli.common import console, fail, safe


def run(
    framework: Annotated[list[str] | None, typer.Option("--framework", "-f", help="Framework id or YAML path (repeatable); default: all shipped / 默认全部内置框架")] = None,
    years: Annotated[str | None, typer.Option(help="Years, e.g. 2012:2019 or 2015,2019 / 年份")] = None,
    normalisation: Annotated[str | None, typer.Option(help="minmax|zscore|rank|percentile|goalposts|distance_to_target / 标准化")] = None,
    scope: Annotated[str | None, typer.Option(help="pooled|per_year normalisation scope / 标准化范围")] = None,
    weighting: Annotated[str | None, typer.Option(help="Indicator-level weights: equal|entropy|critic|pca|entropy_global / 指标权重")] = None,
    weighting_upper: Annotated[str | None, typer.Option(help="Weights of dimensions: equal|entropy|critic|pca|entropy_global / 维度权重")] = None,
    aggregation: Annotated[str | None, typer.Option(help="arithmetic|geometric|generalized|harmonic|topsis / 聚合")] = None,
    imputation: Annotated[str | None, typer.Option(help="none|linear|group_mean|linear+group_mean / 缺失值插补")] = None,
    max_extrapolation: Annotated[int | None, typer.Option(help="Carry a series' ends at most this many years (default 2) / 最大外推年数")] = None,
    treatment: Annotated[str | None, typer.Option(help="none|coinr|winsorise|log / 异常值处理")] = None,
    allow_drop: Annotated[bool, typer.Option(help="Build a named variant when an indicator lacks data for the years / 允许剔除缺数据指标")] = False,
    spec_file: Annotated[Path | None, typer.Option("--spec", help="YAML/JSON method spec / 方法设定文件")] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder / 输出目录")] = Path("nqpf-output"),
    data: Annotated[Path | None, typer.Option(help="Data folder imported when the store is empty (default ../shared/data) / 数据目录")] = None,
    store: Annotated[Path | None, typer.Option(help="Store file (default per-user) / 数据库文件")] = None,
    html: Annotated[bool, typer.Option(help="Write the HTML summary / 输出HTML摘要")] = True,
    robustness: Annotated[int, typer.Option(help="Also run N Monte Carlo draws of rank uncertainty and Sobol sensitivity / 稳健性抽样次数")] = 0,
    seed: Annotated[int, typer.Option(help="Seed of the robustness draws / 随机种子")] = 0,
    analyses: Annotated[bool, typer.Option(help="Show regional analyses in the summary / 摘要中包含区域分析")] = True,
    regions: Annotated[Path | None, typer.Option("--regions", help="CSV table of your own regions (code, name_zh, name_en, level, parent) / 自定义地区表")] = None,
    productivity: Annotated[bool, typer.Option(help="Also write productivity (TFP, DEA) and NQPF->HQD linkage tables and page / 生产率与联动检验")] = True,
) -> None:
    """Build the shipped indices on the stored panel and write scores, weights, coherence and HTML."""
    from nqpf import services
    from nqpf.data.store import Store
    from nqpf.report.pages import RUN_PAGES
    from nqpf.years import parse_years

    t0 = time.perf_counter()
    with safe():
        changes: dict[str, Any] = {"normalisation": normalisation, "weighting": weighting,
                                   "weighting_upper": weighting_upper, "aggregation": aggregation,
                                   "imputation": imputation, "treatment": treatment}
        if scope:
            changes["normalisation"] = {**({"method": normalisation} if normalisation else {}), "scope": scope}
        if max_extrapolation is not None:
            changes["imputation"] = {**({"method": imputation} if imputation else {}), "max_extrapolation": max_extrapolation}
        if years:
            changes["years"] = parse_years(years)
        if allow_drop:
            changes["allow_drop"] = True
        spec = services.read_spec(spec_file, **changes)
        if out.exists() and not out.is_dir():
            fail(f"--out {out} is a file; give a folder to write the run into / 输出路径是文件，请给出目录")
        with Store(store) as st:
            if robustness < 0:
                fail(f"--robustness must be a number of draws >= 0, got {robustness}")
            job = services.run_job(
                st, frameworks=framework, spec=spec, out=out, html=html, data=data, robustness=robustness, seed=seed, analyses=analyses, regions_table=regions,
                log=lambda text: console.print(f"[bold]Importing / 导入[/] {_esc(text)}"),
                on_result=_print_result, productivity=productivity, pages=RUN_PAGES,
                on_step=lambda text: console.print(f"[bold]·[/] {_esc(text)}"),
            )
            if job.import_report:
                console.print(f"  {_esc(job.import_report)}")
            _print_productivity(job.productivity)
    console.print(f"[green]done / 完成[/] in {time.perf_counter() - t0:.1f}s -> {_esc(str(out.resolve()))}")


def frameworks(
    store: Annotated[Path | None, typer.Option(help="Store whose data set the years shown (default per-user) / 数据库文件")] = None,
) -> None:
    """List the shipped frameworks with their version, indicators and the years the data allow."""
    from nqpf import services
    from nqpf.data.store import Store
    from nqpf.settings import default_store_path

    with safe():
        path = store or default_store_path()
        panel = None
        if path.is_file():  # a listing never creates a store
            with Store(path) as st:
                panel = None if st.is_empty() else st.panel()
        tab = services.frameworks_table(panel)
    console.print("[bold]Shipped frameworks / 内置指标体系[/]")
    for r in tab.to_dict("records"):
        years = r["years"] or "(import data to see / 导入数据后显示)"
        console.print(f"\n[bold]{_esc(r['framework'])}[/] v{_esc(r['version'])}  {_esc(r['name_en'])} / {_esc(r['name_zh'])}",
                      soft_wrap=True)
        console.print(f"  years 年份: {_esc(years)}; {r['dimensions']} dimensions 维度, {r['indicators']} indicators 指标",
                      soft_wrap=True)
        console.print(f"  {_esc(r['indicator_ids'])}", soft_wrap=True)


def _esc(text: str) -> str:
    from nqpf.cli.common import escape

    return escape(text)


def _print_result(result: Any, paths: dict[str, Path]) -> None:
    from rich.table import Table

    rk = result.ranking()
    table = Table(title=f"{_esc(result.name_en)} / {_esc(result.name_zh)} — {result.years[-1]}")
    table.add_column("rank 排名", justify="right")
    table.add_column("region 地区")
    table.add_column("score 得分", justify="right")
    for _, row in rk.head(5).iterrows():
        table.add_row(str(row["rank"]), _esc(f"{row['region_en']} {row['region_zh']}"), f"{row['score']:.3f}")
    table.add_row("…", "…", "…")
    for _, row in rk.tail(3).iterrows():
        table.add_row(str(row["rank"]), _esc(f"{row['region_en']} {row['region_zh']}"), f"{row['score']:.3f}")
    console.print(table)
    means = result.group_means().iloc[-1]
    console.print(
        "  regional means 区域均值: " + ", ".join(f"{k} {v:.3f}" for k, v in means.sort_values(ascending=False).items())
    )
    console.print(f"  years {result.years[0]}-{result.years[-1]}, {len(result.indicators)} indicators, "
                  f"{int(result.imputed.sum())} imputed cells -> {_esc(str(paths['scores_csv'].parent))}")
    for note in result.notes:
        console.print(f"  [yellow]note / 说明:[/] {_esc(note)}")


def _print_productivity(pl: Any) -> None:
    """One line on the job-level productivity and linkage output, and the choices it made."""
    if pl is None:
        return
    where = pl.html or (next(iter(pl.paths.values())).parent if pl.paths else None)
    console.print(f"[bold]productivity & linkage / 生产率与联动[/]: {len(pl.paths)} files in {pl.seconds:.1f}s"
                  + (f" -> {_esc(str(where))}" if where else ""))
    for note in pl.notes:
        console.print(f"  [yellow]note / 说明:[/] {_esc(note)}")
    if pl.productivity is not None and pl.productivity.flags:
        console.print(f"  [yellow]note / 说明:[/] {len(pl.productivity.flags)} productivity choices (left-out provinces, "
                      "extended capital years) listed in productivity/flags.txt")
    if pl.linkage is not None:
        console.print(f"  {_esc(pl.linkage.closing_note().splitlines()[0])}")

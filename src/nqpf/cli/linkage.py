"""``nqpf linkage``: does NQPF raise high-quality development through the four channels?"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from nqpf.errors import NqpfError

console = Console()
app = typer.Typer(no_args_is_help=False, add_completion=False, pretty_exceptions_enable=False)


@app.callback(invoke_without_command=True)
def linkage(
    boot: Annotated[int, typer.Option(help="Bootstrap draws of the threshold test / 门槛自助抽样次数")] = 300,
    spatial: Annotated[bool, typer.Option(help="Spatial Durbin model with queen contiguity / 空间杜宾模型")] = True,
    sims: Annotated[int, typer.Option(help="Draws for the SEs of the spatial effects / 空间效应模拟次数")] = 1000,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder / 输出目录")] = Path("nqpf-output/linkage"),
    data: Annotated[Path | None, typer.Option(help="Data bundle imported when series are missing / 数据目录")] = None,
    store: Annotated[Path | None, typer.Option(help="Store file / 数据库文件")] = None,
) -> None:
    """Two-way FE of HQD and its four channels on NQPF, robustness, mediation, threshold; CSV, LaTeX, Excel."""
    from rich.progress import Progress

    from nqpf.cli.productivity_data import load_panel
    from nqpf.index.build import build_index
    from nqpf.linkage.analysis import run_linkage
    from nqpf.linkage.tables import publication_table, to_excel, to_latex

    t0 = time.perf_counter()
    if boot < 0:
        console.print(f"[red]error / 错误:[/] --boot must be 0 or more, got {boot}")
        raise typer.Exit(2)
    if sims < 0:
        console.print(f"[red]error / 错误:[/] --sims must be 0 or more, got {sims}")
        raise typer.Exit(2)
    try:
        panel = load_panel(store, data, console)
        with Progress(console=console, transient=True) as prog:
            task = prog.add_task("indices / 指数", total=None)
            a = build_index("nqpf-three-elements", panel)
            b = build_index("hqd-four-channels", panel)
            weights = None
            if spatial:
                from nqpf.regional.weights import SpatialWeights

                weights = SpatialWeights.queen(sorted({str(r) for r in a.regions} & {str(r) for r in b.regions}))
            run = run_linkage(a, b, panel, threshold_boot=boot, weights=weights, spatial_sim=sims,
                              progress=lambda m: prog.update(task, description=m))
    except NqpfError as e:
        console.print(f"[red]error / 错误:[/] {e}")
        raise typer.Exit(2) from None
    out.mkdir(parents=True, exist_ok=True)
    pd_main = [r.to_tidy() for r in run.main.values()]
    import pandas as pd

    pd.concat(pd_main, ignore_index=True).to_csv(out / "fe_main.csv", index=False)
    run.coefficients().to_csv(out / "nqpf_coefficients.csv", index=False)
    run.robustness.to_csv(out / "robustness.csv", index=False)
    run.mediation.to_csv(out / "mediation.csv", index=False)
    if run.threshold is not None:
        run.threshold.to_tidy().to_csv(out / "threshold.csv", index=False)
    from nqpf.productivity_job import linkage_tables

    for name, tab in linkage_tables(run).items():
        if name not in ("robustness", "mediation", "threshold"):  # written above
            tab.to_csv(out / f"{name}.csv", index=False)
    tab = publication_table(run.main)
    to_latex(tab, out / "fe_main.tex", caption="NQPF and high-quality development: two-way fixed effects")
    to_excel({"fe_main": tab, "robustness": run.robustness, "mediation": run.mediation}, out / "linkage.xlsx")
    (out / "notes.txt").write_text("\n".join([*run.notes, "", run.closing_note()]) + "\n", encoding="utf-8")
    for r in run.main.values():
        console.print(r.summary)
    if run.threshold is not None:
        console.print(run.threshold.summary)
    for sr in run.spatial.values():
        console.print(sr.summary)
    console.print("[yellow]choices / 处理说明:[/] " + "; ".join(run.notes))
    console.print(run.closing_note())
    console.print(f"[green]done / 完成[/] in {time.perf_counter() - t0:.1f}s -> {out.resolve()}")

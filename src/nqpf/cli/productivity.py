"""``nqpf productivity``: capital stock, growth-accounting TFP, DEA efficiency, Malmquist indices."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from nqpf.errors import NqpfError

console = Console()
app = typer.Typer(no_args_is_help=False, add_completion=False, pretty_exceptions_enable=False)


def _fail(msg: str) -> None:
    console.print(f"[red]error / 错误:[/] {msg}")
    raise typer.Exit(2)


@app.callback(invoke_without_command=True)
def productivity(
    start: Annotated[int, typer.Option(help="First year of DEA and Malmquist / 起始年份")] = 2011,
    end: Annotated[int, typer.Option(help="Last year of DEA and Malmquist / 结束年份")] = 2019,
    depreciation: Annotated[float, typer.Option(help="Depreciation rate δ (Zhang et al. 2004: 0.096) / 折旧率")] = 0.096,
    growth: Annotated[float | None, typer.Option(help="g for the base-year stock I/(g+δ); default mean real GFCF growth / 基年增长率")] = None,
    capital_share: Annotated[str, typer.Option(help="Capital share α, a number or 'estimate' / 资本份额")] = "0.5",
    extension_deflator: Annotated[str, typer.Option(help="Deflator after 2019: cpi|hold / 2019年后平减指数")] = "cpi",
    backend: Annotated[str, typer.Option(help="highs|dask|linprog for the Malmquist programs / 求解后端")] = "highs",
    workers: Annotated[int, typer.Option(help="Dask workers / 进程数")] = 2,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder / 输出目录")] = Path("nqpf-output/productivity"),
    data: Annotated[Path | None, typer.Option(help="Data bundle imported when series are missing / 数据目录")] = None,
    store: Annotated[Path | None, typer.Option(help="Store file / 数据库文件")] = None,
) -> None:
    """Write capital stock, TFP, efficiency and Malmquist tables (CSV) to the output folder."""
    from rich.progress import Progress

    from nqpf.cli.productivity_data import load_panel
    from nqpf.productivity.capital import PerpetualInventory
    from nqpf.productivity.measure import measure

    t0 = time.perf_counter()
    share: float | str
    try:
        share = float(capital_share)
    except ValueError:
        share = capital_share
    if share != "estimate" and not (isinstance(share, float) and 0 < share < 1):
        _fail(f"--capital-share must be a number in (0, 1) or 'estimate', got {capital_share!r}")
    if extension_deflator not in ("cpi", "hold"):
        _fail(f"--extension-deflator must be cpi or hold, got {extension_deflator!r}")
    if backend not in ("highs", "dask", "linprog"):
        _fail(f"--backend must be highs, dask or linprog, got {backend!r}")
    if not 0 <= depreciation < 1:
        _fail(f"--depreciation must be in [0, 1), got {depreciation}")
    if end <= start:
        _fail(f"--end {end} must be after --start {start} (end year after start year)")
    try:
        panel = load_panel(store, data, console)
        pim = PerpetualInventory(depreciation=depreciation, growth=growth,
                                 extension_deflator=extension_deflator)  # type: ignore[arg-type]
        with Progress(console=console, transient=True) as prog:
            task = prog.add_task("productivity / 生产率", total=None)
            run = measure(panel, start, end, capital=pim, capital_share=share, backend=backend, workers=workers,
                          progress=lambda m: prog.update(task, description=m))
    except NqpfError as e:
        _fail(str(e))
        return
    out.mkdir(parents=True, exist_ok=True)
    for name, table in run.tables().items():
        table.to_csv(out / f"{name}.csv", index=False)
    (out / "flags.txt").write_text("\n".join(run.flags) + "\n", encoding="utf-8")
    ga = run.growth
    console.print(ga.capital.summary)
    console.print(ga.summary)
    console.print(f"national TFP growth / 全国TFP增长 {start}-{end}: {ga.mean_national_growth(start - 1, end):.4f} a year")
    console.print(run.malmquist.summary)
    console.print(run.luenberger.summary)
    console.print(f"[yellow]choices / 处理说明 ({len(run.flags)}):[/] " + "; ".join(run.flags[:6])
                  + (f"; ... see {out / 'flags.txt'}" if len(run.flags) > 6 else ""))
    console.print(f"[green]done / 完成[/] in {time.perf_counter() - t0:.1f}s -> {out.resolve()}")

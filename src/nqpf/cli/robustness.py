"""``nqpf robustness``: Monte Carlo rank uncertainty and Sobol sensitivity of one index / 稳健性分析."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from nqpf.errors import NqpfError

if TYPE_CHECKING:
    from nqpf.panel import Panel


def _err(message: str) -> typer.Exit:
    Console(stderr=True, soft_wrap=True).print(f"[red]error / 错误:[/] {message}", highlight=False)
    return typer.Exit(2)


def _panel(store: Path | None, data: Path | None) -> Panel:
    """The stored panel; imports the real data folder first when the store is empty (as ``nqpf run``)."""
    from nqpf.data.store import Store
    from nqpf.settings import default_data_dir

    with Store(store) as st:
        if st.is_empty():
            folder = data or default_data_dir()
            if folder is None or not Path(folder).is_dir():
                raise NqpfError("the store is empty and no data folder was found: pass --data DIR or set NQPF_DATA"
                                " / 数据库为空且未找到数据目录")
            folder = Path(folder)
            st.import_files([p for p in (folder / "panel", folder / "raw") if p.is_dir()] or [folder])
        return st.panel()


def robustness(
    framework: Annotated[str, typer.Option("--framework", "-f", help="Framework id or YAML path / 指标体系")] = "nqpf-three-elements",
    spec_file: Annotated[Path | None, typer.Option("--spec", help="Uncertainty spec YAML (default: normalisation x weighting x aggregation x exclusion x ±25% weights) / 不确定性设定")] = None,
    method_spec: Annotated[Path | None, typer.Option("--method-spec", help="Method spec YAML of the nominal construction / 基准方法设定")] = None,
    draws: Annotated[int, typer.Option("--draws", "-n", help="Monte Carlo draws / 抽样次数")] = 1000,
    sobol_n: Annotated[int | None, typer.Option("--sobol-n", help="Sobol base samples N (cost N x (factors + 2)) / Sobol基础样本数")] = None,
    output: Annotated[str, typer.Option("--output", help="Sobol output: mean_abs_rank_shift | rank:<region> | gap:<group>-<group> / 敏感性输出")] = "mean_abs_rank_shift",
    seed: Annotated[int, typer.Option(help="Random seed / 随机种子")] = 0,
    workers: Annotated[int | None, typer.Option(help="Dask local cluster of this many processes / Dask进程数")] = None,
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address, e.g. tcp://host:8786 / Dask调度器地址")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output folder (default nqpf-output/<framework>/robustness) / 输出目录")] = None,
    data: Annotated[Path | None, typer.Option(help="Data folder imported when the store is empty / 数据目录")] = None,
    store: Annotated[Path | None, typer.Option(help="Store file (default per-user) / 数据库文件")] = None,
) -> None:
    """Rank uncertainty (median and 90% interval per province) and Sobol indices of the construction choices."""
    from nqpf.frameworks import load_framework
    from nqpf.index.build import build_index
    from nqpf.robustness.run import run_robustness
    from nqpf.robustness.spec import UncertaintySpec
    from nqpf.safeyaml import load_yaml

    t0 = time.perf_counter()
    if draws < 2:
        raise _err(f"--draws must be at least 2, got {draws}")
    if sobol_n is not None and sobol_n < 2:
        raise _err(f"--sobol-n must be at least 2, got {sobol_n}")
    if workers is not None and workers < 1:
        raise _err(f"--workers must be at least 1, got {workers}")
    for label, p in (("--spec", spec_file), ("--method-spec", method_spec)):
        if p is not None and not p.is_file():
            raise _err(f"{label}: file not found: {p}")
    try:
        fw = load_framework(framework)
        base = (load_yaml(method_spec) or {}) if method_spec is not None else None
        panel = _panel(store, data)
        result = build_index(fw, panel, base)
        spec = UncertaintySpec.from_yaml(spec_file, result) if spec_file is not None else None
        folder = out or Path("nqpf-output") / fw.id / "robustness"
        paths = run_robustness(result, draws, seed, folder, spec=spec, sobol_n=sobol_n, sobol_output=output,
                               workers=workers, scheduler=scheduler, progress=sys.stderr.isatty())
    except NqpfError as e:
        raise _err(str(e).replace("\n", " ")) from None
    _print(paths)
    Console().print(f"[green]done / 完成[/] in {time.perf_counter() - t0:.1f}s -> {paths['ranks'].parent.resolve()}")


def _print(paths: dict[str, Path]) -> None:
    import pandas as pd

    con = Console(width=160)
    ranks = pd.read_csv(paths["ranks"], dtype={"region_code": str})
    node = ranks["node"].iloc[0]
    d = ranks[(ranks["node"] == node) & (ranks["year"] == ranks["year"].max())].sort_values("median_rank")
    table = Table(title=f"Rank uncertainty / 排名不确定性 — {node} {int(d['year'].iloc[0])}")
    for col in ("region 地区", "nominal 基准", "median 中位", "90% interval 区间", "top 10 前十"):
        table.add_column(col, justify="left" if col.startswith("region") else "right")
    for r in d.itertuples():
        table.add_row(f"{r.region_en} {r.region_zh}", str(int(r.nominal_rank)), f"{r.median_rank:.1f}",
                      f"{r.rank_p05:.0f}-{r.rank_p95:.0f}", f"{r.top10_share:.0%}")
    con.print(table)
    con.print(paths["summary"].read_text(encoding="utf-8"), highlight=False)

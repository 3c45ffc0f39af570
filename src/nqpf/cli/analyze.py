"""``nqpf analyze ...``: regional disparity, dynamics, convergence, spatial, coupling, obstacles.

Input is a run folder (``--run nqpf-output/<framework>``, reading its ``scores.csv`` and
``weights.csv``) or a framework built from the store (``--framework ID``). Tidy CSVs go to
``--out`` (default: ``<run folder>/analysis``). Mistakes give one line and exit code 2.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from nqpf.errors import NqpfError

if TYPE_CHECKING:
    import pandas as pd

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="Regional disparity, dynamics and spatial analysis / 区域差异、动态与空间分析")
console = Console()

RunOpt = Annotated[Path | None, typer.Option("--run", help="Run folder of one framework (has scores.csv) / 运行结果目录")]
FwOpt = Annotated[str | None, typer.Option("--framework", "-f", help="Framework id, built from the store / 指标体系")]
NodeOpt = Annotated[str | None, typer.Option("--node", help="Node or indicator (default: the index) / 节点")]
GroupOpt = Annotated[str, typer.Option("--grouping", "-g", help="nbs4, belt3 or a CSV/YAML group file / 分组")]
OutOpt = Annotated[Path | None, typer.Option("--out", "-o", help="Output folder (default <run>/analysis) / 输出目录")]
StoreOpt = Annotated[Path | None, typer.Option("--store", help="Store file for --framework / 数据库文件")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Random seed / 随机种子")]


def _fail(msg: str) -> None:
    console.print(f"[red]error / 错误:[/] {msg}")
    raise typer.Exit(2)


def _load(run: Path | None, framework: str | None, store: Path | None) -> tuple[Any, Path]:
    if (run is None) == (framework is None):
        _fail("give exactly one of --run FOLDER or --framework ID")
    if run is not None:
        from nqpf.regional.runs import load_run

        return load_run(run), run / "analysis"
    from nqpf.data.store import Store
    from nqpf.index.build import build_index

    with console.status(f"building {framework} / 构建指数"), Store(store) as st:
        if st.is_empty():
            _fail("the store is empty: run `nqpf data import ../shared/data/panel` or `nqpf run` first, or use --run")
        panel = st.panel()
    res = build_index(str(framework), panel)
    return res, Path("nqpf-output") / res.framework.id / "analysis"


def _grouping(text: str) -> str:
    from nqpf.regions import REGISTRY

    if text in REGISTRY.groupings():
        return text
    p = Path(text)
    if p.suffix.lower() in {".csv", ".yaml", ".yml"}:
        if not p.is_file():
            _fail(f"group file {p} not found")
        return REGISTRY.load_groups(p)
    _fail(f"unknown grouping {text!r}; use nbs4, belt3 or a CSV/YAML group file")
    return text


def _write(out: Path, tables: dict[str, pd.DataFrame]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        df.to_csv(out / f"{name}.csv", index=False, float_format="%.6g")
    console.print(f"[green]wrote / 已写入[/] {', '.join(f'{n}.csv' for n in tables)} -> {out}")


def _guard(fn: Callable[[], None]) -> None:
    try:
        fn()
    except typer.Exit:
        raise
    except NqpfError as e:
        _fail(str(e))


@app.command("disparity")
def disparity(run: RunOpt = None, framework: FwOpt = None, node: NodeOpt = None, grouping: GroupOpt = "nbs4",
              out: OutOpt = None, store: StoreOpt = None,
              boot: Annotated[int, typer.Option("--boot", min=0, help="Bootstrap replicates / 自助抽样次数")] = 499,
              seed: SeedOpt = 0) -> None:
    """Dagum Gini decomposition (bootstrap intervals), Theil T/L, Gini, CV / Dagum基尼分解与泰尔指数."""
    def go() -> None:
        from nqpf.regional import DagumGini, Inequality

        data, default_out = _load(run, framework, store)
        g = _grouping(grouping)
        with console.status(f"Dagum decomposition, {boot} bootstrap replicates / 自助法"):
            d = DagumGini(data, g, node=node, n_boot=boot, seed=seed)
        ineq = Inequality(data, g, node=node)
        console.print(d.summary)
        console.print(ineq.summary)
        _write(out or default_out, {"dagum_overall": d.overall, "dagum_within": d.within_groups,
                                    "dagum_between": d.between_groups, "dagum": d.to_tidy(),
                                    "inequality": ineq.table, "inequality_groups": ineq.groups_table})
    _guard(go)


@app.command("dynamics")
def dynamics(run: RunOpt = None, framework: FwOpt = None, node: NodeOpt = None, out: OutOpt = None,
             store: StoreOpt = None,
             k: Annotated[int, typer.Option("--classes", "-k", min=2, max=10, help="Quantile classes / 分位数类别")] = 4,
             rule: Annotated[str, typer.Option("--bandwidth", help="silverman|scott / 带宽规则")] = "silverman") -> None:
    """Kernel densities by year, Markov and spatial Markov chains / 核密度与马尔可夫链."""
    def go() -> None:
        from nqpf.regional import KernelDensity, Markov, SpatialMarkov

        data, default_out = _load(run, framework, store)
        kd = KernelDensity(data, node=node, rule=rule)
        mk = Markov(data, k=k, node=node)
        sm = SpatialMarkov(data, k=k, node=node)
        for r in (kd, mk, sm):
            console.print(r.summary)
        _write(out or default_out, {"density": kd.to_tidy(), "density_bandwidths": kd.bandwidths,
                                    "markov": mk.to_tidy(), "spatial_markov": sm.to_tidy()})
    _guard(go)


@app.command("convergence")
def convergence(run: RunOpt = None, framework: FwOpt = None, node: NodeOpt = None, out: OutOpt = None,
                store: StoreOpt = None,
                control: Annotated[list[str] | None, typer.Option("--control", help="Node used as a control for conditional beta (repeatable) / 控制变量")] = None,
                ) -> None:
    """sigma, absolute and conditional beta (two-way FE, clustered SE), Phillips-Sul clubs / σ、β与俱乐部收敛."""
    import pandas as pd
    def go() -> None:
        from nqpf.regional import BetaConvergence, ClubConvergence, SigmaConvergence
        from nqpf.regional.series import RegionalError, as_series

        data, default_out = _load(run, framework, store)
        sig = SigmaConvergence(data, node=node)
        beta = BetaConvergence(data, node=node)
        tables = {"sigma": sig.table, "beta": beta.to_tidy()}
        console.print(sig.summary)
        console.print(beta.summary)
        if control:
            unknown = [c for c in control if c not in data.scores]
            if unknown:
                raise RegionalError(f"unknown control node(s) {', '.join(unknown)}")
            cond = BetaConvergence(data, node=node, controls={c: as_series(data, c) for c in control})
            console.print(cond.summary)
            tables["beta"] = pd.concat([beta.to_tidy(), cond.to_tidy()], ignore_index=True)
        with console.status("Phillips-Sul clubs / 俱乐部收敛"):
            club = ClubConvergence(data, node=node)
        console.print(club.summary)
        tables["clubs"] = club.table
        tables["club_tests"] = club.club_tests
        _write(out or default_out, tables)
    _guard(go)


@app.command("spatial")
def spatial(run: RunOpt = None, framework: FwOpt = None, node: NodeOpt = None, out: OutOpt = None,
            store: StoreOpt = None,
            weights: Annotated[str, typer.Option("--weights", "-w", help="queen|knn|distance / 空间权重")] = "queen",
            k: Annotated[int, typer.Option("--k", min=1, help="Neighbours for knn")] = 4,
            permutations: Annotated[int, typer.Option("--permutations", min=0, help="Permutations / 置换次数")] = 999,
            seed: SeedOpt = 0) -> None:
    """Global Moran's I and Geary's C, LISA clusters, Getis-Ord Gi* / 空间自相关与热点."""
    def go() -> None:
        from nqpf.regional import GetisOrdGStar, GlobalAutocorrelation, LocalMoran, SpatialWeights

        data, default_out = _load(run, framework, store)
        regs = list(data.regions)
        w = SpatialWeights.make(weights, regs, **({"k": k} if weights == "knn" else {}))
        with console.status(f"{permutations} permutations / 置换检验"):
            g = GlobalAutocorrelation(data, w, node=node, permutations=permutations, seed=seed)
            lisa = LocalMoran(data, w, node=node, permutations=permutations, seed=seed)
        gs = GetisOrdGStar(data, w, node=node)
        for r in (g, lisa, gs):
            console.print(r.summary)
        _write(out or default_out, {"moran": g.table, "lisa": lisa.table, "gstar": gs.table,
                                    "weights": w.to_tidy()})
    _guard(go)


@app.command("coupling")
def coupling(run: RunOpt = None, framework: FwOpt = None, node: NodeOpt = None, out: OutOpt = None,
             store: StoreOpt = None,
             with_: Annotated[list[str] | None, typer.Option("--with", help="Other system: run folder or framework id (repeatable; default hqd-four-channels) / 耦合系统")] = None,
             ) -> None:
    """Coupling coordination of the index with other systems (Wang et al. 2021 corrected C) / 耦合协调度."""
    def go() -> None:
        from nqpf.regional import CouplingCoordination

        data, default_out = _load(run, framework, store)
        systems: dict[str, Any] = {data.framework.id: data}
        others = with_ or ["hqd-four-channels"]
        for o in others:
            p = Path(o)
            if (p / "scores.csv").is_file():
                other, _ = _load(p, None, None)
            elif run is not None and (run.parent / o / "scores.csv").is_file():
                other, _ = _load(run.parent / o, None, None)
            else:
                other, _ = _load(None, o, store)
            if other.framework.id in systems:
                raise NqpfError(f"{other.framework.id} is given twice; couple different systems")
            systems[other.framework.id] = other
        cc = CouplingCoordination(systems, nodes={data.framework.id: node} if node else None)
        console.print(cc.summary)
        _write(out or default_out, {"coupling": cc.table})
    _guard(go)


@app.command("obstacles")
def obstacles(run: RunOpt = None, framework: FwOpt = None, out: OutOpt = None, store: StoreOpt = None,
              top: Annotated[int, typer.Option("--top", min=1, help="Obstacles listed per region / 列出的障碍因子数")] = 3) -> None:
    """Obstacle degree of every indicator and dimension, ranked / 障碍度模型."""
    def go() -> None:
        from nqpf.regional import ObstacleDegree

        data, default_out = _load(run, framework, store)
        ob = ObstacleDegree(data)
        console.print(ob.summary)
        _write(out or default_out, {"obstacles_indicators": ob.indicators, "obstacles_dimensions": ob.dimensions,
                                    "obstacles_top": ob.top(top)})
    _guard(go)


@app.command("summary")
def summary(run: RunOpt = None, framework: FwOpt = None, node: NodeOpt = None, grouping: GroupOpt = "nbs4",
            store: StoreOpt = None, seed: SeedOpt = 0) -> None:
    """The closing note: is the gap closing, does between-region dominate, is there spatial autocorrelation / 结论."""
    def go() -> None:
        from nqpf.regional.findings import findings

        data, _ = _load(run, framework, store)
        with console.status("sigma, beta, Dagum, Moran"):
            f = findings(data, _grouping(grouping), node=node, seed=seed)
        console.print(f.note)
    _guard(go)

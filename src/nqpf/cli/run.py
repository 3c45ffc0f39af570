"""``nqpf run``: the main job. Import the real data if the store is empty, build the indices, write outputs."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from nqpf.errors import NqpfError
from nqpf.safeyaml import load_yaml

console = Console()


def _parse_years(text: str | None) -> list[int] | None:
    if not text:
        return None
    if ":" in text:
        a, b = text.split(":", 1)
        return list(range(int(a), int(b) + 1))
    return [int(y) for y in text.split(",")]


def run(
    framework: Annotated[list[str] | None, typer.Option("--framework", "-f", help="Framework id or YAML path (repeatable); default: all shipped / 默认全部内置框架")] = None,
    years: Annotated[str | None, typer.Option(help="Years, e.g. 2012:2019 or 2015,2019 / 年份")] = None,
    normalisation: Annotated[str | None, typer.Option(help="minmax|zscore|rank|percentile|goalposts|distance_to_target / 标准化")] = None,
    scope: Annotated[str | None, typer.Option(help="pooled|per_year normalisation scope / 标准化范围")] = None,
    weighting: Annotated[str | None, typer.Option(help="Indicator-level weights: equal|entropy|critic|pca|entropy_global / 指标权重")] = None,
    weighting_upper: Annotated[str | None, typer.Option(help="Weights of dimensions: equal|entropy|critic|pca|entropy_global / 维度权重")] = None,
    aggregation: Annotated[str | None, typer.Option(help="arithmetic|geometric|generalized|harmonic|topsis / 聚合")] = None,
    imputation: Annotated[str | None, typer.Option(help="none|linear|group_mean|linear+group_mean / 缺失值插补")] = None,
    treatment: Annotated[str | None, typer.Option(help="none|coinr|winsorise|log / 异常值处理")] = None,
    spec_file: Annotated[Path | None, typer.Option("--spec", help="YAML/JSON method spec / 方法设定文件")] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder / 输出目录")] = Path("nqpf-output"),
    data: Annotated[Path | None, typer.Option(help="Data folder imported when the store is empty (default ../shared/data) / 数据目录")] = None,
    store: Annotated[Path | None, typer.Option(help="Store file (default per-user) / 数据库文件")] = None,
    html: Annotated[bool, typer.Option(help="Write the HTML summary / 输出HTML摘要")] = True,
) -> None:
    """Build the shipped indices on the stored panel and write scores, weights, coherence and HTML."""
    from nqpf.data.store import Store
    from nqpf.frameworks import list_frameworks, load_framework
    from nqpf.index.build import build_index
    from nqpf.index.export import write_result
    from nqpf.index.spec import make_spec
    from nqpf.settings import default_data_dir

    t0 = time.perf_counter()
    try:
        base: dict[str, Any] = {}
        if spec_file is not None:
            text = spec_file.read_text(encoding="utf-8")
            base = json.loads(text) if spec_file.suffix == ".json" else (load_yaml(text, name=str(spec_file)) or {})
        changes: dict[str, Any] = {}
        for key, val in (("normalisation", normalisation), ("weighting", weighting),
                         ("weighting_upper", weighting_upper), ("aggregation", aggregation),
                         ("imputation", imputation), ("treatment", treatment)):
            if val:
                changes[key] = val
        if scope:
            changes["normalisation"] = {**(({"method": normalisation}) if normalisation else {}), "scope": scope}
        if years:
            changes["years"] = _parse_years(years)
        spec = make_spec(base, **changes)
        with Store(store) as st:
            if st.is_empty():
                folder = data or default_data_dir()
                if folder is None or not Path(folder).is_dir():
                    raise NqpfError(
                        "the store is empty and no data folder was found: pass --data DIR or set NQPF_DATA"
                        " / 数据库为空且未找到数据目录"
                    )
                folder = Path(folder)
                targets = [p for p in (folder / "panel", folder / "raw") if p.is_dir()] or [folder]
                console.print(f"[bold]Importing / 导入[/] {', '.join(map(str, targets))}")
                report = st.import_files(targets)
                console.print(f"  {report}")
            panel = st.panel()
        ids = framework or list_frameworks()
        out.mkdir(parents=True, exist_ok=True)
        entries = []
        for fid in ids:
            fw = load_framework(fid)
            result = build_index(fw, panel, spec)
            paths = write_result(result, out, html=html)
            _print_result(result, paths)
            top = result.ranking().head(5)
            entries.append({
                "framework": fw.id, "name_en": fw.name_en, "name_zh": fw.name_zh,
                "years": (result.years[0], result.years[-1]),
                "top": list(zip(top["region_en"], top["region_zh"], top["score"], strict=True)),
                "href": f"{fw.id}/summary.html" if html else f"{fw.id}/scores.csv",
            })
        from nqpf.report.index_page import write_index_page

        write_index_page(out / "index.html", entries, meta={"store": st.path})
    except NqpfError as e:
        console.print(f"[red]error / 错误:[/] {e}")
        raise typer.Exit(1) from None
    console.print(f"[green]done / 完成[/] in {time.perf_counter() - t0:.1f}s -> {out.resolve()}")


def _print_result(result: Any, paths: dict[str, Path]) -> None:
    rk = result.ranking()
    table = Table(title=f"{result.framework.name_en} / {result.framework.name_zh} — {result.years[-1]}")
    table.add_column("rank 排名", justify="right")
    table.add_column("region 地区")
    table.add_column("score 得分", justify="right")
    for _, row in rk.head(5).iterrows():
        table.add_row(str(row["rank"]), f"{row['region_en']} {row['region_zh']}", f"{row['score']:.3f}")
    table.add_row("…", "…", "…")
    for _, row in rk.tail(3).iterrows():
        table.add_row(str(row["rank"]), f"{row['region_en']} {row['region_zh']}", f"{row['score']:.3f}")
    console.print(table)
    means = result.group_means().iloc[-1]
    console.print(
        "  regional means 区域均值: " + ", ".join(f"{k} {v:.3f}" for k, v in means.sort_values(ascending=False).items())
    )
    console.print(f"  years {result.years[0]}-{result.years[-1]}, {len(result.indicators)} indicators, "
                  f"{int(result.imputed.sum())} imputed cells -> {paths['scores_csv'].parent}")

"""``nqpf data sources`` / ``nqpf data fetch``: list public sources, fetch a series into the store.

Commands of :data:`app`:

* ``sources [SOURCE] [--kind api|reference]``: the source manifest as a bilingual table;
  with ``SOURCE``, that source's details and fetchable series.
* ``get SOURCE SERIES [--years 2010:2023] [--store PATH] [--base-url URL] [--cache DIR]
  [--offline] [--adhoc] [--dry-run]``: fetch one series and import it into the store.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from nqpf.errors import NqpfError
from nqpf.settings import default_store_path

if TYPE_CHECKING:
    from nqpf.data.batch import ImportBatch

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="Public data sources and fetchers / 公开数据来源与下载",
)
console = Console()


def _fail(exc: Exception) -> typer.Exit:
    Console(stderr=True).print(f"[red]Error / 错误:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
    return typer.Exit(1)


@app.command("sources")
def sources(
    source: Annotated[str | None, typer.Argument(help="Show one source in detail / 查看单个来源")] = None,
    kind: Annotated[str | None, typer.Option(help="api or reference / 仅显示 api 或 reference")] = None,
    manifest: Annotated[Path | None, typer.Option(help="Another manifest file / 其他清单文件")] = None,
) -> None:
    """List public sources (APIs nqpf can fetch, and where the bundled data comes from).

    列出公开数据来源（可下载的接口，以及随附数据的出处）。
    """
    from nqpf.data.fetch import load_manifest
    try:
        man = load_manifest(manifest)
        if source is not None:
            _show_source(man.source(source))
            return
    except NqpfError as exc:
        raise _fail(exc) from exc
    table = Table(title="Public sources / 公开数据来源")
    table.add_column("id", no_wrap=True)
    table.add_column("kind / 类型", no_wrap=True)
    table.add_column("name / 名称", overflow="fold", ratio=3)
    table.add_column("publisher / 发布机构", overflow="fold", ratio=2)
    for s in man.sources.values():
        if kind and s.kind != kind:
            continue
        label = f"API, {len(s.series)} series" if s.kind == "api" else "reference / 出处"
        table.add_row(s.id, label, f"{s.name_en}\n{s.name_zh}", s.publisher)
    console.print(table)
    console.print("Details, series and terms / 详情、序列与许可: nqpf data sources SOURCE", highlight=False)
    console.print("Fetch with / 下载: nqpf data fetch SOURCE SERIES --years 2010:2023",
                  highlight=False)


def _show_source(src: Any) -> None:
    console.print(f"[bold]{src.id}[/bold]: {src.name_en} / {src.name_zh}", highlight=False)
    for label, value in (("Publisher / 发布机构", src.publisher), ("Homepage / 主页", src.homepage),
                         ("API", src.base_url), ("Covers / 覆盖范围", src.covers),
                         ("Terms / 许可", src.terms),
                         ("Repository / 仓库", f"{src.repo} @ {src.commit}" if src.repo else "")):
        if value:
            console.print(f"  {label}: {value}", highlight=False, soft_wrap=True)
    if not src.series:
        console.print("  Documentation only: nqpf fetches nothing from this source. "
                      "/ 仅作说明，nqpf 不从此来源下载。", highlight=False)
        return
    table = Table(title=f"Series of {src.id} / 可下载序列")
    table.add_column("series", no_wrap=True)
    table.add_column("code / 代码", no_wrap=True)
    for col in ("name / 名称", "unit / 单位", "panel variable / 对应变量"):
        table.add_column(col, overflow="fold")
    for s in src.series:
        table.add_row(s.id, s.code, f"{s.name_en}\n{s.name_zh}",
                      s.unit + (f" ({s.unit_zh})" if s.unit_zh and s.unit_zh != s.unit else ""),
                      s.related)
    console.print(table)


def import_into_store(batches: list[ImportBatch], store_path: Path) -> Any:
    """Import fetched batches into the store (the one place the CLI writes it)."""
    from nqpf.data.store import Store

    with Store(store_path) as s:
        return s.import_batches(batches)


def _summary(batches: list[ImportBatch]) -> tuple[int, int, int, str]:
    n = sum(len(b.observations) for b in batches)
    present = sum(int(b.observations["value"].notna().sum()) for b in batches)
    regions = {r for b in batches for r in b.observations["region_code"]}
    years = sorted({int(y) for b in batches for y in b.observations["year"]})
    span = f"{years[0]}-{years[-1]}" if years else "-"
    return n, present, len(regions), span


@app.command("get")
def get(
    source: Annotated[str, typer.Argument(help="Source id, e.g. nbs, worldbank / 来源")],
    series: Annotated[str, typer.Argument(help="Series id or API code, e.g. gdp, A020101 / 序列")],
    years: Annotated[str | None, typer.Option(help="Years, e.g. 2010:2023 / 年份范围")] = None,
    store: Annotated[Path | None, typer.Option(help="Store file (default $NQPF_STORE) / 数据库文件")] = None,
    base_url: Annotated[str | None, typer.Option(help="Override the API base URL / 接口地址")] = None,
    cache: Annotated[Path | None, typer.Option(help="Save raw answers here / 原始响应缓存目录")] = None,
    offline: Annotated[bool, typer.Option(help="Replay from --cache only / 仅用缓存")] = False,
    adhoc: Annotated[bool, typer.Option(help="Allow a code not in the manifest / 允许清单外代码")] = False,
    retries: Annotated[int, typer.Option(help="Retries on errors / 重试次数")] = 3,
    timeout: Annotated[float, typer.Option(help="Seconds per request / 超时秒数")] = 30.0,
    backoff: Annotated[float, typer.Option(help="First retry wait, doubled each time / 退避秒数")] = 1.0,
    dry_run: Annotated[bool, typer.Option(help="Fetch but do not import / 只下载不导入")] = False,
) -> None:
    """Fetch one series from a public API and import it into the store.

    从公开接口下载一个序列并导入数据库。
    """
    from nqpf.data.fetch import FetchOptions, fetch, parse_years
    if offline and cache is None:
        raise _fail(ValueError("--offline needs --cache DIR / 离线模式需要指定 --cache"))
    try:
        yrs = parse_years(years)
        opts = FetchOptions(timeout=timeout, retries=retries, backoff=backoff, cache_dir=cache,
                            offline=offline)
        batches = fetch(source, series, yrs, base_url=base_url, options=opts, adhoc=adhoc)
    except NqpfError as exc:
        raise _fail(exc) from exc
    n, present, n_regions, span = _summary(batches)
    variables = sorted({v for b in batches for v in b.observations["variable"]})
    console.print(
        f"Fetched {n} observations ({present} with values, {n - present} missing) for "
        f"{n_regions} region(s), {span}, in {len(batches)} response(s): {', '.join(variables)}\n"
        f"已获取 {n} 个观测值（有值 {present}，缺失 {n - present}），{n_regions} 个地区，{span}，"
        f"共 {len(batches)} 次响应", highlight=False, soft_wrap=True)
    if not batches:
        console.print("Nothing to import. / 没有可导入的数据。")
        return
    if dry_run:
        console.print("Dry run: nothing imported. / 试运行：未导入。")
        return
    path = store or default_store_path()
    try:
        report = import_into_store(batches, path)
    except NqpfError as exc:
        raise _fail(exc) from exc
    console.print(f"Import / 导入: {report}", highlight=False, soft_wrap=True)

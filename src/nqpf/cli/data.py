"""``nqpf data``: import statistics into the store and inspect them / 导入与查看数据."""

from __future__ import annotations

import contextlib
import math
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from nqpf.cli.safetext import plain
from nqpf.errors import NqpfError, StoreError, ValidationError
from nqpf.regions import REGISTRY
from nqpf.safeyaml import load_yaml

if TYPE_CHECKING:
    import pandas as pd

    from nqpf.data.store import ImportReport, Store

app = typer.Typer(
    no_args_is_help=True,
    help="Import, list and inspect statistics in the store / 导入与查看数据库中的统计数据",
)

StoreOpt = Annotated[
    Path | None,
    typer.Option(
        "--store",
        help="Store file (default $NQPF_STORE or ~/.local/share/nqpf/nqpf.duckdb) / 数据库文件",
        dir_okay=False,
    ),
]
CsvOpt = Annotated[
    Path | None,
    typer.Option(
        "--csv", help="Write the table as CSV to FILE ('-' = stdout) / 导出 CSV", dir_okay=False
    ),
]


def _out() -> Console:
    return Console() if sys.stdout.isatty() else Console(width=200)


def _err() -> Console:
    return Console(stderr=True) if sys.stderr.isatty() else Console(stderr=True, width=200)


WaitOpt = Annotated[
    float | None,
    typer.Option(
        "--wait",
        min=0,
        help="Seconds to wait while another import holds the store (default $NQPF_STORE_WAIT "
        "or 30; 0 = fail at once) / 数据库被占用时的等待秒数",
    ),
]


def _fail(exc: Exception, header: str) -> typer.Exit:
    """Print an error and return the exit signal: data problems (every problem of a
    ValidationError listed) exit 1; a store that is busy, damaged or cannot be written, and
    unreadable files, print one line and exit 2."""
    con = _err()
    if isinstance(exc, StoreError | OSError):
        msg = exc if isinstance(exc, StoreError) else f"{exc.filename or ''}: {exc.strerror or exc}"
        con.print(plain(f"{header}: {msg}", style="bold red"), highlight=False, soft_wrap=True)
        return typer.Exit(code=2)
    con.print(plain(header, style="bold red"), highlight=False)
    problems = exc.problems if isinstance(exc, ValidationError) else []
    if problems and not (len(problems) == 1 and str(exc).endswith(problems[0])):
        con.print(plain(f"{exc}:"), highlight=False)
        for p in problems:
            con.print(plain(f"  - {p}"), highlight=False)
    else:
        con.print(plain(f"  {exc}"), highlight=False)
    return typer.Exit(code=1)


@contextlib.contextmanager
def _guard(header: str) -> Iterator[None]:
    """Turn an nqpf error or an OS error inside a command into its message and exit code."""
    try:
        yield
    except (NqpfError, OSError) as exc:
        raise _fail(exc, header) from None


_READ = "Cannot read the store / 无法读取数据库"


def _fmt(v: Any) -> str:
    """A value for display: thousands separators, no trailing zeros, blank for missing."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, int | float):
        return format(float(v), ",.10g")
    return str(v)


def _decimals(values: pd.Series, cap: int = 6) -> int:
    """The fewest decimals that show every value exactly (up to ``cap``)."""
    vals = values.dropna().astype(float)
    for d in range(cap + 1):
        if ((vals.round(d) - vals).abs() <= 1e-9 * vals.abs().clip(lower=1)).all():
            return d
    return cap


def _write_csv(df: pd.DataFrame, csv: Path, *, index: bool = False) -> None:
    if str(csv) == "-":
        df.to_csv(sys.stdout, index=index)
        return
    try:
        df.to_csv(csv, index=index)
    except OSError as exc:
        _err().print(
            plain(f"Cannot write {csv}: {exc.strerror or exc} / 无法写入文件", style="bold red")
        )
        raise typer.Exit(code=2) from None
    _err().print(plain(f"wrote / 已写入 {csv}"), highlight=False)


def _table(df: pd.DataFrame, headers: dict[str, str], title: str | None = None) -> Table:
    """A rich table of ``df``; every cell and the title are printed literally (no markup,
    control characters escaped)."""
    import pandas as pd
    t = Table(title=plain(title) if title is not None else None, show_lines=False)
    for col in df.columns:
        numeric = pd.api.types.is_numeric_dtype(df[col])
        t.add_column(plain(headers.get(str(col), str(col))), justify="right" if numeric else "left")
    for row in df.itertuples(index=False):
        t.add_row(*[plain(v if isinstance(v, str) else _fmt(None if pd.isna(v) else v))
                    for v in row])  # fmt: skip
    return t


def _parse_years(spec: str | None) -> list[int] | None:
    """``"2015:2020"``, ``"2015:"``, ``":2020"``, ``"2015"`` or ``"2010,2015,2020"``."""
    if spec is None or not spec.strip():
        return None
    years: list[int] = []
    try:
        for part in spec.split(","):
            part = part.strip()
            if ":" in part:
                a, b = part.split(":", 1)
                lo = int(a) if a.strip() else 1900
                hi = int(b) if b.strip() else 2100
                if lo > hi:
                    raise ValueError
                years.extend(range(lo, hi + 1))
            else:
                years.append(int(part))
    except ValueError:
        raise typer.BadParameter(
            f"{spec!r}: give years as 2015:2020, 2015 or 2010,2015 / 年份格式如 2015:2020",
            param_hint="--years",
        ) from None
    return years


def _parse_regions(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    names = [n.strip() for v in values for n in v.split(",") if n.strip()]
    return [REGISTRY.resolve(n).code for n in names]


# -- import ------------------------------------------------------------------------------
@app.command("import")
def import_(
    paths: Annotated[
        list[Path],
        typer.Argument(help="Files or folders to import / 要导入的文件或文件夹", exists=True),
    ],
    store: StoreOpt = None,
    importer: Annotated[
        str | None, typer.Option(help="Force an importer (e.g. csv, nbs, techme) / 指定导入器")
    ] = None,
    variable: Annotated[
        str | None, typer.Option(help="Variable id for a single-indicator file / 变量名")
    ] = None,
    unit: Annotated[str | None, typer.Option(help="Unit of that variable / 单位")] = None,
    source: Annotated[str | None, typer.Option(help="Source id to record / 数据来源")] = None,
    mapping: Annotated[
        Path | None,
        typer.Option(
            help="YAML file naming the columns of a tidy table (region, year, variable, value, "
            "unit, layout, columns, sheet) / 列映射文件",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    map_: Annotated[
        list[str] | None,
        typer.Option("--map", help="One column mapping KEY=COLUMN, e.g. region=地区 / 单项列映射"),
    ] = None,
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="Show a progress bar / 显示进度")
    ] = True,
    on_conflict: Annotated[
        str,
        typer.Option(
            "--on-conflict",
            help="When files of this import give different values for one cell: error "
            "(refuse), newer (files in the order given, later ones as newer vintages), older "
            "(the first file's value is kept) / 文件间数值冲突时的处理",
        ),
    ] = "error",
    wait: WaitOpt = None,
) -> None:
    """Import files into the store, all or nothing / 导入数据文件（全部成功或全部不写入）.

    Every file is read and validated first; if any problem is found, every problem is
    printed, nothing is written and the exit code is 1. Files already imported (same sha256
    and sheet) are skipped. A store busy with another import, or one that cannot be written,
    gives one line and exit code 2.
    """
    from nqpf.data.store import ON_CONFLICT, Store
    if on_conflict not in ON_CONFLICT:
        raise typer.BadParameter(
            f"{on_conflict!r}: choose one of {', '.join(ON_CONFLICT)} / 可选 error、newer、older",
            param_hint="--on-conflict",
        )
    if importer is not None and importer not in _IMPORTERS:
        raise typer.BadParameter(
            f"{importer!r}: choose one of {', '.join(_IMPORTERS)} / 可选导入器",
            param_hint="--importer",
        )
    cols = _read_mapping(mapping, map_ or [])
    read_kw: dict[str, Any] = {
        k: v
        for k, v in {
            "importer": importer,
            "variable": variable,
            "unit": unit,
            "source": source,
            "mapping": cols,
        }.items()
        if v is not None
    }
    st = Store(store, wait=wait)
    try:
        report = st.import_files(paths, progress=progress, on_conflict=on_conflict, **read_kw)
    except (NqpfError, ValueError, OSError) as exc:
        raise _fail(exc, "Import failed; nothing was written / 导入失败，未写入任何数据") from None
    _print_report(report)


_IMPORTERS = ("tidy", "nbs", "rdata")


def _read_mapping(path: Path | None, pairs: list[str]) -> dict[str, Any] | None:
    """A column mapping from a YAML file and/or ``KEY=COLUMN`` pairs (pairs win)."""
    out: dict[str, Any] = {}
    if path is not None:
        import yaml

        try:
            loaded = load_yaml(path)
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise typer.BadParameter(f"{path}: {exc}", param_hint="--mapping") from None
        if not isinstance(loaded, dict):
            raise typer.BadParameter(
                f"{path}: expected KEY: COLUMN lines / 需为键值映射", param_hint="--mapping"
            )
        out.update(loaded)
    for pair in pairs:
        key, sep, val = pair.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(
                f"{pair!r}: write KEY=COLUMN / 格式为 键=列名", param_hint="--map"
            )
        if key.strip() == "columns":
            out["columns"] = [c.strip() for c in val.split(",") if c.strip()]
        else:
            out[key.strip()] = val.strip() or None
    return out or None


def _print_report(report: ImportReport) -> None:
    import pandas as pd
    t = Table(title="Import summary / 导入摘要", show_header=True)
    t.add_column("item / 项目")
    t.add_column("count / 数量", justify="right")
    t.add_row("files imported / 已导入文件", str(len(report.files_imported)))
    t.add_row("files skipped (already stored) / 跳过（已导入）", str(len(report.files_skipped)))
    t.add_row("tables written / 写入表", str(len(report.imported)))
    t.add_row("values written / 写入数值", f"{report.n_values:,}")
    t.add_row("missing values (not stored) / 缺失值（未存储）", f"{report.n_missing:,}")
    t.add_row("variables / 变量", str(len(report.variables)))
    t.add_row("stored values revised (older kept) / 被修订的已存数值（旧值保留）",
              f"{report.n_revised:,}")
    if report.n_kept_older:
        t.add_row("conflicting values not stored (older kept) / 冲突未存储（保留较早值）",
                  f"{report.n_kept_older:,}")
    if report.empty:
        t.add_row("empty tables (nothing written) / 空表（未写入）", str(len(report.empty)))
    out = _out()
    out.print(t)
    out.print(plain(f"conflicts between files / 文件间冲突: --on-conflict {report.on_conflict}"))
    rows = [b for b in report.batches if b.n_revised or b.n_kept_older or b.status == "empty"]
    if rows:
        df = pd.DataFrame(
            {
                "source_file": [Path(b.source_file).name for b in rows],
                "sheet": [b.sheet for b in rows],
                "import_id": [b.import_id for b in rows],
                "status": [b.status for b in rows],
                "n_revised": [b.n_revised for b in rows],
                "n_restated": [b.n_restated for b in rows],
                "n_kept_older": [b.n_kept_older for b in rows],
            }
        )
        df["import_id"] = df["import_id"].astype("Int64")
        out.print(_table(df, _HEADERS, title="Vintages that replaced or dropped values / "
                                             "修订或舍弃的数值 (see `nqpf data provenance`)"))
    out.print(plain(f"store / 数据库: {report.store}"), highlight=False)
    if not report.changed:
        out.print("Nothing new: the store is unchanged / 无新数据，数据库未改变", highlight=False)


# -- list / coverage / imports -----------------------------------------------------------
_HEADERS = {
    "variable": "variable / 变量",
    "name_en": "name",
    "name_zh": "名称",
    "unit": "unit / 单位",
    "source": "source / 来源",
    "n_obs": "values / 数值数",
    "n_regions": "regions / 地区数",
    "years": "years / 年份",
    "n_vintages": "vintages / 版本数",
    "years_covered": "years covered / 覆盖年份",
    "provinces_covered": "provinces / 省份数",
    "first_year": "first / 起",
    "last_year": "last / 止",
    "import_id": "import / 版本",
    "run_id": "run / 批次",
    "source_file": "file / 文件",
    "sheet": "sheet / 表",
    "sha256": "sha256",
    "importer": "importer / 导入器",
    "imported_at": "imported (UTC) / 导入时间",
    "n_values": "values / 数值数",
    "n_missing": "missing / 缺失",
    "current": "current / 当前",
    "value": "value / 数值",
    "line": "line / 行",
    "cell": "cell / 单元格",
    "region": "region / 地区",
    "status": "status / 状态",
    "n_revised": "revised / 修订",
    "n_restated": "unchanged / 未变",
    "n_kept_older": "kept older / 保留旧值",
}


def _open_nonempty(store: Path | None, wait: float | None = None) -> Store:
    from nqpf.data.store import Store
    st = Store(store, wait=wait)
    try:
        empty = st.is_empty()
    except (NqpfError, OSError) as exc:
        raise _fail(exc, "Cannot read the store / 无法读取数据库") from None
    if empty:
        _err().print(
            plain(f"The store {st.path} is empty; import data with `nqpf data import PATH` / "
                  "数据库为空，请先导入数据"),
            highlight=False,
        )
        raise typer.Exit(code=1)
    return st


@app.command("list")
def list_(store: StoreOpt = None, csv: CsvOpt = None) -> None:
    """List the variables in the store / 列出数据库中的变量."""
    st = _open_nonempty(store)
    with _guard(_READ):
        df = st.variables()
    if csv is not None:
        _write_csv(df, csv)
        return
    df = df.assign(years=df["first_year"].astype(str) + "-" + df["last_year"].astype(str))
    cols = ["variable", "name_en", "name_zh", "unit", "source", "n_obs", "n_regions", "years",
            "n_vintages"]  # fmt: skip
    _out().print(_table(df[cols], _HEADERS, title=f"Variables / 变量 ({len(df)})"))


@app.command("coverage")
def coverage(
    store: StoreOpt = None,
    csv: CsvOpt = None,
    matrix: Annotated[
        bool,
        typer.Option("--matrix", help="Variables x years counts of provinces / 变量×年份省份数"),
    ] = False,
) -> None:
    """Coverage of each variable: years and provinces / 各变量的年份与省份覆盖."""
    st = _open_nonempty(store)
    if matrix:
        with _guard(_READ):
            m = st.coverage_matrix()
        if csv is not None:
            _write_csv(m, csv, index=True)
            return
        df = m.reset_index()
        df.columns = [str(c) for c in df.columns]
        _out().print(_table(df, _HEADERS, title="Provinces with a value / 有数据的省份数"))
        return
    with _guard(_READ):
        df = st.coverage()
    if csv is not None:
        _write_csv(df, csv)
        return
    cols = ["variable", "name_zh", "unit", "years_covered", "provinces_covered", "n_obs"]
    _out().print(_table(df[cols], _HEADERS, title="Coverage / 数据覆盖"))


@app.command("imports")
def imports(store: StoreOpt = None, csv: CsvOpt = None) -> None:
    """List every import (vintage) with its provenance / 列出所有导入版本及来源."""
    st = _open_nonempty(store)
    with _guard(_READ):
        df = st.imports()
    if csv is not None:
        _write_csv(df, csv)
        return
    df = df.assign(sha256=df["sha256"].str[:12], imported_at=df["imported_at"].astype(str).str[:19])
    cols = ["import_id", "source_file", "sheet", "importer", "sha256", "imported_at", "n_values"]
    _out().print(_table(df[cols], _HEADERS, title="Imports / 导入版本"))


# -- show / provenance -------------------------------------------------------------------
@app.command("show")
def show(
    variable: Annotated[str, typer.Argument(help="Variable id / 变量名")],
    regions: Annotated[
        list[str] | None,
        typer.Option("--regions", "-r", help="Regions, any name or code, comma-separated / 地区"),
    ] = None,
    years: Annotated[
        str | None, typer.Option("--years", "-y", help="Years, e.g. 2015:2020 / 年份")
    ] = None,
    vintage: Annotated[
        int | None, typer.Option(help="Show one import id instead of the latest / 指定版本")
    ] = None,
    store: StoreOpt = None,
    csv: CsvOpt = None,
) -> None:
    """Show one variable by region and year, with its provenance / 显示变量的分地区分年数据.

    On screen: regions x years, as in the yearbooks. CSV: years x regions (region codes).
    """
    import pandas as pd
    st = _open_nonempty(store)
    ys = _parse_years(years)
    try:
        codes = _parse_regions(regions)
        obs = st.observations(
            [variable], codes, ys, vintage=vintage if vintage is not None else "latest"
        )
    except (NqpfError, OSError) as exc:
        raise _fail(exc, "Cannot show / 无法显示") from None
    with _guard(_READ):
        cat = st.catalog().set_index("variable").loc[variable]
    wide = obs.pivot(index="year", columns="region_code", values="value").sort_index()
    if csv is not None:
        _write_csv(wide, csv, index=True)
        return
    out = _out()
    title = f"{variable}: {cat['name_en']} / {cat['name_zh']} ({cat['unit']})"
    if wide.empty:
        out.print(plain(title), highlight=False)
        out.print("No values for this selection / 所选范围无数据", highlight=False)
        return
    out.print(plain(title), highlight=False)
    t = Table()
    t.add_column("region / 地区")
    for y in wide.index:
        t.add_column(str(y), justify="right")
    dec = _decimals(obs["value"])
    for code in wide.columns:
        r = REGISTRY.lookup(code)
        label = f"{r.name_zh} {r.name_en}" if r else str(code)
        t.add_row(label, *["" if pd.isna(v) else f"{v:,.{dec}f}" for v in wide[code]])
    out.print(t)
    used = obs.groupby("import_id").size().rename("n_values").reset_index()
    with _guard(_READ):
        imps = st.imports()
    prov = imps.merge(used, on="import_id", suffixes=("_import", ""))
    prov = prov.assign(
        sha256=prov["sha256"].str[:12], imported_at=prov["imported_at"].astype(str).str[:19]
    )
    cols = ["import_id", "source_file", "sheet", "sha256", "imported_at", "n_values"]
    out.print(_table(prov[cols], _HEADERS, title="Provenance of these values / 数据来源"))
    out.print(plain(f"source / 来源: {cat['source']}"), highlight=False)


@app.command("provenance")
def provenance(
    variable: Annotated[str, typer.Argument(help="Variable id / 变量名")],
    region: Annotated[str, typer.Argument(help="Region name or code / 地区")],
    year: Annotated[int, typer.Argument(help="Year / 年份")],
    store: StoreOpt = None,
    csv: CsvOpt = None,
) -> None:
    """Every stored vintage of one value, with file and sha256 / 某一数值的所有版本及来源."""
    st = _open_nonempty(store)
    try:
        df = st.provenance(variable, region, year)
        reg = REGISTRY.resolve(region)
    except (NqpfError, OSError) as exc:
        raise _fail(exc, "Cannot show provenance / 无法显示来源") from None
    if csv is not None:
        _write_csv(df, csv)
        return
    out = _out()
    title = f"{variable} · {reg.name_zh} {reg.name_en} ({reg.code}) · {year}"
    if df.empty:
        out.print(plain(title), highlight=False)
        out.print("No stored value / 无存储数值", highlight=False)
        return
    df = df.assign(
        current=df["current"].map({True: "yes / 是", False: ""}),
        imported_at=df["imported_at"].astype(str).str[:19],
    )
    cols = ["current", "import_id", "value", "source_file", "sheet", "sha256", "importer",
            "imported_at", "line", "cell"]  # fmt: skip
    out.print(_table(df[cols], _HEADERS, title=title))


@app.command("regions")
def regions(
    groups: Annotated[
        list[Path] | None,
        typer.Option("--groups", help="A user grouping file (CSV region,group[,group_zh] or YAML) / 自定义分组文件"),
    ] = None,
    csv: CsvOpt = None,
) -> None:
    """The region registry: codes, names, aliases and groupings / 地区代码、名称与分组."""
    import pandas as pd
    try:
        reg = REGISTRY.copy()  # user groupings never change the shared registry
        names = [reg.load_groups(g) for g in groups or []]
    except (NqpfError, OSError) as exc:
        raise _fail(exc, "Cannot read the grouping / 无法读取分组文件") from None
    groupings = ["nbs4", "belt3", *names]
    rows = []
    for r in reg.provinces():
        row: dict[str, Any] = {"region_code": r.code, "name_en": r.name_en, "name_zh": r.name_zh,
                               "full_zh": r.full_zh}
        for g in groupings:
            grp = reg.group_of(r.code, g)
            row[g] = f"{grp.name_en} {grp.name_zh}" if grp else ""
        row["aliases"] = "; ".join(r.aliases)
        rows.append(row)
    df = pd.DataFrame(rows)
    if csv is not None:
        _write_csv(df, csv)
        return
    table = Table(title="Regions / 地区 (GB/T 2260)")
    for col in df.columns:
        table.add_column(col)
    for rec in df.itertuples(index=False):
        table.add_row(*[str(v) for v in rec])
    _out().print(table)


# -- verify ------------------------------------------------------------------------------
@app.command("verify")
def verify(store: StoreOpt = None, wait: WaitOpt = None) -> None:
    """Check the store's integrity and say how to recover / 检查数据库完整性.

    Reads every block of the store (DuckDB checks their checksums) and checks its
    invariants (each import whole, every value traced to an import and a catalog entry).
    Exit code 0 when the store is sound, 2 when it is damaged.
    """
    from nqpf.data.store import Store
    st = Store(store, wait=wait)
    with _guard("Cannot verify the store / 无法检查数据库"):
        rep = st.verify()
    out = _out()
    for note in rep.notes:
        out.print(plain(f"note / 提示: {note}"), highlight=False)
    if rep.counts:
        out.print(plain(
            f"{st.path}: {rep.counts.get('imports', 0)} imports, "
            f"{rep.counts.get('observations', 0):,} values, {rep.counts.get('variables', 0)} "
            "variables read back"
        ), highlight=False)
    if rep.ok:
        out.print("OK: the store is consistent / 数据库完整", highlight=False)
        return
    err = _err()
    for p in rep.problems:
        err.print(plain(f"damaged / 已损坏: {p}", style="bold red"), highlight=False)
    err.print(plain(rep.advice), highlight=False)
    raise typer.Exit(code=2)

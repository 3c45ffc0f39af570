"""``nqpf data check``: flag breaks, jumps, outliers, unit changes, gaps and mixed vintages.

Registered in :mod:`nqpf.cli` as ``_data.app.command("check", ...)(_check.check)``.
"""

from __future__ import annotations

import difflib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from nqpf.errors import NqpfError

if TYPE_CHECKING:
    from nqpf.data.check import CheckResult


def _out() -> Console:
    return Console() if sys.stdout.isatty() else Console(width=220)


def _err() -> Console:
    return Console(stderr=True) if sys.stderr.isatty() else Console(stderr=True, width=220)


def _usage(msg: str) -> typer.Exit:
    """One line naming what is wrong and what would be right; exit code 2."""
    _err().print(f"[bold red]error / 错误:[/] {msg}", highlight=False)
    return typer.Exit(code=2)


def check(
    store: Annotated[Path | None, typer.Option("--store", help="Store file (default $NQPF_STORE) / 数据库文件", dir_okay=False)] = None,
    variable: Annotated[list[str] | None, typer.Option("--variable", "-v", help="Check only this variable (repeatable) / 仅检查该变量")] = None,
    framework: Annotated[str | None, typer.Option("--framework", "-f", help="Check the variables a framework reads (id, id@version or YAML) / 仅检查框架所用变量")] = None,
    kind: Annotated[list[str] | None, typer.Option("--kind", "-k", help="Only these kinds (repeatable): jump, level_break, unit_change, outlier, gap, missing_region, mixed_vintage, mixed_source / 仅这些类型")] = None,
    csv: Annotated[Path | None, typer.Option("--csv", help="Write every flag as CSV to FILE / 导出 CSV", dir_okay=False)] = None,
    html: Annotated[Path | None, typer.Option("--html", help="Write an HTML page of the flags to FILE / 导出 HTML 页面", dir_okay=False)] = None,
) -> None:
    """Flag what to ask about before building an index / 构建指数前的数据检查.

    Jumps and level breaks within a series, outliers across provinces, unit changes, gaps,
    provinces never observed, mixed vintages and sources; every flag names the region,
    variable, years and evidence.
    """
    from nqpf.data.check import KINDS, check_store
    from nqpf.data.store import Store
    for k in kind or []:
        if k not in KINDS:
            hint = difflib.get_close_matches(k, list(KINDS), n=1)
            tip = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise _usage(f"unknown --kind {k!r}{tip}; use one of {', '.join(KINDS)}")
    st = Store(store)
    try:
        empty = st.is_empty()
    except NqpfError as exc:
        raise _usage(f"cannot read the store {st.path}: {exc}") from None
    if empty:
        raise _usage(f"the store {st.path} is empty; import data first: nqpf data import PATH")
    known = set(st.catalog()["variable"])
    names = list(variable or [])
    if framework is not None:
        from nqpf.frameworks import load_framework

        try:
            fw = load_framework(framework)
        except NqpfError as exc:
            raise _usage(str(exc).splitlines()[0]) from None
        names += sorted(fw.variables())
    for v in names:
        if v not in known:
            hint = difflib.get_close_matches(v, sorted(known), n=2, cutoff=0.6)
            tip = f" (did you mean {', '.join(map(repr, hint))}?)" if hint else ""
            raise _usage(f"unknown variable {v!r} in the store{tip}; see nqpf data list")
    with _err().status("Checking the data / 正在检查数据 ..."):
        res = check_store(st, variables=sorted(set(names)) or None, kinds=kind or None)
    if csv is not None:
        res.to_csv(csv)
        _err().print(f"wrote / 已写入 {csv}", highlight=False)
    if html is not None:
        res.to_html(html)
        _err().print(f"wrote / 已写入 {html}", highlight=False)
    _print(res)


def _print(res: CheckResult) -> None:
    con = _out()
    s = Table(title=f"Data check / 数据检查: {len(res)} flags on {len(res.variables)} variables")
    for h in ("kind / 类型", "flags / 标记", "variables / 变量"):
        s.add_column(h, justify="left" if h.startswith("kind") else "right")
    for r in res.summary.to_dict("records"):
        s.add_row(str(r["label"]), str(r["n_flags"]), str(r["n_variables"]))
    con.print(s)
    if not len(res):
        return
    t = Table(title="Flags / 标记", show_lines=False)
    for h in ("kind / 类型", "region / 地区", "variable / 变量", "years / 年份", "evidence / 依据"):
        t.add_column(h, overflow="fold")
    for r in res.flags.to_dict("records"):
        a, b = int(r["year_from"]), int(r["year_to"])
        years = str(a) if a == b else f"{a}-{b}"
        t.add_row(str(r["kind"]), f"{r['region_en']} {r['region_zh']}", str(r["variable"]), years, str(r["evidence"]))
    con.print(t)

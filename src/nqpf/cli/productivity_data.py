"""The panel for ``nqpf productivity`` and ``nqpf linkage``: the store, with the bundle's
``panel/`` and then ``extension/`` tidy CSVs imported (two imports) when series are missing."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from nqpf.errors import NqpfError
from nqpf.panel import Panel

NEEDED = ("gfcf", "fai_funds_in_place_growth", "energy_consumption_total")


def load_panel(store: Path | None, data: Path | None, console: Console) -> Panel:
    """Latest vintage of every stored value, importing the real data first if needed."""
    from nqpf.data.store import Store

    with Store(store) as st:
        have = set() if st.is_empty() else set(st.catalog()["variable"])
        if not set(NEEDED) <= have:
            if not st.is_empty():
                raise NqpfError("the store lacks the productivity series: import the data bundle's extension "
                                "(nqpf data import ../shared/data/extension --on-conflict newer) / 缺少生产率数据")
            from nqpf import services

            report = services.ensure_data(st, data, log=lambda t: console.print(f"[bold]Importing / 导入[/] {t}"))
            console.print(f"  {report}")
        return st.panel()

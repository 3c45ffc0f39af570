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
    from nqpf.settings import default_data_dir

    with Store(store) as st:
        have = set() if st.is_empty() else set(st.catalog()["variable"])
        if not set(NEEDED) <= have:
            folder = data or default_data_dir()
            if folder is None or not Path(folder).is_dir():
                raise NqpfError("the store lacks the productivity series and no data folder was found: "
                                "pass --data DIR (the shared data bundle) / 缺少数据，请用 --data 指定数据目录")
            folder = Path(folder)
            ext = [f for f in sorted((folder / "extension").glob("*.csv")) if f.name != "variables.csv"]
            for targets in ([folder / "panel"], ext):
                if targets and all(Path(t).exists() for t in targets):
                    console.print(f"[bold]Importing / 导入[/] {targets[0].parent if len(targets) > 1 else targets[0]}")
                    console.print(f"  {st.import_files(targets)}")
        return st.panel()

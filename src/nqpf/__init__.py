"""nqpf: measure, explain and monitor China's New Quality Productive Forces (新质生产力).

The flow runs one way: sources -> importers -> store -> :class:`~nqpf.panel.Panel` ->
frameworks -> index engine -> results -> analyses and reports.

The common entry points are available from the top level (loaded on first use)::

    import nqpf
    with nqpf.Store() as s:
        panel = s.panel()
    res = nqpf.build_index("nqpf-three-elements", panel)
    nqpf.qualify("利用人工智能重塑生产流程……")
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from nqpf.errors import NqpfError

__version__ = "0.1.0"

_LAZY = {
    "Panel": "nqpf.panel",
    "REGISTRY": "nqpf.regions",
    "Region": "nqpf.regions",
    "RegionRegistry": "nqpf.regions",
    "load_run": "nqpf.runs",
    "write_run": "nqpf.report.pages",  # the run folder with its summary page (nqpf.runs.write_run: tables)
    "Store": "nqpf.data.store",
    "build_index": "nqpf.index.build",
    "CompositeIndex": "nqpf.index.build",
    "IndexResult": "nqpf.index.build",
    "load_framework": "nqpf.frameworks",
    "list_frameworks": "nqpf.frameworks",
    "qualify": "nqpf.innovation",
    "measure_exposure": "nqpf.innovation",
}

__all__ = ["NqpfError", *_LAZY]


def __getattr__(name: str) -> Any:
    """Load every entry point (pandas, DuckDB, the engine, jieba) only when first used, so that
    ``import nqpf`` and ``nqpf --help`` start fast."""
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'nqpf' has no attribute {name!r}")

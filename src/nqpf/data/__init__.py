"""Data in: importers (files -> :class:`ImportBatch`), validation, the DuckDB store, fetchers."""

from importlib import import_module
from typing import Any

_LAZY = {"ImportBatch": "nqpf.data.batch", "Provenance": "nqpf.data.batch", "Store": "nqpf.data.store"}

__all__ = ["ImportBatch", "Provenance", "Store"]


def __getattr__(name: str) -> Any:
    """Load pandas and DuckDB only when a data class is first used (fast ``nqpf --help``)."""
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'nqpf.data' has no attribute {name!r}")

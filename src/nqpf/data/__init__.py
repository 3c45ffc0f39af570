"""Data in: importers (files -> :class:`ImportBatch`), validation, the DuckDB store, fetchers."""

from nqpf.data.batch import ImportBatch, Provenance
from nqpf.data.store import Store

__all__ = ["ImportBatch", "Provenance", "Store"]

"""Data in: importers (files -> :class:`ImportBatch`), validation, the DuckDB store, fetchers."""

from nqpf.data.batch import ImportBatch, Provenance

__all__ = ["ImportBatch", "Provenance"]

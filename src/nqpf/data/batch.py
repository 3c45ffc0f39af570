"""The contract between importers and the store.

An importer reads one file and returns one or more :class:`ImportBatch` (one per sheet or
table). A batch is validated (:mod:`nqpf.data.validate`) before the store writes any of it,
and the store writes all batches of one import in one transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

import pandas as pd

#: columns of ``ImportBatch.observations``; ``line`` and ``cell`` locate each value in its file
BATCH_COLUMNS = ["region_code", "year", "variable", "value", "line", "cell"]
#: columns of ``ImportBatch.variables`` (the catalog rows this batch brings)
VARIABLE_COLUMNS = ["variable", "name_en", "name_zh", "unit", "source", "notes"]


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass
class Provenance:
    """Where a batch came from: file, its sha256, sheet or table, importer, import time (UTC)."""

    source_file: str
    sha256: str
    importer: str
    sheet: str = ""
    imported_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @classmethod
    def for_file(cls, path: str | Path, importer: str, sheet: str = "") -> Provenance:
        p = Path(path)
        return cls(str(p.resolve()), sha256_file(p), importer, sheet)


@dataclass
class ImportBatch:
    """Observations of one table of one file, with their catalog rows and provenance.

    ``observations`` has :data:`BATCH_COLUMNS`: ``region_code`` (str), ``year`` (int),
    ``variable`` (str), ``value`` (float, NaN = missing, kept as missing and never stored as
    zero), ``line`` (1-based line or row in the file, or NaN) and ``cell`` (e.g. ``"C7"``
    or column name, or "").
    ``variables`` has :data:`VARIABLE_COLUMNS`, one row per variable in the batch.
    """

    observations: pd.DataFrame
    variables: pd.DataFrame
    provenance: Provenance
    raw_regions: dict[str, str] = field(default_factory=dict)
    """region label as written in the file -> code, for messages and audits"""

    #: whether the rows live in DuckDB (:class:`~nqpf.data.importers.bulk.BulkBatch`)
    bulk: ClassVar[bool] = False

    def n_rows(self) -> int:
        """Rows (values and missing cells) in the batch."""
        return len(self.observations)

    def n_values(self) -> int:
        """Rows with a value (missing cells excluded)."""
        obs = self.observations
        return int(obs["value"].notna().sum()) if "value" in obs else 0

    def obs_variables(self) -> list[str]:
        """Distinct variable ids of the rows, in order of first appearance."""
        obs = self.observations
        if "variable" not in obs:
            return []
        return [str(v) for v in dict.fromkeys(obs["variable"].astype(str))]

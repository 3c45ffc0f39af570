"""The real panel (panel/ then extension/, two imports) for the productivity and linkage tests,
built once per test process in a temporary store."""

from __future__ import annotations

import tempfile
from functools import lru_cache
from pathlib import Path

from nqpf.data.store import Store
from nqpf.panel import Panel

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@lru_cache(maxsize=1)
def real_panel() -> Panel:
    """Latest vintage of every value; the extension is imported second (newer vintage)."""
    tmp = Path(tempfile.mkdtemp(prefix="nqpf-prod-")) / "store.duckdb"
    s = Store(tmp)
    s.import_files([DATA / "panel"], progress=False)
    s.import_files([f for f in sorted((DATA / "extension").glob("*.csv")) if f.name != "variables.csv"],
                   progress=False)
    # the NBS private-enterprise and self-employed count (raw export, not a bundle variable)
    s.import_files([DATA / "raw" / "nbs_exports" / "nbs_private_individual_employment_2006_2019.csv"], progress=False)
    return s.panel()

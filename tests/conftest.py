"""Shared fixtures: the real data folder beside the checkout (../shared/data)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from bundle import V1_FRAMEWORKS, read_panel
from nqpf.index.build import build_index
from nqpf.index.result import IndexResult
from nqpf.panel import Panel

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The real-data bundle; tests that use it fail loudly if it is absent."""
    assert (DATA / "panel" / "provinces.csv").is_file(), f"real data not found at {DATA}"
    return DATA


@pytest.fixture(scope="session")
def panel(data_dir: Path) -> Panel:
    """The real ``panel/`` folder as a Panel, read once per session (a Panel hands out copies,
    so tests cannot change it for each other); a module with another panel defines its own."""
    return read_panel(data_dir)


@pytest.fixture(scope="session")
def v1_results(panel: Panel) -> dict[str, IndexResult]:
    """The three version-1.0 indices (:data:`bundle.V1_FRAMEWORKS`) built on :func:`panel`, once."""
    return {f: build_index(f, panel) for f in V1_FRAMEWORKS}


@pytest.fixture(autouse=True)
def _isolated_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never touch the user's own store from a test."""
    monkeypatch.setenv("NQPF_STORE", str(tmp_path / "store.duckdb"))


#: two small real "dimensions" used by the coherence and report tests
INNOV = ["rd_intensity", "patents_granted_invention", "rd_expenditure"]
STRUCT = ["tertiary_share", "secondary_share", "urbanization_rate"]


@pytest.fixture(scope="session")
def toy_index_values(data_dir: Path) -> pd.DataFrame:
    """Min-max normalised real indicators 2012-2019, two dimensions and the index (means).

    One row per (region_code, year); columns: the six INNOV + STRUCT variables, ``innov``,
    ``struct`` and ``nqpf``.
    """
    d = pd.read_csv(data_dir / "panel" / "provinces.csv", dtype={"region_code": str})
    d = d[d["year"].between(2012, 2019) & d["variable"].isin(INNOV + STRUCT)]
    w = d.pivot_table(index=["region_code", "year"], columns="variable", values="value")
    w = (w - w.min()) / (w.max() - w.min())
    w["innov"] = w[INNOV].mean(axis=1)
    w["struct"] = w[STRUCT].mean(axis=1)
    w["nqpf"] = w[["innov", "struct"]].mean(axis=1)
    return w

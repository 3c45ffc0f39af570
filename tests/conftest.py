"""Shared fixtures: the real data folder beside the checkout (../shared/data)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The real-data bundle; tests that use it fail loudly if it is absent."""
    assert (DATA / "panel" / "provinces.csv").is_file(), f"real data not found at {DATA}"
    return DATA


@pytest.fixture(autouse=True)
def _isolated_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never touch the user's own store from a test."""
    monkeypatch.setenv("NQPF_STORE", str(tmp_path / "store.duckdb"))

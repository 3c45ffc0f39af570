"""Province-year exposure per sector from the 62 provincial government work reports (2025, 2026)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from nqpf.innovation.matching import count_chars, naive_count, normalize
from nqpf.innovation.provincial import measure_provincial, provincial_exposure, provincial_panel
from nqpf.innovation.taxonomy import Taxonomy


@pytest.fixture(scope="module")
def records(data_dir: Path) -> list[dict]:
    path = data_dir / "text" / "gwr_provincial" / "documents.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def table(data_dir: Path) -> pd.DataFrame:
    return provincial_exposure(measure_provincial(data_dir))


def test_every_province_year_and_sector(table: pd.DataFrame) -> None:
    n_sectors = len(Taxonomy.default().sectors)
    assert len(table) == 31 * 2 * n_sectors
    assert table.groupby("year")["region_code"].nunique().to_dict() == {2025: 31, 2026: 31}
    assert (table["n_documents"] == 1).all() and table["region_zh"].notna().all()
    assert (table["per_10k"] == 1e4 * table["count"] / table["n_chars"]).all()


@pytest.mark.parametrize(("code", "year"), [("110000", 2025), ("320000", 2025), ("650000", 2026)])
def test_counts_equal_a_direct_count_of_the_report(table: pd.DataFrame, records: list[dict], code: str, year: int) -> None:
    rec = next(r for r in records if r["region_code"] == code and r["year"] == year)
    text = normalize(rec["text"])
    forms = [f for f, sectors in Taxonomy.default().forms().items() if "nqpf" in sectors]
    expected = sum(naive_count(text, forms).values())
    row = table.query("region_code == @code and year == @year and sector == 'nqpf'").iloc[0]
    assert row["count"] == expected == text.count("新质生产力")
    assert row["n_chars"] == count_chars(text)
    assert row["per_10k"] == pytest.approx(1e4 * expected / count_chars(text))


def test_beijing_2025_names_nqpf_twice(table: pd.DataFrame) -> None:
    row = table.query("region_code == '110000' and year == 2025 and sector == 'nqpf'").iloc[0]
    assert row["count"] == 2 and row["per_10k"] == pytest.approx(1.2232, abs=1e-4)


def test_panel_beside_the_statistics(data_dir: Path) -> None:
    panel = provincial_panel(data_dir)
    obs = panel.observations
    assert set(obs["year"]) == {2025, 2026} and obs["region_code"].nunique() == 31
    assert "text_exposure_nqpf" in set(obs["variable"])

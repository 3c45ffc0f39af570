"""The top-level Python API: store -> panel -> index, as the README shows it."""

from __future__ import annotations

from pathlib import Path

import pytest

import nqpf


def test_readme_python_flow(tmp_path: Path, data_dir: Path) -> None:
    with nqpf.Store(tmp_path / "s.duckdb") as s:
        report = s.import_files([data_dir / "panel" / "provinces.csv"], progress=False)
        assert report.n_values == 19823
        panel = s.panel()
    res = nqpf.build_index("nqpf-three-elements", panel)
    assert res.ranking()["region_en"].iloc[0] == "Beijing"
    assert "Beijing" in res.summary
    critic = res.regenerate(weighting="critic")
    assert critic.spec["weighting"] == {"method": "critic"} and critic.data_hash == res.data_hash
    assert set(nqpf.list_frameworks()) == {"nqpf-three-elements", "nqpf-technology-economy-industry", "hqd-four-channels"}


def test_unknown_attribute() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = nqpf.nope  # type: ignore[attr-defined]

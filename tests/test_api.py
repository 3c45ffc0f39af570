"""The top-level Python API: store -> panel -> index, as the README shows it."""

from __future__ import annotations

from pathlib import Path

import pytest

import nqpf


def test_readme_python_flow(tmp_path: Path, data_dir: Path) -> None:
    with nqpf.Store(tmp_path / "s.duckdb") as s:
        report = s.import_files([data_dir / "panel" / "provinces.csv"], progress=False)
        assert report.n_values == 19823
        published = nqpf.build_index("nqpf-three-elements@1.0", s.panel())  # the 2011-2019 index
        # the extension (to 2023/2024) as a later import: revised values become a newer vintage
        ext = sorted(p for p in (data_dir / "extension").glob("*.csv") if p.name != "variables.csv")
        s.import_files(ext, progress=False)
        panel = s.panel()
    assert published.framework.version == "1.0" and published.years[-1] == 2019
    res = nqpf.build_index("nqpf-three-elements", panel)
    assert res.framework.version == "2.0" and res.years[-1] >= 2023
    assert res.ranking()["region_en"].iloc[0] == "Beijing"
    assert "Beijing" in res.summary
    critic = res.regenerate(weighting="critic")
    assert critic.spec["weighting"] == {"method": "critic"} and critic.data_hash == res.data_hash
    assert set(nqpf.list_frameworks()) == {"nqpf-three-elements", "nqpf-technology-economy-industry", "hqd-four-channels"}


def test_unknown_attribute() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = nqpf.nope  # type: ignore[attr-defined]

"""Imports with vintages (issue 9, item 1): the panel, raw exports and the extension together.

The extension's ``co2_emissions`` (CEADs, ../shared/data/extension) is a newer vintage of the
panel's: 283 of the 300 overlapping values are equal, 17 were revised (Yunnan 2019 by +20 %).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nqpf.cli import app
from nqpf.data.store import Store
from nqpf.errors import ValidationError

CEADS = "ceads_sectoral_tongjimodule.csv"


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_panel_raw_extension_in_one_command(tmp_path: Path, data_dir: Path) -> None:
    store = tmp_path / "s.duckdb"
    args = ["data", "import", str(data_dir / "panel"), str(data_dir / "raw"),
            str(data_dir / "extension"), "--store", str(store), "--no-progress"]
    runner = CliRunner()
    refused = runner.invoke(app, args)  # default policy: error
    assert refused.exit_code == 1
    out = _flat(refused.output)
    assert "17 problem(s)" in out and not store.exists()
    # names the files, lines and both values (Yunnan 2019)
    assert ("region Yunnan (云南, 530000), year 2019, variable co2_emissions: conflicting values "
            "185.95592011337283 at " in out)
    assert "provinces.csv, line 15834, cell F15834; 223.2793214999628 at " in out
    assert f"{CEADS}, line 323, cell F323" in out

    res = runner.invoke(app, [*args, "--on-conflict", "newer"])
    assert res.exit_code == 0, res.output
    out = _flat(res.output)
    assert "--on-conflict newer" in out
    rep = Store(store).imports()
    assert len(rep) == 33 and "extension/raw" not in " ".join(rep["source_file"])
    # the report lists the revisions of each newer vintage: CEADs revised 17, restated 283
    assert f"│ {CEADS} │ │ 26 │ imported │ 17 │ 283 │ 0 │" in out
    pv = Store(store).provenance("co2_emissions", "云南", 2019)
    assert pv["value"].round(4).tolist() == [223.2793, 185.9559]  # both visible, newest first
    assert pv["current"].tolist() == [True, False]
    assert pv["source_file"].str.endswith(CEADS).tolist() == [True, False]
    prov = _flat(runner.invoke(app, ["data", "provenance", "co2_emissions", "Yunnan", "2019",
                                     "--store", str(store)]).output)
    assert "223.2793215" in prov and "185.9559201" in prov
    # the current panel takes the newer values; cells it did not revise are unchanged
    cur = Store(store).series("co2_emissions", ["530000", "110000"], [2017, 2019])
    assert round(cur.loc[2019, "530000"], 4) == 223.2793
    assert round(cur.loc[2017, "110000"], 4) == 86.7693  # Beijing 2017 revised too


def test_older_policy_keeps_first_values(tmp_path: Path, data_dir: Path) -> None:
    st = Store(tmp_path / "s.duckdb")
    rep = st.import_files([data_dir / "panel" / "provinces.csv", data_dir / "extension" / CEADS],
                          progress=False, on_conflict="older")
    ceads = next(b for b in rep.imported if b.source_file.endswith(CEADS))
    assert ceads.n_kept_older == 17 and ceads.n_revised == 0 and ceads.n_restated == 283
    assert rep.n_kept_older == 17
    assert round(st.series("co2_emissions", ["530000"], [2019]).iloc[0, 0], 4) == 185.9559
    assert len(st.provenance("co2_emissions", "530000", 2019)) == 1  # the later value not stored


def test_policy_input_errors_leave_store_unchanged(tmp_path: Path, data_dir: Path) -> None:
    store = tmp_path / "s.duckdb"
    panel = data_dir / "panel" / "provinces.csv"
    Store(store).import_files([data_dir / "panel" / "national.csv"], progress=False)
    before = _sha(store)
    res = CliRunner().invoke(app, ["data", "import", str(panel), "--store", str(store),
                                   "--on-conflict", "latest"])
    assert res.exit_code == 2 and "error, newer, older" in _flat(res.output)
    with pytest.raises(ValueError, match="on_conflict must be one of error, newer, older"):
        Store(store).import_files([panel], on_conflict="latest")
    with pytest.raises(ValidationError) as ei:
        Store(store).import_files([panel, data_dir / "extension" / CEADS], progress=False)
    assert len(ei.value.problems) == 17
    assert _sha(store) == before


def test_store_values_superseded_are_counted(tmp_path: Path, data_dir: Path) -> None:
    """A later import revising stored values counts them (not only conflicts within one)."""
    st = Store(tmp_path / "s.duckdb")
    st.import_files([data_dir / "panel" / "provinces.csv"], progress=False)
    rep = st.import_files([data_dir / "extension" / CEADS], progress=False)
    assert (rep.imported[0].n_revised, rep.imported[0].n_restated) == (17, 283)
    assert rep.n_revised == 17

"""``nqpf productivity`` and ``nqpf linkage`` on the real data; user mistakes exit 2 with one line."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from nqpf.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One store for the module: the first command imports the data, the second reuses it."""
    return str(tmp_path_factory.mktemp("cli-store") / "store.duckdb")


def test_productivity_cli_writes_tables(data_dir: Path, tmp_path: Path, store: str) -> None:
    out = tmp_path / "prod"
    r = runner.invoke(app, ["productivity", "--start", "2016", "--end", "2018", "--data", str(data_dir),
                            "--out", str(out), "--store", store])
    assert r.exit_code == 0, r.output
    eff = pd.read_csv(out / "efficiency.csv", dtype={"region_code": str})
    radial = eff[eff["model"].isin(["ccr", "bcc", "sbm_green"])]["efficiency"]
    assert (radial > 0).all() and (radial <= 1 + 1e-9).all()
    cap = pd.read_csv(out / "capital_stock.csv", dtype={"region_code": str})
    assert (cap["capital_stock"] > 0).all()
    assert cap.loc[cap["year"] >= 2018, "investment_source"].str.contains("extended").all()
    assert "540000 left out" in (out / "flags.txt").read_text(encoding="utf-8")
    mq = pd.read_csv(out / "malmquist.csv")
    assert sorted(mq["year"].unique()) == [2017, 2018]


def test_linkage_cli_writes_tables(data_dir: Path, tmp_path: Path, store: str) -> None:
    out = tmp_path / "link"
    r = runner.invoke(app, ["linkage", "--boot", "5", "--data", str(data_dir), "--out", str(out), "--store", store])
    assert r.exit_code == 0, r.output
    for f in ("fe_main.csv", "robustness.csv", "mediation.csv", "threshold.csv", "fe_main.tex", "linkage.xlsx",
              "fe_coefficients.csv", "sdm_coefficients.csv", "sdm_effects.csv"):
        assert (out / f).is_file(), f
    assert "Spatial Durbin".lower() in (out / "notes.txt").read_text(encoding="utf-8").lower()


def test_user_mistakes_exit_2(data_dir: Path, tmp_path: Path) -> None:
    for args, word in ((["productivity", "--capital-share", "1.5"], "capital-share"),
                       (["productivity", "--backend", "gpu"], "backend"),
                       (["productivity", "--start", "2019", "--end", "2011"], "end year"),
                       (["linkage", "--boot", "-1"], "boot"), (["linkage", "--sims", "-1"], "sims")):
        r = runner.invoke(app, [*args, "--out", str(tmp_path / "x")])
        assert r.exit_code == 2, r.output
        assert word in r.output and "Traceback" not in r.output

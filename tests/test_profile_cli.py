"""`nqpf profile`, `nqpf scenario`, `nqpf invest` end to end, and their one-line errors (exit 2)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from nqpf.cli import app
from nqpf.index.build import build_index
from nqpf.panel import Panel
from nqpf.runs import write_run


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory, panel: Panel) -> Path:
    out = tmp_path_factory.mktemp("run")
    write_run(build_index("nqpf-three-elements@1.0", panel), out, html=False)
    return out / "nqpf-three-elements"


def _one_line_error(res, text: str) -> None:
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    out = " ".join(res.output.split())  # Rich wraps the one line at the terminal width
    assert out.startswith("error / 错误:") and out.count("error / 错误:") == 1 and text in out, res.output


def test_profile_command(run_dir: Path, tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["profile", "安徽", "--run", str(run_dir), "--peers", "Hubei,Hunan",
                                   "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    folder = tmp_path / "nqpf-three-elements" / "profiles" / "340000"
    for name in ("scores.csv", "strengths.csv", "weaknesses.csv", "peer_gaps.csv", "priorities.csv",
                 "narrative.md", "figures.html"):
        assert (folder / name).is_file(), name
    text = (folder / "narrative.md").read_text(encoding="utf-8")
    assert "Anhui ranks 13th of 31" in text and "安徽" in text and "排名第13位" in text
    gaps = pd.read_csv(folder / "peer_gaps.csv", dtype={"peer_leader": str})
    assert set(gaps["peer_leader"]) <= {"340000", "420000", "430000"}


def test_profile_all_writes_the_summary_page(run_dir: Path, tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["profile", "all", "--run", str(run_dir), "--peers", "Hubei,Hunan",
                                   "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    base = tmp_path / "nqpf-three-elements" / "profiles"
    assert len([d for d in base.iterdir() if d.is_dir()]) == 31
    nar = pd.read_csv(base / "narratives.csv", dtype={"region_code": str})
    assert nar["region_code"].nunique() == 31
    page = (base / "summary.html").read_text(encoding="utf-8")
    assert "Province profiles 2019" in page and "Anhui ranks 13th of 31" in page and "强劲型" in page
    assert (base / "plotly.min.js").is_file() and '"../plotly.min.js"' in (base / "340000" / "figures.html").read_text()


def test_scenario_command(run_dir: Path, tmp_path: Path) -> None:
    f = tmp_path / "more-rd.yaml"
    f.write_text("changes:\n  - {region: Anhui, indicator: rd_to_gdp, set: 2.5}\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["scenario", str(f), "--run", str(run_dir), "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    eff = pd.read_csv(tmp_path / "nqpf-three-elements" / "scenarios" / "more-rd" / "effects.csv",
                      dtype={"region_code": str})
    idx = eff[eff["node"] == "nqpf_index"].iloc[0]
    assert idx["region_code"] == "340000" and idx["score_change"] > 0
    assert "unchanged" in res.output


@pytest.mark.parametrize(("body", "text"), [
    ("changes:\n  - {region: Atlantis, indicator: rd_to_gdp, set: 2}\n", "unknown province 'Atlantis'"),
    ("changes:\n  - {region: Anhui, indicator: rd, set: 2}\n", "unknown indicator 'rd'"),
    ("changes:\n  - {region: Anhui, indicator: rd_to_gdp, set: -3}\n", "cannot be negative"),
    ("changes: [\n", "scenario"),
])
def test_bad_scenario_file_is_one_line(run_dir: Path, tmp_path: Path, body: str, text: str) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text(body, encoding="utf-8")
    res = CliRunner().invoke(app, ["scenario", str(f), "--run", str(run_dir), "--out", str(tmp_path)])
    _one_line_error(res, text)


def test_bad_profile_and_invest_arguments(run_dir: Path, tmp_path: Path) -> None:
    _one_line_error(CliRunner().invoke(app, ["profile", "Atlantis", "--run", str(run_dir), "--out", str(tmp_path)]),
                    "unknown province")
    _one_line_error(CliRunner().invoke(app, ["scenario", str(tmp_path / "none.yaml"), "--run", str(run_dir)]),
                    "not found")
    _one_line_error(CliRunner().invoke(app, ["invest", "--weights", "strength=lots"]), "component=number")


def test_invest_command(tmp_path: Path, data_dir: Path) -> None:
    # a data folder with the tidy panel and the texts only (links, not copies), imported into a fresh store
    data = tmp_path / "data"
    data.mkdir()
    (data / "panel").symlink_to(data_dir / "panel")
    (data / "text").symlink_to(data_dir / "text")
    res = CliRunner().invoke(app, ["invest", "--data", str(data), "--store", str(tmp_path / "s.duckdb"),
                                   "--sector", "ai_big_data", "--sector", "biomedicine", "--draws", "200",
                                   "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    m = pd.read_csv(tmp_path / "out" / "invest" / "matrix.csv", dtype={"region_code": str})
    assert list(m.columns) == ["region_code", "ai_big_data", "biomedicine"] and len(m) == 31
    # the stored panel lacks the extension series: the items left out are said, not hidden
    out = " ".join(res.output.split())
    assert "it_services_revenue" in out and "not in the panel" in out
    assert "strength (ai_big_data): no item in the data for any province" in out
    _one_line_error(CliRunner().invoke(app, ["invest", "--data", str(data), "--store", str(tmp_path / "s.duckdb"),
                                             "--sector", "steel"]), "unknown sector")

"""`nqpf analyze ...` on a real run folder; user mistakes give one line and exit code 2."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from nqpf.cli import app
from nqpf.index.build import build_index
from nqpf.panel import Panel
from nqpf.runs import write_run as write_result

runner = CliRunner()


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory, panel: Panel) -> Path:
    out = tmp_path_factory.mktemp("run")
    for fid in ("nqpf-three-elements@1.0", "hqd-four-channels@1.0"):
        write_result(build_index(fid, panel), out, html=False)
    return out


def _ok(args: list[str]) -> str:
    res = runner.invoke(app, ["analyze", *args])
    assert res.exit_code == 0, res.output
    return res.output


def test_every_verb_writes_tidy_csv(run_dir: Path) -> None:
    run = run_dir / "nqpf-three-elements"
    out = _ok(["disparity", "--run", str(run), "--boot", "49"])
    assert "Dagum" in out and "组间净差异" in out
    o = pd.read_csv(run / "analysis" / "dagum_overall.csv")
    assert (abs(o["within"] + o["net_between"] + o["transvariation"] - o["gini"]) < 1e-5).all()
    _ok(["dynamics", "--run", str(run), "-k", "4"])
    assert set(pd.read_csv(run / "analysis" / "density.csv").columns) == {"year", "x", "density", "bandwidth", "rule"}
    out = _ok(["convergence", "--run", str(run), "--control", "laborers"])
    assert "conditional beta" in out and "half-life" in out
    beta = pd.read_csv(run / "analysis" / "beta.csv")
    assert set(beta["kind"]) == {"absolute", "conditional"}
    out = _ok(["spatial", "--run", str(run), "--permutations", "199", "--weights", "knn", "--k", "5"])
    assert "Moran" in out
    assert (pd.read_csv(run / "analysis" / "weights.csv", dtype={"region_code": str})
            .groupby("region_code").size() == 5).all()
    out = _ok(["spatial", "--run", str(run), "--permutations", "99", "--out", str(run_dir / "sp")])
    assert "460000" in out and "440000" in out  # the island link is said
    assert (run_dir / "sp" / "lisa.csv").is_file()
    out = _ok(["coupling", "--run", str(run)])  # the sibling hqd-four-channels folder
    assert "耦合协调度" in out
    assert {"nqpf-three-elements", "hqd-four-channels", "d", "class_zh"} <= set(
        pd.read_csv(run / "analysis" / "coupling.csv").columns)
    _ok(["obstacles", "--run", str(run), "--top", "2"])
    assert len(pd.read_csv(run / "analysis" / "obstacles_top.csv")) == 2 * 31
    out = _ok(["summary", "--run", str(run)])
    assert "gap is closing" in out and "差距正在缩小" in out


@pytest.mark.parametrize(("args", "needle"), [
    (["disparity"], "exactly one of --run"),
    (["disparity", "--run", "no/such/folder"], "no scores.csv"),
    (["disparity", "--run", "{run}", "--grouping", "provinces9"], "unknown grouping"),
    (["disparity", "--run", "{run}", "--node", "nope"], "unknown node 'nope'"),
    (["spatial", "--run", "{run}", "--weights", "rook"], "unknown weights"),
    (["convergence", "--run", "{run}", "--control", "nope"], "unknown control"),
    (["dynamics", "--run", "{run}", "--bandwidth", "wide"], "bandwidth rule"),
    (["disparity", "--framework", "nqpf-three-elements@1.0"], "store is empty"),
])
def test_mistakes_exit_2_with_one_line(run_dir: Path, args: list[str], needle: str) -> None:
    args = [a.replace("{run}", str(run_dir / "nqpf-three-elements")) for a in args]
    res = runner.invoke(app, ["analyze", *args])
    assert res.exit_code == 2, res.output
    assert needle in " ".join(res.output.split()), res.output
    assert "Traceback" not in res.output

"""`nqpf robustness` end to end on the real data, Sobol on the real panel, and user mistakes (exit 2, one line)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from nqpf.cli import app
from nqpf.index.build import build_index
from nqpf.panel import Panel
from nqpf.robustness import UncertaintySpec, run_robustness, sobol


@pytest.fixture(scope="module")
def nominal(panel: Panel):  # type: ignore[no-untyped-def]
    return build_index("hqd-four-channels@1.0", panel)


def test_sobol_on_the_real_panel_finds_the_factor_that_matters(nominal) -> None:  # type: ignore[no-untyped-def]
    # weighting changes ranks; weight noise of range 0 is a factor of known zero effect
    spec = UncertaintySpec.from_dict({"factors": [{"step": "weighting", "choices": ["entropy", "equal"]},
                                                  {"step": "weight_noise", "range": 0.0}]}, nominal)
    for output in ("mean_abs_rank_shift", "gap:east-west", "rank:Anhui"):
        sa = sobol(nominal, spec, n=64, output=output, n_boot=50)
        idx = sa.indices.set_index("factor")
        assert idx.loc["weight_noise", "ST"] == pytest.approx(0.0, abs=1e-12)
        assert idx.loc["weighting", "ST"] == pytest.approx(1.0, abs=1e-9)  # the only factor with an effect
        assert idx.loc["weighting", "S1"] == pytest.approx(1.0, abs=0.15)
    assert len(sa.draws) == 64 * 4 and set(sa.draws["weighting"]) == {"entropy", "equal"}


def test_run_robustness_writes_the_run_folder(nominal, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    spec = UncertaintySpec.from_dict({"factors": [{"step": "aggregation", "choices": ["arithmetic", "geometric"]},
                                                  {"step": "exclusion"}, {"step": "weight_noise", "range": 0.25}]},
                                     nominal)
    paths = run_robustness(nominal, 400, 3, tmp_path / "rob", spec=spec, sobol_n=32)
    ranks = pd.read_csv(paths["ranks"], dtype={"region_code": str})
    assert len(ranks) == 31 * len(nominal.years)
    last = ranks[ranks["year"] == nominal.years[-1]].set_index("region_code")
    np.testing.assert_array_equal(last["nominal_rank"].to_numpy(),
                                  nominal.ranks[nominal.framework.root.id][-1])
    assert len(pd.read_csv(paths["draws"])) == 400
    sob = pd.read_csv(paths["sobol"])
    assert list(sob["factor"]) == ["aggregation", "exclusion", "weight_noise"]
    html = paths["rank_chart"].read_text(encoding="utf-8")
    assert "median rank" in html and "cdn.plot.ly" not in html.split("<body>")[0][:2000]
    assert "not robust" in paths["summary"].read_text(encoding="utf-8")
    assert "first order" in paths["sobol_chart"].read_text(encoding="utf-8")
    again = run_robustness(nominal, 400, 3, tmp_path / "rob2", spec=spec, sobol_n=32, charts=False)
    for key in ("ranks", "pairs", "draws", "sobol"):
        assert paths[key].read_bytes() == again[key].read_bytes()


def test_cli_user_mistakes_exit_2_with_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("factors:\n  - {step: weight_noise, range: 1.5}\n", encoding="utf-8")
    runner = CliRunner()
    for args, needle in ((["--draws", "1"], "--draws must be at least 2"),
                         (["--spec", str(tmp_path / "none.yaml")], "file not found"),
                         (["-f", "no-such-framework"], "no-such-framework")):
        res = runner.invoke(app, ["robustness", *args, "--out", str(tmp_path / "o")])
        assert res.exit_code == 2, res.output
        assert needle in res.output and "Traceback" not in res.output


def test_cli_runs_on_the_real_data(data_dir: Path, tmp_path: Path) -> None:
    spec = tmp_path / "u.yaml"
    spec.write_text("factors:\n  - {step: weighting, choices: [entropy, equal]}\n"
                    "  - {step: exclusion, mode: one_at_a_time}\n  - {step: weight_noise, range: 0.2}\n",
                    encoding="utf-8")
    out = tmp_path / "rob"
    store = str(tmp_path / "s.duckdb")
    res = CliRunner().invoke(app, ["robustness", "-f", "nqpf-three-elements@1.0", "--spec", str(spec), "-n", "300",
                                   "--sobol-n", "32", "--seed", "4", "--data", str(data_dir / "panel"), "--store", store,
                                   "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert (out / "rank_uncertainty.csv").is_file() and (out / "sobol.html").is_file()
    assert "Rank uncertainty" in res.output and "Beijing" in res.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("factors:\n  - {step: weight_noise, range: 1.5}\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["robustness", "-f", "nqpf-three-elements@1.0", "--spec", str(bad), "--store", store,
                                   "--out", str(out)])
    assert res.exit_code == 2 and "range must be in [0, 1)" in res.output and "Traceback" not in res.output


def test_bench_robustness_runs() -> None:
    import subprocess
    import sys

    bench = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_robustness.py"
    out = subprocess.run([sys.executable, str(bench), "--draws", "300", "--repeats", "1", "--loop", "3", "--no-dask"],
                         capture_output=True, text=True, timeout=300, check=True).stdout
    assert "speed-up batched vs regenerate loop" in out and "31 regions" in out

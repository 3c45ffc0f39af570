"""``nqpf innovation qualify|exposure|taxonomy`` end to end."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from nqpf.cli import app

runner = CliRunner()
TEXT = ("一家民营企业研发基于人工智能的视觉质检系统，取代传统人工目检，生产效率提升40%、降低成本，"
        "让患者用上更安全、更实惠的药品。")


def test_qualify_text_json() -> None:
    res = runner.invoke(app, ["innovation", "qualify", TEXT, "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["verdict"] == "qualifies" and out["verdict_zh"].startswith("符合")
    assert out["criteria"]["wealth"]["evidence"][1]["cue"] == "降低成本"
    assert out["ignored"] == ["民营"]


def test_qualify_file_and_structured_file(tmp_path: Path) -> None:
    txt = tmp_path / "d.txt"
    txt.write_text("该项目引入大数据平台，但并未改变传统生产方式，也没有降低成本，无法改善民生。", encoding="utf-8")
    res = runner.invoke(app, ["innovation", "qualify", str(txt)])
    assert res.exit_code == 0 and "does not qualify / 不符合" in res.output
    yml = tmp_path / "d.yaml"
    yml.write_text("field: 人工智能\nproduction: 用机器视觉取代传统人工目检\nwealth: 降低成本，提高效率\n"
                   "living: 让患者用上更安全、更实惠的药品\nownership: 国有\n", encoding="utf-8")
    res = runner.invoke(app, ["innovation", "qualify", str(yml), "--json"])
    assert json.loads(res.output)["verdict"] == "qualifies"


def test_qualify_bad_file_names_it(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\x00\x01binary")
    res = runner.invoke(app, ["innovation", "qualify", str(bad)])
    assert res.exit_code == 2 and "bad.txt" in res.output and "binary" in res.output


def test_exposure_writes_tables_and_lists_failures(tmp_path: Path, data_dir: Path) -> None:
    corpus = tmp_path / "c"
    corpus.mkdir()
    shutil.copy(data_dir / "text" / "news_xwlb" / "news" / "20240803.md", corpus)
    shutil.copy(data_dir / "text" / "gwr_national_tmx" / "GR2022.tmx", corpus)
    (corpus / "empty.txt").write_bytes(b"")
    out = tmp_path / "out"
    res = runner.invoke(app, ["innovation", "exposure", str(corpus), "--out", str(out), "--no-progress"])
    assert res.exit_code == 0, res.output
    assert "MB/s" in res.output and "empty.txt" in res.output
    panel = pd.read_csv(out / "panel.csv", dtype={"region_code": str})
    v = panel.query("year == 2024 and variable == 'text_exposure_nqpf'")["value"].item()
    docs = pd.read_csv(out / "documents.csv", dtype={"doc_id": str}).set_index("doc_id")
    assert v == pytest.approx(1e4 * 31 / docs.loc["20240803", "n_chars"])
    failures = pd.read_csv(out / "failures.csv")
    assert failures["file"].str.endswith("empty.txt").tolist() == [True]


def test_taxonomy_lists_sectors() -> None:
    res = runner.invoke(app, ["innovation", "taxonomy"])
    assert res.exit_code == 0 and "fi_humanoid" in res.output and "sei_it" in res.output

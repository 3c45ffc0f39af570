"""``nqpf serve`` on a folder with no run: it runs the main job first (saying so), or with
``--no-build`` serves an empty dashboard whose pages say how to build. uvicorn is replaced by a
recorder, so the command returns instead of serving."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from nqpf.cli import app
from service_support import service_run


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    import uvicorn

    seen: dict[str, Any] = {}

    def fake_run(target: str, **kw: Any) -> None:
        seen.update(kw, target=target, run_dir=os.environ["NQPF_SERVE_RUN_DIR"], store=os.environ["NQPF_SERVE_STORE"])

    monkeypatch.setattr(uvicorn, "run", fake_run)
    return seen


def test_serve_builds_the_main_job_when_no_run_exists(data_dir: Path, tmp_path: Path, served: dict[str, Any],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from nqpf import services
    from nqpf.api import create_app

    store = tmp_path / "store.duckdb"
    shutil.copy(service_run(data_dir)[1], store)  # a filled store: the build is what is tested here
    # the summary's regional charts are the main job's slowest part and are tested with `nqpf run`
    # (tests/test_cli_run.py); here they are recorded, not drawn, to keep the test short
    sections: list[str] = []
    monkeypatch.setattr(services, "regional_sections", lambda result, *_: sections.append(result.framework.id) or [])
    out = tmp_path / "fresh-output"
    res = CliRunner().invoke(app, ["serve", "--run-dir", str(out), "--store", str(store), "-f", "nqpf-three-elements"])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "No run in" in text and "running the main job first" in text and "先运行主任务" in text
    built = sorted(p.parent.name for p in out.glob("*/run.json"))
    assert built == ["nqpf-three-elements"] and (out / "index.html").is_file() and (out / built[0] / "summary.html").is_file()
    assert sections == ["nqpf-three-elements"]
    assert served["target"] == "nqpf.api.app:app_from_env" and served["run_dir"] == str(out.resolve())
    assert served["store"] == str(store.resolve())
    c = TestClient(create_app(out, store))
    fws = c.get("/api/v1/frameworks").json()
    assert fws["total"] == 1 and fws["items"][0]["latest_year"] == 2023 and fws["items"][0]["version"] == "2.0"
    # a second start finds the run and does not build again
    again = CliRunner().invoke(app, ["serve", "--run-dir", str(out), "--store", str(store)])
    assert again.exit_code == 0 and "No run in" not in again.output


def test_serve_no_build_serves_an_empty_state(tmp_path: Path, served: dict[str, Any]) -> None:
    from nqpf.api import create_app

    out = tmp_path / "nothing"
    res = CliRunner().invoke(app, ["serve", "--run-dir", str(out), "--no-build"])
    assert res.exit_code == 0, res.output
    assert "serving an empty dashboard" in " ".join(res.output.split()) and served["run_dir"] == str(out.resolve())
    c = TestClient(create_app(out))
    assert c.get("/api/v1/frameworks").json()["total"] == 0
    page = c.get("/scenario?lang=zh")
    assert page.status_code == 200 and 'data-frameworks=""' in page.text
    r = c.get("/api/v1/frameworks/nqpf-three-elements/scores")
    assert r.status_code == 404 and "run `nqpf run` first" in r.json()["detail"]


def test_serve_refusals_are_one_line(tmp_path: Path, served: dict[str, Any]) -> None:
    f = tmp_path / "file.txt"
    f.write_text("x")
    for args, words in ((["--run-dir", str(f)], "is a file"),
                        (["--run-dir", str(tmp_path), "--allow-writes"], "needs --token"),
                        (["--run-dir", str(tmp_path), "--no-build", "--store", str(tmp_path / "none.duckdb")], "not a file")):
        res = CliRunner().invoke(app, ["serve", *args])
        assert res.exit_code == 2 and words in " ".join(res.output.split()) and "Traceback" not in res.output, res.output
    assert not served

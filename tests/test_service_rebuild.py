"""Served runs follow imports: the import names the runs whose inputs changed, ``GET /state``
says the data is newer than the run, and ``POST /admin/rebuild`` rebuilds in the background and
swaps the served runs atomically (one rebuild at a time; a failed one keeps the old run).

Real data: a lean run of the three-elements index 1.0 (2010-2019, no analyses) on a store of
the curated ``panel/``; then the extension's CEADs CO2 file is imported through the API, a real
newer vintage that revises 17 of the panel's CO2 values and adds 2020-2022.
"""

from __future__ import annotations

import fcntl
import json
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from nqpf.api import create_app

FW = "nqpf-three-elements"
TOKEN = "rebuild-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CEADS = "extension/ceads_sectoral_tongjimodule.csv"


@pytest.fixture(scope="module")
def lean(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """``(run_dir, store)``: the module's lean run, never changed (tests work on copies)."""
    from nqpf import services
    from nqpf.data.store import Store

    base = tmp_path_factory.mktemp("rebuild")
    store = Store(base / "store.duckdb")
    store.import_files([data_dir / "panel"], progress=False)
    services.run_job(store, frameworks=[f"{FW}@1.0"], spec={"years": "2010:2019"}, out=base / "run", html=False,
                     analyses=False, productivity=False)
    return base / "run", store.path


@pytest.fixture
def home(lean: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    """A private copy of the run folder and the store."""
    run, store = tmp_path / "run", tmp_path / "store.duckdb"
    shutil.copytree(lean[0], run)
    shutil.copy2(lean[1], store)
    return run, store


def _client(home: tuple[Path, Path]) -> TestClient:
    return TestClient(create_app(home[0], home[1], allow_writes=True, token=TOKEN))


def _upload(c: TestClient, path: Path, name: str) -> Any:
    """A bundle file in the upload layout (``region, year, variable, value, unit``), posted."""
    d = pd.read_csv(path, dtype={"region_code": str}).rename(columns={"region_code": "region"})
    body = d[["region", "year", "variable", "value", "unit"]].to_csv(index=False).encode("utf-8")
    return c.post("/api/v1/admin/import", params={"filename": name}, content=body, headers=AUTH)


def _import_ceads(c: TestClient, data_dir: Path) -> Any:
    r = _upload(c, data_dir / CEADS, "ceads.csv")
    assert r.status_code == 201, r.text
    return r.json()


def _wait(c: TestClient, job: str, timeout: float = 180) -> dict[str, Any]:
    deadline = time.time() + timeout
    while time.time() < deadline:
        doc: dict[str, Any] = c.get(f"/api/v1/admin/rebuild/{job}", headers=AUTH).json()
        if doc["status"] != "running":
            return doc
        time.sleep(0.3)
    raise AssertionError(f"rebuild {job} still running after {timeout} s")


def _ceads_cells_changed(data_dir: Path) -> int:
    """By hand from the CSV files: CEADs cells that are new or differ from the panel's CO2."""
    new = pd.read_csv(data_dir / CEADS, dtype={"region_code": str})
    old = pd.read_csv(data_dir / "panel" / "provinces.csv", dtype={"region_code": str})
    old = old[old["variable"] == "co2_emissions"]
    m = new.merge(old, on=["region_code", "year", "variable"], how="left", suffixes=("", "_old"))
    return int((m["value_old"].isna() | (m["value"] != m["value_old"])).sum())


def _score(c: TestClient, region: str, year: int) -> float:
    r = c.get(f"/api/v1/frameworks/{FW}/scores", params={"year": year, "region": region})
    assert r.status_code == 200, r.text
    return float(r.json()["items"][0]["score"])


def test_import_names_the_runs_whose_inputs_changed_and_state_says_so(home: tuple[Path, Path], data_dir: Path) -> None:
    c = _client(home)
    s = c.get("/api/v1/state").json()
    assert s["stale"] is False and [r["framework"] for r in s["runs"]] == [FW] and s["generation"] == "home"
    # a file of variables the index does not read: nothing to rebuild
    unused = _upload(c, data_dir / "extension" / "pku_dfiic.csv", "dfi.csv")
    assert unused.status_code == 201 and unused.json()["changed_runs"] == [], unused.text
    assert c.get("/api/v1/state").json()["stale"] is False
    out = _import_ceads(c, data_dir)
    want = _ceads_cells_changed(data_dir)
    assert want == 17 + 90  # 17 revised values (README) + 2020-2022 for 30 provinces
    assert out["changed_runs"] == [{"framework": FW, "variables": ["co2_emissions"], "cells": want}]
    assert out["rebuild"] == "POST /api/v1/admin/rebuild" and "数据已更新，结果未重算" in out["note"]
    s = c.get("/api/v1/state").json()
    assert s["stale"] is True and s["stale_frameworks"] == out["changed_runs"]
    assert (s["message_en"], s["message_zh"]) == ("Data newer than the run: results not recomputed", "数据已更新，结果未重算")
    assert "/api/v1/admin/rebuild" in s["fix"] and s["rebuild"] is None
    page = c.get("/?lang=zh").text
    assert 'id="state-banner"' in page
    js = c.get("/static/app.js").text
    assert "/api/v1/state" in js and "stale-msg" in js


def test_rebuild_swaps_the_served_run_atomically(home: tuple[Path, Path], data_dir: Path) -> None:
    from nqpf import services
    from nqpf.data.store import Store

    c = _client(home)
    other = TestClient(create_app(home[0], home[1]))  # another worker on the same folder (read-only)
    before = _score(c, "530000", 2019)  # Yunnan: CEADs revises its 2019 CO2 by +20 %
    _import_ceads(c, data_dir)
    old_gen = c.app.state.served.current()  # type: ignore[attr-defined]
    r = c.post("/api/v1/admin/rebuild", headers=AUTH)
    assert r.status_code == 202, r.text
    job = r.json()["job"]
    assert r.headers["location"] == f"/api/v1/admin/rebuild/{job}" and r.json()["frameworks"] == [FW]
    done = _wait(c, job)
    assert done["status"] == "done" and done["generation"] == job and done["error"] is None, done
    assert any(f"built {FW}" in line for line in done["log"])
    s = c.get("/api/v1/state").json()
    assert s["stale"] is False and s["generation"] == job and s["rebuild"]["status"] == "done"
    # the served numbers are those of the recorded run rebuilt on the new store, by the engine directly
    want = services.rebuild(home[0] / FW, Store(home[1]))
    yn = want.to_tidy().query("node == @want.framework.root.id and year == 2019 and region_code == '530000'")
    after = _score(c, "530000", 2019)
    assert after == pytest.approx(float(yn["score"].iloc[0]), abs=1e-6) and abs(after - before) > 1e-4
    assert _score(other, "530000", 2019) == after  # the other worker followed the swap
    # a reader still holding the old generation sees the whole old run
    assert float(old_gen.run(FW).by_node_year[(old_gen.run(FW).root, 2019)].set_index("region_code").loc["530000", "score"]) \
        == pytest.approx(before, abs=1e-6)
    # a restart serves the rebuilt run; the rebuilt folder is a whole run (`nqpf report` can read it)
    assert _score(TestClient(create_app(home[0], home[1])), "530000", 2019) == after
    assert (home[0] / "_rebuilds" / job / FW / "run.json").is_file()
    assert not list((home[0] / "_rebuilds").glob("*.part"))


def test_one_rebuild_at_a_time_and_a_failed_one_keeps_the_run(home: tuple[Path, Path], data_dir: Path) -> None:
    from nqpf.api.rebuild import start_rebuild
    from nqpf.errors import NqpfError

    c = _client(home)
    _import_ceads(c, data_dir)
    before = _score(c, "530000", 2019)
    # another process holding the rebuild lock
    lock = home[0] / "_rebuilds" / ".lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a+") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        r = c.post("/api/v1/admin/rebuild", headers=AUTH)
        assert r.status_code == 409 and "already running" in r.json()["detail"], r.text
    # a rebuild in this process that writes part of a run, then fails
    go = threading.Event()

    def failing(run_dir: Path, store: Any, out: Path, ids: list[str], step: Any) -> None:
        (out / FW).mkdir(parents=True)
        (out / FW / "scores.csv").write_text("partial", encoding="utf-8")
        step("half-way")
        go.wait(30)
        raise NqpfError("the store went away mid-build")

    job = start_rebuild(c.app.state.served, run=failing)["job"]  # type: ignore[attr-defined]
    r = c.post("/api/v1/admin/rebuild", headers=AUTH)
    assert r.status_code == 409 and job in r.json()["detail"], r.text
    s = c.get("/api/v1/state").json()
    assert s["rebuild"]["status"] == "running" and s["stale"] is True
    assert _score(c, "530000", 2019) == before  # readers see the old run, never the partial one
    go.set()
    failed = _wait(c, job)
    assert failed["status"] == "failed" and failed["error"] == "the store went away mid-build"
    assert _score(c, "530000", 2019) == before and c.get("/api/v1/state").json()["generation"] == "home"
    assert not (home[0] / "_rebuilds" / f"{job}.part").exists()
    # the lock is free again: a real rebuild runs
    r = c.post("/api/v1/admin/rebuild", headers=AUTH)
    assert r.status_code == 202, r.text
    assert _wait(c, r.json()["job"])["status"] == "done"
    assert _score(c, "530000", 2019) != before


def test_rebuild_is_guarded(home: tuple[Path, Path], lean: tuple[Path, Path]) -> None:
    assert _client(home).post("/api/v1/admin/rebuild").status_code == 401
    ro = TestClient(create_app(home[0], home[1]))
    assert ro.post("/api/v1/admin/rebuild").status_code == 404
    assert ro.get("/api/v1/state").status_code == 200
    no_store = TestClient(create_app(home[0], None, allow_writes=True, token=TOKEN))
    r = no_store.post("/api/v1/admin/rebuild", headers=AUTH)
    assert r.status_code == 409 and "no store" in r.json()["detail"]
    assert no_store.get("/api/v1/state").json()["stale"] is False
    assert _client(home).get("/api/v1/admin/rebuild/20260101T000000-abcdef", headers=AUTH).status_code == 404
    # a job recorded as running whose process stopped (nobody holds the lock) reads as interrupted
    jobs = home[0] / "_rebuilds" / "jobs"
    jobs.mkdir(parents=True)
    (jobs / "20260101T000000-abcdef.json").write_text(json.dumps({"job": "20260101T000000-abcdef", "status": "running"}))
    doc = _client(home).get("/api/v1/admin/rebuild/20260101T000000-abcdef", headers=AUTH).json()
    assert doc["status"] == "interrupted" and "unchanged" in doc["error"]
    assert ro.get("/api/v1/state").json()["rebuild"]["status"] == "interrupted"


def test_recorded_options_and_a_rerun_on_unchanged_data_equal_the_run(lean: tuple[Path, Path], tmp_path: Path) -> None:
    from nqpf.data.store import Store
    from nqpf.rerun import changed_inputs, recorded_options, rerun

    run_dir, store_path = lean
    opts = recorded_options(run_dir)
    assert [(f.id, f.version) for f in opts.frameworks] == [(FW, "1.0")]
    assert (opts.analyses, opts.productivity, opts.robustness, opts.html) == (False, False, 0, False)
    copy = tmp_path / "store.duckdb"
    shutil.copy2(store_path, copy)
    assert changed_inputs([run_dir / FW], Store(copy)) == {}
    steps: list[str] = []
    rerun(run_dir, Store(copy), tmp_path / "again", on_step=steps.append)
    a = pd.read_parquet(run_dir / FW / "scores.parquet")
    b = pd.read_parquet(tmp_path / "again" / FW / "scores.parquet")
    assert a.shape == b.shape and np.array_equal(a["score"].to_numpy(), b["score"].to_numpy(), equal_nan=True)
    assert any(s.startswith(f"built {FW} (1/1)") for s in steps)

"""Write endpoints that take a file: importing a tidy CSV/XLSX into the store and saving a
framework YAML (token-guarded), on real data: values read back from the store, errors with
file/line/cell, the size limit, a busy store, and a saved framework built like a shipped one."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from nqpf.api import create_app
from service_support import FRAMEWORK, service_run

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def run_dir(data_dir: Path) -> Path:
    return service_run(data_dir)[0]


@pytest.fixture
def fresh(run_dir: Path, tmp_path: Path) -> tuple[TestClient, Path, Path]:
    """A writable server on an empty store and an empty frameworks folder (per test)."""
    store, fws = tmp_path / "upload.duckdb", tmp_path / "frameworks"
    app = create_app(run_dir, store, allow_writes=True, token=TOKEN, frameworks_dir=fws)
    return TestClient(app), store, fws


def _real_rows(data_dir: Path, variables: list[str], years: tuple[int, int] = (2017, 2019)) -> pd.DataFrame:
    """Real rows of the curated panel in the long upload layout: region, year, variable, value, unit."""
    d = pd.read_csv(data_dir / "panel" / "provinces.csv", dtype={"region_code": str})
    d = d[d["variable"].isin(variables) & d["year"].between(*years)]
    return d.rename(columns={"region_code": "region"})[["region", "year", "variable", "value", "unit"]].reset_index(drop=True)


def test_import_a_real_csv_and_read_it_back(fresh: tuple[TestClient, Path, Path], data_dir: Path) -> None:
    from nqpf.data.store import Store

    client, store, _ = fresh
    rows = _real_rows(data_dir, ["rd_intensity", "urbanization_rate"])
    body = rows.to_csv(index=False).encode("utf-8")
    r = client.post("/api/v1/admin/import", params={"filename": "mine.csv"}, content=body, headers=AUTH)
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["status"] == "imported" and out["values"] == len(rows) and sorted(out["variables"]) == ["rd_intensity", "urbanization_rate"]
    got = Store(store).observations(["rd_intensity", "urbanization_rate"])
    m = rows.merge(got.assign(region=got["region_code"].astype(str)), on=["region", "year", "variable"], suffixes=("", "_db"))
    assert len(m) == len(rows) and np.allclose(m["value"], m["value_db"])
    again = client.post("/api/v1/admin/import", params={"filename": "mine.csv"}, content=body, headers=AUTH)
    assert again.status_code == 200 and again.json()["status"] == "already stored"


def test_import_xlsx(fresh: tuple[TestClient, Path, Path], data_dir: Path) -> None:
    from nqpf.data.store import Store

    client, store, _ = fresh
    rows = _real_rows(data_dir, ["tertiary_share"], (2019, 2019))
    buf = io.BytesIO()
    rows.to_excel(buf, index=False, engine="openpyxl")
    r = client.post("/api/v1/admin/import", params={"filename": "share.xlsx"}, content=buf.getvalue(), headers=AUTH)
    assert r.status_code == 201, r.text
    got = Store(store).observations(["tertiary_share"]).set_index("region_code")["value"]
    assert got["440000"] == pytest.approx(float(rows.set_index("region").loc["440000", "value"]))


def test_import_errors_name_file_line_and_cell(fresh: tuple[TestClient, Path, Path], data_dir: Path) -> None:
    client, store, _ = fresh
    rows = _real_rows(data_dir, ["rd_intensity"], (2019, 2019))
    rows.loc[4, "region"] = "Atlantis"
    r = client.post("/api/v1/admin/import", params={"filename": "bad.csv"}, content=rows.to_csv(index=False).encode(), headers=AUTH)
    assert r.status_code == 422, r.text
    e = r.json()
    assert e["file"] == "bad.csv" and "Atlantis" in e["detail"] and "/tmp" not in e["detail"]
    assert e["line"] == 6 and e["region"] == "Atlantis" and e["errors"][0]["line"] == 6, e
    rows = _real_rows(data_dir, ["rd_intensity"], (2019, 2019))
    rows["value"] = rows["value"].astype(object)
    rows.loc[2, "value"] = "n/a?"
    r = client.post("/api/v1/admin/import", params={"filename": "bad2.csv"}, content=rows.to_csv(index=False).encode(), headers=AUTH)
    e = r.json()
    assert r.status_code == 422 and e["line"] == 4 and e["cell"] == "D4" and e["variable"] == "rd_intensity", e
    assert "non-numeric value 'n/a?'" in e["detail"]
    assert not store.exists(), "a refused first import leaves no store"
    r = client.post("/api/v1/admin/import", params={"filename": "x.csv"}, content=b"\x00\x01garbage", headers=AUTH)
    assert r.status_code == 422 and r.json()["detail"].startswith(("x.csv", "[file x.csv")), r.text


def test_import_limits_token_and_names(run_dir: Path, tmp_path: Path, data_dir: Path) -> None:
    app = create_app(run_dir, tmp_path / "s.duckdb", allow_writes=True, token=TOKEN, max_upload=2000)
    c = TestClient(app)
    big = _real_rows(data_dir, ["rd_intensity"], (2010, 2019)).to_csv(index=False).encode()
    assert len(big) > 2000
    r = c.post("/api/v1/admin/import", params={"filename": "big.csv"}, content=big, headers=AUTH)
    assert r.status_code == 413 and "2000" in r.json()["detail"]
    assert c.post("/api/v1/admin/import", params={"filename": "a.csv"}, content=b"x", headers={}).status_code == 401
    for bad in ("../../etc/passwd.csv", "a.exe", "a/b.csv"):
        r = c.post("/api/v1/admin/import", params={"filename": bad}, content=b"x", headers=AUTH)
        assert r.status_code == 422 and "filename" in r.json()["detail"], bad
    off = TestClient(create_app(run_dir, tmp_path / "s.duckdb"))
    assert off.post("/api/v1/admin/import", params={"filename": "a.csv"}, content=b"x", headers=AUTH).status_code == 404


def test_busy_store_answers_423(fresh: tuple[TestClient, Path, Path], data_dir: Path) -> None:
    from nqpf.data import lock

    client, store, _ = fresh
    body = _real_rows(data_dir, ["rd_intensity"], (2019, 2019)).to_csv(index=False).encode()
    assert client.post("/api/v1/admin/import", params={"filename": "a.csv"}, content=body, headers=AUTH).status_code == 201
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with lock.exclusive(store, 0):
            held.set()
            release.wait(20)

    th = threading.Thread(target=hold)
    th.start()
    try:
        assert held.wait(10)
        body2 = _real_rows(data_dir, ["urbanization_rate"], (2019, 2019)).to_csv(index=False).encode()
        r = client.post("/api/v1/admin/import", params={"filename": "b.csv"}, content=body2, headers=AUTH)
        assert r.status_code == 423, r.text
        assert "store busy" in r.json()["detail"] and "pid" in r.json()["detail"]
    finally:
        release.set()
        th.join(10)
    r = client.post("/api/v1/admin/import", params={"filename": "b.csv"}, content=body2, headers=AUTH)
    assert r.status_code == 201, r.text


def _shipped_yaml(new_id: str) -> str:
    from nqpf.frameworks.spec import VERSIONS_DIR

    text = (VERSIONS_DIR / f"{FRAMEWORK}@1.0.yaml").read_text(encoding="utf-8")
    return text.replace(f"id: {FRAMEWORK}\n", f"id: {new_id}\n", 1)


def test_save_framework_then_build_it(run_dir: Path, data_dir: Path, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from nqpf.data.store import Store
    from nqpf.frameworks import load_framework
    from nqpf.index.build import build_index

    store_path = service_run(data_dir)[1]
    fws = tmp_path / "fw"
    c = TestClient(create_app(run_dir, store_path, allow_writes=True, token=TOKEN, frameworks_dir=fws))
    text = _shipped_yaml("my-three-elements")
    r = c.post("/api/v1/admin/frameworks", content=text.encode("utf-8"), headers=AUTH)
    assert r.status_code == 201, r.text
    assert r.json()["saved"] == "my-three-elements" and r.json()["checked_against_store"] is True
    assert (fws / "my-three-elements.yaml").read_text(encoding="utf-8") == text
    assert c.post("/api/v1/admin/frameworks", content=text.encode(), headers=AUTH).status_code == 409
    assert c.post("/api/v1/admin/frameworks", params={"replace": True}, content=text.encode(), headers=AUTH).json()["replaced"]
    # buildable by id from the user's frameworks folder, with the shipped 1.0's numbers
    monkeypatch.setenv("NQPF_FRAMEWORKS", str(fws))
    panel = Store(store_path).panel()
    mine = build_index(load_framework("my-three-elements"), panel, {"years": "2010:2019"})
    ref = build_index(load_framework(f"{FRAMEWORK}@1.0"), panel, {"years": "2010:2019"})
    assert np.array_equal(mine.index, ref.index, equal_nan=True)


@pytest.mark.parametrize(("body", "status", "words"), [
    ("id: [unclosed", 422, "body"),
    ("a: &x [1]\nb: *x\n", 422, "alias"),
    ("", 422, "empty"),
    ("__SHIPPED__", 409, "shipped framework"),
    ("__UNKNOWN_VARIABLE__", 422, "rd_expenditur"),
])
def test_save_framework_refusals(run_dir: Path, data_dir: Path, tmp_path: Path, body: str, status: int, words: str) -> None:
    store_path = service_run(data_dir)[1]
    c = TestClient(create_app(run_dir, store_path, allow_writes=True, token=TOKEN, frameworks_dir=tmp_path / "fw"))
    if body == "__SHIPPED__":
        body = _shipped_yaml(FRAMEWORK)
    elif body == "__UNKNOWN_VARIABLE__":
        body = _shipped_yaml("typo-fw").replace("formula: rd_expenditure / gdp", "formula: rd_expenditur / gdp", 1)
        assert "rd_expenditur / gdp" in body
    r = c.post("/api/v1/admin/frameworks", content=body.encode(), headers=AUTH)
    assert r.status_code == status, r.text
    assert words in r.json()["detail"] + " ".join(r.json().get("problems", [])), r.json()
    assert not list((tmp_path / "fw").glob("*.yaml")) if (tmp_path / "fw").exists() else True
    assert c.post("/api/v1/admin/frameworks", content=b"id: x", headers={"Authorization": "Bearer wrong"}).status_code == 401

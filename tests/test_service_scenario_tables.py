"""Scenario results as downloads (``POST /frameworks/{id}/whatif/tables/{table}``): the CSV and
XLSX of each table equal the JSON answer of ``/whatif`` for the same request, on the real 1.0 run
with the HQD index beside it (so the implied-HQD table has rows)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from nqpf.api import create_app
from service_support import FRAMEWORK, linked_run

WHATIF = f"/api/v1/frameworks/{FRAMEWORK}/whatif"
#: Anhui, R&D intensity and invention patents +50 % in 2018-2019: moves Anhui up and others down (docs/service.md)
BODY: dict[str, Any] = {"changes": [{"regions": ["Anhui"], "indicators": ["rd_to_gdp", "invention_patents_per_10k"], "kind": "relative",
                                     "value": 0.5, "years": [2018, 2019]}]}


@pytest.fixture(scope="module")
def client(data_dir: Path) -> TestClient:
    run_dir, store = linked_run(data_dir)
    return TestClient(create_app(run_dir, store))


@pytest.fixture(scope="module")
def answer(client: TestClient) -> dict[str, Any]:
    r = client.post(WHATIF, json=BODY)
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


def _same(got: pd.DataFrame, rows: list[dict[str, Any]]) -> None:
    want = pd.DataFrame(rows)
    assert list(got.columns) == list(want.columns) and len(got) == len(want) > 0
    for c in want.columns:
        if pd.api.types.is_numeric_dtype(want[c]) and want[c].notna().any():
            assert np.allclose(got[c].astype(float), want[c].astype(float), rtol=1e-12, atol=1e-15, equal_nan=True), c
        else:
            assert [str(v) for v in got[c].fillna("")] == [str(v) for v in want[c].fillna("")], c


@pytest.mark.parametrize("table", ["index", "moved", "implied", "changes"])
def test_tables_download_as_csv_and_xlsx_equal_to_the_json(client: TestClient, answer: dict[str, Any], table: str) -> None:
    rows = answer["implied"]["rows"] if table == "implied" else answer[table]
    url = f"{WHATIF}/tables/{table}"
    csv = client.post(url, params={"format": "csv"}, json=BODY)
    assert csv.status_code == 200 and csv.content[:3] == b"\xef\xbb\xbf", csv.text[:200]
    assert f"scenario_{FRAMEWORK}_{table}.csv" in csv.headers["content-disposition"]
    _same(pd.read_csv(io.BytesIO(csv.content), encoding="utf-8-sig", dtype={"region_code": str}), rows)
    x = client.post(url, params={"format": "xlsx"}, json=BODY)
    assert x.status_code == 200 and x.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert x.content[:2] == b"PK"
    _same(pd.read_excel(io.BytesIO(x.content), engine="openpyxl", dtype={"region_code": str}), rows)


def test_the_real_numbers_of_the_download(client: TestClient, answer: dict[str, Any]) -> None:
    """Anhui's 2019 row, read from the XLSX: it moves up; the implied HQD change is coef x Δindex."""
    x = pd.read_excel(io.BytesIO(client.post(f"{WHATIF}/tables/index", params={"format": "xlsx"}, json=BODY).content),
                      engine="openpyxl", dtype={"region_code": str})
    a = x[(x["region_code"] == "340000") & (x["year"] == 2019)].iloc[0]
    assert a["region_zh"] == "安徽" and a["score_change"] > 0 and a["rank_after"] < a["rank_before"]
    imp = pd.read_excel(io.BytesIO(client.post(f"{WHATIF}/tables/implied", params={"format": "xlsx"}, json=BODY).content),
                        engine="openpyxl", dtype={"region_code": str})
    coef = answer["implied"]["coef"]
    assert np.allclose(imp["implied_change"], coef * imp["index_change"], rtol=1e-12)
    assert np.allclose(imp["index_change"].to_numpy(), x["score_change"].to_numpy(), rtol=1e-12)
    moved = pd.read_excel(io.BytesIO(client.post(f"{WHATIF}/tables/moved", params={"format": "xlsx"}, json=BODY).content),
                          engine="openpyxl", dtype={"region_code": str})
    assert set(moved["rank_change"]) - {0} and (moved["rank_after"] - moved["rank_before"] == -moved["rank_change"]).all()


def test_bad_requests_name_what_is_wrong(client: TestClient) -> None:
    r = client.post(f"{WHATIF}/tables/secrets", params={"format": "xlsx"}, json=BODY)
    assert r.status_code == 422 and r.json()["detail"].startswith("path.table:")
    bad = {"changes": [{**BODY["changes"][0], "regions": ["Atlantis"]}]}
    r = client.post(f"{WHATIF}/tables/index", params={"format": "xlsx"}, json=bad)
    assert r.status_code == 422 and r.json()["detail"].startswith("changes.0.regions.0: unknown province")
    r = client.post(f"{WHATIF}/tables/index", params={"format": "pdf"}, json=BODY)
    assert r.status_code == 422 and "format" in r.json()["detail"]

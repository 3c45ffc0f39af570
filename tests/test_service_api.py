"""The REST API on a real run (FastAPI's test client): values, formats, limits and safety."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from nqpf.api import AnalysisView, create_app, register_view
from nqpf.api.analyses import VIEWS, dispersion, opportunity_matrix
from nqpf.api.state import Catalog
from service_support import FRAMEWORK, service_run

FW = f"/api/v1/frameworks/{FRAMEWORK}"


@pytest.fixture(scope="module")
def run(data_dir: Path) -> tuple[Path, Path]:
    return service_run(data_dir)


@pytest.fixture(scope="module")
def client(run: tuple[Path, Path]) -> TestClient:
    return TestClient(create_app(run[0], run[1]))


@pytest.fixture(scope="module")
def scores(run: tuple[Path, Path]) -> pd.DataFrame:
    return pd.read_csv(run[0] / FRAMEWORK / "scores.csv", dtype={"region_code": str})


def test_scores_are_the_run_files(client: TestClient, scores: pd.DataFrame) -> None:
    r = client.get(f"{FW}/scores", params={"year": 2019})
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == 31 and body["meta"] == {"framework": FRAMEWORK, "node": "nqpf_index", "year": 2019}
    got = pd.DataFrame(body["items"]).set_index("region_code")["score"]
    want = scores[(scores["year"] == 2019) & (scores["node"] == "nqpf_index")].set_index("region_code")["score"]
    assert np.allclose(got.sort_index(), want.sort_index(), atol=1e-6)
    assert body["items"][0]["region_en"] == "Beijing" and body["items"][0]["rank"] == 1
    one = client.get(f"{FW}/scores", params={"year": 2015, "region": "广东", "node": "laborers"}).json()["items"]
    row = scores[(scores["year"] == 2015) & (scores["node"] == "laborers") & (scores["region_code"] == "440000")]
    assert len(one) == 1 and one[0]["score"] == pytest.approx(float(row["score"].iloc[0]), abs=1e-6)


def test_pagination_and_limits(client: TestClient) -> None:
    a = client.get(f"{FW}/scores", params={"all_years": True, "limit": 100, "offset": 0}).json()
    b = client.get(f"{FW}/scores", params={"all_years": True, "limit": 100, "offset": 100}).json()
    assert a["total"] == 310 and a["next_offset"] == 100 and len(a["items"]) == 100
    assert b["items"][0] != a["items"][0]
    last = client.get(f"{FW}/scores", params={"all_years": True, "limit": 100, "offset": 300}).json()
    assert len(last["items"]) == 10 and last["next_offset"] is None
    assert client.get(f"{FW}/scores", params={"limit": 0}).status_code == 422
    assert client.get(f"{FW}/scores", params={"limit": 10**6}).status_code == 422


def test_csv_has_bom_and_xlsx_opens(client: TestClient) -> None:
    r = client.get(f"{FW}/ranks", params={"year": 2019, "format": "csv"})
    assert r.headers["content-type"].startswith("text/csv") and r.content[:3] == b"\xef\xbb\xbf"
    assert "attachment" in r.headers["content-disposition"]
    df = pd.read_csv(io.BytesIO(r.content), encoding="utf-8-sig", dtype={"region_code": str})
    assert df.loc[0, "region_zh"] == "北京" and len(df) == 31
    x = client.get(f"{FW}/ranks", params={"year": 2019, "format": "xlsx"})
    xl = pd.read_excel(io.BytesIO(x.content), engine="openpyxl", dtype={"region_code": str})
    assert list(xl["region_zh"]) == list(df["region_zh"]) and xl["score"].iloc[0] == pytest.approx(df["score"].iloc[0])


def test_unknown_names_are_clear_4xx(client: TestClient) -> None:
    r = client.get("/api/v1/frameworks/nope/scores")
    assert r.status_code == 404 and "known: nqpf-three-elements" in r.json()["detail"]
    r = client.get(f"{FW}/scores", params={"year": 1990})
    assert r.status_code == 404 and r.json()["detail"] == f"framework {FRAMEWORK} covers 2010-2019, not 1990"
    assert client.get(f"{FW}/scores", params={"node": "nope"}).status_code == 404
    r = client.get(f"{FW}/profiles/Atlantis")
    assert r.status_code == 404 and "unknown province" in r.json()["detail"]
    assert client.get("/api/v1/frameworks/..%2F..%2Fetc/scores").status_code in (404, 422)
    assert "Traceback" not in r.text


def test_profile_by_hand(client: TestClient, scores: pd.DataFrame) -> None:
    p = client.get(f"{FW}/profiles/Guangdong", params={"year": 2019}).json()
    s = scores[scores["region_code"] == "440000"]
    idx = s[s["node"] == "nqpf_index"].set_index("year")["rank"]
    assert p["rank"] == idx[2019] == 2 and p["rank_change"] == idx[2010] - idx[2019]
    dims = ["laborers", "means_of_labor", "objects_of_labor"]
    assert [d["node"] for d in p["dims"]] == dims
    w = scores[(scores["year"] == 2019) & scores["node"].isin(dims)].pivot(index="region_code", columns="node", values="score")
    d = np.sqrt(((w - w.loc["440000"]) ** 2).sum(axis=1)).drop("440000").sort_values()
    assert [x["region_code"] for x in p["peers"]] == list(d.index[:5])
    assert p["peers"][0]["distance"] == pytest.approx(d.iloc[0], abs=1e-5)
    leaves = s[(s["year"] == 2019) & ~s["node"].isin([*dims, "nqpf_index"])].sort_values(["rank", "node"])
    assert [x["node"] for x in p["strengths"]] == list(leaves["node"].head(3))
    assert p["weaknesses"][0]["rank"] == leaves["rank"].max()
    assert "Guangdong ranks 2 of 31" in p["narrative_en"] and "广东" in p["narrative_zh"]


def test_compare_takes_two_to_four(client: TestClient) -> None:
    r = client.get(f"{FW}/compare", params={"regions": "北京,Shanghai"}).json()
    assert r["total"] == 8 and {x["region_code"] for x in r["items"]} == {"110000", "310000"}
    assert client.get(f"{FW}/compare", params={"regions": "北京"}).status_code == 400
    assert client.get(f"{FW}/compare", params={"regions": "11,12,13,14,15"}).status_code == 400


def test_dispersion_hand_case() -> None:
    df = pd.DataFrame({"node": "x", "year": 2020, "region_code": ["a", "b", "c"], "score": [1.0, 2.0, 3.0]})
    d = dispersion(df).iloc[0]
    assert d["mean"] == 2.0 and d["std"] == pytest.approx(np.sqrt(2 / 3)) and d["cv"] == pytest.approx(np.sqrt(2 / 3) / 2)
    assert d["max_min_ratio"] == 3.0


def test_opportunity_quadrants_hand_case() -> None:
    rows = [("a", 2010, 0.5), ("a", 2019, 0.9), ("b", 2010, 0.1), ("b", 2019, 0.6), ("c", 2010, 0.8), ("c", 2019, 0.85),
            ("d", 2010, 0.2), ("d", 2019, 0.2)]
    df = pd.DataFrame(rows, columns=["region_code", "year", "score"]).assign(node="n", region_en="", region_zh="")
    df["rank"] = df.groupby("year")["score"].rank(ascending=False).astype(int)
    m = opportunity_matrix(df, "n").set_index("region_code")
    # levels 0.9, 0.6, 0.85, 0.2 (median 0.725); changes 0.4, 0.5, 0.05, 0 (median 0.225)
    assert m["quadrant"].to_dict() == {"a": "leader", "b": "rising", "c": "slowing", "d": "lagging"}


def test_real_disparity_and_opportunity(client: TestClient, scores: pd.DataFrame) -> None:
    d = client.get(f"{FW}/analyses/disparity", params={"node": "nqpf_index"}).json()["items"]
    s = scores[(scores["node"] == "nqpf_index") & (scores["year"] == 2019)]["score"]
    row = next(x for x in d if x["year"] == 2019)
    assert row["cv"] == pytest.approx(s.std(ddof=0) / s.mean(), rel=1e-5)
    o = client.get(f"{FW}/opportunity").json()
    assert o["total"] == 31 and {x["quadrant"] for x in o["items"]} <= {"leader", "rising", "slowing", "lagging"}


def test_ranks_read_rank_uncertainty_when_present(run: tuple[Path, Path], tmp_path: Path) -> None:
    # a copy of the run with a robustness table, as an uncertainty analysis would write it
    # (plumbing only: the interval here is the run's own rank -1/+2, not an analysis result)
    dst = tmp_path / "run"
    shutil.copytree(run[0] / FRAMEWORK, dst / FRAMEWORK)
    sc = pd.read_csv(dst / FRAMEWORK / "scores.csv", dtype={"region_code": str})
    sc = sc[(sc["year"] == 2019) & (sc["node"] == "nqpf_index")]
    (dst / FRAMEWORK / "robustness").mkdir()
    pd.DataFrame({"region_code": sc["region_code"], "year": 2019, "node": "nqpf_index", "median_rank": sc["rank"],
                  "rank_p05": (sc["rank"] - 1).clip(lower=1), "rank_p95": sc["rank"] + 2}).to_csv(
        dst / FRAMEWORK / "robustness" / "rank_uncertainty.csv", index=False)
    c = TestClient(create_app(dst))
    r = c.get(f"{FW}/ranks", params={"year": 2019}).json()
    assert r["meta"]["uncertainty"] is True and r["items"][0]["rank_p95"] == 3
    assert c.get(f"{FW}/ranks", params={"year": 2018}).json()["meta"]["uncertainty"] is False
    a = {x["name"]: x for x in c.get(f"{FW}/analyses").json()["items"]}
    assert a["rank_uncertainty"]["available"] and a["rank_uncertainty"]["rows"] == 31


def test_a_new_analysis_plugs_in_with_one_registration(client: TestClient) -> None:
    view = register_view(AnalysisView("top3", "Top three", "前三", lambda r: r.scores[r.scores["rank"] <= 3], chart="table"))
    try:
        assert any(x["name"] == "top3" for x in client.get(f"{FW}/analyses").json()["items"])
        assert client.get(f"{FW}/analyses/top3").json()["total"] == 3 * 10 * 15
    finally:
        VIEWS.pop(view.name)


def test_scenario_on_the_frozen_scale(client: TestClient, run: tuple[Path, Path]) -> None:
    ch = [{"region": "贵州", "year": 2019, "variable": "rd_expenditure", "value": 5e6}]
    r = client.post(f"{FW}/scenario", json={"changes": ch})
    assert r.status_code == 200
    body = r.json()
    assert body["changed_regions"] == ["520000"]
    res = Catalog(run[0]).result(FRAMEWORK)  # the peer: the engine's own frozen scoring
    want = res.score(pd.DataFrame([{"region_code": "520000", "year": 2019, "variable": "rd_expenditure", "value": 5e6}]))
    delta = want.change(res).set_index(["region_code", "year"]).loc[("520000", 2019), "score_change"]
    assert body["changes"][0]["score_change"] == pytest.approx(delta) and delta > 0
    bad = client.post(f"{FW}/scenario", json={"changes": [{**ch[0], "variable": "gdp_fake"}]})
    assert bad.status_code == 400 and "not read by" in bad.json()["detail"]
    assert client.post(f"{FW}/scenario", json={"changes": []}).status_code == 422
    assert client.post(f"{FW}/scenario", content=b"{not json", headers={"content-type": "application/json"}).status_code == 422


def test_qualifier_single_and_batch(client: TestClient) -> None:
    from nqpf.innovation import qualify
    from nqpf.innovation.qualify_fitted import qualifier_for

    text = "公司自主研发第三代半导体碳化硅功率芯片，打破国外垄断，显著降低新能源汽车能耗，创造就业并提高居民收入。"
    r = client.post("/api/v1/innovation/qualify", json={"text": text})  # the default model: hybrid, as on the CLI
    hybrid = json.loads(json.dumps(qualifier_for("hybrid").qualify(text).to_dict(), ensure_ascii=False))
    assert r.status_code == 200 and r.json() == hybrid and r.json()["model"] == "hybrid"
    rules = client.post("/api/v1/innovation/qualify", json={"text": text, "model": "rules"}).json()
    assert rules == json.loads(json.dumps(qualify(text).to_dict(), ensure_ascii=False))
    from typing import get_args

    from nqpf.api.routes_innovation import Model, QualifyRequest
    from nqpf.innovation.qualify_fitted import DEFAULT_MODEL, MODELS

    assert set(get_args(Model)) == set(MODELS) and QualifyRequest(text="x").model == DEFAULT_MODEL
    pair = client.post("/api/v1/innovation/qualify/batch", json={"texts": [text, "卖煤炭"], "model": "rules"}).json()
    assert pair["items"][0] == rules
    bad = client.post("/api/v1/innovation/qualify", json={"text": text, "model": "neural"})
    assert bad.status_code == 422 and "model" in json.dumps(bad.json())
    b = client.post("/api/v1/innovation/qualify/batch", json={"texts": [text, "卖煤炭"]}).json()
    assert b["total"] == 2 and b["items"][0]["verdict"] == r.json()["verdict"]
    assert client.post("/api/v1/innovation/qualify", json={"text": ""}).status_code == 422
    assert client.post("/api/v1/innovation/qualify/batch", json={"texts": ["x"] * 101}).status_code == 422


def test_data_routes(client: TestClient) -> None:
    regs = client.get("/api/v1/regions").json()
    assert regs["total"] == 31 and regs["items"][0] == {"region_code": "110000", "name_en": "Beijing", "name_zh": "北京",
                                                         "nbs4": "east", "belt3": "east"}
    g = client.get("/api/v1/groupings").json()["items"]
    assert sum(x["n"] for x in g if x["grouping"] == "nbs4") == 31
    v = client.get("/api/v1/variables", params={"q": "gdp"}).json()
    assert v["meta"]["from"] == "store" and "gdp" in {x["variable"] for x in v["items"]}
    p = client.get("/api/v1/variables/gdp/provenance", params={"region": "北京", "year": 2015}).json()["items"]
    assert p[0]["current"] is True and p[0]["value"] == pytest.approx(26034.1) and len(p[0]["sha256"]) == 64
    assert client.get("/api/v1/variables/nope/provenance", params={"region": "北京", "year": 2015}).status_code == 404
    assert client.get("/api/v1/variables/..%2Fx/provenance", params={"region": "北京", "year": 2015}).status_code in (404, 422)


def test_safety_headers_cors_and_body_limit(client: TestClient, run: tuple[Path, Path]) -> None:
    r = client.get(f"{FW}/scores", headers={"Origin": "http://evil.example"})
    assert r.headers["x-content-type-options"] == "nosniff" and "default-src 'self'" in r.headers["content-security-policy"]
    assert "access-control-allow-origin" not in r.headers
    small = TestClient(create_app(run[0], max_body=1000))
    r = small.post("/api/v1/innovation/qualify", json={"text": "研" * 2000})
    assert r.status_code == 413 and "body over 1000 bytes" in r.json()["detail"]


def test_time_limit_and_no_stack_traces(run: tuple[Path, Path]) -> None:
    def boom(r: object) -> pd.DataFrame:
        raise RuntimeError("secret internals")

    register_view(AnalysisView("boom", "Boom", "错误", boom))
    try:
        c = TestClient(create_app(run[0]))
        r = c.get(f"{FW}/analyses/boom")
        assert r.status_code == 500 and r.json() == {"detail": "internal error / 内部错误"}
    finally:
        VIEWS.pop("boom")
    slow = TestClient(create_app(run[0], max_seconds=0.001))
    r = slow.post(f"{FW}/scenario", json={"changes": [{"region": "北京", "year": 2019, "variable": "rd_expenditure", "value": 1.0}]})
    assert r.status_code == 503 and "took over" in r.json()["detail"]


def test_writes_off_by_default_and_need_a_token(run: tuple[Path, Path], tmp_path: Path) -> None:
    body = {"changes": [{"region": "北京", "year": 2019, "variable": "rd_expenditure", "value": 1.0}]}
    off = TestClient(create_app(run[0]))
    assert off.put(f"/api/v1/admin/frameworks/{FRAMEWORK}/scenarios/s1", json=body).status_code in (404, 405)
    dst = tmp_path / "run"
    shutil.copytree(run[0] / FRAMEWORK, dst / FRAMEWORK)
    on = TestClient(create_app(dst, allow_writes=True, token="t0ken"))
    url = f"/api/v1/admin/frameworks/{FRAMEWORK}/scenarios/s1"
    assert on.put(url, json=body).status_code == 401
    assert on.put(url, json=body, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert on.put(url, json=body, headers={"Authorization": "Bearer t0ken"}).status_code == 201
    assert json.loads((dst / "_saved" / FRAMEWORK / "s1.json").read_text())["changes"][0]["value"] == 1.0
    bad = on.put(f"/api/v1/admin/frameworks/{FRAMEWORK}/scenarios/..%2F..%2Fx", json=body, headers={"Authorization": "Bearer t0ken"})
    assert bad.status_code in (404, 422)
    with pytest.raises(Exception, match="writes need a token"):
        create_app(dst, allow_writes=True)


def test_pages_are_local_and_bilingual(client: TestClient) -> None:
    from nqpf.api.pages import PAGES

    for path, en, zh in PAGES.values():
        e, z = client.get(path), client.get(path, params={"lang": "zh"})
        assert e.status_code == z.status_code == 200
        assert f"<title>{en} · nqpf" in e.text and f"<title>{zh} · nqpf" in z.text and 'lang="zh"' in z.text
        assert "http://" not in e.text.replace("http://{", "") and "https://" not in e.text
    js = client.get("/static/plotly.min.js")
    assert js.status_code == 200 and len(js.content) > 1_000_000
    assert "https://" not in client.get("/static/app.js").text
    assert client.get("/static/../app.py").status_code == 404
    assert client.get("/", params={"lang": "fr"}).status_code == 422
    spec = client.get("/api/openapi.json").json()
    assert "/api/v1/frameworks/{framework}/scores" in spec["paths"] and "/api/v1/innovation/qualify" in spec["paths"]


def test_cli_serve_errors_are_one_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from nqpf.cli import app

    (tmp_path / "f").write_text("x")
    r = CliRunner().invoke(app, ["serve", "--run-dir", str(tmp_path / "f")])  # a missing run is built: test_service_cli
    assert r.exit_code == 2 and "is a file" in r.output and "Traceback" not in r.output


def test_two_workers_serve_one_store(run: tuple[Path, Path]) -> None:
    import time

    import httpx

    from service_support import free_port

    port = free_port()
    proc = subprocess.Popen([str(Path(sys.executable).parent / "nqpf"), "serve", "--run-dir", str(run[0]), "--store", str(run[1]),
                             "--port", str(port), "--workers", "2"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline, ok = time.time() + 60, 0
        while time.time() < deadline and ok < 6:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/api/v1/variables/gdp/provenance?region=110000&year=2015", timeout=5)
                ok += r.status_code == 200
            except httpx.HTTPError:
                time.sleep(0.3)
        assert ok == 6
    finally:
        proc.terminate()
        proc.wait(20)

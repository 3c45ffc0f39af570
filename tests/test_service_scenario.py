"""The scenario endpoint (``POST /frameworks/{id}/whatif``) and the profile-table downloads, on
real runs: values against the scenario engine called directly, hand-worked frozen-scale cases,
the ranks recomputed by hand, and the implied HQD change against the linkage regression."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from nqpf.api import create_app
from service_support import FRAMEWORK, HQD, linked_run, service_run

WHATIF = f"/api/v1/frameworks/{FRAMEWORK}/whatif"


@pytest.fixture(scope="module")
def linked(data_dir: Path) -> tuple[Path, Path]:
    return linked_run(data_dir)


@pytest.fixture(scope="module")
def client(linked: tuple[Path, Path]) -> TestClient:
    return TestClient(create_app(linked[0], linked[1]))


@pytest.fixture(scope="module")
def result(linked: tuple[Path, Path]) -> Any:
    from nqpf.runs import load_run

    return load_run(linked[0] / FRAMEWORK)


def _post(client: TestClient, change: dict[str, Any], **kw: Any) -> Any:
    return client.post(WHATIF, json={"changes": [change], **kw})


def test_matches_the_engine_and_a_hand_worked_case(client: TestClient, result: Any) -> None:
    from nqpf.profiles.scenario import run_scenario

    ind = result.indicators[0]
    r = _post(client, {"regions": ["安徽"], "indicators": [ind], "kind": "relative", "value": 0.2, "years": [2018, 2019]})
    assert r.status_code == 200, r.text
    body = r.json()
    direct = run_scenario(result, [{"region": "340000", "indicator": ind, "years": [2018, 2019], "relative": 0.2}])
    want = direct.index_effects()
    got = pd.DataFrame(body["index"])
    assert list(got["year"]) == [2018, 2019] and set(got["region_code"]) == {"340000"}
    assert np.allclose(got["score_after"], want["score_after"], atol=1e-12)
    assert np.allclose(got["score_change"], want["score_change"], atol=1e-12)
    # by hand: +20% of Anhui's value; on the frozen scale only Anhui's score moves
    ti, ri, k = result.years.index(2019), result.regions.index("340000"), result.indicators.index(ind)
    ch = pd.DataFrame(body["changes"])
    row = ch[ch["year"] == 2019].iloc[0]
    assert row["before"] == pytest.approx(result.filled[ti, ri, k]) and row["after"] == pytest.approx(1.2 * result.filled[ti, ri, k])
    assert body["others_max_change"] == 0.0 and body["cells_changed"] == 2


def test_setting_the_pooled_maximum_moves_the_index_by_the_effective_weight(client: TestClient, result: Any) -> None:
    """Hand-worked: the 1.0 spec is min-max on the pooled 2010-2019 range, entropy weights,
    arithmetic means; average years of schooling is untreated (not skewed). Setting Guizhou's
    2019 value to the pooled maximum puts its normalised value at 1, so the index moves by
    w_eff * (1 - (v - min) / (max - min)) and nothing else moves."""
    ind = "avg_years_schooling"
    k = result.indicators.index(ind)
    v = result.filled[:, :, k]
    lo, hi = float(np.nanmin(v)), float(np.nanmax(v))
    ti, ri = result.years.index(2019), result.regions.index("520000")  # Guizhou
    x0 = (float(v[ti, ri]) - lo) / (hi - lo)
    r = _post(client, {"regions": ["Guizhou"], "indicators": [ind], "kind": "set", "value": hi, "years": [2019]})
    assert r.status_code == 200, r.text
    body = r.json()
    idx = pd.DataFrame(body["index"]).iloc[0]
    weff = float(result.effective_weights()[ind])
    assert idx["score_change"] == pytest.approx(weff * (1 - x0), rel=1e-9)
    assert idx["score_before"] == pytest.approx(float(result.scores[result.framework.root.id][ti, ri]), abs=1e-12)
    laborers = pd.DataFrame(body["effects"]).set_index("node").loc["laborers"]
    assert laborers["score_change"] == pytest.approx(3 * weff * (1 - x0), rel=1e-9)  # dimension weight 1/3
    assert body["out_of_range"] == [] and body["others_max_change"] == 0.0


def test_who_moved_is_the_ranking_recomputed_by_hand(client: TestClient, result: Any) -> None:
    root = result.framework.root.id
    ind = result.indicators[0]
    r = _post(client, {"regions": ["340000"], "indicators": result.indicators[:3], "kind": "relative", "value": 1.0,
                       "years": [2019]})
    assert r.status_code == 200, r.text
    body = r.json()
    ti = result.years.index(2019)
    s = result.scores[root][ti].copy()
    s[result.regions.index("340000")] = body["index"][0]["score_after"]
    order = (-s).argsort(kind="stable")
    new_rank = np.empty(len(s), dtype=int)
    new_rank[order] = np.arange(1, len(s) + 1)
    old_rank = result.ranks[root][ti].astype(int)
    moved = {c for c, a, b in zip(result.regions, old_rank, new_rank, strict=True) if a != b}
    got = pd.DataFrame(body["moved"])
    assert set(got["region_code"]) == moved and "340000" in moved
    for row in got.itertuples():
        i = result.regions.index(row.region_code)
        assert (row.rank_before, row.rank_after) == (old_rank[i], new_rank[i])
    assert body["index"][0]["rank_after"] == new_rank[result.regions.index("340000")]
    assert ind in {c["indicator"] for c in body["changes"]}


def test_implied_hqd_change_uses_the_linkage_regression(client: TestClient, result: Any, linked: tuple[Path, Path]) -> None:
    from scipy.stats import norm

    from nqpf.data.store import Store
    from nqpf.linkage import TwoWayFE
    from nqpf.linkage.analysis import CONTROLS, linkage_data
    from nqpf.runs import load_run

    r = _post(client, {"regions": ["Anhui"], "indicators": [result.indicators[1]], "kind": "relative", "value": 0.5})
    assert r.status_code == 200, r.text
    im = r.json()["implied"]
    assert im["available"] and im["level"] == 0.9
    panel = Store(linked[1]).panel()
    fit = TwoWayFE("hqd_index", ["nqpf", *CONTROLS]).fit(linkage_data(result, load_run(linked[0] / HQD), panel))
    assert im["coef"] == pytest.approx(float(fit.params["nqpf"]), rel=1e-10)
    assert im["se"] == pytest.approx(float(fit.std_errors["nqpf"]), rel=1e-10)
    assert 0 < im["coef"] < 2 and im["nobs"] == fit.nobs
    row = im["rows"][0]
    d = r.json()["index"][0]["score_change"]
    z = float(norm.ppf(0.95))
    assert row["index_change"] == pytest.approx(d) and row["implied_change"] == pytest.approx(im["coef"] * d)
    assert row["low"] == pytest.approx((im["coef"] - z * im["se"]) * d) and row["high"] == pytest.approx((im["coef"] + z * im["se"]) * d)
    # a coefficient given in the request is used as given
    r2 = client.post(WHATIF, json={"changes": [{"regions": ["Anhui"], "indicators": [result.indicators[1]], "kind": "relative",
                                                "value": 0.5}], "linkage": {"coef": 2.0, "se": 0.0}, "level": 0.95})
    row2 = r2.json()["implied"]["rows"][0]
    assert row2["implied_change"] == pytest.approx(2 * d) and row2["low"] == pytest.approx(2 * d)


def test_peer_leader_and_the_hqd_index_itself(client: TestClient, result: Any) -> None:
    r = _post(client, {"regions": ["Anhui"], "indicators": [result.indicators[0]], "kind": "peer_leader",
                       "peers": ["Jiangsu", "Zhejiang"], "years": [2019]})
    assert r.status_code == 200, r.text
    ch = r.json()["changes"][0]
    k, ti = result.indicators.index(result.indicators[0]), result.years.index(2019)
    js, zj = result.regions.index("320000"), result.regions.index("330000")
    lead = js if result.normalised[ti, js, k] >= result.normalised[ti, zj, k] else zj
    if result.normalised[ti, lead, k] > result.normalised[ti, result.regions.index("340000"), k]:
        assert ch["after"] == pytest.approx(result.filled[ti, lead, k])
    # default peers: the five structurally nearest provinces (from the store's data)
    from nqpf.data.store import Store
    from nqpf.profiles.peers import find_peers

    peers = find_peers(result, "340000", panel=Store(client.app.state.catalog.store_path).panel(), year=2019, k=5).peers
    codes = [result.registry.resolve(p).code for p in peers]
    norm = [result.normalised[ti, result.regions.index(c), k] for c in codes]
    d = client.post(WHATIF, json={"changes": [{"regions": ["Anhui"], "indicators": [result.indicators[0]],
                                               "kind": "peer_leader", "years": [2019]}]})
    assert d.status_code == 200, d.text
    best = codes[int(np.nanargmax(norm))]
    want = result.filled[ti, result.regions.index(best), k] if max(norm) > result.normalised[ti, result.regions.index("340000"), k] \
        else result.filled[ti, result.regions.index("340000"), k]
    assert d.json()["changes"][0]["after"] == pytest.approx(want)
    h = client.post(f"/api/v1/frameworks/{HQD}/whatif", json={"changes": [
        {"regions": ["Anhui"], "indicators": [client.get(f"/api/v1/frameworks/{HQD}/indicators").json()["items"][0]["indicator"]],
         "kind": "relative", "value": 0.1}]})
    assert h.status_code == 200 and h.json()["implied"]["available"] is False
    assert "HQD index itself" in h.json()["implied"]["note"]


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"regions": ["Atlantis"], "indicators": ["X"], "kind": "set", "value": 1}, "changes.0.regions.0", "unknown province"),
    ({"regions": ["Anhui"], "indicators": ["no_such_indicator"], "kind": "set", "value": 1}, "changes.0.indicators.0", "has no indicator"),
    ({"regions": ["Anhui"], "indicators": ["@0"], "kind": "set", "value": 1, "years": [1999]}, "changes.0.years.0", "outside the index"),
    ({"regions": ["Anhui"], "indicators": ["@0"], "kind": "set"}, "changes.0.value", "needs a value"),
    ({"regions": ["Anhui"], "indicators": ["@0"], "kind": "relative", "value": -1.5}, "changes.0.value", "above -1"),
    ({"regions": ["Anhui"], "indicators": ["@0"], "kind": "double", "value": 1}, "changes.0.kind", "Input should be"),
    ({"regions": [], "indicators": ["@0"], "kind": "set", "value": 1}, "changes.0.regions", "at least 1"),
    ({"regions": ["Anhui"], "indicators": ["@0"], "kind": "set", "value": -5.0}, "changes.0", "cannot be negative"),
])
def test_bad_input_is_422_naming_the_field(client: TestClient, result: Any, change: dict[str, Any], field: str, words: str) -> None:
    change = {**change, "indicators": [result.indicators[0] if i == "@0" else i for i in change["indicators"]]}
    r = _post(client, change)
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert detail.startswith(field) and words in detail, detail


def test_profile_tables_download_as_csv_and_xlsx(data_dir: Path) -> None:
    run_dir, store = service_run(data_dir)
    c = TestClient(create_app(run_dir, store))
    base = f"/api/v1/frameworks/{FRAMEWORK}/profiles/广东"
    prof = c.get(base, params={"year": 2019}).json()
    for table in ("dims", "trend", "strengths", "weaknesses", "peers"):
        r = c.get(f"{base}/tables/{table}", params={"year": 2019, "format": "csv"})
        assert r.status_code == 200 and r.content[:3] == b"\xef\xbb\xbf", table
        assert f"profile_{FRAMEWORK}_440000_2019_{table}.csv" in r.headers["content-disposition"]
        df = pd.read_csv(io.BytesIO(r.content), encoding="utf-8-sig", dtype={"region_code": str})
        want = pd.DataFrame(prof[table])
        assert len(df) == len(want) and list(df.columns) == list(want.columns), table
        x = pd.read_excel(io.BytesIO(c.get(f"{base}/tables/{table}", params={"year": 2019, "format": "xlsx"}).content),
                          engine="openpyxl")
        assert x.shape == want.shape
    peers = pd.read_csv(io.BytesIO(c.get(f"{base}/tables/peers", params={"format": "csv", "year": 2019}).content),
                        encoding="utf-8-sig", dtype={"region_code": str})
    assert list(peers["region_zh"]) == [p["region_zh"] for p in prof["peers"]]
    assert np.allclose(peers["distance"], [p["distance"] for p in prof["peers"]])
    assert c.get(f"{base}/tables/secrets").status_code == 422

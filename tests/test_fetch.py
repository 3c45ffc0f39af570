"""Source manifest and fetchers, tested against a local HTTP server (no network).

TEST FIXTURES: the API answers below are built by these tests in each API's documented
format. Values marked "synthetic" are made up for the test and are not statistics. The one
"real" fixture copies published values from the bundled panel (../shared/data) so the test
can check that a fetch yields exactly those numbers; nothing is shipped with the package.
"""

from __future__ import annotations

import csv
import json
import math
import os
import sys
import threading
import time
import types
import urllib.parse
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from nqpf.cli.fetch import app
from nqpf.data.batch import BATCH_COLUMNS, VARIABLE_COLUMNS
from nqpf.data.fetch import (
    FetchError,
    FetchOptions,
    ManifestError,
    Series,
    UnknownSeriesError,
    UnknownSourceError,
    cache_path,
    fetch,
    fetch_nbs,
    fetch_worldbank,
    load_manifest,
    nbs_url,
    parse_manifest,
    parse_nbs,
    parse_years,
    variable_id,
    worldbank_url,
)
from nqpf.errors import ValidationError

FAST = FetchOptions(timeout=2.0, retries=2, backoff=0.001)

Handler = Callable[[str, dict[str, str]], tuple[int, bytes]]


class LocalAPI:
    """A tiny HTTP server on 127.0.0.1 (port 0) serving answers from ``self.handler``."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.headers: list[dict[str, str]] = []
        self.handler: Handler = lambda path, q: (404, b"not set")
        api = self

        class H(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(parts.query))
                api.requests.append((parts.path, query))
                api.headers.append(dict(self.headers))
                status, body = api.handler(parts.path, query)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> LocalAPI:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def api() -> Iterator[LocalAPI]:
    with LocalAPI() as server:
        yield server


# -- fixture builders (API formats) --------------------------------------------------------------
def nbs_answer(
    code: str, cname: str, unit: str, cells: list[tuple[str, str, int, float | None]]
) -> bytes:
    """An easyquery QueryData answer: cells are (reg code, reg cname, year, value or None)."""
    nodes = []
    for reg, _name, year, value in cells:
        data = (
            {"data": value, "dotcount": 1, "hasdata": True, "strdata": f"{value}"}
            if value is not None
            else {"data": 0, "dotcount": 1, "hasdata": False, "strdata": ""}
        )
        nodes.append(
            {
                "code": f"zb.{code}_reg.{reg}_sj.{year}",
                "data": data,
                "wds": [
                    {"valuecode": code, "wdcode": "zb"},
                    {"valuecode": reg, "wdcode": "reg"},
                    {"valuecode": str(year), "wdcode": "sj"},
                ],
            }
        )
    regs = {reg: name for reg, name, _y, _v in cells}
    yrs = sorted({y for _r, _n, y, _v in cells}, reverse=True)
    doc = {
        "returncode": 200,
        "returndata": {
            "datanodes": nodes,
            "wdnodes": [
                {
                    "wdcode": "zb",
                    "wdname": "指标",
                    "nodes": [
                        {"cname": cname, "code": code, "unit": unit, "name": f"{cname}({unit})"}
                    ],
                },
                {
                    "wdcode": "reg",
                    "wdname": "地区",
                    "nodes": [{"cname": n, "code": r} for r, n in regs.items()],
                },
                {
                    "wdcode": "sj",
                    "wdname": "时间",
                    "nodes": [{"cname": f"{y}年", "code": str(y)} for y in yrs],
                },
            ],
        },
    }
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


def wb_page(
    code: str,
    name: str,
    page: int,
    pages: int,
    per_page: int,
    total: int,
    rows: list[tuple[int, float | None]],
) -> bytes:
    """One page of a World Bank v2 JSON answer for China."""
    meta = {
        "page": page,
        "pages": pages,
        "per_page": per_page,
        "total": total,
        "sourceid": "2",
        "lastupdated": "2025-07-01",
    }
    data = [
        {
            "indicator": {"id": code, "value": name},
            "country": {"id": "CN", "value": "China"},
            "countryiso3code": "CHN",
            "date": str(y),
            "value": v,
            "unit": "",
            "obs_status": "",
            "decimal": 0,
        }
        for y, v in rows
    ]
    return json.dumps([meta, data]).encode("utf-8")


# -- manifest ------------------------------------------------------------------------------------
def test_manifest_lists_apis_and_series() -> None:
    man = load_manifest()
    assert [s.id for s in man.by_kind("api")] == ["nbs", "worldbank"]
    nbs = man.source("nbs")
    assert nbs.base_url == "https://data.stats.gov.cn/easyquery.htm" and nbs.database == "fsnd"
    assert nbs.get_series("gdp").code == "A020101"
    assert nbs.get_series("a020101").id == "gdp"  # by code, case-insensitive
    assert nbs.get_series("gdp").unit == "100 million yuan"
    wb = man.source("worldbank")
    assert {s.code for s in wb.series} >= {"NY.GDP.MKTP.CN", "SP.POP.TOTL", "GB.XPD.RSDV.GD.ZS"}
    assert wb.country == "CHN"


def test_manifest_documents_every_bundled_source(data_dir: Path) -> None:
    with (data_dir / "sources.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    man = load_manifest()
    refs = {s.id: s for s in man.by_kind("reference")}
    for row in rows:
        src = refs[row["source_id"]]
        assert src.commit == row["commit"], row["source_id"]
        assert not src.series


def test_unknown_source_and_series_suggest() -> None:
    man = load_manifest()
    with pytest.raises(UnknownSourceError, match=r"did you mean worldbank"):
        man.source("worldbnak")
    with pytest.raises(UnknownSeriesError, match=r"did you mean gdp") as ei:
        man.series("nbs", "gdb")
    assert ei.value.source == "nbs" and ei.value.series == "gdb"
    with pytest.raises(UnknownSeriesError, match="documentation only"):
        man.source("techme").get_series("gdp")
    with pytest.raises(UnknownSourceError, match="documentation only"):
        fetch("techme", "gdp")


def test_manifest_validation_lists_every_problem(tmp_path: Path) -> None:
    p = tmp_path / "m.yaml"
    p.write_text(
        "sources:\n"
        "  - {id: a, kind: api, fetcher: ftp, name_en: A, name_zh: 甲, publisher: P,\n"
        "     homepage: h, terms: t, covers: c, base_url: nope, series: []}\n"
        "  - {id: a, kind: reference, name_en: B, name_zh: 乙, publisher: P, homepage: h,\n"
        "     terms: t}\n",
        encoding="utf-8",
    )
    with pytest.raises(ManifestError) as ei:
        load_manifest(p)
    text = " | ".join(ei.value.problems)
    assert str(p) in str(ei.value)
    for part in (
        "fetcher 'ftp'",
        "base_url",
        "non-empty 'series'",
        "duplicate id",
        "missing covers",
    ):
        assert part in text
    with pytest.raises(ManifestError, match="sources"):
        parse_manifest({"nope": 1})


def test_variable_ids_and_years() -> None:
    assert variable_id("nbs", "A020101") == "nbs_api_A020101"
    assert variable_id("worldbank", "NY.GDP.MKTP.CN") == "wb_NY_GDP_MKTP_CN"
    assert parse_years("2010:2023") == (2010, 2023)
    assert parse_years("2010-2023") == (2010, 2023)
    assert parse_years("2022") == (2022, 2022)
    assert parse_years(None) is None
    for bad in ("2023:2010", "20x0", "10:20"):
        with pytest.raises(ValidationError):
            parse_years(bad)


# -- NBS -----------------------------------------------------------------------------------------
def test_nbs_fetch_reproduces_published_panel_values(api: LocalAPI, data_dir: Path) -> None:
    panel = pd.read_csv(data_dir / "panel" / "provinces.csv", dtype={"region_code": str})
    gdp = panel[
        (panel["variable"] == "gdp")
        & panel["region_code"].isin(["110000", "310000"])
        & panel["year"].isin([2021, 2022])
    ]
    assert len(gdp) == 4
    # "real" fixture: published values copied from the bundled panel into the NBS format
    published = [
        (str(r["region_code"]), str(r["region_zh"]), int(r["year"]), float(r["value"]))
        for r in gdp.to_dict("records")
    ]
    cells: list[tuple[str, str, int, float | None]] = [
        (code, name + "市", year, value) for code, name, year, value in published
    ]
    body = nbs_answer("A020101", "地区生产总值", "亿元", cells)
    api.handler = lambda path, q: (200, body)

    batches = fetch("nbs", "gdp", "2021:2022", base_url=f"{api.base}/easyquery.htm", options=FAST)
    assert len(batches) == 1
    b = batches[0]
    assert list(b.observations.columns) == BATCH_COLUMNS
    assert list(b.variables.columns) == VARIABLE_COLUMNS
    got = b.observations.set_index(["region_code", "year"])["value"]
    for code, _name, year, value in published:
        assert got[(code, year)] == value
    assert got[("110000", 2022)] == 45222.4  # Beijing 2022, NBS post-5th-census revision
    assert set(b.observations["variable"]) == {"nbs_api_A020101"}
    var = b.variables.iloc[0]
    assert (var["variable"], var["name_zh"], var["unit"], var["source"]) == (
        "nbs_api_A020101",
        "地区生产总值",
        "100 million yuan",
        "nbs",
    )
    assert b.raw_regions == {"北京市": "110000", "上海市": "310000"}
    # provenance: the request URL without the k1 cache-buster, sha256 of the raw bytes
    import hashlib

    assert b.provenance.importer == "fetch:nbs"
    assert b.provenance.sha256 == hashlib.sha256(body).hexdigest()
    assert b.provenance.source_file == nbs_url(
        "A020101", (2021, 2022), base_url=f"{api.base}/easyquery.htm"
    )
    assert "k1" not in b.provenance.source_file
    # the request the server saw follows the easyquery format
    path, q = api.requests[0]
    assert path == "/easyquery.htm"
    assert (q["m"], q["dbcode"], q["rowcode"], q["colcode"]) == ("QueryData", "fsnd", "reg", "sj")
    assert json.loads(q["wds"]) == [{"wdcode": "zb", "valuecode": "A020101"}]
    assert json.loads(q["dfwds"]) == [{"wdcode": "sj", "valuecode": "2021-2022"}]
    assert q["k1"].isdigit() and abs(int(q["k1"]) - time.time() * 1000) < 60_000
    assert api.headers[0]["Referer"] == f"{api.base}/easyquery.htm?cn=E0103"
    assert api.headers[0]["User-Agent"].startswith("nqpf/")
    # line/cell locate each value in the answer
    row = b.observations.iloc[0]
    assert row["cell"] == f"zb.A020101_reg.{row['region_code']}_sj.{row['year']}"
    assert row["line"] == 1


def test_nbs_hasdata_false_is_missing_not_zero(api: LocalAPI) -> None:
    # synthetic test values, not statistics
    body = nbs_answer(
        "A020101",
        "地区生产总值",
        "亿元",
        [("130000", "河北省", 2023, 111.1), ("130000", "河北省", 2024, None)],
    )
    api.handler = lambda path, q: (200, body)
    (b,) = fetch_nbs(
        Series("gdp", "A020101", unit="100 million yuan", unit_zh="亿元"),
        base_url=api.base + "/easyquery.htm",
        options=FAST,
    )
    obs = b.observations.set_index("year")["value"]
    assert obs[2023] == 111.1
    assert math.isnan(float(obs[2024]))
    assert json.loads(api.requests[0][1]["dfwds"])[0]["valuecode"] == "LAST20"


def test_nbs_published_strdata_wins_and_region_names_map() -> None:
    # synthetic test values; reg code unknown to the registry but name known -> mapped by name
    doc = json.loads(
        nbs_answer("A030101", "年末常住人口", "万人", [("540000", "西藏自治区", 2022, 1.0)])
    )
    node = doc["returndata"]["datanodes"][0]
    node["data"] = {"data": 364.123456, "dotcount": 0, "hasdata": True, "strdata": "364"}
    node["wds"][1]["valuecode"] = "540001"
    doc["returndata"]["wdnodes"][1]["nodes"] = [{"cname": "西藏自治区", "code": "540001"}]
    b = parse_nbs(json.dumps(doc).encode(), url="http://x/q", series=Series.adhoc("A030101"))
    assert b.observations["region_code"].tolist() == ["540000"]
    assert b.observations["value"].tolist() == [364.0]
    assert b.variables.iloc[0]["unit"] == "10k persons"  # ad-hoc code: unit from the answer
    assert b.variables.iloc[0]["name_zh"] == "年末常住人口"


def test_nbs_unknown_region_names_region_and_url() -> None:
    body = nbs_answer(
        "A020101", "地区生产总值", "亿元", [("990000", "火星", 2022, 1.0)]
    )  # synthetic
    with pytest.raises(FetchError, match=r"990000.*火星") as ei:
        parse_nbs(body, url="http://local/q?x=1", series=Series.adhoc("A020101"))
    assert ei.value.region and "990000" in ei.value.region
    assert "http://local/q?x=1" in str(ei.value)


def test_nbs_unit_mismatch_and_error_codes() -> None:
    series = load_manifest().source("nbs").get_series("gdp")
    body = nbs_answer(
        "A020101", "地区生产总值", "万元", [("110000", "北京市", 2022, 1.0)]
    )  # synthetic
    with pytest.raises(FetchError, match="unit '万元'"):
        parse_nbs(body, url="http://u", series=series)
    bad = json.dumps({"returncode": 501, "returndata": "查询失败"}, ensure_ascii=False).encode()
    with pytest.raises(FetchError, match=r"code 501.*查询失败"):
        parse_nbs(bad, url="http://u", series=series)
    with pytest.raises(FetchError, match="datanodes"):
        parse_nbs(b'{"returncode": 200, "returndata": {}}', url="http://u", series=series)
    with pytest.raises(FetchError, match="HTML page"):
        parse_nbs(b"<html><script>challenge()</script></html>", url="http://u", series=series)


# -- World Bank ----------------------------------------------------------------------------------
def test_worldbank_follows_pages_and_keeps_nulls_missing(api: LocalAPI) -> None:
    code, name = "NY.GDP.MKTP.CN", "GDP (current LCU)"
    # synthetic test values, not statistics
    pages = {
        1: wb_page(code, name, 1, 2, 2, 3, [(2023, 3.0e14), (2022, None)]),
        2: wb_page(code, name, 2, 2, 2, 3, [(2021, 1.5e14)]),
    }
    api.handler = lambda path, q: (200, pages[int(q["page"])])
    batches = fetch_worldbank(
        code, (2021, 2023), base_url=api.base + "/v2", per_page=2, options=FAST
    )
    assert [r[1]["page"] for r in api.requests] == ["1", "2"]
    path, q = api.requests[0]
    assert path == "/v2/country/CHN/indicator/NY.GDP.MKTP.CN"
    assert (q["format"], q["per_page"], q["date"]) == ("json", "2", "2021:2023")
    assert len(batches) == 2
    obs = pd.concat([b.observations for b in batches]).set_index("year")
    assert set(obs["region_code"]) == {"100000"}
    assert set(obs["variable"]) == {"wb_NY_GDP_MKTP_CN"}
    assert obs.loc[2023, "value"] == 3.0e14 and obs.loc[2021, "value"] == 1.5e14
    assert bool(obs["value"].isna()[2022])
    assert batches[1].provenance.source_file == worldbank_url(
        code, (2021, 2023), base_url=api.base + "/v2", per_page=2, page=2
    )
    assert batches[0].provenance.sha256 != batches[1].provenance.sha256
    assert batches[0].provenance.importer == "fetch:worldbank"
    assert batches[0].variables.iloc[0]["name_en"] == name  # ad-hoc: name from the answer


def test_worldbank_error_answer_and_manifest_names(api: LocalAPI) -> None:
    err = [
        {
            "message": [
                {
                    "id": "120",
                    "key": "Invalid value",
                    "value": "The provided parameter value is not valid",
                }
            ]
        }
    ]
    api.handler = lambda path, q: (200, json.dumps(err).encode())
    with pytest.raises(FetchError, match=r"120 Invalid value: The provided parameter") as ei:
        fetch("worldbank", "gdp_lcu", "2010:2023", base_url=api.base, options=FAST)
    assert ei.value.url and ei.value.url.startswith(
        api.base + "/country/CHN/indicator/NY.GDP.MKTP.CN"
    )
    assert ei.value.series == "NY.GDP.MKTP.CN"
    # an empty answer (no data for those years) gives no batch
    api.handler = lambda path, q: (200, b'[{"page":0,"pages":0,"per_page":1000,"total":0},null]')
    assert fetch("worldbank", "SP.POP.TOTL", "1900:1901", base_url=api.base, options=FAST) == []


# -- HTTP behaviour ------------------------------------------------------------------------------
def test_http_500_then_success_is_retried(api: LocalAPI) -> None:
    body = wb_page("SP.POP.TOTL", "Population, total", 1, 1, 1000, 1, [(2020, 5.0)])  # synthetic
    answers = iter([(500, b"oops"), (503, b"busy"), (200, body)])
    api.handler = lambda path, q: next(answers)
    waits: list[float] = []
    opts = FetchOptions(timeout=2.0, retries=2, backoff=0.01, sleep=waits.append)
    (b,) = fetch("worldbank", "population", base_url=api.base, options=opts)
    assert len(api.requests) == 3
    assert waits == [0.01, 0.02]
    assert b.observations["value"].tolist() == [5.0]
    assert b.variables.iloc[0]["unit"] == "persons"


def test_http_errors_name_the_url(api: LocalAPI) -> None:
    api.handler = lambda path, q: (500, b"always broken")
    with pytest.raises(FetchError, match=r"gave up after 3 attempt\(s\): HTTP 500") as ei:
        fetch("nbs", "gdp", base_url=api.base + "/easyquery.htm", options=FAST)
    assert ei.value.url and ei.value.url.startswith(api.base + "/easyquery.htm?m=QueryData")
    assert len(api.requests) == 3
    api.requests.clear()
    api.handler = lambda path, q: (404, b"no such page")
    with pytest.raises(FetchError, match="HTTP 404") as ei:
        fetch("nbs", "gdp", base_url=api.base + "/easyquery.htm", options=FAST)
    assert ei.value.status == 404 and len(api.requests) == 1  # 4xx is not retried


def test_malformed_json_names_the_url(api: LocalAPI) -> None:
    api.handler = lambda path, q: (200, b'{"returncode": 200, "returndata": {"datanodes": [')
    with pytest.raises(FetchError, match="not valid JSON") as ei:
        fetch("nbs", "gdp", "2020:2022", base_url=api.base + "/easyquery.htm", options=FAST)
    assert ei.value.url == nbs_url("A020101", (2020, 2022), base_url=api.base + "/easyquery.htm")
    assert ei.value.url in str(ei.value)


def test_timeout_is_an_error(api: LocalAPI) -> None:
    def slow(path: str, q: dict[str, str]) -> tuple[int, bytes]:
        time.sleep(0.5)
        return 200, b"[]"

    api.handler = slow
    with pytest.raises(FetchError, match="gave up after 1 attempt") as ei:
        fetch(
            "worldbank",
            "population",
            base_url=api.base,
            options=FetchOptions(timeout=0.1, retries=0, backoff=0),
        )
    assert ei.value.url and api.base in ei.value.url


def test_cache_replays_offline(api: LocalAPI, tmp_path: Path) -> None:
    body = nbs_answer(
        "A020101", "地区生产总值", "亿元", [("320000", "江苏省", 2022, 7.5)]
    )  # synthetic
    api.handler = lambda path, q: (200, body)
    base = api.base + "/easyquery.htm"
    opts = FetchOptions(timeout=2, retries=0, cache_dir=tmp_path / "cache")
    (online,) = fetch("nbs", "gdp", "2022", base_url=base, options=opts)
    cached = cache_path(tmp_path / "cache", online.provenance.source_file, "nbs-fsnd-A020101")
    assert cached.read_bytes() == body
    assert (
        cached.with_suffix(".url").read_text(encoding="utf-8").strip()
        == online.provenance.source_file
    )
    api.handler = lambda path, q: (500, b"should not be called")
    n = len(api.requests)
    offline = FetchOptions(cache_dir=tmp_path / "cache", offline=True)
    (replay,) = fetch("nbs", "gdp", "2022", base_url=base, options=offline)
    assert len(api.requests) == n
    assert replay.provenance.sha256 == online.provenance.sha256
    pd.testing.assert_frame_equal(replay.observations, online.observations)
    with pytest.raises(FetchError, match="offline: no cached answer"):
        fetch("nbs", "gdp", "2021", base_url=base, options=offline)


def test_adhoc_codes_and_unknown_series() -> None:
    with pytest.raises(UnknownSeriesError, match=r"did you mean population"):
        fetch("worldbank", "populaton")
    with pytest.raises(UnknownSeriesError, match="does not look like an NBS indicator code"):
        fetch("nbs", "gdp per head", adhoc=True)


# -- CLI -----------------------------------------------------------------------------------------
runner = CliRunner()


def test_cli_sources_table() -> None:
    res = runner.invoke(app, ["sources"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    for text in ("nbs", "worldbank", "国家统计局", "techme", "ceads_openclimate", "公开数据来源"):
        assert text in res.output
    res = runner.invoke(app, ["sources", "nbs"], env={"COLUMNS": "200"})
    assert res.exit_code == 0 and "A020101" in res.output and "地区生产总值" in res.output
    res = runner.invoke(app, ["sources", "nbz"])
    assert res.exit_code == 1 and "did you mean nbs" in res.output


def test_cli_get_calls_store_import(
    api: LocalAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CLI hands the fetched batches to ``Store(path).import_batches`` (a stand-in store)."""
    calls: list[tuple[Path, list[Any]]] = []

    class FakeStore:
        def __init__(self, path: Path) -> None:
            self.path = path

        def __enter__(self) -> FakeStore:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def import_batches(self, batches: list[Any]) -> str:
            calls.append((self.path, batches))
            return "1 files imported (stand-in report)"

    fake = types.ModuleType("nqpf.data.store")
    fake.Store = FakeStore  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "nqpf.data.store", fake)
    body = wb_page("SP.POP.TOTL", "Population, total", 1, 1, 1000, 1, [(2020, 7.0)])  # synthetic
    api.handler = lambda path, q: (200, body)
    res = runner.invoke(
        app, ["get", "worldbank", "population", "--base-url", api.base, "--retries", "0"]
    )
    assert res.exit_code == 0, res.output
    assert "stand-in report" in res.output
    ((path, batches),) = calls
    assert path == Path(os.environ["NQPF_STORE"])  # default store: $NQPF_STORE
    assert batches[0].observations["value"].tolist() == [7.0]


def test_cli_get_imports_into_store(api: LocalAPI, tmp_path: Path) -> None:
    pytest.importorskip(
        "nqpf.data.validate", reason="the store's validation module is not there yet"
    )
    body = wb_page(
        "GB.XPD.RSDV.GD.ZS",
        "Research and development expenditure (% of GDP)",
        1,
        1,
        1000,
        2,
        [(2021, 2.5), (2020, None)],
    )  # synthetic
    api.handler = lambda path, q: (200, body)
    store = tmp_path / "s.duckdb"
    args = [
        "get",
        "worldbank",
        "rd_intensity",
        "--years",
        "2020:2021",
        "--base-url",
        api.base,
        "--store",
        str(store),
        "--retries",
        "0",
    ]
    res = runner.invoke(app, [*args, "--dry-run"])
    assert res.exit_code == 0, res.output
    assert "2 observations (1 with values, 1 missing)" in res.output and "已获取" in res.output
    assert not store.exists()
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    from nqpf.data.store import Store

    obs = Store(store).observations(["wb_GB_XPD_RSDV_GD_ZS"])
    assert obs[["region_code", "year", "value"]].values.tolist() == [["100000", 2021, 2.5]]
    res = runner.invoke(app, args)  # same answer again: already stored, skipped
    assert res.exit_code == 0 and "1 skipped" in res.output


def test_cli_get_errors(api: LocalAPI) -> None:
    res = runner.invoke(app, ["get", "nbs", "gpd"])
    assert res.exit_code == 1 and "did you mean gdp" in res.output
    api.handler = lambda path, q: (200, b"not json")
    res = runner.invoke(
        app, ["get", "nbs", "gdp", "--base-url", api.base + "/eq", "--retries", "0", "--dry-run"]
    )
    assert res.exit_code == 1 and "not valid JSON" in res.output and api.base in res.output
    res = runner.invoke(app, ["get", "nbs", "gdp", "--offline"])
    assert res.exit_code == 1 and "--cache" in res.output

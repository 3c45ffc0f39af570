"""The scenario page, the profile-table downloads and the empty state in a real browser
(Debian's Chromium, headless, driven by Playwright); every request must stay on localhost."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from service_support import CHROMIUM, FRAMEWORK, chromium, linked_run, live_server, service_run
from test_service_browser import _page, _ready, _shot

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (apt-get install chromium)")


@pytest.fixture(scope="module")
def urls(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Servers on the linked run (three-elements and HQD), the plain run and an empty folder."""
    from nqpf.api import create_app

    linked, store = linked_run(data_dir)
    plain, _ = service_run(data_dir)
    empty = tmp_path_factory.mktemp("empty-run")
    with live_server(create_app(linked, store)) as a, live_server(create_app(plain, store)) as b, \
            live_server(create_app(empty)) as c:
        yield {"linked": a, "plain": b, "empty": c}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


def test_scenario_page(browser: Any, urls: dict[str, str]) -> None:
    ctx, page, rec = _page(browser)
    page.goto(f"{urls['linked']}/scenario?framework={FRAMEWORK}&region=340000")
    _ready(page)
    assert page.locator("#sc-regions option:checked").all_inner_texts() == ["Anhui"]
    page.select_option("#sc-indicators", ["rd_to_gdp", "invention_patents_per_10k"])
    page.select_option("#sc-kind", "relative")
    page.fill("#sc-value", "50")
    page.select_option("#sc-from", "2018")
    page.select_option("#sc-to", "2019")
    page.click("#sc-run")
    page.wait_for_selector("#sc-index tbody tr")
    rows = page.locator("#sc-index tbody tr")
    assert rows.count() == 2 and "Anhui" in rows.first.inner_text()
    assert page.locator("#sc-changes tbody tr").count() == 4
    assert page.locator("#sc-implied tbody tr").count() == 2, page.inner_text("#sc-implied-note")
    assert "coef" in page.inner_text("#sc-implied-note")
    _shot(page, "scenario_anhui")
    if page.locator("#sc-dl-moved").count():
        with page.expect_download() as dl:
            page.click("#sc-dl-moved")
        data = Path(dl.value.path()).read_bytes()
        assert data[:3] == b"\xef\xbb\xbf"
        moved = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype={"region_code": str})
        assert "340000" in set(moved["region_code"]) and page.locator("#sc-moved tbody tr").count() == len(moved)
    # a bad value: the API's 422 names the field on the page
    page.select_option("#sc-kind", "set")
    page.fill("#sc-value", "-5")
    page.click("#sc-run")
    page.wait_for_selector("#sc-error")
    assert "changes.0" in page.inner_text("#sc-error") and "negative" in page.inner_text("#sc-error")
    # Chinese
    page.goto(f"{urls['linked']}/scenario?framework={FRAMEWORK}&region=340000&lang=zh")
    _ready(page)
    page.click("#sc-run")
    page.wait_for_selector("#sc-index tbody tr")
    assert "安徽" in page.inner_text("#sc-index") and "高质量发展" in page.inner_text("#content")
    _shot(page, "scenario_zh")
    rec.check_local()
    ctx.close()


def test_profile_table_downloads(browser: Any, urls: dict[str, str]) -> None:
    ctx, page, rec = _page(browser)
    page.goto(f"{urls['plain']}/profile?framework={FRAMEWORK}&region=440000&lang=zh")
    _ready(page)
    for table, n in (("strengths", 3), ("weaknesses", 3), ("peers", 5), ("dims", 3), ("trend", 10)):
        with page.expect_download() as dl:
            page.click(f"#dl-{table} a.dl-csv")
        data = Path(dl.value.path()).read_bytes()
        assert data[:3] == b"\xef\xbb\xbf", table
        assert len(pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")) == n, table
    with page.expect_download() as dl:
        page.click("#dl-peers a.dl-xlsx")
    peers = pd.read_excel(Path(dl.value.path()), engine="openpyxl")
    assert len(peers) == 5 and page.inner_text("#peers tbody tr:first-child td").strip() == peers["region_zh"].iloc[0]
    page.click("#whatif-link")
    page.wait_for_url("**/scenario?**")
    _ready(page)
    assert page.locator("#sc-regions option:checked").all_inner_texts() == ["广东"]
    rec.check_local()
    ctx.close()


def test_empty_state_offers_to_build(browser: Any, urls: dict[str, str]) -> None:
    ctx, page, rec = _page(browser)
    for lang, words in (("en", "nqpf run --out"), ("zh", "尚无运行结果")):
        page.goto(f"{urls['empty']}/?lang={lang}")
        page.wait_for_selector("body[data-ready]")
        assert page.get_attribute("body", "data-ready") == "empty"
        assert words in page.inner_text("#empty-state")
    _shot(page, "empty_state_zh")
    rec.check_local()
    ctx.close()

"""The dashboard in a real browser: Debian's Chromium, headless, driven by Playwright.

Every request the pages make is recorded and must go to the local server. Screenshots are kept
under ``tests/artifacts/`` (git-ignored). Skipped only when /usr/bin/chromium is absent (CI
installs it from Debian's packages, see ``.ci/run``).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pandas as pd
import pytest

from service_support import ARTIFACTS, CHROMIUM, FRAMEWORK, chromium, live_server, service_run

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (apt-get install chromium)")


@pytest.fixture(scope="module")
def base_url(data_dir: Path) -> Iterator[str]:
    from nqpf.api import create_app

    run_dir, store = service_run(data_dir)
    with live_server(create_app(run_dir, store)) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


class Recorder:
    """Every request of a page, and every console error."""

    def __init__(self, page: Any) -> None:
        self.urls: list[str] = []
        self.errors: list[str] = []
        page.on("request", lambda r: self.urls.append(r.url))
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def check_local(self) -> None:
        hosts = {urlparse(u).hostname for u in self.urls if not u.startswith(("data:", "blob:", "about:"))}
        assert hosts == {"127.0.0.1"}, f"requests outside localhost: {hosts}"
        assert not self.errors, self.errors


def _page(browser: Any, width: int = 1280, height: int = 900) -> tuple[Any, Any, Recorder]:
    ctx = browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True)
    page = ctx.new_page()
    return ctx, page, Recorder(page)


def _ready(page: Any) -> None:
    page.wait_for_selector("body[data-ready]", timeout=60_000)
    assert page.get_attribute("body", "data-ready") == "1", page.inner_text("#content")


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_map_year_slider_and_download(browser: Any, base_url: str) -> None:
    ctx, page, rec = _page(browser)
    page.goto(f"{base_url}/?framework={FRAMEWORK}")
    _ready(page)
    page.wait_for_selector("#map .choroplethlayer path")
    assert page.locator("#ranking-table tbody tr").count() == 31
    assert page.locator("#ranking-table tbody tr").first.inner_text().startswith("1\tBeijing")
    # the South China Sea inset is a second map, and the three municipalities carry call-outs
    assert page.locator("#map .geo").count() == 2
    labels = page.locator("#map text").all_text_contents()
    assert any(t.startswith("Shanghai") for t in labels) and any(t.startswith("Tianjin") for t in labels)
    _shot(page, "map_2019")
    page.locator("#year").fill("2012")
    page.wait_for_function("document.querySelector('#rank-title').textContent.includes('2012')")
    assert "year=2012" in page.url
    top2012 = page.locator("#ranking-table tbody tr").first.inner_text()
    assert "\t" in top2012
    _shot(page, "map_2012")
    with page.expect_download() as dl:
        page.click("#dl a.dl-csv")
    data = Path(dl.value.path()).read_bytes()
    assert data[:3] == b"\xef\xbb\xbf"
    df = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert len(df) == 31 and set(df["year"]) == {2012} and "北京" in set(df["region_zh"])
    rec.check_local()
    ctx.close()


def test_profile_and_compare(browser: Any, base_url: str) -> None:
    ctx, page, rec = _page(browser)
    page.goto(f"{base_url}/?framework={FRAMEWORK}")
    _ready(page)
    page.click("#ranking-table >> text=Guangdong")
    page.wait_for_url("**/profile?**")
    _ready(page)
    assert "Guangdong" in page.inner_text("#profile-name")
    assert "Guangdong ranks 2 of 31" in page.inner_text("#narrative")
    assert page.locator("#radar .scatterlayer, #radar .polarlayer").count() >= 1
    assert page.locator("#strengths tbody tr").count() == 3 and page.locator("#peers tbody tr").count() == 5
    _shot(page, "profile_guangdong")
    page.click("#compare-peers")
    page.wait_for_url("**/compare?**")
    _ready(page)
    t = page.inner_text("#compare-table")
    assert "Guangdong" in t and t.count("#") >= 8
    page.select_option("#cmp1", "310000")
    page.wait_for_function("document.querySelector('#compare-table') && document.querySelector('#compare-table').innerText.includes('Shanghai')")
    _shot(page, "compare")
    rec.check_local()
    ctx.close()


def test_language_switch_and_phone_width(browser: Any, base_url: str) -> None:
    ctx, page, rec = _page(browser, width=390, height=844)
    page.goto(f"{base_url}/?framework={FRAMEWORK}&year=2019")
    _ready(page)
    page.click("#lang-switch")
    page.wait_for_url("**lang=zh**")
    _ready(page)
    assert page.get_attribute("html", "lang") == "zh" and "地图与排名" in page.inner_text("h1")
    assert "year=2019" in page.url
    first = page.locator("#ranking-table tbody tr").first
    assert "北京" in first.inner_text()
    # no horizontal overflow of the page; the table scrolls inside its own box
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    names = page.locator("#ranking-table td.name a")
    line = float(page.evaluate("parseFloat(getComputedStyle(document.querySelector('#ranking-table td.name a')).lineHeight) || 22"))
    heights = [b["height"] for i in range(names.count()) if (b := names.nth(i).bounding_box())]
    assert len(heights) == 31 and max(heights) < 1.5 * line, "Chinese names must stay on one line"
    _shot(page, "phone_zh")
    for path in ("/disparity", "/opportunity", "/analyses", "/method", "/sources", "/qualifier"):
        page.goto(f"{base_url}{path}?lang=zh&framework={FRAMEWORK}")
        _ready(page)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), path
        _shot(page, f"phone_zh_{path.strip('/')}")
    rec.check_local()
    ctx.close()


def test_qualifier_form(browser: Any, base_url: str) -> None:
    ctx, page, rec = _page(browser)
    page.goto(f"{base_url}/qualifier?lang=zh")
    _ready(page)
    page.fill("#qtext", "公司自主研发第三代半导体碳化硅功率芯片，打破国外垄断，显著降低新能源汽车能耗，创造就业并提高居民收入。")
    page.click("#qform button")
    page.wait_for_selector("#verdict")
    assert page.inner_text("#verdict").startswith("结论")
    assert page.inner_text("#qconf").startswith("置信度") and "模型" in page.inner_text("#qresult")  # hybrid: the default
    assert "能耗" in page.inner_text("#qphrases")
    _shot(page, "qualifier")
    page.select_option("#qmodel", "rules")
    page.click("#qform button")
    page.wait_for_function("!document.querySelector('#qresult').innerText.includes('模型')")
    assert page.inner_text("#verdict").startswith("结论")
    rec.check_local()
    ctx.close()

"""The state banner and the scenario XLSX download in a real browser (Debian's Chromium,
headless, Playwright), on the lean real run of ``test_service_rebuild`` after a real newer CO2
vintage was imported; every request must stay on localhost."""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from service_support import CHROMIUM, chromium, live_server
from test_service_browser import _page, _ready, _shot
from test_service_rebuild import AUTH, FW, TOKEN, _import_ceads, lean  # noqa: F401 -- the module's run

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (apt-get install chromium)")


@pytest.fixture(scope="module")
def stale_url(lean: tuple[Path, Path], data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:  # noqa: F811
    """A server on a copy of the lean run whose store has received the CEADs CO2 vintage."""
    from nqpf.api import create_app

    base = tmp_path_factory.mktemp("stale")
    shutil.copytree(lean[0], base / "run")
    shutil.copy2(lean[1], base / "store.duckdb")
    app = create_app(base / "run", base / "store.duckdb", allow_writes=True, token=TOKEN)
    _import_ceads(TestClient(app), data_dir)
    with live_server(app) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


def test_banner_says_the_data_is_newer_in_both_languages(browser: Any, stale_url: str) -> None:
    ctx, page, rec = _page(browser)
    for lang, first in (("en", "Data newer than the run: results not recomputed"), ("zh", "数据已更新，结果未重算")):
        page.goto(f"{stale_url}/method?lang={lang}")
        _ready(page)
        page.wait_for_selector("#state-banner:not([hidden])")
        msg = page.inner_text("#stale-msg")
        assert msg.startswith(first) and "数据已更新，结果未重算" in msg and "Data newer than the run" in msg
        assert "co2_emissions (107" in page.inner_text("#stale-which")
        assert "/api/v1/admin/rebuild" in page.inner_text("#stale-fix")
    _shot(page, "stale_banner_zh")
    rec.check_local()
    ctx.close()


def test_scenario_tables_download_as_xlsx(browser: Any, stale_url: str) -> None:
    ctx, page, rec = _page(browser)
    page.goto(f"{stale_url}/scenario?framework={FW}&region=340000")
    _ready(page)
    page.select_option("#sc-indicators", ["rd_to_gdp", "invention_patents_per_10k"])
    page.fill("#sc-value", "50")
    page.select_option("#sc-from", "2018")
    page.select_option("#sc-to", "2019")
    page.click("#sc-run")
    page.wait_for_selector("#sc-index tbody tr")
    with page.expect_download() as dl:
        page.click("#sc-dl-index-xlsx")
    assert dl.value.suggested_filename == f"scenario_{FW}_index.xlsx"
    x = pd.read_excel(io.BytesIO(Path(dl.value.path()).read_bytes()), engine="openpyxl", dtype={"region_code": str})
    shown = [float(t.replace("+", "")) for t in page.locator("#sc-index tbody tr td:nth-child(5)").all_inner_texts()]
    assert list(x["region_code"]) == ["340000", "340000"] and list(x["year"]) == [2018, 2019]
    assert [round(v, 4) for v in x["score_change"]] == shown
    with page.expect_download() as dl:
        page.click("#sc-dl-moved-xlsx")
    moved = pd.read_excel(io.BytesIO(Path(dl.value.path()).read_bytes()), engine="openpyxl")
    assert len(moved) == page.locator("#sc-moved tbody tr").count() > 0
    rec.check_local()
    ctx.close()

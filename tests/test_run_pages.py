"""Who draws a run's pages: the front end hands its page writers down (nqpf.report.pages);
the run folder and job layers write tables alone unless given them, and say so when asked for
pages without a writer."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import nqpf
from frameworks_toy import toy_index
from nqpf import runs, services
from nqpf.productivity_job import write_productivity_linkage
from nqpf.report import pages


def test_tables_alone_without_a_page_writer(tmp_path: Path) -> None:
    res = toy_index(tmp_path)
    paths = runs.write_run(res, tmp_path / "out")
    folder = tmp_path / "out" / "toy"
    assert "html" not in paths and not (folder / "summary.html").exists()
    scores = pd.read_csv(paths["scores_csv"], dtype={"region_code": str})
    assert len(scores) == 2 * 3 * 6  # years x regions x (root, 2 dimensions, 3 indicators)


def test_the_front_end_writer_draws_the_summary(tmp_path: Path) -> None:
    res = toy_index(tmp_path)
    assert nqpf.write_run is pages.write_run  # the documented convenience writes the page too
    paths = nqpf.write_run(res, tmp_path / "out")
    page = paths["html"].read_text(encoding="utf-8")
    assert paths["html"] == tmp_path / "out" / "toy" / "summary.html"
    assert "Toy index" in page and "玩具指数" in page
    given = runs.write_run(res, tmp_path / "again", summary_page=pages.summary_page)
    assert page.count("<section") >= 3
    assert given["html"].read_text(encoding="utf-8").count("<section") == page.count("<section")
    assert "html" not in runs.write_run(res, tmp_path / "none", html=False, summary_page=pages.summary_page)


def test_asking_for_pages_without_a_writer_says_what_to_pass(tmp_path: Path) -> None:
    res = toy_index(tmp_path)
    with pytest.raises(runs.RunError, match=r"summary_page=nqpf\.report\.pages\.summary_page"):
        runs.write_run(res, tmp_path / "out", html=True)
    assert not (tmp_path / "out").exists()
    with pytest.raises(services.ServiceError, match=r"pages=nqpf\.report\.pages\.RUN_PAGES"):
        services.run_job(object(), out=tmp_path / "job", html=True)  # type: ignore[arg-type]
    with pytest.raises(nqpf.NqpfError, match=r"page=nqpf\.report\.productivity_page"):
        write_productivity_linkage([res], res.panel, tmp_path / "prod", html=True)
    assert not (tmp_path / "job").exists() and not (tmp_path / "prod").exists()


def test_run_pages_bundle_the_report_writers() -> None:
    assert pages.RUN_PAGES.summary is pages.summary_page
    assert pages.RUN_PAGES.productivity is pages.productivity_page
    from nqpf.report.index_page import write_index_page

    assert pages.RUN_PAGES.index is write_index_page

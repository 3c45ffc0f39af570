"""The job-level productivity and linkage output of ``nqpf run``: the tables of DIR/productivity
and DIR/linkage hold what docs/productivity.md says, agree with the results they come from,
and pass the plausibility checks of issue 12; the summary page is offline and linked from
index.html; a part that cannot run is skipped with a note; ``--no-productivity`` writes nothing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nqpf.productivity_job import write_productivity_linkage
from nqpf.report.pages import RUN_PAGES, productivity_page
from productivity_data import DATA, real_panel


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    from nqpf.index.build import build_index

    p = real_panel()
    results = [build_index("nqpf-three-elements", p), build_index("hqd-four-channels", p)]
    out = tmp_path_factory.mktemp("job")
    return write_productivity_linkage(results, p, out, threshold_boot=20, spatial_sim=300, page=productivity_page), out


def _read(out: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(out / f"{name}.csv", dtype={"region_code": str})


def test_productivity_tables(job) -> None:
    _, out = job
    d = out / "productivity"
    cap = _read(d, "capital_stock")
    assert list(cap.columns) == ["region_code", "year", "capital_stock", "real_investment", "nominal_investment",
                                 "deflator", "investment_source", "deflator_source", "extended"]
    assert (cap["capital_stock"] > 0).all()
    # extension years flagged, observed years not: GFCF ends in 2017
    assert not cap.loc[cap["year"] <= 2017, "extended"].any()
    assert cap.loc[cap["year"] >= 2018, "extended"].all()
    flags = _read(d, "capital_flags")
    assert set(flags["year"]) == set(cap.loc[cap["extended"], "year"])
    eff = _read(d, "efficiency")
    plain = eff[eff["model"] != "ccr_super"]["efficiency"]
    assert ((plain > 0) & (plain <= 1 + 1e-9)).all()
    assert (eff.loc[eff["model"] == "ccr_super", "efficiency"] > 1).any()
    for name in ("malmquist", "malmquist_luenberger"):
        m = _read(d, name).dropna()
        np.testing.assert_allclose(m["index"], m["efficiency_change"] * m["technical_change"], rtol=1e-8)  # CSV: 10 digits
        assert m["year"].min() == 2012 and m["year"].max() == 2019
    ga = _read(d, "tfp_growth_accounting")
    np.testing.assert_allclose(ga["tfp_growth"].dropna(),
                               (ga["gdp_growth"] - 0.5 * ga["capital_growth"] - 0.5 * ga["labour_growth"]).dropna(),
                               rtol=1e-7, atol=1e-9)  # the CSV keeps 10 significant digits
    nat = _read(d, "tfp_national")
    assert list(nat.columns) == ["year", "tfp_growth", "gdp_growth", "capital_growth", "labour_growth"]
    assert "540000" in (d / "flags.txt").read_text(encoding="utf-8")  # Tibet left out of DEA, said
    # the run's national TFP growth uses the broad labour input and lies in the literature's 2010s band
    from nqpf.productivity.growth_accounting import LITERATURE_TFP_BAND

    lo, hi = LITERATURE_TFP_BAND
    mean = float(nat["tfp_growth"].dropna().mean())
    assert lo <= mean <= hi, mean
    assert any("private and self-employed" in n for n in job[0].notes)


def test_linkage_tables(job) -> None:
    res, out = job
    d = out / "linkage"
    fe = _read(d, "fe_coefficients")
    nq = fe[fe["term"] == "nqpf"].set_index("dependent")
    c = res.linkage.coefficients().set_index("dependent")
    np.testing.assert_allclose(nq.loc[c.index, "estimate"], c["estimate"], rtol=1e-9)
    np.testing.assert_allclose(nq["t"], nq["estimate"] / nq["std_error"], rtol=1e-9)
    assert (nq["ci_low"] < nq["estimate"]).all() and (nq["r2_within"].between(0, 1)).all()
    assert set(nq["n_regions"]) == {31} and (nq["nobs"] > 200).all()
    rob = _read(d, "robustness")
    assert {"check", "dependent", "estimate", "std_error", "t", "p_value", "ci_low", "ci_high", "nobs"} <= set(rob.columns)
    eff = _read(d, "sdm_effects")
    wide = eff.pivot_table(index=["dependent", "variable"], columns="effect", values="estimate")
    np.testing.assert_allclose(wide["total"], wide["direct"] + wide["indirect"], rtol=1e-8, atol=1e-12)
    assert set(eff["dependent"]) == set(c.index)
    sdm = _read(d, "sdm_coefficients")
    assert (sdm.groupby("dependent")["term"].apply(lambda t: "rho" in set(t) and "W·nqpf" in set(t))).all()
    assert (sdm["years"] == sdm["years"].iloc[0]).all()
    notes = (d / "notes.txt").read_text(encoding="utf-8")
    assert "spatial Durbin model: two-way fixed effects" in notes and "years 2023 left out" in notes


def test_summary_page_is_offline_and_complete(job) -> None:
    res, out = job
    page = (out / "productivity" / "summary.html").read_text(encoding="utf-8")
    for sid in ("tfp-map", "tfp-trend", "efficiency", "coefficients", "spatial", "notes"):
        assert f"<section id='{sid}'>" in page
    assert "nqpf-tfp-map" in page and "Choropleth" not in page.split("<body>")[0][-2000:]
    assert "生产率" in page and "空间杜宾" in page
    assert "src=\"http" not in page and "src='http" not in page
    assert res.link == ("productivity/summary.html", "Productivity and linkage", "生产率与联动检验")


def test_index_page_links_the_summary(tmp_path: Path) -> None:
    from nqpf.report.index_page import write_index_page

    p = write_index_page(tmp_path / "index.html", [], links=[("productivity/summary.html", "Productivity and linkage",
                                                              "生产率与联动检验")])
    html = p.read_text(encoding="utf-8")
    assert 'href="productivity/summary.html"' in html and "生产率与联动检验" in html


def test_run_job_writes_or_skips_with_a_note(tmp_path: Path) -> None:
    """On a store with the panel bundle only, productivity cannot be measured (no FAI growth):
    it is skipped with a note naming what to import, the linkage still runs, index.html links the
    page; with ``productivity=False`` no productivity or linkage folder is written."""
    from nqpf import services
    from nqpf.data.store import Store

    with Store(tmp_path / "s.duckdb") as st:
        st.import_files([DATA / "panel"], progress=False)
        fws = ["nqpf-three-elements@1.0", "hqd-four-channels@1.0"]
        job = services.run_job(st, frameworks=fws, spec={"years": "2010:2019"}, out=tmp_path / "a", analyses=False,
                               pages=RUN_PAGES)
        assert job.productivity is not None and job.productivity.productivity is None
        assert any("fai_funds_in_place_growth" in n for n in job.productivity.notes)
        assert (tmp_path / "a" / "linkage" / "fe_coefficients.csv").is_file()
        assert not (tmp_path / "a" / "productivity" / "capital_stock.csv").exists()
        page = (tmp_path / "a" / "productivity" / "summary.html").read_text(encoding="utf-8")
        assert "fai_funds_in_place_growth" in page  # the skipped part is named on the page
        assert 'href="productivity/summary.html"' in (tmp_path / "a" / "index.html").read_text(encoding="utf-8")
        services.run_job(st, frameworks=fws, spec={"years": "2010:2019"}, out=tmp_path / "b", analyses=False,
                         productivity=False, pages=RUN_PAGES)
    assert not (tmp_path / "b" / "productivity").exists() and not (tmp_path / "b" / "linkage").exists()
    assert "productivity/summary.html" not in (tmp_path / "b" / "index.html").read_text(encoding="utf-8")

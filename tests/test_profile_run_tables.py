"""Profiles in the run folder: rank intervals read from the run's robustness analysis, the
implied HQD change of scenarios from the linkage model, and the tables ``nqpf run`` writes.

One real run (panel + raw + extension, three-elements and HQD 2.0, 200 robustness draws) per module.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from nqpf.index.result import IndexResult
from nqpf.panel import Panel
from nqpf.profiles.hqd_link import ASSUMPTION, fit_link, hqd_link, read_linkage
from nqpf.profiles.intervals import NOT_COMPUTED, rank_intervals
from nqpf.profiles.narrative import narrate
from nqpf.profiles.profile import profile
from nqpf.profiles.scenario import run_scenario

NQPF = "nqpf-three-elements"
TEI = "nqpf-technology-economy-industry"
HQD = "hqd-four-channels"


@pytest.fixture(scope="module")
def job(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, IndexResult], Panel]:
    from nqpf import services
    from nqpf.data.store import Store
    from nqpf.report.pages import RUN_PAGES

    base = tmp_path_factory.mktemp("profile-run")
    with Store(base / "store.duckdb") as store:
        out = services.run_job(store, frameworks=[NQPF, HQD], out=base / "run", data=data_dir, robustness=200, seed=1,
                               pages=RUN_PAGES)
        panel = store.panel()
    results = {r.framework.id: r for r in out.results}
    results[TEI] = services.build(TEI, panel)  # not in the run: fitted and read by the linkage tests
    return base / "run", results, panel


def test_run_writes_profile_tables_for_each_nqpf_framework(job) -> None:
    run, results, _ = job
    for fid in (NQPF,):
        folder = run / fid / "profiles"
        levels = pd.read_csv(folder / "levels.csv", dtype={"region_code": str})
        res = results[fid]
        assert levels["region_code"].nunique() == 31
        assert len(levels) == 31 * len(res.years) * len(res.node_ids())
        # the levels are the run's scores and ranks
        root = res.framework.root.id
        got = levels[(levels["node"] == root)].pivot_table(index="year", columns="region_code", values="rank")
        np.testing.assert_array_equal(got[res.regions].to_numpy(), res.ranks[root])
        for name in ("strengths", "weaknesses", "performance", "growth", "position", "peers", "priorities",
                     "actions", "narratives", "rank_interval", "investor_matrix", "investor_components",
                     "investor_items", "hqd_link"):
            t = pd.read_csv(folder / f"{name}.csv", dtype={"region_code": str})
            assert len(t), name
            if "region_code" in t.columns and name not in ("hqd_link",):
                assert t["region_code"].nunique() == 31, name
        # every strength's rank is the indicator's rank in the levels table
        st = pd.read_csv(folder / "strengths.csv", dtype={"region_code": str})
        lv = levels.set_index(["region_code", "year", "node"])["rank"]
        assert all(lv[(r.region_code, r.year, r.indicator)] == r.rank for r in st.itertuples())
        page = (run / fid / "summary.html").read_text(encoding="utf-8")
        assert "Province profiles" in page and "Investor view" in page and "投资视角" in page
    assert not (run / HQD / "profiles").exists()


def test_narrative_numbers_equal_the_tables_including_the_interval(job) -> None:
    run, results, _ = job
    folder = run / NQPF
    rob = pd.read_csv(folder / "robustness" / "rank_uncertainty.csv", dtype={"region_code": str})
    levels = pd.read_csv(folder / "profiles" / "levels.csv", dtype={"region_code": str})
    nar = json.loads((folder / "profiles" / "narratives.json").read_text(encoding="utf-8"))
    res = results[NQPF]
    root, year = res.framework.root.id, res.years[-1]
    assert len(nar) == 31
    for code, doc in nar.items():
        first = doc["sentences"][0]
        f = {k: v["value"] for k, v in first["facts"].items()}
        r = rob[(rob["region_code"] == code) & (rob["year"] == year) & (rob["node"] == root)].iloc[0]
        lv = levels[(levels["region_code"] == code) & (levels["year"] == year) & (levels["node"] == root)].iloc[0]
        assert f["rank"] == lv["rank"] and f["score"] == pytest.approx(lv["score"])
        assert (f["median"], f["p05"], f["p95"]) == (r["median_rank"], r["rank_p05"], r["rank_p95"])
        assert (f"(median {r['median_rank']:.0f}, 90% interval {r['rank_p05']:.0f}-{r['rank_p95']:.0f})"
                in first["en"])
        assert f"中位数第{r['median_rank']:.0f}位，90%区间第{r['rank_p05']:.0f}-{r['rank_p95']:.0f}位" in first["zh"]
        assert NOT_COMPUTED[0] not in doc["en"]
        # every fact prints in both languages as its value, rounded; every number printed is a fact
        for s in doc["sentences"]:
            for fact in s["facts"].values():
                assert fact["shown"] in s["en"] and fact["shown"] in s["zh"], (code, s["key"], fact)
                assert float(fact["shown"]) == pytest.approx(fact["value"], abs=0.5001 * 10 ** -_decimals(fact["shown"]))
            if s["key"] in ("rank", "group", "growth", "region", "dimensions"):
                printed = re.findall(r"(?<!\d)[-+]?\d+(?:\.\d+)?", s["en"].replace("90% interval", ""))
                assert all(x in {f["shown"] for f in s["facts"].values()} or x.lstrip("+") in
                           {f["shown"].lstrip("+") for f in s["facts"].values()} or _ordinal_of(x, s["en"])
                           for x in printed), (code, s["key"], printed)
    ri = pd.read_csv(folder / "profiles" / "rank_interval.csv", dtype={"region_code": str})
    assert ri["computed"].all() and (ri["source"].str.endswith("rank_uncertainty.csv")).all()


def _decimals(text: str) -> int:
    return len(text.split(".")[1]) if "." in text else 0


def _ordinal_of(number: str, text: str) -> bool:
    """``number`` is printed as an ordinal (8th), the rank fact in another form."""
    return re.search(rf"\b{re.escape(number)}(st|nd|rd|th)\b", text) is not None


def test_without_robustness_the_narrative_says_how_to_get_the_interval(job, tmp_path: Path) -> None:
    _, results, _ = job
    res = results[NQPF]
    p = profile(res, "Anhui", run=tmp_path)   # a folder without robustness/
    assert p.rank_interval is None and p.uncertainty_source == ""
    n = narrate(p)
    assert NOT_COMPUTED[0] in n.en and "nqpf run --robustness N" in n.en and NOT_COMPUTED[1] in n.zh
    assert "90% interval" not in n.en
    assert rank_intervals(tmp_path) is None


def test_the_api_profile_uses_the_run_intervals(job) -> None:
    from nqpf.api.profiles import profile as api_profile
    from nqpf.api.state import Run

    run, results, _ = job
    p = api_profile(Run(run / NQPF), "Anhui")
    rob = rank_intervals(run / NQPF)
    assert rob is not None
    r = rob[(rob["region_code"] == "340000") & (rob["year"] == p.year) & (rob["node"] == results[NQPF].framework.root.id)]
    iv = p.to_dict()["rank_interval"]
    assert iv == {"median": r["rank_median"].iloc[0], "p05": r["rank_p05"].iloc[0], "p95": r["rank_p95"].iloc[0]}
    assert f"90% interval {iv['p05']:.0f}-{iv['p95']:.0f}" in p.narrative_en


# --- the implied HQD change -----------------------------------------------------------------------
def test_fitted_link_is_the_linkage_regression(job) -> None:
    from nqpf.linkage.analysis import CONTROLS, linkage_data
    from nqpf.linkage.fe import TwoWayFE

    _, results, panel = job
    link = fit_link(results[NQPF], results[HQD], panel)
    d = linkage_data(results[NQPF], results[HQD], panel)
    for engine in ("numpy", "linearmodels"):  # the peer implementation gives the same coefficient and SE
        r = TwoWayFE("hqd_index", ["nqpf", *CONTROLS], engine=engine).fit(d)
        assert link.coef == pytest.approx(float(r.params["nqpf"]), rel=1e-9)
        assert link.se == pytest.approx(float(r.std_errors["nqpf"]), rel=1e-6)
    assert link.controls == CONTROLS and link.nobs == r.nobs and link.coef > 0
    # the run wrote the same coefficient
    t = pd.read_csv(job[0] / NQPF / "profiles" / "hqd_link.csv")
    assert t["coef"].iloc[0] == pytest.approx(link.coef, rel=1e-5) and t["se"].iloc[0] == pytest.approx(link.se, rel=1e-5)


def test_scenario_hqd_change_is_coefficient_times_index_change(job) -> None:
    _, results, panel = job
    res = results[NQPF]
    link = fit_link(res, results[HQD], panel)
    s = run_scenario(res, [{"region": "Anhui", "indicator": res.indicators[0], "relative": 0.3},
                           {"region": "Gansu", "indicator": res.indicators[1], "relative": 0.5}],
                     linkage=link.as_linkage())
    e = s.index_effects()
    assert (e["score_change"] > 0).all()
    z = norm.ppf(0.975)
    np.testing.assert_allclose(e["implied_hqd"], link.coef * e["score_change"], rtol=1e-12)
    np.testing.assert_allclose(e["implied_hqd_low"], (link.coef - z * link.se) * e["score_change"], rtol=1e-12)
    np.testing.assert_allclose(e["implied_hqd_high"], (link.coef + z * link.se) * e["score_change"], rtol=1e-12)
    assert ASSUMPTION[0] in s.notes and ASSUMPTION[1] in s.notes
    assert any("ceteris paribus" in n and "within-province" in n for n in s.notes)
    assert any(n.startswith("implied change of hqd") and "95% interval" in n for n in s.notes)


def test_link_read_from_the_run_linkage_tables(job, tmp_path: Path) -> None:
    _, results, panel = job
    fitted = {fid: fit_link(results[fid], results[HQD], panel) for fid in (NQPF, TEI)}
    (tmp_path / "linkage").mkdir()
    # the columns nqpf linkage writes (LinkageRun.coefficients), with the framework named
    rows = [{"framework": fid, "dependent": dep, "estimate": f.coef * k, "std_error": f.se, "nobs": f.nobs}
            for fid, f in fitted.items() for dep, k in (("hqd_index", 1.0), ("living_standards", 0.5))]
    pd.DataFrame(rows).to_csv(tmp_path / "linkage" / "nqpf_coefficients.csv", index=False)
    for fid, f in fitted.items():
        got = read_linkage(tmp_path, fid)
        assert got is not None and got.coef == pytest.approx(f.coef) and got.se == pytest.approx(f.se)
        assert got.source.endswith("nqpf_coefficients.csv")
        assert hqd_link(results[fid], run_dir=tmp_path).source == got.source
    # without a framework column the table is nqpf linkage's, whose index is three-elements
    pd.DataFrame(rows[:2]).drop(columns="framework").to_csv(tmp_path / "linkage" / "nqpf_coefficients.csv", index=False)
    assert read_linkage(tmp_path, NQPF) is not None and read_linkage(tmp_path, TEI) is None
    # no table: fitted from the HQD scores
    assert hqd_link(results[TEI], run_dir=tmp_path, hqd=results[HQD], panel=panel).source.startswith("fitted")


# --- the command line on the run folder -----------------------------------------------------------
def test_cli_profile_and_scenario_on_the_run(job, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from nqpf.cli import app

    run, results, _ = job
    res = CliRunner().invoke(app, ["profile", "Anhui", "--run", str(run / NQPF), "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    rob = rank_intervals(run / NQPF)
    assert rob is not None
    r = rob[(rob["region_code"] == "340000") & (rob["year"] == results[NQPF].years[-1])
            & (rob["node"] == results[NQPF].framework.root.id)].iloc[0]
    out = " ".join(res.output.split())
    assert f"(median {r['rank_median']:.0f}, 90% interval {r['rank_p05']:.0f}-{r['rank_p95']:.0f})" in out
    f = tmp_path / "more.yaml"
    f.write_text(f"changes:\n  - {{region: Anhui, indicator: {results[NQPF].indicators[0]}, relative: 0.3}}\n",
                 encoding="utf-8")
    res = CliRunner().invoke(app, ["scenario", str(f), "--run", str(run / NQPF), "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    folder = tmp_path / NQPF / "scenarios" / "more"
    eff = pd.read_csv(folder / "effects.csv", dtype={"region_code": str})
    e = eff[eff["node"] == results[NQPF].framework.root.id].iloc[0]
    notes = (folder / "notes.txt").read_text(encoding="utf-8")
    coef, se = map(float, re.search(r"coefficient (\S+) \(se (\S+)\)", notes).groups())  # type: ignore[union-attr]
    z = norm.ppf(0.975)
    assert e["implied_hqd"] == pytest.approx(coef * e["score_change"], rel=1e-5)
    assert e["implied_hqd_low"] == pytest.approx((coef - z * se) * e["score_change"], rel=1e-5)
    # nqpf run wrote the linkage regressions: the scenario reads the HQD coefficient from them
    fe = pd.read_csv(run / "linkage" / "fe_coefficients.csv")
    row = fe[(fe["dependent"] == "hqd_index") & (fe["term"] == "nqpf") & (fe["nqpf_framework"] == NQPF)].iloc[0]
    assert coef == pytest.approx(float(row["estimate"]), rel=1e-5) and se == pytest.approx(float(row["std_error"]), rel=1e-5)
    assert "fe_coefficients.csv" in notes and ASSUMPTION[0] in notes
    assert "implied HQD change" in " ".join(res.output.split())


def test_what_could_not_be_made_is_said(job, tmp_path: Path) -> None:
    from nqpf.profiles.run_tables import write_profile_tables

    _, results, panel = job
    empty = tmp_path / "no-data"
    empty.mkdir()
    sections = write_profile_tables(results[NQPF], tmp_path / "out", panel, hqd=None, data=empty)
    folder = tmp_path / "out" / NQPF / "profiles"
    notes = pd.read_csv(folder / "notes.csv")["note"].tolist()
    assert any(n.startswith("HQD linkage not available") for n in notes)
    assert any(n.startswith("investor view not made") and "gwr_provincial" in n for n in notes)
    assert [s[0] for s in sections] == ["profiles"]
    ri = pd.read_csv(folder / "rank_interval.csv", dtype={"region_code": str})
    assert len(ri) == 31 and not ri["computed"].any() and ri["rank_p05"].isna().all()
    nar = pd.read_csv(folder / "narratives.csv", dtype={"region_code": str})
    assert (nar[nar["key"] == "interval"]["en"] == NOT_COMPUTED[0]).sum() == 31
    assert write_profile_tables(results[HQD], tmp_path / "out", panel) == []

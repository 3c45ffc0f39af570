"""Exposure on real texts: per-document counts, region-year panels, failures, Dask = local."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
import pytest

from nqpf.innovation.corpus import discover
from nqpf.innovation.exposure import ExposureResult, measure_exposure
from nqpf.innovation.matching import naive_count
from nqpf.innovation.taxonomy import Taxonomy
from nqpf.panel import Panel

NEWS = ["20220924", "20230909", "20240301", "20240803", "20250305", "20260821"]


@pytest.fixture(scope="module")
def subset(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    text = data_dir / "text"
    for name in NEWS:
        (root / "news").mkdir(exist_ok=True)
        shutil.copy(text / "news_xwlb" / "news" / f"{name}.md", root / "news")
    for year in (2019, 2020, 2022):
        shutil.copy(text / "gwr_national_tmx" / f"GR{year}.tmx", root)
    for p in (text / "policy_digital_pkulaw").glob("*.txt"):
        shutil.copy(p, root)
    return root


@pytest.fixture(scope="module")
def result(subset: Path) -> ExposureResult:
    return measure_exposure(subset)


def test_news_counts_match_selection_tsv(result: ExposureResult, data_dir: Path) -> None:
    with (data_dir / "text" / "news_xwlb" / "selection.tsv").open(encoding="utf-8") as fh:
        expected = {r["file"][5:13]: int(r["count_新质生产力"]) for r in csv.DictReader(fh, delimiter="\t")}
    counts = result.counts
    nqpf = counts[counts["sector"] == "nqpf"].set_index("doc_id")["count"]
    for name in NEWS:
        assert nqpf[name] == expected[name], name
    assert nqpf["20240803"] == 31 and nqpf["20220924"] == 0


def test_per_document_counts_equal_a_direct_count(result: ExposureResult, subset: Path) -> None:
    tax = result.taxonomy
    path = next(subset.glob("北京市*.txt"))
    text = path.read_text(encoding="utf-8")
    body = "\n".join(line for line in text.splitlines() if not line.strip().startswith(("【法宝引证码】", "原文链接")))
    direct = naive_count(body, tax.forms())
    doc_id = path.stem
    terms = result.terms
    mine = dict(terms[terms["doc_id"] == doc_id][["form", "count"]].itertuples(index=False, name=None))
    assert mine == dict(direct)
    wide = result.sector_counts().loc[doc_id]
    assert wide["de_factor"] == sum(n for f, n in direct.items() if "de_factor" in tax.forms()[f])
    assert wide["de_factor"] > 20


def test_documents_and_per_10k(result: ExposureResult) -> None:
    docs = result.documents.set_index("doc_id")
    assert docs.loc["GR2020#zh", "year"] == 2020 and docs.loc["GR2020#zh", "region_code"] == "100000"
    assert docs.filter(like="包头", axis=0)["region_code"].tolist() == ["150000"]
    c = result.counts.set_index(["doc_id", "sector"])
    row = c.loc[("20240803", "nqpf")]
    assert row["per_10k"] == pytest.approx(1e4 * 31 / docs.loc["20240803", "n_chars"])
    assert row["log_count"] == pytest.approx(np.log(32))
    assert c["score"].between(0, 1).all()
    assert result.failures == []


def test_region_year_panel_is_pooled_and_accepted(result: ExposureResult) -> None:
    obs = result.observations()
    assert list(obs.columns) == ["region_code", "year", "variable", "value"]
    docs = result.documents
    counts = result.counts
    nat24 = docs[(docs["region_code"] == "100000") & (docs["year"] == 2024)]
    hits = counts[(counts["sector"] == "nqpf") & counts["doc_id"].isin(nat24["doc_id"])]["count"].sum()
    got = obs.query("region_code == '100000' and year == 2024 and variable == 'text_exposure_nqpf'")["value"].item()
    assert got == pytest.approx(1e4 * hits / nat24["n_chars"].sum())
    panel = result.to_panel()
    assert isinstance(panel, Panel)
    assert {"100000", "110000", "150000", "340000", "510000"} <= set(panel.regions)
    assert "text_exposure_sei2018" in panel.variables and panel.unit("text_exposure_fi_quantum") == "per 10,000 characters"
    yearly = result.yearly(scheme="nqpf_core")
    assert yearly.loc[2022, "text_exposure_nqpf"] == 0.0 and yearly.loc[2024, "text_exposure_nqpf"] > 1


def test_bad_files_are_listed_and_the_rest_processed(subset: Path, tmp_path: Path) -> None:
    root = tmp_path / "mixed"
    root.mkdir()
    shutil.copy(subset / "news" / "20240803.md", root)
    (root / "empty.md").write_bytes(b"")
    (root / "binary.txt").write_bytes(b"abc\x00\x01\x02" * 100)
    (root / "gbk.txt").write_bytes("发展新质生产力".encode("gb18030") * 50)
    res = measure_exposure(root)
    assert res.documents["doc_id"].tolist() == ["20240803"]
    reasons = {Path(f.file).name: f.reason for f in res.failures}
    assert set(reasons) == {"empty.md", "binary.txt", "gbk.txt"}
    assert "empty" in reasons["empty.md"] and "NUL" in reasons["binary.txt"] and "GB18030" in reasons["gbk.txt"]


def test_manifest_places_a_firm(tmp_path: Path, data_dir: Path) -> None:
    src = next((data_dir / "text" / "annual_reports_finglm").glob("*.html"))
    man = tmp_path / "manifest.csv"
    man.write_text(f"path,doc_id,region,year\n{src},haixiang,浙江省,2019\n", encoding="utf-8")
    res = measure_exposure(tmp_path, manifest=man, allow_outside=True)  # the real file lies outside tmp_path
    obs = res.observations()
    assert set(obs["region_code"]) == {"330000"} and set(obs["year"]) == {2019}
    assert obs.query("variable == 'text_exposure_sei_bio'")["value"].item() > 0  # a pharma firm


def test_dask_backend_equals_local(subset: Path, result: ExposureResult) -> None:
    from distributed import Client

    from nqpf.innovation.dask_backend import balanced_groups, run_dask
    from nqpf.innovation.exposure import build_matcher, process_file

    files = discover(subset)
    groups = balanced_groups(files, 4)
    assert sorted(str(f.path) for g in groups for f in g) == sorted(str(f.path) for f in files)
    with Client(processes=False, n_workers=2, threads_per_worker=1, dashboard_address="127.0.0.1:0") as client:
        outcomes = run_dask(files, build_matcher(Taxonomy.default()), client=client)
    local = {o.path: o for o in (process_file(f, build_matcher(Taxonomy.default())) for f in files)}
    assert len(outcomes) == len(files)
    for o in outcomes:
        assert [d.forms for d in o.documents] == [d.forms for d in local[o.path].documents]

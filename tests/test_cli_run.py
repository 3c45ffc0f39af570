"""`nqpf run` end to end on the real data: import into an empty store, build, write outputs."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from nqpf.cli import app
from nqpf.data.store import Store
from nqpf.frameworks import list_frameworks
from nqpf.index.build import TIDY_COLUMNS


class _ExternalRefs(HTMLParser):
    """Collects every attribute that would make a browser load something."""

    def __init__(self) -> None:
        super().__init__()
        self.loads: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in {"script", "img", "iframe", "audio", "video", "source", "embed"} and a.get("src"):
            self.loads.append(f"<{tag} src={a['src']}>")
        if tag == "link" and a.get("href"):
            self.loads.append(f"<link href={a['href']}>")
        if tag == "object" and a.get("data"):
            self.loads.append(f"<object data={a['data']}>")


@pytest.fixture(scope="module")
def run_out(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> tuple[Path, object]:
    tmp = tmp_path_factory.mktemp("run")
    out = tmp / "out"
    res = CliRunner().invoke(
        app, ["run", "--data", str(data_dir), "--store", str(tmp / "s.duckdb"), "--out", str(out)]
    )
    return out, res


def test_run_succeeds_and_writes_every_framework(run_out) -> None:
    out, res = run_out
    assert res.exit_code == 0, res.output
    assert "Beijing" in res.output
    for fid in list_frameworks():
        folder = out / fid
        for name in ("scores.csv", "scores.parquet", "weights.csv", "imputed.csv", "spec.json",
                     "summary.html", "coherence_correlations.csv", "coherence_cronbach.csv"):
            assert (folder / name).is_file(), (fid, name)
        tidy = pd.read_parquet(folder / "scores.parquet")
        assert list(tidy.columns) == TIDY_COLUMNS
        assert tidy["region_code"].nunique() == 31
        meta = json.loads((folder / "spec.json").read_text(encoding="utf-8"))
        assert meta["framework"] == fid and len(meta["data_hash"]) == 64
        # a clean store imports panel, raw and extension: the 2.0 indices reach 2023, no cell filled > 2 years
        assert meta["framework_version"] == "2.0" and meta["years"][1] >= 2023, meta["years"]
        imp = pd.read_csv(folder / "imputed.csv")
        nearest = pd.concat([(imp["year"] - imp["from_year"]).abs(), (imp["to_year"] - imp["year"]).abs()], axis=1).min(axis=1)
        assert (nearest <= 2).all()
        w = pd.read_csv(folder / "weights.csv")
        assert (w.groupby("parent")["weight"].sum() - 1).abs().max() < 1e-5  # csv keeps 6 decimals


def test_run_html_loads_nothing_external(run_out) -> None:
    out, _ = run_out
    landing = (out / "index.html").read_text(encoding="utf-8")
    for fid in list_frameworks():
        assert f'href="{fid}/summary.html"' in landing
    parser = _ExternalRefs()
    parser.feed(landing)
    assert parser.loads == []
    for fid in list_frameworks():
        html = (out / fid / "summary.html").read_text(encoding="utf-8")
        parser = _ExternalRefs()
        parser.feed(html)
        assert parser.loads == [], (fid, parser.loads[:5])
        assert "@import" not in html and "url(http" not in html


def test_run_is_repeatable_and_takes_method_options(run_out, tmp_path: Path, data_dir: Path) -> None:
    out, _ = run_out
    store = out.parent / "s.duckdb"
    before = store.read_bytes()
    res = CliRunner().invoke(app, ["run", "--store", str(store), "--out", str(tmp_path), "-f", "hqd-four-channels@1.0",
                                   "--weighting", "critic", "--aggregation", "geometric", "--years", "2012:2019"])
    # geometric with the defaults works: normalised values are rescaled to [1, 100], and it says so
    assert res.exit_code == 0, res.output
    assert "rescaled to [1, 100]" in res.output
    assert store.read_bytes() == before  # the store was not touched
    spec = tmp_path / "spec.yaml"
    spec.write_text("normalisation: {method: minmax, out_range: [1, 100]}\naggregation: geometric\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["run", "--store", str(store), "--out", str(tmp_path), "-f", "hqd-four-channels@1.0",
                                   "--weighting", "critic", "--spec", str(spec), "--years", "2012:2019", "--no-html"])
    assert res.exit_code == 0, res.output
    meta = json.loads((tmp_path / "hqd-four-channels" / "spec.json").read_text(encoding="utf-8"))
    assert meta["spec"]["weighting"] == {"method": "critic"}
    assert meta["spec"]["aggregation"] == {"method": "geometric"}
    assert meta["years"] == [2012, 2019]
    assert meta["framework_version"] == "1.0"  # an earlier version, loaded by id@version
    tidy = pd.read_csv(tmp_path / "hqd-four-channels" / "scores.csv", dtype={"region_code": str})
    idx = tidy[tidy.node == "hqd_index"]
    assert idx["score"].between(1, 100).all()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--years", "2012-2019"], "cannot read years '2012-2019'; write a range as 2012:2019"),
        (["--years", "2019:2012"], "years '2019:2012' run backwards"),
        (["--years", "abc"], "cannot read years 'abc'"),
        (["--years", "1990:1995"], "the panel has no data for years 1990-1995"),
        (["--spec", "no-such-spec.yaml"], "spec file no-such-spec.yaml not found"),
        (["-f", "no-such-framework"], "no-such-framework"),
        (["--weighting", "magic"], "unknown method 'magic'"),
    ],
)
def test_run_mistakes_get_one_line_and_exit_2(run_out, tmp_path: Path, args: list[str], message: str) -> None:
    out, _ = run_out
    res = CliRunner().invoke(app, ["run", "--store", str(out.parent / "s.duckdb"), "--out", str(tmp_path / "o"),
                                   "--no-html", *args])
    assert res.exit_code == 2, res.output
    assert message in " ".join(res.output.split()), res.output
    assert ("Traceback" not in res.output and res.exception is None) or isinstance(res.exception, SystemExit)


def test_out_pointing_at_a_file_is_refused(run_out, tmp_path: Path) -> None:
    out, _ = run_out
    f = tmp_path / "file.txt"
    f.write_text("x", encoding="utf-8")
    res = CliRunner().invoke(app, ["run", "--store", str(out.parent / "s.duckdb"), "--out", str(f)])
    assert res.exit_code == 2 and "is a file; give a folder" in res.output


def test_frameworks_listing_and_version(run_out) -> None:
    out, _ = run_out
    res = CliRunner().invoke(app, ["frameworks", "--store", str(out.parent / "s.duckdb")])
    assert res.exit_code == 0, res.output
    for fid in list_frameworks():
        assert fid in res.output
    assert "2016-2023" in res.output  # the 2.0 windows on the real data
    v = CliRunner().invoke(app, ["--version"])
    assert v.exit_code == 0 and v.output.startswith("nqpf ")


def test_run_folder_holds_what_load_run_needs(run_out) -> None:
    from nqpf.runs import load_run

    out, _ = run_out
    res = load_run(out / "nqpf-three-elements")
    tidy = pd.read_csv(out / "nqpf-three-elements" / "scores.csv", dtype={"region_code": str})
    idx = tidy[(tidy.node == "nqpf_index") & (tidy.year == res.years[-1])].set_index("region_code")["score"]
    assert idx.round(6).to_dict() == pd.Series(res.index[-1], index=res.regions).round(6).to_dict()
    w = pd.read_csv(out / "nqpf-three-elements" / "weights.csv")
    assert w[w["node"].isin(res.indicators)]["effective_weight"].sum() == pytest.approx(1.0, abs=1e-5)
    html = (out / "nqpf-three-elements" / "summary.html").read_text(encoding="utf-8")
    assert "Weight in the index" in html and "Real data per year" in html
    for div in ("nqpf-dagum", "nqpf-density", "nqpf-lisa", "nqpf-obstacles", "nqpf-coupling"):  # regional analyses
        assert f"id=\"{div}\"" in html, div


def test_run_with_robustness_adds_rank_intervals_and_sobol(run_out, tmp_path: Path) -> None:
    out, _ = run_out
    res = CliRunner().invoke(app, ["run", "--store", str(out.parent / "s.duckdb"), "--out", str(tmp_path),
                                   "-f", "nqpf-three-elements@1.0", "--robustness", "200", "--seed", "3"])
    assert res.exit_code == 0, res.output
    folder = tmp_path / "nqpf-three-elements"
    ranks = pd.read_csv(folder / "robustness" / "rank_uncertainty.csv", dtype={"region_code": str})
    last = ranks[(ranks.node == "nqpf_index") & (ranks.year == ranks.year.max())].set_index("region_code")
    assert len(last) == 31 and (last["rank_p05"] <= last["median_rank"]).all() and (last["median_rank"] <= last["rank_p95"]).all()
    assert last.loc["110000", "nominal_rank"] == 1
    html = (folder / "summary.html").read_text(encoding="utf-8")
    assert "nqpf-rank-uncertainty" in html and "nqpf-sobol" in html
    bad = CliRunner().invoke(app, ["run", "--store", str(out.parent / "s.duckdb"), "--out", str(tmp_path), "--robustness", "-5"])
    assert bad.exit_code == 2 and "--robustness must be" in bad.output


def test_a_store_without_the_extension_gets_a_hint(tmp_path: Path, data_dir: Path) -> None:
    store = tmp_path / "old.duckdb"
    with Store(store) as st:  # what an earlier nqpf imported: the panel alone
        st.import_files([data_dir / "panel"], progress=False)
    res = CliRunner().invoke(app, ["run", "--store", str(store), "--out", str(tmp_path / "o"), "--no-html"])
    assert res.exit_code == 2
    assert "the store lacks" in res.output and "--on-conflict newer" in res.output and "@1.0" in res.output


def test_bad_region_table_and_limit_fail_before_any_import(tmp_path: Path) -> None:
    store = tmp_path / "fresh.duckdb"
    for args, message in ((["--regions", str(tmp_path / "nope.csv")], "cannot read the region table"),
                          (["--max-extrapolation", "-3"], "max_extrapolation must be a number of years >= 0")):
        res = CliRunner().invoke(app, ["run", "--store", str(store), "--out", str(tmp_path / "o"), "--no-html", *args])
        assert res.exit_code == 2 and message in res.output, res.output
    assert not store.exists()  # nothing was imported
    res = CliRunner().invoke(app, ["frameworks", "--store", str(tmp_path / "none" / "x.duckdb")])
    assert res.exit_code == 0 and not (tmp_path / "none").exists()  # a listing never creates a store

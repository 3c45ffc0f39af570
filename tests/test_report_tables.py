"""Regional tables in the run folder, the Excel workbook and the LaTeX tables of a real run.

One real run per module: ``services.run_job`` on a fresh store importing ../shared/data (the 2.0
NQPF three-elements and HQD indices, 2016-2023, with 20 robustness draws), whose job-level
linkage regressions are in ``linkage/fe_coefficients.csv``.
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nqpf.report.latex import fmt_number, latex_problems, stars, tex_escape, write_latex_tables
from nqpf.report.run_tables import ReportTablesError, RunTable, run_tables
from nqpf.report.workbook import sheet_names, write_workbook

FW = "nqpf-three-elements"
HQD = "hqd-four-channels"


@pytest.fixture(scope="module")
def run_dir(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from nqpf import services
    from nqpf.data.store import Store
    from nqpf.report.pages import RUN_PAGES

    base = tmp_path_factory.mktemp("reporttables")
    store = Store(base / "store.duckdb")
    # the job writes the linkage regressions itself: linkage/fe_coefficients.csv
    services.run_job(store, frameworks=[FW, HQD], out=base / "run", data=data_dir, robustness=20,
                     pages=RUN_PAGES)
    return base / "run"


def _csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"region_code": str, "group_a": str})


# -- 1. regional tables in the run folder ---------------------------------------------------------
REGIONAL = {"dagum_overall", "dagum_within", "dagum_between", "inequality", "inequality_groups", "sigma",
            "convergence", "beta", "moran", "lisa", "density", "density_moments", "obstacles_indicators",
            "obstacles_dimensions", "obstacles_top", "obstacles_mean", "notes"}


def test_run_writes_regional_tables(run_dir: Path) -> None:
    for fw in (FW, HQD):
        found = {p.stem for p in (run_dir / fw / "regional").glob("*.csv")}
        assert found >= REGIONAL, REGIONAL - found
    assert (run_dir / FW / "regional" / "coupling.csv").is_file()
    assert not (run_dir / HQD / "regional" / "coupling.csv").exists()  # HQD is not coupled with itself
    notes = _csv(run_dir / FW / "regional" / "notes.csv")
    assert notes["note"].str.contains("460000 linked to 440000").any()  # the Hainan link is said
    html = (run_dir / FW / "summary.html").read_text(encoding="utf-8")
    assert "nqpf-dagum" in html and "nqpf-coupling" in html and "tables in regional/" in html


def test_dagum_table_equals_double_loop(run_dir: Path) -> None:
    """Gini and within-group Gini by the n^2 definitions on scores.csv; terms sum to G."""
    from nqpf.regions import REGISTRY

    s = _csv(run_dir / FW / "scores.csv")
    s = s[s["node"] == "nqpf_index"]
    o = _csv(run_dir / FW / "regional" / "dagum_overall.csv")
    w = _csv(run_dir / FW / "regional" / "dagum_within.csv")
    east = set(REGISTRY.groups("nbs4")["east"].codes)
    assert len(o) == 8 and list(o["year"]) == list(range(2016, 2024))
    for year in (2016, 2023):
        y = s.loc[s["year"] == year, "score"].to_numpy()
        g = np.abs(y[:, None] - y[None, :]).sum() / (2 * y.size**2 * y.mean())
        row = o[o["year"] == year].iloc[0]
        assert row["gini"] == pytest.approx(g, abs=2e-6)  # scores.csv holds 6 decimals
        assert row["within"] + row["net_between"] + row["transvariation"] == pytest.approx(row["gini"], abs=1e-9)
        ye = s.loc[(s["year"] == year) & s["region_code"].isin(east), "score"].to_numpy()
        ge = np.abs(ye[:, None] - ye[None, :]).sum() / (2 * ye.size**2 * ye.mean())
        assert w.loc[(w["year"] == year) & (w["group"] == "east"), "gini"].iloc[0] == pytest.approx(ge, abs=2e-6)
    # real result: the net between-region term is the largest in every year, and the Gini falls
    assert (o["net_between"] > o[["within", "transvariation"]].max(axis=1)).all()
    assert o["gini"].iloc[-1] < o["gini"].iloc[0]
    assert (o["gini_lo"] < o["gini"]).all() and (o["gini"] < o["gini_hi"]).all()


def test_moran_table_equals_esda(run_dir: Path) -> None:
    import esda
    from libpysal.weights import full2W

    from nqpf.regional.weights import SpatialWeights

    s = _csv(run_dir / FW / "scores.csv")
    m = _csv(run_dir / FW / "regional" / "moran.csv")
    regs = sorted(s["region_code"].unique())
    sw = SpatialWeights.queen(regs)
    w = full2W(sw.matrix, ids=list(sw.regions))
    w.transform = "r"
    for year in (2016, 2023):
        y = s[(s["node"] == "nqpf_index") & (s["year"] == year)].set_index("region_code").loc[list(sw.regions), "score"]
        peer = esda.Moran(y.to_numpy(), w, permutations=0)
        row = m[m["year"] == year].iloc[0]
        assert row["moran_i"] == pytest.approx(peer.I, abs=1e-5)
        assert row["expected_i"] == pytest.approx(peer.EI, abs=1e-10)  # CSV: 10 significant digits
        assert row["z_norm"] == pytest.approx(peer.z_norm, abs=1e-3)
        assert row["moran_i"] > 0 and row["p_sim"] < 0.05  # positive, significant clustering


def test_convergence_table_equals_panel_ols(run_dir: Path) -> None:
    from linearmodels.panel import PanelOLS

    s = _csv(run_dir / FW / "scores.csv")
    s = s[s["node"] == "nqpf_index"].sort_values(["region_code", "year"])
    s["ly"] = np.log(s["score"])
    s["growth"] = s.groupby("region_code")["ly"].shift(-1) - s["ly"]
    d = s.dropna(subset=["growth"]).set_index(["region_code", "year"])
    fit = PanelOLS(d["growth"], d[["ly"]], entity_effects=True, time_effects=True).fit(
        cov_type="clustered", cluster_entity=True)
    c = _csv(run_dir / FW / "regional" / "convergence.csv").set_index("test")
    beta = c.loc["beta_absolute"]
    assert beta["coef"] == pytest.approx(fit.params["ly"], abs=2e-4)
    assert beta["se"] == pytest.approx(fit.std_errors["ly"], rel=2e-3)
    assert beta["half_life"] == pytest.approx(math.log(2) / -math.log1p(beta["coef"]), rel=1e-9)
    assert beta["coef"] < 0 and beta["p"] < 0.01 and int(beta["nobs"]) == 31 * 7
    sig = c[c["measure"] == "sd_log"].iloc[0]
    assert sig["coef"] < 0 and sig["first_value"] > sig["last_value"]


# -- 2. the workbook ------------------------------------------------------------------------------
def _expected(text: str, numeric: bool) -> object:
    if text == "":
        return None
    if not numeric:
        return text
    return int(text) if re.fullmatch(r"[+-]?\d+", text) else float(text)


def _numeric(col: str, vals: list[str]) -> bool:
    if re.search(r"code|^region_a$|^region_b$", col):
        return False
    try:
        return all(v == "" or math.isfinite(float(v)) for v in vals) and any(vals)
    except ValueError:
        return False


@pytest.fixture(scope="module")
def workbook(run_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_workbook(run_dir, tmp_path_factory.mktemp("wb") / "run.xlsx")


def test_workbook_has_one_sheet_per_csv(run_dir: Path, workbook: Path) -> None:
    import openpyxl

    csvs = sorted(os.path.relpath(os.path.join(r, f), run_dir) for r, _, fs in os.walk(run_dir)
                  for f in fs if f.endswith(".csv"))
    wb = openpyxl.load_workbook(workbook, read_only=True)
    names = wb.sheetnames
    assert names[0] == "README" and len(names) == len(csvs) + 1
    assert len(set(n.lower() for n in names)) == len(names) and max(map(len, names)) <= 31
    assert {"NTE scores", "NTE weights", "NTE dagum_overall", "NTE rank_uncertainty", "HFC lisa",
            "linkage fe_coefficients"} <= set(names)
    readme = [[c for c in r] for r in wb["README"].iter_rows(values_only=True)]
    listed = {r[0]: r[5] for r in readme if r and len(r) >= 6 and r[5] and str(r[5]).endswith(".csv")}
    assert sorted(listed.values()) == csvs and set(listed) == set(names[1:])
    flat = " ".join(str(c) for r in readme for c in r if c is not None)
    import json
    meta = json.loads((run_dir / FW / "spec.json").read_text(encoding="utf-8"))
    assert meta["data_hash"] in flat and meta["spec_hash"] in flat and "Dagum" in flat and "基尼" in flat
    assert "20 Monte Carlo draws, seed 0: normalisation" in flat


@pytest.mark.parametrize("rel,sheet", [
    (f"{FW}/weights.csv", "NTE weights"), (f"{FW}/regional/dagum_overall.csv", "NTE dagum_overall"),
    (f"{HQD}/regional/lisa.csv", "HFC lisa"), (f"{FW}/robustness/rank_uncertainty.csv", "NTE rank_uncertainty"),
    (f"{FW}/imputed.csv", "NTE imputed"), ("linkage/fe_coefficients.csv", "linkage fe_coefficients"),
    (f"{FW}/scores.csv", "NTE scores"), (f"{FW}/regional/coupling.csv", "NTE coupling"),
])
def test_workbook_cells_equal_csv(run_dir: Path, workbook: Path, rel: str, sheet: str) -> None:
    import openpyxl

    raw = pd.read_csv(run_dir / rel, dtype=str, keep_default_na=False)
    wb = openpyxl.load_workbook(workbook, read_only=True)
    rows = list(wb[sheet].iter_rows(values_only=True))
    assert list(rows[0]) == list(raw.columns) and len(rows) == len(raw) + 1
    numeric = {c: _numeric(c, raw[c].tolist()) for c in raw.columns}
    rng = np.random.default_rng(0)
    pick = range(len(raw)) if len(raw) <= 400 else sorted(rng.choice(len(raw), 400, replace=False))
    for i in pick:
        for j, c in enumerate(raw.columns):
            assert rows[i + 1][j] == _expected(raw.iat[i, j], numeric[c]), (sheet, i, c)
    if "region_code" in raw.columns:
        assert all(isinstance(r[list(raw.columns).index("region_code")], str) for r in rows[1:])


@pytest.fixture(scope="module")
def small_run(run_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run with one framework, no HTML and no long tables: quick to write and to load whole."""
    import shutil

    copy = tmp_path_factory.mktemp("small") / "run"
    shutil.copytree(run_dir / FW, copy / FW, ignore=shutil.ignore_patterns("*.html", "obstacles_indicators.csv",
                                                                          "density.csv"))
    return copy


def test_workbook_formatting(small_run: Path, tmp_path: Path) -> None:
    import zipfile

    import openpyxl

    seen: list[tuple[int, int, str]] = []
    p = write_workbook(small_run, tmp_path / "small.xlsx", progress=lambda k, n, s: seen.append((k, n, s)))
    wb = openpyxl.load_workbook(p, read_only=True)
    assert [s for _, _, s in seen] == wb.sheetnames[1:] and seen[-1][0] == seen[-1][1]
    idx = wb.sheetnames.index("NTE dagum_overall")
    ws = wb["NTE dagum_overall"]
    rows = list(ws.iter_rows(min_row=1, max_row=2))
    assert rows[0][0].font.b and rows[0][0].fill.fgColor.rgb.endswith("1F3864")
    assert rows[1][0].number_format == "0"  # year
    gini = [c.value for c in rows[0]].index("gini")
    assert rows[1][gini].number_format == "0.0000"
    xml = zipfile.ZipFile(p).read(f"xl/worksheets/sheet{idx + 1}.xml").decode()
    assert 'topLeftCell="A2"' in xml and 'state="frozen"' in xml  # header row frozen
    assert re.search(r'<col min="1" max="\d+" width="[\d.]+" customWidth="1"', xml) and "<autoFilter" in xml


def test_workbook_chinese_readme_and_errors(small_run: Path, tmp_path: Path) -> None:
    import openpyxl

    p = write_workbook(small_run, tmp_path / "zh.xlsx", lang="zh")
    readme = list(openpyxl.load_workbook(p, read_only=True)["README"].iter_rows(values_only=True))
    assert any(r and r[0] == "工作表 / Sheet" for r in readme)
    assert any(r and r[0] == "NTE dagum_overall" and str(r[1]).startswith("Dagum 基尼系数分解") for r in readme)
    with pytest.raises(ReportTablesError, match="use en or zh"):
        write_workbook(small_run, tmp_path / "x.xlsx", lang="fr")
    with pytest.raises(ReportTablesError, match=r"must end in \.xlsx"):
        write_workbook(small_run, tmp_path / "x.xls")
    with pytest.raises(ReportTablesError, match="not found"):
        write_workbook(tmp_path / "nope", tmp_path / "x.xlsx")
    with pytest.raises(ReportTablesError, match="give its parent"):
        write_workbook(small_run / FW, tmp_path / "x.xlsx")


def test_sheet_names_short_and_unique() -> None:
    p = Path("x.csv")
    tables = [RunTable(p, "nqpf-technology-economy-industry", "regional", "notes"),
              RunTable(p, "nqpf-technology-economy-industry", "profiles", "notes"),
              RunTable(p, "new-theory-engine-index", "", "notes"),  # same initials NTEI
              RunTable(p, "nqpf-technology-economy-industry", "regional", "obstacles_dimensions_by_province_year"),
              RunTable(p, "nqpf-technology-economy-industry", "profiles", "obstacles_dimensions_by_province_yearX"),
              RunTable(p, "", "linkage", "fe_main"), RunTable(p, "", "linkage", "a[b]:c")]
    names = sheet_names(tables)
    assert names[:3] == ["NTEI notes", "NTEI profiles notes", "NTEI2 notes"]
    assert names[5] == "linkage fe_main" and names[6] == "linkage a_b__c"
    assert len(set(names)) == len(names) and all(len(n) <= 31 for n in names)


# -- 3. LaTeX --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tex(run_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tex")
    write_latex_tables(run_dir, folder)
    return folder


def _num(cell: str) -> float:
    return float(cell.replace("$-$", "-").strip().rstrip("*"))


def _close(printed: str, value: float) -> bool:
    """``printed`` is ``value`` rounded to the printed decimals."""
    txt = printed.replace("$-$", "-").strip().rstrip("*").strip("()")
    dec = len(txt.split(".")[1]) if "." in txt else 0
    return abs(float(txt) - value) <= 0.5 * 10**-dec + 1e-9


def _rows(text: str) -> list[list[str]]:
    body = text.split("\\midrule", 1)[1].split("\\bottomrule")[0]
    return [[c.strip() for c in re.split(r"(?<!\\)&", ln.strip()[:-2])] for ln in body.split("\n")
            if ln.strip().endswith("\\\\")]


def test_latex_files_are_well_formed(run_dir: Path, tex: Path) -> None:
    files = sorted(p.name for p in tex.glob("*.tex"))
    for kind in ("descriptives", "weights", "index", "dagum", "dagum_groups", "convergence"):
        assert f"{FW}_{kind}.tex" in files and f"{HQD}_{kind}.tex" in files
    assert "linkage_fe_coefficients.tex" in files
    main = (tex / "tables.tex").read_text(encoding="utf-8")
    for f in files:
        text = (tex / f).read_text(encoding="utf-8")
        assert latex_problems(text) == [], f
        if f != "tables.tex":
            assert "\\toprule" in text and "\\bottomrule" in text and f"\\input{{{f[:-4]}}}" in main


def test_descriptives_equal_panel(run_dir: Path, tex: Path) -> None:
    """Indicators that are one panel variable: statistics straight from panel.parquet."""
    d = pd.read_csv(tex / f"{FW}_descriptives.csv").set_index("indicator")
    obs = pd.read_parquet(run_dir / FW / "panel.parquet")
    for ind, var in (("avg_years_schooling", "avg_years_schooling"), ("digital_finance", "dfi_index")):
        v = obs[(obs["variable"] == var) & obs["year"].between(2016, 2023)]["value"].dropna()
        assert d.loc[ind, "n"] == len(v)
        assert d.loc[ind, "mean"] == pytest.approx(v.mean(), rel=1e-9)
        assert d.loc[ind, "sd"] == pytest.approx(v.std(ddof=1), rel=1e-9)
        assert d.loc[ind, "min"] == pytest.approx(v.min()) and d.loc[ind, "max"] == pytest.approx(v.max())
    rows = _rows((tex / f"{FW}_descriptives.tex").read_text(encoding="utf-8"))
    assert len(rows) == len(d) == 14
    for r, (_, want) in zip(rows, d.iterrows(), strict=True):
        assert r[0] == tex_escape(want["name_en"]) and int(r[3]) == want["n"]
        assert r[2] == ("+" if want["direction"] > 0 else "$-$")
        for cell, col in zip(r[4:], ("mean", "sd", "min", "max"), strict=True):
            assert _close(cell, want[col]), (r[0], col, cell, want[col])


def test_index_weights_dagum_tex_equal_csv(run_dir: Path, tex: Path) -> None:
    s = _csv(run_dir / FW / "scores.csv")
    s = s[s["node"] == "nqpf_index"]
    text = (tex / f"{FW}_index.tex").read_text(encoding="utf-8")
    head = text.split("\\toprule\n")[1].split(" \\\\")[0].split(" & ")
    years = [int(h) for h in head[1:-1]]
    assert years[0] == 2016 and years[-1] == 2023 and len(years) == 5
    rows = _rows(text)
    assert len(rows) == 31
    by = s.set_index(["region_en", "year"])
    for r in rows:
        for cell, y in zip(r[1:-1], years, strict=True):
            assert _close(cell, by.loc[(r[0], y), "score"])
        assert int(r[-1]) == by.loc[(r[0], 2023), "rank"]
    o = _csv(run_dir / FW / "regional" / "dagum_overall.csv")
    for r, (_, want) in zip(_rows((tex / f"{FW}_dagum.tex").read_text(encoding="utf-8")), o.iterrows(), strict=True):
        assert int(r[0]) == want["year"]
        cols = ["gini", "within", "net_between", "transvariation", "within_share", "net_between_share",
                "transvariation_share"]
        assert all(_close(c, want[k]) for c, k in zip(r[1:], cols, strict=True))
    dw, db = _csv(run_dir / FW / "regional" / "dagum_within.csv"), _csv(run_dir / FW / "regional" / "dagum_between.csv")
    grows = _rows((tex / f"{FW}_dagum_groups.tex").read_text(encoding="utf-8"))
    assert len(grows) == 8
    for r in grows:
        y = int(r[0])
        want = [*dw[dw["year"] == y]["gini"], *db[db["year"] == y]["gini"]]
        assert len(r) == 1 + len(want) == 11 and all(_close(c, v) for c, v in zip(r[1:], want, strict=True))
    conv = _csv(run_dir / FW / "regional" / "convergence.csv")
    crows = _rows((tex / f"{FW}_convergence.tex").read_text(encoding="utf-8"))
    for r, (_, want) in zip(crows, conv.iterrows(), strict=True):
        n_stars = len(r[1]) - len(r[1].rstrip("*"))
        assert n_stars == len(stars(want["p"])) and _close(r[1], want["coef"]) and int(r[-1]) == want["nobs"]
    assert crows[-1][0].startswith("$\\beta$") and _close(crows[-1][2], conv["se"].iloc[-1])
    w = _csv(run_dir / FW / "weights.csv")
    wrows = _rows((tex / f"{FW}_weights.tex").read_text(encoding="utf-8"))
    assert len(wrows) == len(w)
    assert sorted(round(_num(r[2]), 3) for r in wrows) == sorted(round(float(x), 3) for x in w["weight"])


def test_regression_stars_match_p(run_dir: Path, tex: Path) -> None:
    fe = _csv(run_dir / "linkage" / "fe_coefficients.csv")
    rows = _rows((tex / "linkage_fe_coefficients.tex").read_text(encoding="utf-8"))
    deps = list(dict.fromkeys(fe["dependent"]))
    terms = list(dict.fromkeys(fe["term"]))
    assert [r[0] for r in rows[0:2 * len(terms):2]] == [tex_escape(t) for t in terms]
    checked = 0
    for k, term in enumerate(terms):
        est, se = rows[2 * k], rows[2 * k + 1]
        for j, dep in enumerate(deps):
            want = fe[(fe["term"] == term) & (fe["dependent"] == dep)].iloc[0]
            n_stars = len(est[j + 1]) - len(est[j + 1].rstrip("*"))
            p = want["p_value"]
            assert n_stars == (3 if p < 0.01 else 2 if p < 0.05 else 1 if p < 0.1 else 0)
            assert _close(est[j + 1], want["estimate"]) and _close(se[j + 1], want["std_error"])
            assert se[j + 1].startswith("(") and se[j + 1].endswith(")")
            checked += 1
    assert checked == len(fe) and rows[-1] == ["N", *(str(n) for n in fe.groupby("dependent", sort=False)["nobs"].first())]
    assert fe.loc[fe["term"] == "nqpf", "p_value"].min() < 0.01  # NQPF significant for some outcome


def test_latex_years_and_errors(small_run: Path, tmp_path: Path) -> None:
    paths = write_latex_tables(small_run, tmp_path / "t", years=[2018, 2023])
    text = (tmp_path / "t" / f"{FW}_index.tex").read_text(encoding="utf-8")
    assert "Region & 2018 & 2023 & Rank 2023" in text and "selected years of 2016--2023: 2018, 2023" in text
    assert paths[-1].name == "tables.tex" and not any("linkage" in p.name for p in paths)  # no linkage/ here
    with pytest.raises(ReportTablesError, match="covers 2016-2023, not 2030"):
        write_latex_tables(small_run, tmp_path / "u", years=[2019, 2030])
    (tmp_path / "file").write_text("x")
    with pytest.raises(ReportTablesError, match="is a file"):
        write_latex_tables(small_run, tmp_path / "file")


def test_latex_helpers_hand_cases() -> None:
    assert tex_escape("R&D 50% of $x_1#{a}~^\\") == (
        "R\\&D 50\\% of \\$x\\_1\\#\\{a\\}\\textasciitilde{}\\textasciicircum{}\\textbackslash{}")
    assert [stars(p) for p in (0.0099, 0.01, 0.0499, 0.05, 0.0999, 0.1, float("nan"))] == [
        "***", "**", "**", "*", "*", "", ""]
    assert fmt_number(-1.25, 1) == "$-$1.2" and fmt_number(-0.0004, 3) == "0.000" and fmt_number(None, 2) == ""
    good = "\\begin{table}\n\\begin{tabular}{p{3cm}rr}\na & b & c \\\\\n\\end{tabular}\n\\end{table}\n"
    assert latex_problems(good) == []
    assert "1 unclosed {" in latex_problems(good.replace("{p{3cm}", "{{p{3cm}"))
    assert any("does not match" in p for p in latex_problems(good.replace("\\end{table}", "\\end{figure}")))
    assert any("2 cells in a 3-column" in p for p in latex_problems(good.replace("a & b & c", "a & b")))
    assert any("unescaped _" in p for p in latex_problems(good.replace("a & b", "a_1 & b")))


def test_run_tables_lists_later_tables(run_dir: Path, tmp_path: Path) -> None:
    """Tables a later analysis adds (here under profiles/ and productivity/) plug in without a change."""
    import shutil

    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy, ignore=shutil.ignore_patterns("*.html", "*.npz", "*.parquet"))
    (copy / FW / "profiles").mkdir(exist_ok=True)
    pd.DataFrame({"region_code": ["110000"], "strength": [0.5]}).to_csv(copy / FW / "profiles" / "x.csv", index=False)
    (copy / "productivity").mkdir(exist_ok=True)
    pd.DataFrame({"region_code": ["110000"], "tfp": [1.02]}).to_csv(copy / "productivity" / "tfp.csv", index=False)
    rel = [t.relpath for t in run_tables(copy)]
    assert f"{FW}/profiles/x.csv" in rel and "productivity/tfp.csv" in rel
    assert rel.index(f"{FW}/scores.csv") < rel.index(f"{FW}/regional/dagum_overall.csv")


# -- 3b. LaTeX in Chinese --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tex_zh(run_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tex_zh")
    write_latex_tables(run_dir, folder, lang="zh")
    return folder


def _zh(key: str, **values: object) -> str:
    """A label from the report's bilingual text table (the HTML report's source), in Chinese."""
    from nqpf.report.publication.text import T

    return T[key][1].format(**values)


def _head(text: str) -> list[str]:
    return [c.strip() for c in text.split("\\midrule", 1)[0].rstrip().split("\n")[-1][:-2].split(" & ")]


def test_latex_zh_has_every_table_well_formed_and_says_xelatex(tex: Path, tex_zh: Path) -> None:
    en = sorted(p.name for p in tex.glob("*.tex"))
    assert sorted(p.name for p in tex_zh.glob("*.tex")) == en
    main = (tex_zh / "tables.tex").read_text(encoding="utf-8")
    assert "XeLaTeX" in main and "\\documentclass[UTF8]{ctexart}" in main and "xeCJK" in main
    assert "fontenc" not in main  # T1 is for pdfLaTeX
    for f in en:
        text = (tex_zh / f).read_text(encoding="utf-8")
        assert latex_problems(text) == [], f
        if f != "tables.tex":
            first = text.split("\n", 1)[0]
            assert first.startswith("% ") and "XeLaTeX" in first and "ctex" in first and "xeCJK" in first, f
            caption = re.search(r"\\caption\{(.*)\}", text)
            assert caption and re.search(r"[\u4e00-\u9fff]", caption.group(1)), f  # a Chinese caption
            assert re.search(r"[\u4e00-\u9fff]", text.split("\\footnotesize", 1)[-1]), f  # and a Chinese note


def test_latex_zh_values_equal_csv(run_dir: Path, tex_zh: Path) -> None:
    """The same checks as in English, with Chinese names and headers."""
    s = _csv(run_dir / FW / "scores.csv")
    s = s[s["node"] == "nqpf_index"]
    text = (tex_zh / f"{FW}_index.tex").read_text(encoding="utf-8")
    head = _head(text)
    assert head[0] == _zh("tex_region") == "省份" and head[-1] == _zh("tex_rank_year", year=2023) == "2023 年排名"
    years = [int(h) for h in head[1:-1]]
    assert years[0] == 2016 and years[-1] == 2023
    assert _zh("tex_some_years", y0=2016, y1=2023, years=", ".join(map(str, years))) in text
    meta = json.loads((run_dir / FW / "spec.json").read_text(encoding="utf-8"))
    assert f"\\caption{{{_zh('tex_index_caption', name=tex_escape(meta['name_zh']))}}}" in text
    rows = _rows(text)
    assert len(rows) == 31 and {r[0] for r in rows} == set(s["region_zh"])
    by = s.set_index(["region_zh", "year"])
    for r in rows:
        for cell, y in zip(r[1:-1], years, strict=True):
            assert _close(cell, by.loc[(r[0], y), "score"])
        assert int(r[-1]) == by.loc[(r[0], 2023), "rank"]
    assert by.loc[("北京", 2023), "rank"] == 1
    d = pd.read_csv(tex_zh / f"{FW}_descriptives.csv").set_index("indicator")
    dtext = (tex_zh / f"{FW}_descriptives.tex").read_text(encoding="utf-8")
    assert _head(dtext) == ["指标", "单位", "方向", "样本数", "均值", "标准差", "最小值", "最大值"]
    drows = _rows(dtext)
    assert len(drows) == len(d) == 14
    for r, (_, want) in zip(drows, d.iterrows(), strict=True):
        assert r[0] == tex_escape(want["name_zh"]) and re.search(r"[\u4e00-\u9fff]", r[0]) and int(r[3]) == want["n"]
        for cell, col in zip(r[4:], ("mean", "sd", "min", "max"), strict=True):
            assert _close(cell, want[col]), (r[0], col, cell, want[col])
    w = _csv(run_dir / FW / "weights.csv")
    wtext = (tex_zh / f"{FW}_weights.tex").read_text(encoding="utf-8")
    assert _head(wtext) == ["维度／指标", "方法", "权重", "有效权重"]
    wrows = _rows(wtext)
    assert len(wrows) == len(w)
    assert sorted(round(_num(r[3]), 3) for r in wrows) == sorted(round(float(x), 3) for x in w["effective_weight"])
    dw = _csv(run_dir / FW / "regional" / "dagum_within.csv")
    gtext = (tex_zh / f"{FW}_dagum_groups.tex").read_text(encoding="utf-8")
    assert "{区域内}" in gtext and "{区域间}" in gtext and _head(gtext)[1:5] == list(dict.fromkeys(dw["group_zh"]))
    for r in _rows(gtext):
        assert all(_close(c, v) for c, v in zip(r[1:5], dw[dw["year"] == int(r[0])]["gini"], strict=True))
    o = _csv(run_dir / FW / "regional" / "dagum_overall.csv")
    for r, (_, want) in zip(_rows((tex_zh / f"{FW}_dagum.tex").read_text(encoding="utf-8")), o.iterrows(), strict=True):
        assert int(r[0]) == want["year"] and _close(r[1], want["gini"]) and _close(r[-1], want["transvariation_share"])
    conv = _csv(run_dir / FW / "regional" / "convergence.csv")
    ctext = (tex_zh / f"{FW}_convergence.tex").read_text(encoding="utf-8")
    assert _head(ctext) == ["检验", "系数", "标准误", "$p$", "半衰期（年）", "样本数"]
    crows = _rows(ctext)
    assert crows[0][0] == "$\\sigma$：对数指数标准差的趋势" and crows[-1][0] == "$\\beta$ (绝对)"
    for r, (_, want) in zip(crows, conv.iterrows(), strict=True):
        assert _close(r[1], want["coef"]) and int(r[-1]) == want["nobs"]


def test_latex_zh_regressions(run_dir: Path, tex_zh: Path) -> None:
    from nqpf.linkage.analysis import CHANNEL_NAMES

    fe = _csv(run_dir / "linkage" / "fe_coefficients.csv")
    text = (tex_zh / "linkage_fe_coefficients.tex").read_text(encoding="utf-8")
    deps = list(dict.fromkeys(fe["dependent"]))
    assert _head(text)[1:] == [f"({i}) {CHANNEL_NAMES[d][1]}" for i, d in enumerate(deps, start=1)]
    assert "括号内为按省份聚类的标准误。*** $p<0.01$，** $p<0.05$，* $p<0.1$。" in text
    rows = _rows(text)
    terms = list(dict.fromkeys(fe["term"]))
    assert rows[0][0] == "新质生产力" and "政府规模" in [r[0] for r in rows]
    for k, term in enumerate(terms):
        for j, dep in enumerate(deps):
            want = fe[(fe["term"] == term) & (fe["dependent"] == dep)].iloc[0]
            est, se = rows[2 * k][j + 1], rows[2 * k + 1][j + 1]
            assert len(est) - len(est.rstrip("*")) == len(stars(want["p_value"]))
            assert _close(est, want["estimate"]) and _close(se, want["std_error"])


def test_report_lang_zh_writes_the_chinese_tex(small_run: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from nqpf.cli import app

    r = CliRunner().invoke(app, ["report", str(small_run), "--out", str(tmp_path / "rep"), "--lang", "zh",
                                 "--formats", "tex"])
    assert r.exit_code == 0, r.output
    text = (tmp_path / "rep" / "tex-zh" / f"{FW}_weights.tex").read_text(encoding="utf-8")
    assert text.startswith("% ") and "XeLaTeX" in text.split("\n", 1)[0] and "\\caption{权重：" in text
    assert not (tmp_path / "rep" / "tex").exists()
    with pytest.raises(ReportTablesError, match="unknown language 'fr'"):
        write_latex_tables(small_run, tmp_path / "fr", lang="fr")

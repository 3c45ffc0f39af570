"""`nqpf report` on a real run: the report (HTML, PDF), print figures and the briefing.

One real run (nqpf-three-elements 2.0, 100 robustness draws) and one report per language are
made once for the module; the tests read them. Every number a sentence uses is recomputed
here from the run's CSV tables, independently of the report code.
"""

from __future__ import annotations

import ctypes
import json
import re
import string
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from typer.testing import CliRunner

from nqpf.cli import app
from nqpf.report.publication.text import t

FW = "nqpf-three-elements"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    tmp = tmp_path_factory.mktemp("reportrun")
    out = tmp / "out"
    res = CliRunner().invoke(app, ["run", "--data", str(data_dir), "--store", str(tmp / "s.duckdb"), "--out", str(out),
                                   "-f", FW, "--robustness", "100", "--no-analyses"])
    assert res.exit_code == 0, res.output
    return out


@pytest.fixture(scope="module")
def report_zh(run_dir: Path) -> Path:
    out = run_dir / "report"
    res = CliRunner().invoke(app, ["report", str(run_dir), "--lang", "zh", "--out", str(out)])
    assert res.exit_code == 0, res.output
    return out


@pytest.fixture(scope="module")
def report_en(run_dir: Path) -> Path:
    out = run_dir / "report-en"
    res = CliRunner().invoke(app, ["report", str(run_dir), "--lang", "en", "--out", str(out),
                                   "--formats", "html,briefing"])
    assert res.exit_code == 0, res.output
    return out


# -- independent checks ------------------------------------------------------------------------
def _fmt(value: float, digits: int | None) -> str:
    return f"{value:.{digits}f}" if digits is not None else f"{round(value):d}"


def _check_fact(run_dir: Path, f: dict[str, Any], facts: dict[str, dict[str, Any]]) -> float:
    """Recompute one fact from the run's tables; returns the value and asserts its text."""
    agg = f["agg"]
    if agg in ("diff", "ratio", "pct"):
        a, b = (_check_fact(run_dir, facts[k], facts) for k in f["args"])
        v = {"diff": abs(a - b), "ratio": a / b, "pct": abs(100 * (b / a - 1))}[agg]
    else:
        df = pd.read_csv(run_dir / f["table"], dtype={"region_code": str})
        for col, want in f["where"].items():
            df = df[df[col].isin(want)] if isinstance(want, list) else df[df[col] == want]
        if agg == "value":
            assert len(df) == 1, f
            v = float(df[f["column"]].iloc[0])
        elif agg == "mean":
            assert len(df) >= 1, f
            v = float(df[f["column"]].mean())
        elif agg == "count":
            v = float(len(df))
        elif agg == "robust_count":
            v = float(((df["rank_p95"] - df["rank_p05"]) <= 3).sum())
        elif agg == "year":
            assert int(f["value"]) in set(df["year"].astype(int)), f
            v = float(f["value"])
        else:
            raise AssertionError(f"unknown agg {agg}")
    assert v == pytest.approx(f["value"], abs=1e-12), f
    suffix = "%" if f["text"].endswith("%") else ""
    assert f["text"] == _fmt(v, f["digits"]) + suffix, (f, v)
    return v


class _Loads(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.scripts += tag == "script"
        for name, value in attrs:
            if name in {"src", "href", "data", "srcset", "poster", "action"} and value:
                self.refs.append(value)


def _ink(img: np.ndarray) -> float:
    """Share of pixels that are not (near) white."""
    return float((img.min(axis=2) < 235).mean())


def _page_with(pdf: pdfium.PdfDocument, needle: str, start: int = 0) -> int:
    for i in range(start, len(pdf)):
        if needle in pdf[i].get_textpage().get_text_range():
            return i
    raise AssertionError(f"no page with {needle!r}")


def _fonts(page: pdfium.PdfPage) -> set[tuple[str, bool]]:
    out = set()
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_TEXT]):
        font = pdfium_c.FPDFTextObj_GetFont(obj.raw)
        n = pdfium_c.FPDFFont_GetBaseFontName(font, None, 0)
        buf = ctypes.create_string_buffer(n)
        pdfium_c.FPDFFont_GetBaseFontName(font, buf, n)
        out.add((buf.value.decode(), bool(pdfium_c.FPDFFont_GetIsEmbedded(font))))
    return out


# -- tests -------------------------------------------------------------------------------------
def test_report_writes_every_output(report_zh: Path) -> None:
    for name in ("report-zh.html", "report-zh.pdf", "report-zh.facts.json", "briefing-zh.html", "briefing-zh.pdf",
                 "briefing-zh.facts.json"):
        assert (report_zh / name).is_file() and (report_zh / name).stat().st_size > 1000, name
    figs = sorted((report_zh / "figures").iterdir())
    names = {p.name for p in figs}
    for key in ("map", "ranking", "trend-national", "trend-regions"):
        assert f"{FW}-{key}-zh.svg" in names and f"{FW}-{key}-zh.png" in names
    from PIL import Image

    with Image.open(report_zh / "figures" / f"{FW}-map-zh.png") as im:
        assert round(im.info["dpi"][0]) >= 300 and im.width >= 1800  # 6.8 in at 300 dpi
    svg = (report_zh / "figures" / f"{FW}-ranking-zh.svg").read_text(encoding="utf-8")
    assert "<svg" in svg and "<path" in svg


def test_pdf_shows_map_ranking_and_a_chinese_profile(report_zh: Path) -> None:
    pdf = pdfium.PdfDocument(report_zh / "report-zh.pdf")
    assert len(pdf) > 31  # one profile page per province and the sections
    blank = _ink(pdf.new_page(595, 842).render(scale=1, rev_byteorder=True).to_numpy())
    assert blank == 0.0
    # the map: a page with many coloured (viridis) pixels
    mp = pdf[_page_with(pdf, t("map", "zh") + " · 2023")].render(scale=1, rev_byteorder=True).to_numpy().astype(int)
    colour = (mp.max(axis=2) - mp.min(axis=2)) > 60
    assert colour.mean() > 0.05
    # the ranking chart with its rank-uncertainty bars (light blue #9ecae1)
    rp = pdf[_page_with(pdf, t("interval", "zh"))].render(scale=1, rev_byteorder=True).to_numpy().astype(int)
    bars = (abs(rp[..., 0] - 0x9E) < 12) & (abs(rp[..., 1] - 0xCA) < 12) & (abs(rp[..., 2] - 0xE1) < 12)
    assert bars.sum() > 500
    # a profile page in Chinese: Beijing's, with its CJK glyphs drawn and an embedded CJK font
    i = _page_with(pdf, "北京 Beijing")
    page = pdf[i]
    img = page.render(scale=2, rev_byteorder=True).to_numpy()
    assert _ink(img) > 0.01
    tp = page.get_textpage()
    idx = tp.get_text_range().index("北京")
    h = page.get_height()
    for k in (idx, idx + 1):  # each glyph's box holds ink
        left, bottom, right, top = tp.get_charbox(k)
        box = img[int((h - top) * 2):int((h - bottom) * 2) + 1, int(left * 2):int(right * 2) + 1]
        assert box.size and _ink(box) > 0.05, (k, box.shape)
    fonts = _fonts(page)
    assert any("CJK" in name and embedded for name, embedded in fonts), fonts


def test_html_loads_no_external_resource(report_zh: Path, report_en: Path) -> None:
    for path in (report_zh / "report-zh.html", report_zh / "briefing-zh.html", report_en / "report-en.html",
                 report_en / "briefing-en.html"):
        text = path.read_text(encoding="utf-8")
        p = _Loads()
        p.feed(text)
        assert p.scripts == 0
        assert p.refs and all(r.startswith("data:") for r in p.refs), [r[:40] for r in p.refs if not r.startswith("data:")]
        assert "@import" not in text
        assert not re.search(r"url\((?!\s*['\"]?data:)", text)
        assert not re.search(r"(src|href)\s*=\s*['\"]?(https?:)?//", text)


def test_report_numbers_match_the_run_tables(run_dir: Path, report_en: Path) -> None:
    html = (report_en / "report-en.html").read_text(encoding="utf-8")
    scores = pd.read_csv(run_dir / FW / "scores.csv", dtype={"region_code": str})
    last = scores[(scores["node"] == "nqpf_index") & (scores["year"] == scores["year"].max())].sort_values("rank")
    # the ranking table: every row's rank, province and score
    table = html.split(f"id='ranking-{FW}'")[1].split("</table>")[0]
    rows = re.findall(r"<tr><td class='num'>(\d+)</td><td>([^<]+)</td><td class='num'>([0-9.]+)</td>", table)
    assert len(rows) == 31
    for (rank, name, score), rec in zip(rows, last.itertuples(), strict=True):
        assert (int(rank), name, score) == (int(rec.rank), rec.region_en, f"{rec.score:.3f}")
    # the facts behind the sentences: recomputed from the tables and found in the text
    facts = {f["key"]: f for f in json.loads((report_en / "report-en.facts.json").read_text(encoding="utf-8"))}
    assert len(facts) > 150
    sample = [k for i, k in enumerate(sorted(facts)) if i % 3 == 0]
    for key in sample:
        _check_fact(run_dir, facts[key], facts)
        assert facts[key]["text"] in html, key
    lead = t("ranking_lead", "en", y1=2023, p1="Beijing", s1=facts["ranking.first.score"]["text"], p2="Shanghai",
             s2=facts["ranking.second.score"]["text"], pn="Tibet", sn=facts["ranking.last.score"]["text"])
    assert lead in html


def test_every_briefing_number_equals_the_tables(run_dir: Path, report_zh: Path, report_en: Path) -> None:
    for folder, lang in ((report_en, "en"), (report_zh, "zh")):
        doc = json.loads((folder / f"briefing-{lang}.facts.json").read_text(encoding="utf-8"))
        facts = {f["key"]: f for f in doc["facts"]}
        html = (folder / f"briefing-{lang}.html").read_text(encoding="utf-8")
        pdf_text = "".join(p.get_textpage().get_text_range() for p in pdfium.PdfDocument(folder / f"briefing-{lang}.pdf"))
        assert len(pdfium.PdfDocument(folder / f"briefing-{lang}.pdf")) == 2
        for f in facts.values():
            _check_fact(run_dir, f, facts)
        sentences = doc["sentences"]
        assert len(sentences) >= 15
        assert sum(s["key"].startswith("finding") for s in sentences) == 3
        for s in sentences:
            assert s["text"] == t(s["key"], lang, **s["fields"])
            assert s["text"] in html.replace("&#x27;", "'")
            assert re.sub(r"\s", "", s["text"])[:12] in re.sub(r"\s", "", pdf_text)
            # every value with a digit is a recorded fact, shown as the fact's text (a sign at most added)
            for name, value in s["fields"].items():
                if any(c in string.digits for c in value) and name != "name":
                    assert name in s["numbers"], (s["key"], name, value)
                    assert value.lstrip("+-") == facts[s["numbers"][name]]["text"], (s["key"], name)
        top = [s for s in sentences if s["key"] == "brief_top_iv"]
        assert len(top) == 10 and top[0]["fields"]["p"] in ("Beijing", "北京")


def test_absent_analyses_are_listed_and_tables_plug_in(run_dir: Path, report_en: Path, tmp_path: Path) -> None:
    import shutil

    from nqpf.regional import SigmaConvergence
    from nqpf.report.publication.context import read_run
    from nqpf.report.publication.document import _Builder
    from nqpf.runs import load_run

    html = (report_en / "report-en.html").read_text(encoding="utf-8")
    section = html.split("<section id='absent'")[1]
    for name in ("regional/dagum_overall.csv", "regional/sigma.csv", "linkage/fe_coefficients.csv",
                 "profiles/investor_matrix.csv"):
        assert name in section
    # nqpf run measured productivity (job level) but had no HQD index for the linkage
    assert "productivity/tfp_growth_accounting.csv" not in section
    assert "The run has no Disparity tables" in html
    # a later analysis plugs in by writing its table under the listed name
    copy = tmp_path / FW
    shutil.copytree(run_dir / FW, copy, ignore=shutil.ignore_patterns("robustness", "summary.html"))
    sig = SigmaConvergence(load_run(copy)).table
    (copy / "regional").mkdir()
    sig.to_csv(copy / "regional" / "sigma.csv", index=False)
    ctx = read_run(copy)
    fw = ctx.framework()
    assert "sigma" in fw.tables and ("convergence", "sigma") not in {(s, r.key) for s, r in fw.absent}
    body = _Builder(ctx, "en", None).analysis(fw, "convergence")
    assert "Sigma convergence" in body and f"{float(sig['sd_log'].iloc[0]):.3f}" in body


@pytest.mark.parametrize(("args", "needle"), [
    (["report", "/no/such/run"], "does not exist"),
    (["report", "{tmp}"], "not a run folder"),
    (["report", "{run}", "--formats", "html,docx"], "unknown format 'docx'"),
    (["report", "{run}", "--lang", "fr"], "unknown language 'fr'"),
])
def test_bad_input_is_one_line_exit_2(args: list[str], needle: str, run_dir: Path, tmp_path: Path) -> None:
    res = CliRunner().invoke(app, [a.format(tmp=tmp_path, run=run_dir) for a in args])
    assert res.exit_code == 2, res.output
    lines = [x for x in res.output.splitlines() if x.strip()]
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in res.output


def test_report_writes_all_four_outputs_by_default(report_zh: Path, run_dir: Path) -> None:
    """`nqpf report` with no --formats: HTML+PDF, figures, briefing, the workbook and the LaTeX tables;
    the workbook's score sheet holds the run's scores.csv and the LaTeX weights equal weights.csv."""
    from openpyxl import load_workbook

    for name in ("report-zh.html", "report-zh.pdf", "briefing-zh.pdf", "nqpf-tables-zh.xlsx", "tex-zh/tables.tex"):
        assert (report_zh / name).is_file(), name
    assert list((report_zh / "figures").glob("*.png")) and list((report_zh / "figures").glob("*.svg"))
    wb = load_workbook(report_zh / "nqpf-tables-zh.xlsx", read_only=True)
    sheet = next(n for n in wb.sheetnames if n.endswith("scores"))
    rows = list(wb[sheet].iter_rows(values_only=True))
    scores = pd.read_csv(run_dir / FW / "scores.csv")
    assert len(rows) - 1 == len(scores)
    header = list(rows[0])
    col = header.index("score")
    np.testing.assert_array_equal([r[col] for r in rows[1:]], scores["score"].to_numpy())
    tex = (report_zh / "tex-zh" / f"{FW}_weights.tex").read_text(encoding="utf-8")
    assert "\\toprule" in tex and "\\bottomrule" in tex

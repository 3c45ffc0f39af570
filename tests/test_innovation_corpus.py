"""Readers of the shipped formats, region/year rules, and bad files named in errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from nqpf.innovation.corpus import (
    CorpusError,
    CorpusFile,
    detect_format,
    discover,
    infer_region,
    read_documents,
    read_manifest,
)
from nqpf.innovation.matching import normalize


def _docs(path: Path, fmt: str | None = None) -> list[tuple[object, str]]:
    cf = CorpusFile(path, fmt or detect_format(path) or "text")
    return [(d.meta, "\n".join(d.pieces)) for d in read_documents(cf)]


def test_region_rules() -> None:
    assert infer_region("包头市人民政府办公室关于印发《包头市2022年数字政府建设考评办法》的通知") == "150000"
    assert infer_region("阿坝州人民政府办公室关于印发《阿坝州政务数据资源管理暂行办法》的通知") == "510000"
    assert infer_region("北京市经济和信息化局印发") == "110000"
    assert infer_region("2024年中华人民共和国国务院政府工作报告") == "100000"
    assert infer_region("某公司年度报告") is None


def test_wikisource_records_strip_footer_and_year(data_dir: Path) -> None:
    docs = _docs(data_dir / "text" / "gwr_national_wikisource" / "government_work_reports.jsonl")
    assert len(docs) == 72
    meta, text = docs[0]
    assert meta.year == 2025 and meta.region_code == "100000"  # type: ignore[attr-defined]
    assert "公有领域" not in text and "Public domain" not in text
    years = {m.year for m, _ in docs}  # type: ignore[attr-defined]
    assert 2020 in years  # the NPC resolution of 2020 (13th NPC, 3rd session), dated by its title
    cpc = _docs(data_dir / "text" / "gwr_national_wikisource" / "cpc_congress_reports.jsonl")
    assert {m.year for m, _ in cpc} >= {1921, 2017, 2022}  # type: ignore[attr-defined]


def test_tmx_reads_one_language(data_dir: Path) -> None:
    path = data_dir / "text" / "gwr_national_tmx" / "GR2020.tmx"
    (meta, zh), = _docs(path)
    assert meta.year == 2020 and meta.region_code == "100000" and meta.lang == "zh"  # type: ignore[attr-defined]
    en = [(d.meta, "\n".join(d.pieces)) for d in read_documents(CorpusFile(path, "tmx"), tmx_lang="en")]
    assert en[0][1].startswith("REPORT ON THE WORK OF THE GOVERNMENT")
    assert en[0][0].region_code == "100000" and en[0][0].doc_id == "GR2020#en"  # type: ignore[attr-defined]
    han = sum(1 for ch in zh if "\u4e00" <= ch <= "\u9fff")
    assert 9800 <= han <= 10100  # SOURCES.md: 9,947 Han characters


def test_pages_and_html_annual_reports(data_dir: Path) -> None:
    folder = data_dir / "text" / "annual_reports_finglm"
    txt = next(folder.glob("*安靠智电*.txt"))
    assert detect_format(txt) == "pages"
    (meta, text), = _docs(txt)
    assert meta.year == 2019 and meta.region_code is None  # type: ignore[attr-defined]  # firms: manifest only
    assert "江苏安靠智能输电工程科技股份有限公司2019年年度报告全文" not in text  # page headers dropped
    html = next(folder.glob("*.html"))
    (hmeta, htext), = _docs(html)
    assert "<h>" not in htext and "经营情况讨论与分析" in htext and hmeta.region_code is None  # type: ignore[attr-defined]


def test_markdown_news_and_policy_text(data_dir: Path) -> None:
    (meta, text), = _docs(data_dir / "text" / "news_xwlb" / "news" / "20240803.md")
    assert meta.year == 2024 and meta.region_code == "100000"  # type: ignore[attr-defined]
    assert "<p>" not in text and normalize(text).count("新质生产力") == 31  # selection.tsv says 31
    (pmeta, ptext), = _docs(next((data_dir / "text" / "policy_digital_pkulaw").glob("阿坝州*.txt")))
    assert pmeta.region_code == "510000" and pmeta.year == 2021  # type: ignore[attr-defined]
    assert "法宝引证码" not in ptext


def test_manifest_overrides(tmp_path: Path, data_dir: Path) -> None:
    src = next((data_dir / "text" / "annual_reports_finglm").glob("*安靠智电*.txt"))
    man = tmp_path / "m.csv"
    man.write_text(f"path,doc_id,region,year\n{src},anke,江苏,2019\n", encoding="utf-8")
    (cf,) = read_manifest(man)
    assert cf.region_code == "320000" and cf.format == "pages"
    (doc,) = read_documents(cf)
    assert doc.meta.doc_id == "anke" and doc.meta.region_code == "320000"
    bad = tmp_path / "bad.csv"
    bad.write_text("path,region\nx.txt,Atlantis\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"bad\.csv, line 2.*Atlantis"):
        read_manifest(bad)


def test_discover_skips_documentation(data_dir: Path) -> None:
    files = discover(data_dir / "text")
    names = {f.path.name for f in files}
    assert "SOURCES.md" not in names and "selection.tsv" not in names
    assert len(files) == 2 + 15 + 5 + 3 + 771 + 1  # + gwr_provincial/documents.jsonl
    assert not any("raw" in f.path.relative_to(data_dir / "text").parts for f in files)  # originals are not documents
    assert all(f.refused is None for f in files)
    prov = [f for f in files if f.path.parent.name == "gwr_provincial"]
    assert [f.path.name for f in prov] == ["documents.jsonl"] and prov[0].format == "records"


@pytest.mark.parametrize(
    ("name", "payload", "reason"),
    [
        ("empty.txt", b"", "empty"),
        ("blob.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        ("gbk.txt", "人工智能推动新质生产力发展".encode("gb18030") * 20, "not valid UTF-8.*GB18030"),
        ("utf16.md", "人工智能推动新质生产力发展".encode("utf-16"), "UTF-16"),
        ("late.txt", "新质生产力\n".encode() * 3000 + "人工智能".encode("gb18030"), r"line 3001\] not valid UTF-8"),
        ("broken.jsonl", b'{"content": "ok"}\n{"content": \n', "malformed JSON"),
        ("broken.tmx", b"<tmx><body><tu><tuv xml:lang='zh-CN'><seg>x</seg></tu></body>", "malformed TMX"),
    ],
)
def test_bad_files_raise_naming_the_file(tmp_path: Path, name: str, payload: bytes, reason: str) -> None:
    p = tmp_path / name
    p.write_bytes(payload)
    with pytest.raises(CorpusError, match=reason) as info:
        for d in read_documents(CorpusFile(p, detect_format(p) or "text")):
            list(d.pieces)
    assert info.value.file == str(p) and name in str(info.value)


def test_html_blocks_are_cut_outside_tags(data_dir: Path) -> None:
    from nqpf.innovation.corpus import _html_pieces

    path = next((data_dir / "text" / "annual_reports_finglm").glob("*.html"))  # one 850 kB line
    whole = normalize("\n".join(_html_pieces(path, False, block=1 << 30, chunk=1 << 30)))
    small = normalize("\n".join(_html_pieces(path, False, block=997, chunk=1013)))
    assert small == whole and len(whole) > 100_000

"""Hostile input to the innovation code (issue 8): explicit file arguments, a corpus that stays inside
its root, encoding errors by line, escaped output, and YAML alias bombs refused."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nqpf.cli import app
from nqpf.innovation.corpus import CorpusError, CorpusFile, detect_format, discover, read_documents
from nqpf.innovation.exposure import measure_exposure
from nqpf.innovation.taxonomy import Taxonomy, TaxonomyError

runner = CliRunner()
GOOD = "某钢厂建成氢基竖炉，以绿氢替代焦炭，年节约成本1.2亿元，周边居民空气质量明显改善。"
BOMB = 'a: &a ["lol","lol","lol"]\nb: &b [*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b]\nfield: 人工智能\n'


def _flat(s: str) -> str:
    return " ".join(s.split())


# -- qualify: file arguments are explicit ----------------------------------------------------------------
@pytest.mark.parametrize("arg", ["/no/such/dir/description.txt", "missing.yaml", "./notes"])
def test_missing_path_is_not_qualified_as_text(arg: str) -> None:
    res = runner.invoke(app, ["innovation", "qualify", arg])
    assert res.exit_code == 2
    assert "does not exist" in _flat(res.output) and "--file" in _flat(res.output)


def test_directory_is_refused(tmp_path: Path) -> None:
    res = runner.invoke(app, ["innovation", "qualify", str(tmp_path)])
    assert res.exit_code == 2 and "is a directory" in _flat(res.output) and "--batch" in _flat(res.output)
    res = runner.invoke(app, ["innovation", "qualify", "--file", str(tmp_path)])
    assert res.exit_code == 2 and "is a directory" in _flat(res.output)
    res = runner.invoke(app, ["innovation", "qualify", "--file", str(tmp_path / "none.txt")])
    assert res.exit_code == 2 and "does not exist" in _flat(res.output)


def test_text_and_file_still_work(tmp_path: Path) -> None:
    assert "qualifies" in runner.invoke(app, ["innovation", "qualify", GOOD]).output
    p = tmp_path / "d.txt"
    p.write_text(GOOD, encoding="utf-8")
    for args in (["--file", str(p)], [str(p)]):
        res = runner.invoke(app, ["innovation", "qualify", *args])
        assert res.exit_code == 0 and "qualifies / 符合" in res.output
    res = runner.invoke(app, ["innovation", "qualify", GOOD, "--file", str(p)])
    assert res.exit_code == 2 and "exactly one of" in _flat(res.output)


# -- corpus reading stays inside the root --------------------------------------------------------------
@pytest.fixture()
def outside(tmp_path: Path) -> Path:
    secret = tmp_path / "outside" / "passwd.txt"
    secret.parent.mkdir()
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n新质生产力\n", encoding="utf-8")
    return secret


def test_symlink_out_of_the_corpus_is_refused(tmp_path: Path, outside: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "ok.txt").write_text("2024年报告\n人工智能推动新质生产力发展\n", encoding="utf-8")
    os.symlink(outside, corpus / "link.txt")
    files = {f.path.name: f for f in discover(corpus)}
    assert files["ok.txt"].refused is None and "outside the corpus root" in (files["link.txt"].refused or "")
    res = measure_exposure(corpus)
    assert [d for d in res.documents["title"] if "root:x" in d] == []
    assert len(res.failures) == 1 and "symlink" in res.failures[0].reason and "--allow-outside" in res.failures[0].reason
    allowed = measure_exposure(corpus, allow_outside=True)
    assert not allowed.failures and len(allowed.documents) == 2
    out = runner.invoke(app, ["innovation", "exposure", str(corpus), "--no-progress"])
    assert out.exit_code == 0 and "outside the corpus root" in _flat(out.output)


def test_manifest_path_out_of_the_corpus_is_refused(tmp_path: Path, outside: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    man = corpus / "manifest.csv"
    man.write_text(f"path,doc_id\n../outside/{outside.name},x\n{outside},y\n", encoding="utf-8")
    res = measure_exposure(man)
    assert res.documents.empty and len(res.failures) == 2
    assert all("outside the corpus root" in f.reason for f in res.failures)
    assert len(measure_exposure(man, allow_outside=True).documents) == 2


# -- encoding errors are reported where they occur ----------------------------------------------------
@pytest.mark.parametrize("name", ["mixed.txt", "mixed.md", "mixed.jsonl", "mixed.html"])
def test_mixed_utf8_and_gbk_names_the_line(tmp_path: Path, name: str) -> None:
    good = '{"content": "新质生产力"}\n' if name.endswith(".jsonl") else "新质生产力发展\n"
    p = tmp_path / name
    p.write_bytes(good.encode() * 3 + "人工智能推动产业升级\n".encode("gb18030") + good.encode())
    with pytest.raises(CorpusError, match=r"line 4\] not valid UTF-8.*GB18030") as info:
        for d in read_documents(CorpusFile(p, detect_format(p) or "text")):
            list(d.pieces)
    assert info.value.line == 4


def test_qualify_file_encoding_error_names_the_line(tmp_path: Path) -> None:
    p = tmp_path / "d.txt"
    p.write_bytes(GOOD.encode() + b"\n" + "人工智能".encode("gb18030") + b"\n")
    res = runner.invoke(app, ["innovation", "qualify", "--file", str(p)])
    assert res.exit_code == 2 and "line 2" in _flat(res.output) and "GB18030" in _flat(res.output)


# -- output from data or paths is escaped ------------------------------------------------------------------
def test_markup_and_control_characters_are_escaped(tmp_path: Path) -> None:
    name = "evil[/x][bold red]\x1b[31m.txt"
    res = runner.invoke(app, ["innovation", "qualify", "--file", str(tmp_path / name)])
    assert res.exit_code == 2
    assert "\x1b" not in res.output and "\\x1b" in res.output and "[/x]" in res.output
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "evil[bold red]\x1b[31m.txt").write_bytes(b"")  # an empty file: a failure that prints its path
    res = runner.invoke(app, ["innovation", "exposure", str(corpus), "--no-progress"])
    assert res.exit_code == 0, res.output
    assert "\x1b" not in res.output and "evil[bold red]\\x1b[31m.txt" in _flat(res.output)


def test_batch_errors_are_escaped(tmp_path: Path) -> None:
    p = tmp_path / "b.jsonl"
    p.write_text('{"id": "[/x]\\u001b[2J", "text": ""}\n{"id": "ok", "text": "' + GOOD + '"}\n', encoding="utf-8")
    res = runner.invoke(app, ["innovation", "qualify", "--batch", str(p), "--no-progress"])
    assert res.exit_code == 0
    assert "\x1b" not in res.output and "(id [/x]\\x1b[2J): empty text" in _flat(res.output)


# -- YAML alias bombs --------------------------------------------------------------------------------------
def test_alias_bombs_are_refused(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(BOMB, encoding="utf-8")
    res = runner.invoke(app, ["innovation", "qualify", "--file", str(bomb)])
    assert res.exit_code == 2 and "aliases" in _flat(res.output)
    with pytest.raises(TaxonomyError, match="aliases"):
        Taxonomy.default().extend(bomb)
    for cmd in (["taxonomy"], ["exposure", str(tmp_path)]):
        res = runner.invoke(app, ["innovation", *cmd, "--taxonomy", str(bomb)])
        assert res.exit_code == 2 and "aliases" in _flat(res.output)


def test_shipped_yaml_goes_through_the_safe_loader(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    qualify_mod = importlib.import_module("nqpf.innovation.qualify")
    taxonomy_mod = importlib.import_module("nqpf.innovation.taxonomy")

    calls: list[str] = []
    real = qualify_mod.load_yaml

    def spy(source: object, **kw: object) -> object:
        calls.append(str(kw.get("name")))
        return real(source, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(qualify_mod, "load_yaml", spy)
    monkeypatch.setattr(taxonomy_mod, "load_yaml", spy)
    taxonomy_mod._default_doc.cache_clear()
    try:
        qualify_mod.Qualifier()
    finally:
        taxonomy_mod._default_doc.cache_clear()
    assert "qualifier_cues.yaml" in calls and taxonomy_mod.DEFAULT_TAXONOMY in calls

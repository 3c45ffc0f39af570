"""Batch qualification: 10,000 descriptions with bad rows (reported by line), CSV, JSONL and XLSX, local and Dask."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from nqpf.cli import app
from nqpf.innovation.batch import BatchError, qualify_batch
from nqpf.innovation.evaluation import load_eval_set
from nqpf.innovation.qualify_fitted import DEFAULT_MODEL, qualifier_for

EVAL = Path(__file__).resolve().parents[1] / "benchmarks" / "data" / "qualifier_eval.csv"
runner = CliRunner()


@pytest.fixture(scope="module")
def texts() -> pd.DataFrame:
    return load_eval_set(EVAL)


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory: pytest.TempPathFactory, texts: pd.DataFrame) -> tuple[Path, dict[int, str]]:
    """10,000 data rows from the evaluation set (repeated), with bad rows at known lines."""
    path = tmp_path_factory.mktemp("batch") / "descriptions.csv"
    bad: dict[int, str] = {}
    lines = [b"id,text,source\n"]
    for i in range(10_000):
        line_no = i + 2
        if i == 10:
            lines.append(b"r10,,eval\n")
            bad[line_no] = "empty text"
        elif i == 500:
            lines.append(b"r500,\"\x00\x01\x02binary\",eval\n")
            bad[line_no] = "binary content (NUL bytes)"
        elif i == 777:
            lines.append("r777,人工智能推动新质生产力发展".encode("gb18030") + b",eval\n")
            bad[line_no] = "binary content: not UTF-8"
        elif i == 4242:
            lines.append(b"r4242,only two fields\n")
            bad[line_no] = "wrong columns: 2 fields, the header has 3"
        else:
            t = texts["text"].iloc[i % len(texts)]
            buf = []
            w = csv.writer(_Collect(buf))
            w.writerow([f"r{i}", t, "eval"])
            lines.append("".join(buf).encode("utf-8"))
    path.write_bytes(b"".join(lines))
    return path, bad


class _Collect:
    def __init__(self, buf: list[str]) -> None:
        self.buf = buf

    def write(self, s: str) -> None:
        self.buf.append(s.replace("\r\n", "\n"))


def test_ten_thousand_rows_with_bad_rows(big_csv: tuple[Path, dict[int, str]], texts: pd.DataFrame) -> None:
    path, bad = big_csv
    res = qualify_batch(path, backend="local")
    assert len(res.results) == 10_000 - len(bad)
    assert [e.line for e in res.errors] == sorted(bad)
    for e in res.errors:
        assert e.reason.startswith(bad[e.line]), (e.line, e.reason)
    assert res.unique_texts == len(texts)
    first = res.results.iloc[0]
    assert first["line"] == 2 and first["id"] == "r0"
    assert DEFAULT_MODEL == "hybrid"  # the batch default is the hybrid, as on the command line
    q = qualifier_for("hybrid").qualify(texts["text"].iloc[0])
    assert first["verdict"] == q.verdict.value and first["confidence"] == round(q.confidence, 4)
    assert first["rule"] == q.rule and first["rule"].startswith("hybrid:")
    # scored in chunks, the batch gives what one call per text gives
    hybrid = qualifier_for("hybrid")
    for r in res.results.iloc[::331].itertuples(index=False):
        one = hybrid.qualify(texts["text"].iloc[(r.line - 2) % len(texts)])
        assert (r.verdict, r.confidence, r.rule) == (one.verdict.value, round(one.confidence, 4), one.rule), r.line
    assert first["phrases"] == ";".join(q.phrases)
    # the verdicts are the qualifier's on the same texts: the eval labels are reproduced
    labels = dict(zip(texts["text"], texts["label"], strict=True))
    good = res.results.merge(pd.DataFrame({"line": [i + 2 for i in range(10_000)],
                                           "text": [texts["text"].iloc[i % len(texts)] for i in range(10_000)]}), on="line")
    assert (good["verdict"] == good["text"].map(labels)).mean() >= 0.9


def test_cli_batch_reports_bad_rows_and_writes(big_csv: tuple[Path, dict[int, str]], tmp_path: Path) -> None:
    path, bad = big_csv
    out = tmp_path / "out.csv"
    res = runner.invoke(app, ["innovation", "qualify", "--batch", str(path), "--out", str(out), "--no-progress"])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "9996 description(s) qualified" in text and "4 bad row(s)" in text
    assert all(f"line {n}" in text for n in bad)
    written = pd.read_csv(out)
    assert len(written) == 9996 and list(written.columns[:4]) == ["line", "id", "verdict", "verdict_zh"]
    errors = pd.read_csv(tmp_path / "out_errors.csv")
    assert errors["line"].tolist() == sorted(bad)


def test_jsonl_and_xlsx(tmp_path: Path) -> None:
    good = "某钢厂建成氢基竖炉，以绿氢替代焦炭，年节约成本1.2亿元，周边居民空气质量明显改善。"
    j = tmp_path / "d.jsonl"
    j.write_text("\n".join([json.dumps({"id": "a", "text": good}, ensure_ascii=False), '{"id": "b", "txt": "wrong key"}',
                            "{not json", json.dumps({"id": "d", "text": "   "})]) + "\n", encoding="utf-8")
    res = qualify_batch(j)
    assert res.results["id"].tolist() == ["a"] and res.results["verdict"].tolist() == ["qualifies"]
    assert [(e.line, e.reason.split(":")[0]) for e in res.errors] == [(2, "wrong column"), (3, "malformed JSON"), (4, "empty text")]
    x = tmp_path / "d.xlsx"
    pd.DataFrame({"编号": ["x1", "x2"], "描述": [good, None]}).to_excel(x, index=False)
    rx = qualify_batch(x)
    assert rx.results["id"].tolist() == ["x1"] and [(e.line, e.reason) for e in rx.errors] == [(3, "empty text")]


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [("id,body\n1,x\n", "t.csv", "no text column"), ("a", "t.docx", "unknown batch format")],
)
def test_unreadable_batch_files(tmp_path: Path, content: str, name: str, message: str) -> None:
    p = tmp_path / name
    p.write_text(content, encoding="utf-8")
    with pytest.raises(BatchError, match=message):
        qualify_batch(p)
    res = runner.invoke(app, ["innovation", "qualify", "--batch", str(p)])
    assert res.exit_code == 2 and message in " ".join(res.output.split())
    with pytest.raises(BatchError, match="is a directory"):
        qualify_batch(tmp_path)


def test_dask_batch_equals_local(tmp_path: Path, texts: pd.DataFrame, monkeypatch: pytest.MonkeyPatch) -> None:
    from distributed import Client

    import nqpf.innovation.batch as batch

    path = tmp_path / "d.jsonl"
    rows = [json.dumps({"id": f"r{i}", "text": t}, ensure_ascii=False) for i, t in enumerate(texts["text"].iloc[:60])]
    rows.insert(7, '{"id": "bad", "text": ""}')
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    monkeypatch.setattr(batch, "DASK_RANGE_BYTES", 2_000)  # several ranges: line numbers must add up across them
    with Client(processes=False, n_workers=2, threads_per_worker=1, dashboard_address=None) as client:
        dres = qualify_batch(path, backend="dask", client=client)
    lres = qualify_batch(path, backend="local")
    pd.testing.assert_frame_equal(dres.results, lres.results)
    assert [(e.line, e.reason) for e in dres.errors] == [(e.line, e.reason) for e in lres.errors] == [(8, "empty text")]

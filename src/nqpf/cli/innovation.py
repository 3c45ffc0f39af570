"""``nqpf innovation``: the NQPF qualifier and text-based exposure / 新质生产力认定与文本测度."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console
from rich.table import Table

from nqpf.errors import NqpfError
from nqpf.safeyaml import load_yaml

app = typer.Typer(
    no_args_is_help=True,
    help="Innovation qualifier and text-based NQPF exposure / 新质生产力认定与文本测度",
)


def _out() -> Console:
    return Console() if sys.stdout.isatty() else Console(width=200)


def _err() -> Console:
    return Console(stderr=True) if sys.stderr.isatty() else Console(stderr=True, width=200)


def _fail(header: str, exc: Exception) -> None:
    con = _err()
    con.print(f"[bold red]{header}[/]")
    con.print(f"  {exc}", markup=False, highlight=False)


def _read_description(arg: str) -> str | dict[str, Any]:
    p = Path(arg)
    try:
        is_file = len(arg) < 4096 and p.is_file()
    except OSError:
        is_file = False
    if not is_file:
        return arg
    try:
        data = p.read_bytes()
        if b"\x00" in data[:8192]:
            raise NqpfError(f"[file {p}] binary file (NUL bytes); expected UTF-8 text")
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NqpfError(f"[file {p}] not valid UTF-8 (byte {exc.start})") from exc
    except OSError as exc:
        raise NqpfError(f"[file {p}] cannot read: {exc.strerror or exc}") from exc
    if not text.strip():
        raise NqpfError(f"[file {p}] empty file")
    if p.suffix.lower() in {".json", ".yaml", ".yml"}:
        try:
            doc = json.loads(text) if p.suffix.lower() == ".json" else load_yaml(text, name=str(p))
        except (json.JSONDecodeError, yaml.YAMLError) as exc:
            raise NqpfError(f"[file {p}] cannot parse structured description: {exc}") from exc
        if not isinstance(doc, dict):
            raise NqpfError(f"[file {p}] a structured description must be a mapping of fields")
        return doc
    return text


@app.command("qualify", help="Apply the NQPF test to TEXT or FILE (.txt/.md text, .json/.yaml fields) / 新质生产力认定")
def qualify_cmd(
    description: Annotated[str, typer.Argument(help="Description text, or a file holding it / 描述文本或文件")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON / 输出 JSON")] = False,
) -> None:
    """Qualify one description and show the verdict, scores and evidence."""
    from nqpf.innovation.qualify import Verdict, qualify

    try:
        q = qualify(_read_description(description))
    except NqpfError as exc:
        _fail("Cannot qualify / 无法认定", exc)
        raise typer.Exit(code=1) from None
    if as_json:
        typer.echo(json.dumps(q.to_dict(), ensure_ascii=False, indent=2))
        return
    con = _out()
    colour = {Verdict.QUALIFIES: "green", Verdict.DOES_NOT_QUALIFY: "red"}.get(q.verdict, "yellow")
    con.print(f"[bold {colour}]{q.verdict.value.replace('_', ' ')} / {q.verdict.label_zh}[/]")
    for r in q.reasons:
        con.print(f"  - {r.en} / {r.zh}", markup=False, highlight=False)
    t = Table(title="Criteria / 认定标准")
    for col in ("criterion / 标准", "status / 状态", "score / 得分", "evidence / 证据"):
        t.add_column(col)
    for c in q.criteria.values():
        ev = "; ".join(f"{'¬' + (e.negator or '') + ' ' if e.negated else ''}{e.cue}" for e in c.evidence) or "-"
        t.add_row(f"{c.name_en} / {c.name_zh}", c.status, f"{c.score:.3f}", ev)
    fields = "; ".join(dict.fromkeys(e.cue for e in q.fields if not e.negated)) or "-"
    t.add_row("Frontier field / 前沿领域", "met" if q.sectors else "absent", f"{q.frontier_score:.3f}", fields)
    con.print(t)
    if q.sectors:
        con.print(f"Sectors / 领域: {', '.join(q.sectors)}", highlight=False)
    if q.innovation_types:
        con.print(f"Innovation types / 创新类型: {', '.join(q.innovation_types)}", highlight=False)
    if q.ignored:
        con.print(f"Ignored (scale, ownership) / 已忽略（规模、所有制）: {', '.join(q.ignored)}", highlight=False)


@app.command("exposure", help="Measure NQPF term exposure over a corpus (directory, file or manifest) / 文本测度")
def exposure_cmd(
    corpus: Annotated[Path, typer.Argument(help="Corpus directory, file, or CSV/TSV manifest / 语料目录、文件或清单")],
    manifest: Annotated[Path | None, typer.Option("--manifest", help="CSV/TSV manifest: path, doc_id, region, year / 语料清单")] = None,
    taxonomy: Annotated[list[Path] | None, typer.Option("--taxonomy", help="Extra taxonomy YAML (repeatable) / 扩充词表")] = None,
    backend: Annotated[str, typer.Option("--backend", help="local or dask / 计算后端")] = "local",
    workers: Annotated[int, typer.Option("--workers", help="Dask worker processes / Dask 进程数")] = 2,
    tmx_lang: Annotated[str, typer.Option("--tmx-lang", help="Language of TMX segments: zh or en / TMX 语言")] = "zh",
    out: Annotated[Path | None, typer.Option("--out", help="Write documents/counts/terms/panel/failures CSV here / 输出目录", file_okay=False)] = None,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Show a progress bar / 显示进度")] = True,
) -> None:
    """Count taxonomy terms per document, aggregate to region-year panels, list failures."""
    from nqpf.innovation.exposure import measure_exposure
    from nqpf.innovation.taxonomy import Taxonomy

    try:
        tax = Taxonomy.default()
        for extra in taxonomy or []:
            tax = tax.extend(extra)
        res = measure_exposure(corpus, manifest=manifest, taxonomy=tax, backend=backend, workers=workers,
                               tmx_lang=tmx_lang, progress=progress)
    except (NqpfError, ValueError) as exc:
        _fail("Exposure failed / 文本测度失败", exc)
        raise typer.Exit(code=1) from None
    con = _out()
    con.print(f"Throughput / 吞吐量: {res.stats}", highlight=False)
    docs = res.documents
    con.print(f"Documents / 文档: {len(docs)}; with region and year / 有地区和年份: "
              f"{int((docs['region_code'].notna() & docs['year'].notna()).sum())}", highlight=False)
    obs = res.observations()
    if not obs.empty:
        schemes = [f"text_exposure_{s}" for s in res.taxonomy.schemes]
        wide = obs[obs["variable"].isin(schemes)].pivot_table(index=["region_code", "year"], columns="variable", values="value")
        t = Table(title="Exposure per 10,000 characters by region-year / 每万字词频（地区-年份）")
        t.add_column("region")
        t.add_column("year")
        for c in wide.columns:
            t.add_column(c.removeprefix("text_exposure_"), justify="right")
        for key, row in zip(wide.index, wide.itertuples(index=False), strict=True):
            t.add_row(str(key[0]), str(key[1]), *(f"{v:.2f}" for v in row))
        con.print(t)
    if res.failures:
        _err().print(f"[bold red]{len(res.failures)} file(s) failed / 读取失败的文件[/]")
        for f in res.failures:
            _err().print(f"  - {f}", markup=False, highlight=False)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        docs.to_csv(out / "documents.csv", index=False)
        res.counts.to_csv(out / "counts.csv", index=False)
        res.terms.to_csv(out / "terms.csv", index=False)
        obs.to_csv(out / "panel.csv", index=False)
        res.catalog().to_csv(out / "catalog.csv", index=False)
        with (out / "failures.csv").open("w", encoding="utf-8") as fh:
            fh.write("file,line,reason\n")
            for f in res.failures:
                fh.write(json.dumps(f.file, ensure_ascii=False) + "," + ("" if f.line is None else str(f.line)) + ","
                         + json.dumps(f.reason, ensure_ascii=False) + "\n")
        con.print(f"Wrote / 已写入 {out}/{{documents,counts,terms,panel,catalog,failures}}.csv", highlight=False)


@app.command("taxonomy", help="List the taxonomy's schemes and sectors / 查看新质生产力词表")
def taxonomy_cmd(
    extra: Annotated[list[Path] | None, typer.Option("--taxonomy", help="Extra taxonomy YAML (repeatable) / 扩充词表")] = None,
    csv: Annotated[Path | None, typer.Option("--csv", help="Write every form as CSV / 导出全部词条", dir_okay=False)] = None,
) -> None:
    """Show sectors with their number of concepts and forms."""
    from nqpf.innovation.taxonomy import Taxonomy

    try:
        tax = Taxonomy.default()
        for e in extra or []:
            tax = tax.extend(e)
    except NqpfError as exc:
        _fail("Taxonomy error / 词表错误", exc)
        raise typer.Exit(code=1) from None
    con = _out()
    t = Table(title=f"{tax.name} {tax.version}")
    for c in ("scheme", "sector", "code", "name", "名称", "concepts", "forms"):
        t.add_column(c)
    for s in tax.sectors.values():
        t.add_row(s.scheme, s.id, s.code, s.name_en, s.name_zh, str(len(s.concepts)), str(sum(len(c.forms) for c in s.concepts)))
    con.print(t)
    if csv is not None:
        tax.table().to_csv(csv, index=False)

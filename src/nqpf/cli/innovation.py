"""``nqpf innovation``: the NQPF qualifier and text-based exposure / 新质生产力认定与文本测度."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
import yaml
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from nqpf.errors import NqpfError
from nqpf.safeyaml import load_yaml

if TYPE_CHECKING:
    from nqpf.innovation.phases import Phases

app = typer.Typer(
    no_args_is_help=True,
    help="Innovation qualifier and text-based NQPF exposure / 新质生产力认定与文本测度",
)


def _out() -> Console:
    return Console() if sys.stdout.isatty() else Console(width=200)


def _err() -> Console:
    return Console(stderr=True) if sys.stderr.isatty() else Console(stderr=True, width=200)


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean(value: object) -> str:
    """Text from data or paths made safe to print: control characters (ESC, BEL, bidi overrides)
    shown as ``\\x1b`` escapes, Rich markup (``[/x]``) escaped."""
    text = _CONTROL.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), str(value))
    return escape(text)


def _fail(header: str, exc: Exception, code: int = 2) -> NoReturn:
    con = _err()
    con.print(f"[bold red]{header}[/]")
    con.print(f"  {clean(exc)}", highlight=False)
    raise typer.Exit(code=code)


def _read_text_file(p: Path) -> str:
    """A UTF-8 text file, decoded line by line so that a bad byte is reported with its line."""
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise NqpfError(f"[file {p}] cannot read: {exc.strerror or exc}") from exc
    if b"\x00" in data[:8192]:
        raise NqpfError(f"[file {p}] binary file (NUL bytes); expected UTF-8 text")
    lines = []
    for n, raw in enumerate(data.splitlines(keepends=True), start=1):
        try:
            lines.append(raw.decode("utf-8-sig" if n == 1 else "utf-8"))
        except UnicodeDecodeError as exc:
            hint = ""
            try:
                raw.decode("gb18030")
                hint = "; it looks like GBK/GB18030: convert it to UTF-8 (iconv -f GB18030 -t UTF-8)"
            except UnicodeDecodeError:
                pass
            raise NqpfError(f"[file {p}, line {n}] not valid UTF-8 (byte {exc.start + 1} of the line){hint}") from exc
    text = "".join(lines)
    if not text.strip():
        raise NqpfError(f"[file {p}] empty file")
    return text


_FILE_SUFFIXES = (".txt", ".md", ".json", ".yaml", ".yml", ".csv", ".tsv", ".jsonl", ".xlsx")


def _looks_like_path(arg: str) -> bool:
    a = arg.strip()
    if not a or len(a) > 4096 or any(ch.isspace() for ch in a) or "，" in a or "。" in a:
        return False
    return a.lower().endswith(_FILE_SUFFIXES) or a.startswith(("/", "./", "../", "~")) or "/" in a or "\\" in a


def read_description_file(p: Path) -> str | dict[str, Any]:
    """A description from a file: .json/.yaml/.yml give structured fields, anything else is text."""
    if not p.exists():
        raise NqpfError(f"[file {p}] does not exist")
    if not p.is_file():
        raise NqpfError(f"[file {p}] is a directory, not a file; give a text file, or the description itself")
    text = _read_text_file(p)
    if p.suffix.lower() in {".json", ".yaml", ".yml"}:
        try:
            doc = json.loads(text) if p.suffix.lower() == ".json" else load_yaml(text, name=str(p))
        except (json.JSONDecodeError, yaml.YAMLError) as exc:
            raise NqpfError(f"[file {p}] cannot parse structured description: {exc}") from exc
        if not isinstance(doc, dict):
            raise NqpfError(f"[file {p}] a structured description must be a mapping of fields")
        return doc
    return text


def _read_description(arg: str) -> str | dict[str, Any]:
    """TEXT is read as a file only when it names an existing file; a path-like TEXT that is
    missing or a directory is an error (use --file, or quote a description with spaces)."""
    p = Path(arg)
    try:
        is_file = len(arg) < 4096 and p.is_file()
        is_dir = len(arg) < 4096 and p.is_dir()
    except OSError:
        is_file = is_dir = False
    if is_file:
        return read_description_file(p)
    if is_dir:
        raise NqpfError(f"[file {p}] is a directory, not a description or a file; to qualify many descriptions use --batch FILE")
    if _looks_like_path(arg):
        raise NqpfError(f"[file {p}] does not exist; to qualify this text as a description, pass it with spaces "
                        f"or punctuation, or give a file with --file")
    return arg


@app.command("qualify", help="Apply the NQPF test to TEXT, --file FILE, or a --batch FILE of descriptions / 新质生产力认定")
def qualify_cmd(
    description: Annotated[str | None, typer.Argument(help="Description text (or an existing file) / 描述文本")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="Read the description from this file (.txt/.md text, .json/.yaml fields) / 从文件读取描述")] = None,
    batch: Annotated[Path | None, typer.Option("--batch", help="CSV/TSV/JSONL/XLSX with an id and a text column; one result row each / 批量认定")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Batch results file (.csv/.jsonl/.xlsx); bad rows go to <out>_errors.csv / 输出文件", dir_okay=False)] = None,
    id_column: Annotated[str | None, typer.Option("--id-column", help="Batch id column (default: id, doc_id, 编号) / 编号列")] = None,
    text_column: Annotated[str | None, typer.Option("--text-column", help="Batch text column (default: text, description, content, 描述) / 文本列")] = None,
    backend: Annotated[str, typer.Option("--backend", help="Batch reader: auto, local or dask (auto: dask for CSV/JSONL over 64 MB) / 计算后端")] = "auto",
    workers: Annotated[int, typer.Option("--workers", help="Dask worker processes / Dask 进程数", min=1)] = 2,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Show a progress bar (batch) / 显示进度")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON / 输出 JSON")] = False,
    model: Annotated[str, typer.Option("--model", help="hybrid (default): the rules unless the fitted text model is "
                                       "confident (p > 0.75); rules: the transparent rules alone; fitted: the text model "
                                       "alone (docs/innovation.md) / 认定模型：hybrid 规则为主、模型有把握时改判（默认）；"
                                       "rules 仅规则；fitted 仅拟合模型")] = "hybrid",
) -> None:
    """Qualify one description (or a batch) and show the verdict, confidence, scores and evidence."""
    from nqpf.innovation.qualify import Verdict
    from nqpf.innovation.qualify_fitted import MODELS, FittedQualification, qualifier_for

    if model not in MODELS:
        _fail("Cannot qualify / 无法认定", NqpfError(f"--model {model!r} is not known; use one of: {', '.join(MODELS)}"))

    given = [x for x in (description, file, batch) if x is not None]
    if len(given) != 1:
        _fail("Cannot qualify / 无法认定", NqpfError(
            "give exactly one of: TEXT, --file FILE, --batch FILE" + (f" (got {len(given)})" if given else "")))
    if batch is not None:
        _batch(batch, out, id_column, text_column, backend, workers, progress, model)
        return
    try:
        q = qualifier_for(model).qualify(read_description_file(file) if file is not None
                                         else _read_description(str(description)))
    except NqpfError as exc:
        _fail("Cannot qualify / 无法认定", exc)
    if as_json:
        typer.echo(json.dumps(q.to_dict(), ensure_ascii=False, indent=2))
        return
    con = _out()
    colour = {Verdict.QUALIFIES: "green", Verdict.DOES_NOT_QUALIFY: "red"}.get(q.verdict, "yellow")
    con.print(f"[bold {colour}]{q.verdict.value.replace('_', ' ')} / {q.verdict.label_zh}[/]  "
              f"confidence / 置信度 {q.confidence:.3f}", highlight=False)
    for r in q.reasons:
        con.print(f"  - {clean(r.en)} / {clean(r.zh)}", highlight=False)
    t = Table(title="Criteria / 认定标准")
    for col in ("criterion / 标准", "status / 状态", "score / 得分", "evidence / 证据"):
        t.add_column(col)
    for c in q.criteria.values():
        ev = "; ".join(f"{'¬' + (e.negator or '') + ' ' if e.negated else ''}{e.cue}" for e in c.evidence) or "-"
        t.add_row(f"{c.name_en} / {c.name_zh}", c.status, f"{c.score:.3f}", Text(clean_plain(ev)))
    fields = "; ".join(dict.fromkeys(e.cue for e in q.fields if not e.negated)) or "-"
    t.add_row("Frontier field / 前沿领域", "met" if q.sectors else "absent", f"{q.frontier_score:.3f}", Text(clean_plain(fields)))
    for kind, label in (("conventional", "Conventional change / 常规变化"), ("vague", "Intentions, slogans / 口号与意向")):
        cues = "; ".join(dict.fromkeys(e.cue for e in q.signals.get(kind, ()))) or "-"
        score = q.scores["vagueness"] if kind == "vague" else 1 - 0.5 ** len({e.cue for e in q.signals.get(kind, ())})
        t.add_row(label, "-", f"{score:.3f}", Text(clean_plain(cues)))
    t.add_row("Concreteness / 具体程度", f"{q.concrete_sentences} sentence(s)", f"{q.scores['concreteness']:.3f}",
              Text(clean_plain("; ".join(dict.fromkeys(e.cue for e in q.signals.get("figures", ()))) or "-")))
    con.print(t)
    if isinstance(q, FittedQualification):
        probs = ", ".join(f"{k} {v:.3f}" for k, v in q.probabilities.items())
        con.print(f"Rules' verdict / 规则结论: {q.rule_verdict.value} ({q.rule_confidence:.3f}); "
                  f"model probabilities / 模型概率: {probs}", highlight=False)
        ft = Table(title="Features weighing most for the verdict / 对结论贡献最大的特征")
        ft.add_column("feature / 特征")
        ft.add_column("weight (log-odds) / 权重", justify="right")
        for f, w in q.contributions:
            ft.add_row(Text(clean_plain(f)), f"{w:+.3f}")
        con.print(ft)
    if q.sectors:
        con.print(f"Sectors / 领域: {clean(', '.join(q.sectors))}", highlight=False)
    if q.innovation_types:
        con.print(f"Innovation types / 创新类型: {clean(', '.join(q.innovation_types))}", highlight=False)
    if q.ignored:
        con.print(f"Ignored (scale, ownership) / 已忽略（规模、所有制）: {clean(', '.join(q.ignored))}", highlight=False)


def clean_plain(value: object) -> str:
    """Control characters made visible, for ``rich.text.Text`` (which never reads markup)."""
    return _CONTROL.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), str(value))


def _batch(path: Path, out: Path | None, id_column: str | None, text_column: str | None, backend: str, workers: int,
           progress: bool, model: str = "hybrid") -> None:
    from nqpf.innovation.batch import qualify_batch, write_results

    try:
        res = qualify_batch(path, id_col=id_column, text_col=text_column, backend=backend, workers=workers, progress=progress,
                            model=model)
        written = write_results(res, out) if out is not None else []
    except (NqpfError, OSError) as exc:
        _fail("Batch failed / 批量认定失败", exc)
    con = _out()
    counts = res.results["verdict"].value_counts()
    con.print(f"{len(res.results)} description(s) qualified / 已认定 ({res.unique_texts} distinct); "
              f"{len(res.errors)} bad row(s) / 错误行", highlight=False)
    t = Table(title="Verdicts / 认定结果")
    t.add_column("verdict / 结论")
    t.add_column("n", justify="right")
    for v, n in counts.items():
        t.add_row(str(v), str(n))
    con.print(t)
    if res.errors:
        err = _err()
        err.print(f"[bold red]{len(res.errors)} bad row(s) skipped / 已跳过的错误行[/]")
        for e in res.errors[:20]:
            err.print(f"  - {clean(e)}", highlight=False)
        if len(res.errors) > 20:
            err.print(f"  ... and {len(res.errors) - 20} more" + (f" (all in {clean(written[-1])})" if written else ""), highlight=False)
    if written:
        con.print(f"Wrote / 已写入 {clean(', '.join(map(str, written)))}", highlight=False)
    elif out is None:
        con.print(res.results.head(20).to_string(index=False), markup=False, highlight=False)


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
    allow_outside: Annotated[bool, typer.Option("--allow-outside", help="Read symlinks and manifest paths that lead outside the corpus root / 允许读取语料目录之外的文件")] = False,
) -> None:
    """Count taxonomy terms per document, aggregate to region-year panels, list failures."""
    import time

    from nqpf.innovation.exposure import measure_exposure
    from nqpf.innovation.fast_exit import freeze_at_exit
    from nqpf.innovation.phases import profiling
    from nqpf.innovation.taxonomy import Taxonomy

    t_command = time.perf_counter()
    freeze_at_exit()  # the results and pandas need no final garbage collection when the command ends
    try:
        tax = Taxonomy.default()
        for extra in taxonomy or []:
            tax = tax.extend(extra)
        t_taxonomy = time.perf_counter()
        res = measure_exposure(corpus, manifest=manifest, taxonomy=tax, backend=backend, workers=workers,
                               tmx_lang=tmx_lang, progress=progress, allow_outside=allow_outside)
    except (NqpfError, ValueError) as exc:
        _fail("Exposure failed / 文本测度失败", exc)
    t_measured = time.perf_counter()
    con = _out()
    con.print(f"Throughput / 吞吐量: {clean(res.stats)}", highlight=False)
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
            t.add_row(Text(clean_plain(key[0])), str(key[1]), *(f"{v:.2f}" for v in row))
        con.print(t)
    if res.failures:
        _err().print(f"[bold red]{len(res.failures)} file(s) failed / 读取失败的文件[/]")
        for f in res.failures:
            _err().print(f"  - {clean(f)}", highlight=False)
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
        con.print(f"Wrote / 已写入 {clean(out)}/{{documents,counts,terms,panel,catalog,failures}}.csv", highlight=False)
    if profiling():
        _print_timings(res.phases, t_taxonomy - t_command, time.perf_counter() - t_measured)


def _print_timings(phases: Phases, taxonomy: float, output: float) -> None:
    """The ``NQPF_PROFILE`` line on stderr: interpreter start-up and imports (``startup``), the
    taxonomy, the run's phases, the tables and files (``output``), and ``at`` (Unix time)."""
    import time

    import psutil

    now = time.time()
    startup = now - psutil.Process().create_time() - taxonomy - sum(phases.seconds.values()) - output
    sys.stderr.write(f"timings: startup={startup:.3f} taxonomy={taxonomy:.3f} {phases} output={output:.3f} at={now:.3f}\n")


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
    con = _out()
    t = Table(title=clean(f"{tax.name} {tax.version}"))
    for c in ("scheme", "sector", "code", "name", "名称", "concepts", "forms"):
        t.add_column(c)
    for s in tax.sectors.values():
        t.add_row(*(Text(clean_plain(v)) for v in (s.scheme, s.id, s.code, s.name_en, s.name_zh)), str(len(s.concepts)),
                  str(sum(len(c.forms) for c in s.concepts)))
    con.print(t)
    if csv is not None:
        tax.table().to_csv(csv, index=False)

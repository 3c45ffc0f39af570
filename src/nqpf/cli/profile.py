"""``nqpf profile PROVINCE``, ``nqpf scenario FILE``, ``nqpf invest``: according to local conditions.

Each builds the index from the store (importing the real data into an empty store) or loads a
run folder (``--run``), computes, prints the essentials and writes tables into ``--out``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import Progress
from rich.table import Table

from nqpf.cli.common import console, escape, fail, safe

if TYPE_CHECKING:
    from nqpf.index.result import IndexResult
    from nqpf.panel import Panel
    from nqpf.profiles.profile import Profile

FrameworkOpt = Annotated[str, typer.Option("--framework", "-f", help="Framework id or YAML path / 指标体系")]
RunOpt = Annotated[Path | None, typer.Option("--run", help="A run folder (nqpf-output/<framework>) instead of building / 已有运行目录")]
StoreOpt = Annotated[Path | None, typer.Option(help="Store file (default per-user) / 数据库文件")]
DataOpt = Annotated[Path | None, typer.Option(help="Data folder imported when the store is empty / 数据目录")]
OutOpt = Annotated[Path, typer.Option("--out", "-o", help="Output folder / 输出目录")]


def _store_panel(store: Path | None, data: Path | None) -> Panel:
    """The stored panel, importing the real data into an empty store first."""
    from nqpf import services
    from nqpf.data.store import Store

    with Store(store) as st:
        with console.status("importing the real data / 导入数据"):
            rep = services.ensure_data(st, data)
        if rep:
            console.print(f"imported / 已导入: {escape(rep)}")
        return st.panel()


def _result(framework: str, run: Path | None, store: Path | None, data: Path | None) -> IndexResult:
    from nqpf import services

    if run is not None:
        with console.status(f"loading run / 读取 {run}"):
            return services.load(run)
    panel = _store_panel(store, data)
    with console.status(f"building / 构建 {framework}"):
        return services.build(framework, panel)


def _write(tables: dict[str, Any], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, t in tables.items():
        t.to_csv(folder / f"{name}.csv", index=False, float_format="%.6g")


def _figures_html(path: Path, title: str, figs: list[Any], js: str = "inline") -> None:
    """Figures in one offline page; ``js`` is ``"inline"`` or the relative path of a local plotly.min.js."""
    parts = [f.to_html(full_html=False, include_plotlyjs=js if i == 0 else False) for i, f in enumerate(figs)]
    path.write_text(f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head><body>"
                    f"<h1>{title}</h1>{''.join(parts)}</body></html>", encoding="utf-8")


def _robustness(path: Path | None) -> Any:
    if path is None:
        return None
    import pandas as pd

    if not path.is_file():
        fail(f"robustness table {path} not found (a CSV with region_code, year, node, rank_p05, rank_median, rank_p95)")
    return pd.read_csv(path, dtype={"region_code": str})


def _hqd_linkage(result: IndexResult, run: Path | None, store: Path | None, data: Path | None) -> dict[str, Any] | None:
    """The HQD linkage for a scenario. With ``--run``: the run's ``linkage/*.csv``, else fitted on
    the run's own HQD index (controls from the two runs' panels where they have them); without:
    fitted on the HQD index built from the same store. None, said, when there is no HQD index."""
    from nqpf import services
    from nqpf.errors import NqpfError
    from nqpf.profiles.hqd_link import fit_link, read_linkage

    if not result.framework.id.startswith("nqpf"):
        return None
    try:
        if run is not None:
            found = read_linkage(run.parent, result.framework.id)
            if found is None:
                hqd_dir = run.parent / "hqd-four-channels"
                if not (hqd_dir / "run.json").is_file():
                    console.print("[yellow]note / 说明:[/] implied HQD change not computed: the run has no "
                                  "linkage tables and no hqd-four-channels index (nqpf run builds both) / "
                                  "运行目录中无高质量发展指数，未计算隐含变化")
                    return None
                hqd = services.load(hqd_dir)
                extra = [v for v in hqd.panel.variables if v not in result.panel.variables]
                found = fit_link(result, hqd, result.panel.combine(hqd.panel.select(variables=extra)))
        else:
            hqd_id = "hqd-four-channels" + ("@1.0" if str(result.framework.version) == "1.0" else "")
            with console.status("fitting the HQD linkage / 估计高质量发展关联"):
                panel = _store_panel(store, data)
                found = fit_link(result, services.build(hqd_id, panel), panel)
    except NqpfError as e:
        console.print(f"[yellow]note / 说明:[/] implied HQD change not computed / 未计算高质量发展变化: {escape(e)}")
        return None
    return found.as_linkage()


def _print_profile(p: Profile, narrative: Any, pri: Any) -> None:
    t = Table(title=f"{p.region_en} / {p.region_zh} — {p.framework} {p.year}")
    for c in ("level 层级", "name 名称", "score 得分", "rank 排名"):
        t.add_column(c)
    s = p.scores[(p.scores["year"] == p.year) & (p.scores["kind"] != "indicator")]
    for r in s.to_dict("records"):
        t.add_row(str(r["level"]), escape(f"{r['name_en']} / {r['name_zh']}"), f"{r['score']:.3f}",
                  f"{r['rank']:.0f} / {p.n_regions}")
    console.print(t)
    console.print(escape(narrative.en))
    console.print(escape(narrative.zh))
    for n in p.notes:
        console.print(f"[yellow]note / 说明:[/] {escape(n)}")


def profile(
    province: Annotated[str, typer.Argument(help="Province (code, Chinese or English name), or 'all' / 省份或all")],
    framework: FrameworkOpt = "nqpf-three-elements",
    year: Annotated[int | None, typer.Option(help="Year (default: the last) / 年份")] = None,
    n: Annotated[int, typer.Option("--n", help="Strengths and weaknesses to list / 优势劣势个数")] = 3,
    peers: Annotated[str | None, typer.Option(help="Peers by hand, comma-separated / 指定对标省份")] = None,
    k: Annotated[int, typer.Option(help="Number of peers / 对标省份数")] = 5,
    peer_method: Annotated[str, typer.Option(help="nearest|cluster: peers by structure / 对标方法")] = "nearest",
    features: Annotated[str | None, typer.Option(help="Structural features, comma-separated (default log_gdp,gdp_per_resident,secondary_share,tertiary_share; or panel variables) / 结构特征")] = None,
    robustness: Annotated[Path | None, typer.Option(help="CSV of rank intervals (region_code, year, node, rank_p05, rank_median, rank_p95) / 排名区间")] = None,
    run: RunOpt = None, store: StoreOpt = None, data: DataOpt = None,
    out: OutOpt = Path("nqpf-output"),
) -> None:
    """Profile of one province (or all): ranks, strengths and weaknesses, peers, priorities, narrative."""
    from nqpf.profiles import charts
    from nqpf.profiles.narrative import narrate
    from nqpf.profiles.peers import find_peers, peer_gaps
    from nqpf.profiles.priorities import priorities
    from nqpf.profiles.profile import profile as make_profile
    from nqpf.profiles.profile import resolve_region

    with safe():
        rob = _robustness(robustness)
        result = _result(framework, run, store, data)
        codes = list(result.regions) if province.lower() == "all" else [resolve_region(result, province)]
        by_hand = [s.strip() for s in peers.split(",") if s.strip()] if peers else None
        # a run folder keeps only the framework's variables; structural peers need the full panel
        struct = _store_panel(store, data) if run is not None and by_hand is None else None
        base = out / result.framework.id / "profiles"
        base.mkdir(parents=True, exist_ok=True)
        from plotly.offline import get_plotlyjs

        (base / "plotly.min.js").write_text(get_plotlyjs(), encoding="utf-8")  # one local copy, pages work offline
        narratives: dict[str, Any] = {}
        made: dict[str, Any] = {}
        with Progress(console=console, transient=True) as prog:
            task = prog.add_task("profiles / 省份画像", total=len(codes))
            for code in codes:
                p = make_profile(result, code, year=year, n=n, robustness=rob, run=run)
                pe = find_peers(result, code, panel=struct, year=p.year, k=k, peers=by_hand, method=peer_method,
                                features=[f.strip() for f in features.split(",") if f.strip()] if features else None)
                gaps = peer_gaps(result, code, pe, year=p.year)
                pri = priorities(result, code, year=p.year)
                nar = narrate(p, pri)
                narratives[code], made[code] = nar, p
                folder = base / code
                _write({"scores": p.to_tidy(), "indicators": p.indicators, "strengths": p.strengths,
                        "weaknesses": p.weaknesses, "performance": p.performance, "growth": p.growth,
                        "position": p.position, "uncertainty": p.uncertainty, "peers": pe.table(),
                        "peer_gaps": gaps, "priorities": pri.table, "obstacles_by_dimension": pri.dimensions,
                        "actions": pri.actions, "narrative": nar.to_frame()}, folder)
                (folder / "narrative.md").write_text(f"{nar.en}\n\n{nar.zh}\n", encoding="utf-8")
                _figures_html(folder / "figures.html", f"{p.region_en} / {p.region_zh}",
                              [charts.rank_trend(p), charts.strengths_weaknesses(p), charts.obstacles(pri)],
                              js="../plotly.min.js")
                prog.advance(task)
        if len(codes) == 1:
            _print_profile(p, nar, pri)
            console.print(f"peers / 对标省份: {', '.join(pe.peers)}  ({pe.method})")
            for note in pe.notes:
                console.print(f"[yellow]note / 说明:[/] {escape(note)}")
            for a in pri.actions["text_en"].head(3):
                console.print(f"  • {escape(a)}")
        else:
            import pandas as pd

            from nqpf.profiles.sections import profiles_section
            from nqpf.report.html import write_summary
            from nqpf.runs import run_meta
            from nqpf.views import summary_view

            _write({"narratives": pd.concat([n.to_frame() for n in narratives.values()], ignore_index=True)}, base)
            page = write_summary(base / "summary.html", summary_view(result), meta=run_meta(result),
                                 extra_sections=[profiles_section(made, narratives)])
            console.print(f"summary / 摘要: {escape(page.resolve())}")
        console.print(f"[green]written / 已输出[/] {len(codes)} profile(s) -> {escape(base.resolve())}")


def scenario(
    file: Annotated[Path, typer.Argument(help="Scenario YAML or CSV / 情景文件")],
    framework: Annotated[str | None, typer.Option("--framework", "-f", help="Framework (default: the file's, else nqpf-three-elements) / 指标体系")] = None,
    out_of_range: Annotated[str | None, typer.Option(help="clip|extrapolate (default: the file's, else clip) / 超出范围处理")] = None,
    hqd: Annotated[bool, typer.Option(help="Implied change of high-quality development (linkage model) / 隐含的高质量发展变化")] = True,
    run: RunOpt = None, store: StoreOpt = None, data: DataOpt = None,
    out: OutOpt = Path("nqpf-output"),
) -> None:
    """Score a what-if scenario on the frozen scale and write the changes and their effects."""
    from nqpf.profiles import charts
    from nqpf.profiles.scenario import add_implied_change, read_scenario, run_scenario
    from nqpf.safeyaml import load_yaml

    with safe():
        if not file.is_file():
            fail(f"scenario file {file} not found (give a YAML or CSV file)")
        fid = framework
        if fid is None and file.suffix.lower() in (".yaml", ".yml"):
            doc = load_yaml(file)
            fid = doc.get("framework") if isinstance(doc, dict) else None
        result = _result(str(fid or "nqpf-three-elements"), run, store, data)
        rows, opts = read_scenario(file, result)
        need_struct = run is not None and any(k == "peer_leader" and not p for k, p in zip(rows["kind"], rows["peers"],
                                                                                           strict=True))
        link = opts.get("linkage")
        res = run_scenario(result, rows, out_of_range=out_of_range or str(opts.get("out_of_range", "clip")),
                           linkage=link, panel=_store_panel(store, data) if need_struct else None)
        if link is None and hqd:  # the run's linkage coefficient, else fitted from the same data's HQD index
            link = _hqd_linkage(result, run, store, data)
            if link is not None:
                add_implied_change(res, link)
        folder = out / result.framework.id / "scenarios" / file.stem
        _write({"changes": res.changes, "effects": res.effects, "scores": res.scored.to_tidy(),
                "out_of_range": res.out_of_range}, folder)
        (folder / "notes.txt").write_text("\n".join(res.notes) + "\n", encoding="utf-8")
        _figures_html(folder / "figures.html", "What-if / 情景", [charts.scenario_effects(res)])
        t = Table(title=f"What-if / 情景: {file.name}")
        for c in ("province 省份", "year 年份", "node 节点", "before 原得分", "after 新得分", "change 变化", "rank 排名"):
            t.add_column(c)
        for r in res.effects.to_dict("records"):
            t.add_row(str(r["region_code"]), str(r["year"]), str(r["node"]), f"{r['score_before']:.4f}",
                      f"{r['score_after']:.4f}", f"{r['score_change']:+.4f}",
                      f"{r['rank_before']:.0f} -> {r['rank_after']:.0f}")
        console.print(t)
        if "implied_hqd" in res.effects.columns:
            for r in res.index_effects().to_dict("records"):
                console.print(f"{r['region_code']} {r['year']}: implied HQD change / 隐含高质量发展变化 "
                              f"{r['implied_hqd']:+.4f} ({float((link or {}).get('level', 0.9)):.0%} CI "
                              f"{r['implied_hqd_low']:+.4f} to {r['implied_hqd_high']:+.4f})")
        for n in res.notes:
            console.print(f"[yellow]note / 说明:[/] {escape(n)}")
        console.print(f"[green]written / 已输出[/] -> {escape(folder.resolve())}")


def invest(
    sector: Annotated[list[str] | None, typer.Option("--sector", "-s", help="Sector(s) (default: all seven) / 产业")] = None,
    weights: Annotated[str | None, typer.Option(help="Component weights, e.g. strength=0.3,policy=0.2 / 权重")] = None,
    corpus: Annotated[Path | None, typer.Option(help="Work-report corpus (default: <data>/text/gwr_provincial) / 政府工作报告语料")] = None,
    top: Annotated[int, typer.Option(help="Provinces listed per sector / 每个产业列出省份数")] = 5,
    draws: Annotated[int, typer.Option(help="Monte Carlo draws (weight noise, component exclusion) for the rank intervals / 抽样次数")] = 1000,
    store: StoreOpt = None, data: DataOpt = None,
    out: OutOpt = Path("nqpf-output"),
) -> None:
    """Investor view: province x sector opportunity matrix with every component and its source."""
    from nqpf.profiles import charts
    from nqpf.profiles.investor import InvestorError, investor_view, sector_text_exposure
    from nqpf.settings import default_data_dir

    with safe():
        w = None
        if weights:
            w = {}
            for part in weights.split(","):
                key, _, val = part.partition("=")
                try:
                    w[key.strip()] = float(val)
                except ValueError:
                    raise InvestorError(f"--weights {part!r}: write component=number, e.g. strength=0.3") from None
        if draws < 1:
            fail(f"--draws must be at least 1, got {draws}")
        if corpus is None:
            base = data or default_data_dir()
            corpus = (base / "text" / "gwr_provincial") if base is not None else None
        if corpus is None or not corpus.exists():
            fail(f"work-report corpus {corpus} not found; pass --corpus DIR (documents.jsonl with region_code and year)")
        panel = _store_panel(store, data)
        with console.status("text exposure of the work reports / 政府工作报告文本测度"):
            ex = sector_text_exposure(corpus)
        view = investor_view(panel, ex, sectors=sector or None, weights=w, draws=draws)
        folder = out / "invest"
        _write({"matrix": view.matrix.reset_index(), "ranks": view.ranks.reset_index(), "opportunity": view.to_tidy(),
                "components": view.scores, "items": view.items}, folder)
        from nqpf.regions import REGISTRY

        names = {r.code: f"{r.name_en} {r.name_zh}" for r in REGISTRY.provinces()}
        _figures_html(folder / "figures.html", "Investor view / 投资视角", [charts.opportunity_heatmap(view, names)])
        for s in view.matrix.columns:
            t = Table(title=f"{s}: top {top}")
            for c in ("rank 排名", "province 省份", "score 得分", "90% interval 区间"):
                t.add_column(c)
            for r in view.top(s, top).to_dict("records"):
                t.add_row(f"{r['rank']:.0f}", escape(names.get(r["region_code"], r["region_code"])),
                          f"{r['opportunity']:.3f}", f"{r['rank_p05']:.0f}-{r['rank_p95']:.0f}")
            console.print(t)
        for n in view.notes:
            console.print(f"[yellow]note / 说明:[/] {escape(n)}")
        console.print(f"weights / 权重: {', '.join(f'{k}={v:.2f}' for k, v in view.weights.items())}")
        console.print(f"[green]written / 已输出[/] -> {escape(folder.resolve())}")

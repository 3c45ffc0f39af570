"""The service layer: what the CLI, the web API and the report generator all call.

No Typer, no HTML here: plain functions over the store, the engine and run folders, returning
results and paths. Front ends only parse their inputs, call these, and show what comes back.

* :func:`read_spec` -- a method spec from a YAML/JSON file plus changes (validated);
* :func:`ensure_data` -- import the real data into an empty store (the panel, raw exports and
  the extension series, later sources as newer vintages);
* :func:`build` -- one index from a framework id/path, a panel and a spec;
* :func:`run_job` -- the main job: build the frameworks, write run folders and the landing page;
* :func:`load` / :func:`rebuild` -- a run folder back as a result, or rebuilt from the store;
* :func:`rank`, :func:`frameworks_table` -- tables for listings.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from nqpf.errors import NqpfError

if TYPE_CHECKING:
    import pandas as pd

    from nqpf.data.store import Store
    from nqpf.frameworks.spec import Framework
    from nqpf.index.result import IndexResult
    from nqpf.panel import Panel
    from nqpf.productivity_job import ProductivityPage
    from nqpf.regional.tables import RegionalAnalyses
    from nqpf.runs import SummaryPage

#: folders of the real-data bundle imported by default, oldest vintage first: where the extension
#: revises a value (CEADs CO2, rounding of incomes), the later folder's value is the newer vintage
DEFAULT_DATA_FOLDERS = ("panel", "raw", "extension")


#: how a chart of a summary section is embedded: a div, Plotly's script loaded once by the page
_DIV: dict[str, Any] = {"include_plotlyjs": False, "full_html": False,
                        "config": {"displaylogo": False, "responsive": True}}


class ServiceError(NqpfError):
    """A request the services cannot carry out (bad file, unknown framework, ...)."""


def read_spec(spec_file: str | Path | None = None, **changes: Any) -> dict[str, Any]:
    """A validated method spec: a YAML or JSON file (optional), then ``changes`` on top."""
    from nqpf.index.spec import make_spec
    from nqpf.safeyaml import load_yaml

    base: dict[str, Any] = {}
    if spec_file is not None:
        p = Path(spec_file)
        if not p.is_file():
            what = "is a folder" if p.is_dir() else "not found"
            raise ServiceError(f"spec file {p} {what} (give a YAML or JSON method spec)")
        if p.suffix.lower() == ".json":
            try:
                base = json.loads(p.read_text(encoding="utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError) as e:
                raise ServiceError(f"spec file {p} is not valid JSON: {e}") from None
        else:
            base = load_yaml(p) or {}
        if not isinstance(base, Mapping):
            raise ServiceError(f"spec file {p} must hold a mapping of steps (normalisation: ..., weighting: ...)")
    return make_spec(base, **{k: v for k, v in changes.items() if v is not None})


def data_targets(folder: Path) -> list[Path]:
    """The folders of a data bundle to import, in vintage order (or the folder itself)."""
    found = [folder / name for name in DEFAULT_DATA_FOLDERS if (folder / name).is_dir()]
    return found or [folder]


def ensure_data(store: Store, data: str | Path | None = None,
                log: Callable[[str], None] | None = None) -> str | None:
    """Import the real data into ``store`` if it is empty; returns the import report's text."""
    from nqpf.settings import default_data_dir

    if not store.is_empty():
        return None
    folder = Path(data) if data is not None else default_data_dir()
    if folder is None or not folder.is_dir():
        raise ServiceError("the store is empty and no data folder was found: pass --data DIR or set NQPF_DATA"
                           " / 数据库为空且未找到数据目录")
    targets = data_targets(folder)
    if log:
        log(", ".join(map(str, targets)) + " (later folders as newer vintages / 后者为较新版本)")
    return str(store.import_files(targets, on_conflict="newer"))


def build(framework: str | Path | Any, panel: Panel, spec: Mapping[str, Any] | None = None, **kw: Any) -> IndexResult:
    """One index (``framework``: a shipped id, a YAML path or a Framework)."""
    from nqpf.frameworks import load_framework
    from nqpf.index.build import build_index

    fw = load_framework(framework) if isinstance(framework, str | Path) else framework
    return build_index(fw, panel, spec, **kw)


@dataclass
class JobOutput:
    """What :func:`run_job` built and wrote."""

    results: list[IndexResult] = field(default_factory=list)
    paths: list[dict[str, Path]] = field(default_factory=list)
    index_page: Path | None = None
    import_report: str | None = None
    productivity: Any = None  #: ProductivityLinkageOutput of the job-level productivity and linkage step


def robustness_sections(result: IndexResult, folder: Path, draws: int, seed: int = 0,
                        log: Callable[[str], None] | None = None) -> list[tuple[str, str, str, str]]:
    """Run the robustness analysis into ``folder/robustness`` and return its summary sections."""
    import pandas as pd

    from nqpf.robustness import charts
    from nqpf.robustness.run import run_robustness

    if log:
        log(f"robustness: {draws} draws for {result.framework.id}")
    paths = run_robustness(result, draws, seed, folder / "robustness", charts=False)
    ranks = pd.read_csv(paths["ranks"], dtype={"region_code": str})
    sob = pd.read_csv(paths["sobol"])
    rank_fig = charts.rank_uncertainty_figure(ranks, node=result.framework.root.id, year=result.years[-1])
    sobol_fig = charts.sobol_figure(sob, title="Sobol sensitivity / Sobol 敏感性")
    note = (f"<p class='sub'>{draws} Monte Carlo draws over the construction choices (seed {seed}); median rank "
            f"with the 5-95% interval; tables in robustness/. / {draws} 次蒙特卡洛抽样，中位排名及 5%-95% 区间。</p>")
    return [("robustness", "Rank uncertainty", "排名不确定性", note + rank_fig.to_html(div_id="nqpf-rank-uncertainty", **_DIV)),
            ("sobol", "Sensitivity to each choice", "各项选择的敏感性", sobol_fig.to_html(div_id="nqpf-sobol", **_DIV))]


def regional_sections(result: IndexResult, analyses: RegionalAnalyses | None = None) -> list[tuple[str, str, str, str]]:
    """Summary sections of the regional analyses of the index: Dagum contributions over time,
    kernel density ridges, the latest LISA cluster map and the obstacle bars (when they apply).
    ``analyses``: computed once by :func:`nqpf.regional.tables.regional_analyses` (else computed here)."""
    from nqpf.regional import charts
    from nqpf.regional.tables import regional_analyses

    ra = analyses if analyses is not None else regional_analyses(result)
    out: list[tuple[str, str, str, str]] = []

    def add(sid: str, en: str, zh: str, name: str, draw: Callable[[Any], Any], note: str) -> None:
        fitted = getattr(ra, name)
        if fitted is None:  # an analysis that does not apply to this construction says why
            out.append((sid, en, zh, f"<p class='sub'>{_escape(ra.errors.get(name, 'not computed'))}</p>"))
            return
        fig = draw(fitted)
        out.append((sid, en, zh, f"<p class='sub'>{note}</p>" + fig.to_html(div_id=f"nqpf-{sid}", **_DIV)))

    add("dagum", "Where the inequality sits (Dagum Gini)", "差距来源（Dagum 基尼系数分解）", "dagum",
        charts.dagum_contributions,
        "Shares of the within-region, net between-region and transvariation terms in the Gini of the index, "
        "NBS four regions (Dagum 1997), with 95% bootstrap intervals of the Gini; tables in regional/. "
        "/ 区域内、区域间净差距与超变密度贡献率。")
    add("density", "Distribution over time (kernel density)", "分布动态（核密度）", "density",
        charts.density_ridges,
        "Gaussian kernel, Silverman's bandwidth, one curve per year. / 高斯核，Silverman 带宽。")
    add("lisa", "Do neighbours pull each other up? (LISA)", "空间集聚（LISA）", "lisa", charts.lisa_map,
        f"Local Moran clusters in {result.years[-1]} (queen contiguity, Hainan linked to Guangdong; 499 permutations, "
        "p < 0.05). / 局部莫兰聚类。")
    add("obstacles", "What holds the scores back (obstacle degree)", "障碍度", "obstacles", charts.obstacle_bars,
        "Indicator obstacle degree = effective weight x (1 - normalised value), as a share, averaged over provinces "
        "in the latest year. / 指标障碍度。")
    return out


def coupling_sections(result: IndexResult, other: IndexResult,
                      analyses: RegionalAnalyses | None = None) -> list[tuple[str, str, str, str]]:
    """The coupling coordination map of an NQPF index with the HQD index (common years);
    ``analyses`` gives the coupling computed once (else it is computed here)."""
    from nqpf.regional import charts
    from nqpf.regional.coupling import CouplingCoordination

    try:
        if analyses is not None and analyses.coupling is None and "coupling" in analyses.errors:
            raise NqpfError(analyses.errors["coupling"])
        cc = analyses.coupling if analyses is not None and analyses.coupling is not None else \
            CouplingCoordination({result.framework.id: result, other.framework.id: other})
        fig = charts.coupling_map(cc)
    except NqpfError as e:
        return [("coupling", "Coupling with high-quality development", "与高质量发展的耦合协调",
                 f"<p class='sub'>{_escape(str(e))}</p>")]
    div = fig.to_html(div_id="nqpf-coupling", **_DIV)
    note = ("Coupling coordination degree D of this index with the high-quality development index, corrected "
            "form (Wang Shujia et al. 2021), latest common year. / 与高质量发展指数的耦合协调度（修正公式）。")
    return [("coupling", "Coupling with high-quality development", "与高质量发展的耦合协调",
             f"<p class='sub'>{note}</p>{div}")]


def _escape(text: str) -> str:
    import html

    return html.escape(text)


class IndexPage(Protocol):
    """Writes the run's landing page (``index.html``) and returns it: the front end's part
    (``nqpf.report.index_page.write_index_page``)."""

    def __call__(self, path: str | Path, entries: Sequence[dict[str, Any]], *, meta: dict[str, Any] | None = None,
                 links: Sequence[tuple[str, str, str]] = ()) -> Path: ...


@dataclass(frozen=True)
class RunPages:
    """The page writers a front end hands :func:`run_job` (``nqpf.report.pages.RUN_PAGES``): the
    services compute and write tables, the front end draws the pages."""

    summary: SummaryPage
    productivity: ProductivityPage
    index: IndexPage


def run_job(store: Store, *, frameworks: Sequence[str | Framework] | None = None, spec: Mapping[str, Any] | None = None,
            out: str | Path = "nqpf-output", html: bool | None = None, data: str | Path | None = None,
            robustness: int = 0, seed: int = 0, analyses: bool = True, regions_table: str | Path | None = None,
            productivity: bool = True,
            log: Callable[[str], None] | None = None,
            on_result: Callable[[IndexResult, dict[str, Path]], None] | None = None,
            on_step: Callable[[str], None] | None = None, pages: RunPages | None = None) -> JobOutput:
    """The main job: import if the store is empty, build each framework, write run folders
    (with ``analyses``, the summary shows the regional analyses; with ``robustness`` > 0, also the rank
    uncertainty and Sobol analysis of each index; with ``productivity``, the job-level productivity and
    linkage tables in ``out/productivity`` and ``out/linkage`` and their summary page, progress to ``on_step``).

    ``pages``: the front end's page writers (``nqpf.report.pages.RUN_PAGES``, what ``nqpf run`` and
    ``nqpf serve`` pass); with them ``index.html`` is written and, unless ``html`` is ``False``,
    every summary page. Without them the job writes tables only; ``html=True`` then is an error.

    ``frameworks``: shipped or saved ids (``id@version``) or Framework objects (as recorded in a run)."""
    from nqpf.frameworks import list_frameworks
    from nqpf.regional.tables import regional_analyses
    from nqpf.runs import write_run

    if html and pages is None:
        raise ServiceError("html=True needs the front end's page writers: pass pages=nqpf.report.pages.RUN_PAGES "
                           "(as nqpf run does), or html=False for the tables alone")
    html = pages is not None and html is not False
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ServiceError(f"--out {out} is a file; give a folder to write the run into")
    job = JobOutput()
    registry = None
    if regions_table is not None:  # the user's own regions (cities, counties), in a copy of the registry
        from nqpf.regions import REGISTRY

        registry = REGISTRY.copy()
        added = registry.load_table(regions_table)  # read before any import: a bad table costs nothing
        if log:
            log(f"{len(added)} regions from {regions_table}")
    job.import_report = ensure_data(store, data, log)
    panel = store.panel()
    ids = list(frameworks or list_frameworks())
    out.mkdir(parents=True, exist_ok=True)
    entries = []
    have = set(panel.variables)
    for fid in ids:  # a store filled by an older nqpf lacks the series the 2.0 frameworks read: say what to do
        from nqpf.frameworks import load_framework

        fw = load_framework(fid) if isinstance(fid, str | Path) else fid
        missing = sorted(set(fw.variables()) - have)
        if missing:
            raise ServiceError(
                f"{fw.id} v{fw.version} reads {len(missing)} variable(s) the store lacks ({', '.join(missing[:4])}"
                f"{', ...' if len(missing) > 4 else ''}): import them (nqpf data import ../shared/data/extension "
                f"--on-conflict newer) or choose an earlier version (-f {fw.id}@1.0)")
    results = [build(fid, panel, spec, registry=registry) for fid in ids]
    hqd = next((r for r in results if r.framework.id.startswith("hqd")), None)
    for result in results:
        regional = regional_analyses(result, hqd) if analyses else None  # computed once: charts and tables
        sections = regional_sections(result, regional) if html and regional is not None else []
        if sections and hqd is not None and result is not hqd:
            sections += coupling_sections(result, hqd, regional)
        if robustness > 0:
            sections += robustness_sections(result, out / result.framework.id, robustness, seed, log)
        if analyses:  # profiles of every province, narratives, investor matrix: <fw>/profiles/*.csv
            from nqpf.profiles.run_tables import write_profile_tables

            sections += write_profile_tables(result, out, panel, hqd=hqd, data=data, seed=seed, log=log)
        paths = write_run(result, out, html=html, extra_sections=sections,
                          summary_page=pages.summary if pages is not None else None)
        if regional is not None:
            paths.update(regional.write(out / result.framework.id))  # regional/*.csv beside the summary
        job.results.append(result)
        job.paths.append(paths)
        if on_result:
            on_result(result, paths)
        top = result.ranking().head(5)
        entries.append({
            "framework": result.framework.id, "name_en": result.name_en, "name_zh": result.name_zh,
            "years": (result.years[0], result.years[-1]),
            "top": list(zip(top["region_en"], top["region_zh"], top["score"], strict=True)),
            "href": f"{result.framework.id}/summary.html" if html else f"{result.framework.id}/scores.csv",
        })
    if productivity:
        from nqpf.productivity_job import write_productivity_linkage

        job.productivity = write_productivity_linkage(job.results, panel, out, html=html, log=on_step,
                                                      page=pages.productivity if pages is not None else None)
    links = [job.productivity.link] if job.productivity is not None and job.productivity.link else []
    if pages is not None:
        job.index_page = pages.index(out / "index.html", entries, meta={"store": store.path}, links=links)
    return job


def load(path: str | Path) -> IndexResult:
    """A run folder back as a result (see :func:`nqpf.runs.load_run`)."""
    from nqpf.runs import load_run

    return load_run(path)


def rebuild(path: str | Path, store: Store) -> IndexResult:
    """A run built again from its recorded framework and spec on ``store``'s panel."""
    from nqpf.runs import rebuild_run

    return rebuild_run(path, store.panel())


def rank(result: IndexResult, year: int | None = None, node: str | None = None) -> pd.DataFrame:
    """The ranking of one node and year (default: the index, the latest year)."""
    if node is not None and node not in result.scores:
        raise ServiceError(f"{result.framework.id} has no node {node!r} (nodes: {', '.join(result.node_ids())})")
    if year is not None and year not in result.years:
        raise ServiceError(f"{result.framework.id} covers {result.years[0]}-{result.years[-1]}, not {year}")
    return result.ranking(year, node)


def frameworks_table(panel: Panel | None = None) -> pd.DataFrame:
    """The shipped frameworks: id, version, names, dimensions, indicators, and the default years
    the given panel supports (when a panel is given)."""
    import pandas as pd

    from nqpf.frameworks import list_frameworks, load_framework
    from nqpf.index.build import build_index

    rows = []
    for fid in list_frameworks():
        fw = load_framework(fid)
        years = ""
        if panel is not None:
            try:
                r = build_index(fw, panel)
                years = f"{r.years[0]}-{r.years[-1]}"
            except NqpfError as e:
                years = f"not buildable: {e}"
        rows.append({"framework": fw.id, "version": fw.version, "name_en": fw.name_en, "name_zh": fw.name_zh,
                     "dimensions": len(fw.root.children), "indicators": len(fw.indicators),
                     "indicator_ids": ", ".join(i.id for i in fw.indicators), "years": years})
    return pd.DataFrame(rows)

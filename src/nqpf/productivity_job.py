"""The job-level productivity and linkage output of ``nqpf run``: tables and one summary page.

:func:`write_productivity_linkage` measures productivity on the run's panel and tests the
NQPF → high-quality-development link with the NQPF and HQD indices of the same run, then writes

* ``DIR/productivity/``: ``capital_stock.csv``, ``capital_flags.csv``, ``tfp_growth_accounting.csv``,
  ``tfp_national.csv``, ``efficiency.csv``, ``malmquist.csv``, ``malmquist_luenberger.csv``,
  ``dea_inputs.csv``, ``flags.txt`` and ``summary.html`` (TFP map, TFP and efficiency trends,
  coefficient plot, spatial effects, tables, every choice made);
* ``DIR/linkage/``: ``fe_coefficients.csv``, ``robustness.csv``, ``mediation.csv``, ``threshold.csv``,
  ``sdm_coefficients.csv``, ``sdm_effects.csv``, ``notes.txt``.

Columns and units are documented in ``docs/productivity.md`` (section "Run folder tables").
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from nqpf.errors import NqpfError

if TYPE_CHECKING:
    from nqpf.index.result import IndexResult
    from nqpf.linkage.analysis import LinkageRun
    from nqpf.panel import Panel
    from nqpf.productivity.measure import ProductivityRun

#: the years of the productivity measures in a run: every DEA input is observed for 30 provinces
#: (Tibet lacks energy); from 2020 energy totals are missing for up to 6 provinces a year
PRODUCTIVITY_YEARS = (2011, 2019)


@dataclass
class ProductivityLinkageOutput:
    """What :func:`write_productivity_linkage` wrote: ``paths`` (name → file), ``html``, the
    index-page ``link`` (href, English, Chinese label), ``notes`` and ``seconds``."""

    paths: dict[str, Path] = field(default_factory=dict)
    html: Path | None = None
    link: tuple[str, str, str] | None = None
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    productivity: ProductivityRun | None = None
    linkage: LinkageRun | None = None


class ProductivityPage(Protocol):
    """Writes the productivity and linkage page at ``path`` and returns it: the front end's part
    (``nqpf.report.productivity_page.write_productivity_page``)."""

    def __call__(self, path: Path, prod: ProductivityRun | None, link: LinkageRun | None, notes: list[str],
                 meta: dict[str, str]) -> Path: ...


BROAD_LABOUR = ("employed_urban_units", "nbs_employed_private_individual")
"""Growth accounting's labour input in a run when the store has both series (NBS raw export to 2019)."""


def pick_indices(results: Sequence[IndexResult]) -> tuple[IndexResult | None, IndexResult | None]:
    """The NQPF index (``nqpf-three-elements`` if built, else the first other non-HQD index) and
    the HQD index (``hqd-four-channels``) among the run's results."""
    hqd = next((r for r in results if r.framework.id.startswith("hqd")), None)
    others = [r for r in results if r is not hqd]
    nq = next((r for r in others if r.framework.id == "nqpf-three-elements"), others[0] if others else None)
    return nq, hqd


def productivity_tables(run: ProductivityRun) -> dict[str, pd.DataFrame]:
    """The productivity tables of a run folder (see ``docs/productivity.md``)."""
    t = run.tables()
    cap = t["capital_stock"].copy()
    cap["extended"] = ~(cap["investment_source"].str.contains("observed")
                        & cap["deflator_source"].str.contains("observed"))
    nat = run.growth.national.reset_index().rename(columns={"index": "year"})
    return {"capital_stock": cap, "capital_flags": t["capital_flags"],
            "tfp_growth_accounting": t["tfp_growth_accounting"], "tfp_national": nat,
            "efficiency": t["efficiency"], "malmquist": t["malmquist"],
            "malmquist_luenberger": t["malmquist_luenberger"], "dea_inputs": t["dea_inputs"]}


def linkage_tables(run: LinkageRun) -> dict[str, pd.DataFrame]:
    """The linkage tables of a run folder (see ``docs/productivity.md``)."""
    from nqpf.linkage.analysis import CHANNEL_NAMES

    fe = []
    for dep, r in run.main.items():
        en, zh = CHANNEL_NAMES.get(dep, (dep, dep))
        tid = r.to_tidy()
        tid.insert(1, "name_en", en)
        tid.insert(2, "name_zh", zh)
        tid["t"] = tid["estimate"] / tid["std_error"]
        tid["ci_low"] = tid["estimate"] - 1.96 * tid["std_error"]
        tid["ci_high"] = tid["estimate"] + 1.96 * tid["std_error"]
        tid["n_regions"] = r.n_entities
        tid["r2_within"] = r.rsquared_within
        fe.append(tid)
    cols = ["dependent", "name_en", "name_zh", "term", "estimate", "std_error", "t", "p_value", "stars",
            "ci_low", "ci_high", "nobs", "n_regions", "r2_within"]
    rob = run.robustness.copy()
    rob["t"] = rob["estimate"] / rob["std_error"]
    rob["ci_low"] = rob["estimate"] - 1.96 * rob["std_error"]
    rob["ci_high"] = rob["estimate"] + 1.96 * rob["std_error"]
    out = {"fe_coefficients": pd.concat(fe, ignore_index=True)[cols], "robustness": rob, "mediation": run.mediation}
    if run.threshold is not None:
        out["threshold"] = run.threshold.to_tidy()
    if run.spatial:
        sdm = []
        for sr in run.spatial.values():
            tid = sr.to_tidy()
            tid["sigma2"], tid["loglik"] = sr.sigma2, sr.loglik
            tid["years"] = f"{sr.years[0]}-{sr.years[-1]}"
            sdm.append(tid)
        out["sdm_coefficients"] = pd.concat(sdm, ignore_index=True)
        out["sdm_effects"] = pd.concat([r.effects_tidy() for r in run.spatial.values()], ignore_index=True)
    return out


def write_productivity_linkage(results: Sequence[IndexResult], panel: Panel, out: str | Path, *,
                               years: tuple[int, int] = PRODUCTIVITY_YEARS, threshold_boot: int = 100,
                               spatial_sim: int = 1000, html: bool | None = None, page: ProductivityPage | None = None,
                               log: Callable[[str], None] | None = None) -> ProductivityLinkageOutput:
    """Productivity measures and the NQPF → HQD linkage of one run, written under ``out``.

    The tables are written here; the page (``productivity/summary.html``) by ``page``, the front
    end's page writer (``nqpf.report.productivity_page.write_productivity_page``, what ``nqpf run``
    passes). ``html``: ``None`` writes the page when a writer is given, ``False`` never;
    ``True`` without a writer is an error.

    A part that cannot run on this panel or these indices (e.g. a store without the capital
    series, a run without the HQD index, regions without polygons) is skipped and named in
    ``notes``, in ``flags.txt``/``notes.txt`` and on the page; the rest still runs.
    """
    from nqpf.linkage.analysis import run_linkage
    from nqpf.productivity.measure import measure

    if html and page is None:
        raise NqpfError("html=True needs the page writer: pass page=nqpf.report.productivity_page."
                        "write_productivity_page (as nqpf run does), or html=False for the tables alone")
    t0 = time.perf_counter()
    say = log or (lambda _m: None)
    res = ProductivityLinkageOutput()
    out = Path(out)
    pdir, ldir = out / "productivity", out / "linkage"
    prod = link = None
    try:
        say(f"productivity {years[0]}-{years[1]} / 生产率")
        labour = BROAD_LABOUR if set(BROAD_LABOUR) <= set(panel.variables) else None
        prod = measure(panel, years[0], years[1], capital_share=0.5, labour=labour)
        res.notes.append(
            "growth accounting L = urban-unit + private and self-employed employment (the broad input: urban units "
            "alone understate labour growth and overstate TFP growth, see docs/productivity.md) / 劳动投入含私营与个体就业"
            if labour else
            "growth accounting L = urban-unit employment only (nbs_employed_private_individual not in the store): TFP "
            "growth is an upper bound / 劳动投入仅含城镇单位就业，全要素生产率增长为上限")
    except NqpfError as e:
        res.notes.append(f"productivity not measured: {e} / 未测算生产率")
    nq, hqd = pick_indices(results)
    if nq is None or hqd is None:
        res.notes.append("linkage not estimated: the run needs an NQPF index and the HQD index "
                         "(-f nqpf-three-elements -f hqd-four-channels) / 缺少指数，未做联动检验")
    else:
        weights: Any = None
        try:
            from nqpf.regional.weights import SpatialWeights

            regions = sorted({str(r) for r in nq.regions} & {str(r) for r in hqd.regions})
            weights = SpatialWeights.queen(regions)
        except NqpfError as e:
            res.notes.append(f"spatial Durbin model not estimated: {e}")
        try:
            say(f"linkage {nq.framework.id} -> {hqd.framework.id} / 联动检验")
            link = run_linkage(nq, hqd, panel, threshold_boot=threshold_boot, weights=weights,
                               spatial_sim=spatial_sim, progress=say)
            res.notes.append(f"linkage: NQPF = {nq.framework.id} v{nq.framework.version}, HQD = "
                             f"{hqd.framework.id} v{hqd.framework.version}, same run; threshold bootstrap "
                             f"{threshold_boot} draws")
        except NqpfError as e:
            res.notes.append(f"linkage not estimated: {e} / 未做联动检验")
    if prod is not None:
        pdir.mkdir(parents=True, exist_ok=True)
        for name, tab in productivity_tables(prod).items():
            res.paths[f"productivity/{name}"] = _csv(tab, pdir / f"{name}.csv")
        (pdir / "flags.txt").write_text("\n".join(prod.flags) + "\n", encoding="utf-8")
        res.paths["productivity/flags"] = pdir / "flags.txt"
    if link is not None:
        ldir.mkdir(parents=True, exist_ok=True)
        for name, tab in linkage_tables(link).items():
            if nq is not None and hqd is not None and "dependent" in tab.columns:  # which indices: readers pick by it
                tab = tab.assign(nqpf_framework=nq.framework.id, hqd_framework=hqd.framework.id)
            res.paths[f"linkage/{name}"] = _csv(tab, ldir / f"{name}.csv")
        (ldir / "notes.txt").write_text("\n".join([*link.notes, "", link.closing_note()]) + "\n", encoding="utf-8")
        res.paths["linkage/notes"] = ldir / "notes.txt"
    notes = list(res.notes) + (prod.flags if prod is not None else []) + (link.notes if link is not None else [])
    if page is not None and html is not False and (prod is not None or link is not None):
        res.html = page(pdir / "summary.html", prod, link, notes,
                        {"productivity years": f"{years[0]}-{years[1]}",
                         "indices": f"{nq.framework.id if nq else '-'}, {hqd.framework.id if hqd else '-'}"})
        res.paths["productivity/summary"] = res.html
        res.link = ("productivity/summary.html", "Productivity and linkage", "生产率与联动检验")
    res.productivity, res.linkage = prod, link
    res.seconds = time.perf_counter() - t0
    return res


def _csv(tab: pd.DataFrame, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tab.replace([np.inf, -np.inf], np.nan).to_csv(path, index=False, float_format="%.10g")
    return path

"""Profile tables of a run: what ``nqpf run`` writes to ``<run>/<framework>/profiles/``.

:func:`write_profile_tables` makes the profiles of all provinces of one NQPF index (levels,
ranks, strengths, weaknesses, performance group, growth, regional position, rank interval,
peers, priorities, action areas), their bilingual narratives with the numbers used, the
investor matrix with its components, sources and rank intervals, and the HQD linkage
coefficient scenarios use; writes them as tidy CSV (one file per table, every province in it)
and returns the summary page's sections (:mod:`nqpf.profiles.sections`). The columns and units
of every table are listed in ``docs/local-conditions.md``.
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from nqpf.errors import NqpfError

if TYPE_CHECKING:
    from nqpf.index.result import IndexResult
    from nqpf.panel import Panel
    from nqpf.profiles.investor import InvestorView

Section = tuple[str, str, str, str]
_INVESTOR: dict[int, tuple[Any, Any]] = {}


def is_nqpf(result: IndexResult) -> bool:
    """Profiles are made for the NQPF indices, not for the HQD index."""
    return not result.framework.id.startswith("hqd")


def default_corpus(data: str | Path | None = None) -> Path | None:
    """``<data>/text/gwr_provincial``: the 31 provincial government work reports, if present."""
    from nqpf.settings import default_data_dir

    base = Path(data) if data is not None else default_data_dir()
    path = base / "text" / "gwr_provincial" if base is not None else None
    return path if path is not None and path.exists() else None


def investor_for(panel: Panel, corpus: Path, draws: int = 1000, seed: int = 0) -> InvestorView:
    """The investor view of ``panel`` (made once per panel object and reused by every framework)."""
    from nqpf.profiles.investor import investor_view, sector_text_exposure

    key = id(panel)
    hit = _INVESTOR.get(key)
    if hit is not None and hit[0]() is panel:
        view: InvestorView = hit[1]
        return view
    view = investor_view(panel, sector_text_exposure(corpus), draws=draws, seed=seed)
    _INVESTOR[key] = (weakref.ref(panel), view)
    weakref.finalize(panel, _INVESTOR.pop, key, None)
    return view


def _with_region(code: str, t: pd.DataFrame) -> pd.DataFrame:
    out = t.copy()
    if "region_code" in out.columns:
        out = out.drop(columns="region_code")
    out.insert(0, "region_code", code)
    return out


def narrative_record(nar: Any) -> dict[str, Any]:
    """A narrative with the numbers it prints: ``{en, zh, sentences: [{key, en, zh, facts}]}``,
    each fact ``{value, shown}`` (the table's value and the text it prints as)."""
    from nqpf.profiles.narrative import fmt

    return {"en": nar.en, "zh": nar.zh,
            "sentences": [{"key": s.key, "en": s.en, "zh": s.zh,
                           "facts": {k: {"value": float(v), "shown": fmt(v, kind)} for k, (v, kind) in s.facts.items()}}
                          for s in nar.sentences]}


def write_profile_tables(result: IndexResult, out: str | Path, panel: Panel, *, hqd: IndexResult | None = None,
                         data: str | Path | None = None, draws: int = 1000, seed: int = 0,
                         log: Callable[[str], None] | None = None) -> list[Section]:
    """Write ``<out>/<framework>/profiles/*.csv`` for an NQPF index and return its summary sections.

    ``panel``: the job's panel (structural peer features, investor statistics, linkage controls);
    ``hqd``: the job's HQD index, to fit the linkage coefficient when ``<out>/linkage`` has none;
    ``data``: the data folder whose ``text/gwr_provincial`` feeds the investor view's policy
    component. Returns ``[]`` for the HQD index.
    """
    from nqpf.profiles.hqd_link import hqd_link
    from nqpf.profiles.narrative import narrate
    from nqpf.profiles.peers import find_peers
    from nqpf.profiles.priorities import priorities
    from nqpf.profiles.profile import profile
    from nqpf.profiles.sections import investor_section, profiles_section

    if not is_nqpf(result):
        return []
    out = Path(out)
    run_folder = out / result.framework.id
    folder = run_folder / "profiles"
    folder.mkdir(parents=True, exist_ok=True)
    if log:
        log(f"profiles: {len(result.regions)} provinces of {result.framework.id}")
    tables: dict[str, list[pd.DataFrame]] = {k: [] for k in (
        "levels", "indicators", "strengths", "weaknesses", "performance", "growth", "position", "rank_interval",
        "peers", "priorities", "actions", "narratives")}
    made, narratives, records = {}, {}, {}
    from nqpf.profiles.peers import DEFAULT_FEATURES

    # the structural variables only: each peer search reads them, not the whole panel
    struct = panel.select(variables=sorted({v for f in DEFAULT_FEATURES.values() for v in f[0]} & set(panel.variables)))
    notes: list[str] = []
    for code in result.regions:
        try:
            p = profile(result, code, run=run_folder)
            pri = priorities(result, code, year=p.year)
        except NqpfError as e:  # e.g. a user's region without an index score: said, not fatal
            notes.append(f"no profile for {code}: {e}")
            continue
        try:
            pe = find_peers(result, code, panel=struct, year=p.year)
        except NqpfError as e:
            pe = None
            notes.append(f"no peers for {code}: {e}")
        nar = narrate(p, pri)
        made[code], narratives[code], records[code] = p, nar, narrative_record(nar)
        tables["levels"].append(p.to_tidy())
        for name, t in (("indicators", p.indicators), ("performance", p.performance), ("growth", p.growth),
                        ("position", p.position), ("priorities", pri.table), ("actions", pri.actions),
                        ("narratives", nar.to_frame())):
            tables[name].append(_with_region(code, t))
        for name, t in (("strengths", p.strengths), ("weaknesses", p.weaknesses)):
            tables[name].append(_with_region(code, t.assign(order=range(1, len(t) + 1), year=p.year)))
        iv = p.rank_interval
        row = p.index_row
        tables["rank_interval"].append(pd.DataFrame([{
            "region_code": code, "year": p.year, "node": p.root, "rank": float(row["rank"]),
            "rank_p05": float(iv["rank_p05"]) if iv is not None else float("nan"),
            "rank_median": float(iv["rank_median"]) if iv is not None else float("nan"),
            "rank_p95": float(iv["rank_p95"]) if iv is not None else float("nan"),
            "computed": iv is not None, "source": p.uncertainty_source}]))
        if pe is not None:
            pt = pe.table().rename(columns={"region_code": "candidate"})
            pt.insert(0, "region_code", code)
            pt.insert(2, "method", pe.method)
            tables["peers"].append(pt)
    for name, parts in tables.items():
        if parts:
            pd.concat(parts, ignore_index=True).to_csv(folder / f"{name}.csv", index=False, float_format="%.10g")
    (folder / "narratives.json").write_text(json.dumps(records, ensure_ascii=False, indent=1), encoding="utf-8")
    sections: list[Section] = [profiles_section(made, narratives)]
    try:  # the linkage coefficient scenarios use for the implied HQD change
        link = hqd_link(result, run_dir=out, hqd=hqd, panel=panel)
        link.to_frame().to_csv(folder / "hqd_link.csv", index=False, float_format="%.10g")
    except NqpfError as e:
        notes.append(f"HQD linkage not available: {e}")
    corpus = default_corpus(data)
    if corpus is None:
        notes.append("investor view not made: the work-report corpus text/gwr_provincial was not found in the data folder")
    else:
        try:
            view = investor_for(panel, corpus, draws=draws, seed=seed)
        except NqpfError as e:
            notes.append(f"investor view not made: {e}")
        else:
            view.to_tidy().to_csv(folder / "investor_matrix.csv", index=False, float_format="%.10g")
            view.scores.to_csv(folder / "investor_components.csv", index=False, float_format="%.10g")
            view.items.to_csv(folder / "investor_items.csv", index=False, float_format="%.10g")
            view.draws.to_csv(folder / "investor_draws.csv", index=False, float_format="%.10g")
            pd.DataFrame({"note": view.notes}).to_csv(folder / "investor_notes.csv", index=False)
            names = {c: f"{made[c].region_en} {made[c].region_zh}" for c in made}
            sections.append(investor_section(view, names))
    pd.DataFrame({"note": notes}).to_csv(folder / "notes.csv", index=False)
    for n in notes:
        if log:
            log(n)
    return sections

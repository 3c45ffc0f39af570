"""What-if scenarios: change indicator values, score them on the frozen scale.

A scenario is a list of changes, each for one province, one or more years and one indicator:
``set`` (an absolute value in the indicator's unit), ``relative`` (a proportional change,
0.2 = +20%) or ``reach: peer_leader`` (the best value among the province's peers that year).
The changed indicator cube is scored with the parameters fitted on the original data held fixed
(treatment caps, normalisation bounds, weights, TOPSIS ideals: :func:`nqpf.index.frozen.score_indicators`;
JRC/OECD Handbook 2008, §5, fixed goalposts), so a change is not absorbed by re-normalising.

On the frozen scale a province's score depends only on its own values: the other provinces'
scores stay as they were (the result reports the largest change among them, which is 0), while
ranks, being relative, may move. Rebuilding the index on changed data instead (``regenerate``)
would move the bounds and so every province's score; that is a different question.

Scenario files (YAML or CSV)::

    out_of_range: clip            # or extrapolate
    linkage: {coef: 0.8, se: 0.2, outcome: hqd}   # optional: from a linkage model
    changes:
      - {region: Anhui, indicator: rd_to_gdp, years: "2018:2019", set: 2.5}
      - {region: 安徽, indicator: invention_patents_per_10k, relative: 0.2}
      - {region: Anhui, indicator: hitech_revenue_to_gdp, reach: peer_leader, peers: [Hubei, Hunan]}

CSV columns: ``region, year, indicator, kind, value`` (kind ``set``, ``relative`` or ``peer_leader``).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nqpf.index.frozen import OUT_OF_RANGE, ScoredScenario, score_indicators
from nqpf.index.result import IndexResult
from nqpf.panel import Panel
from nqpf.profiles.peers import find_peers
from nqpf.profiles.profile import ProfileError

KINDS = ("set", "relative", "peer_leader")
CHANGE_COLUMNS = ["region_code", "year", "indicator", "kind", "value", "peers"]


class ScenarioInputError(ProfileError):
    """A scenario that cannot be applied: unknown province, indicator or year, impossible value."""


@dataclass
class ScenarioResult:
    """A scored scenario.

    ``changes``: ``region_code, region_en, year, indicator, unit, kind, input, before, after``
    (values in the indicator's unit); ``effects``: for every changed province-year and every
    dimension and the index, ``region_code, year, node, score_before, score_after, score_change,
    rank_before, rank_after``; ``scored`` (the :class:`ScoredScenario`); ``others_max_change``
    (largest absolute score change of any unchanged province-year); ``out_of_range``; ``notes``.
    """

    framework: str
    changes: pd.DataFrame
    effects: pd.DataFrame
    scored: ScoredScenario
    others_max_change: float
    out_of_range: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    def index_effects(self) -> pd.DataFrame:
        """The effects on the index only."""
        return self.effects[self.effects["node"] == self.scored.root].reset_index(drop=True)

    @property
    def summary(self) -> str:
        lines = [f"scenario on {self.framework}: {len(self.changes)} change(s)"]
        for r in self.index_effects().itertuples():
            lines.append(f"  {r.region_code} {r.year}: index {r.score_before:.4f} -> {r.score_after:.4f} "
                         f"({r.score_change:+.4f}), rank {r.rank_before:.0f} -> {r.rank_after:.0f}")
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)


# -- reading --------------------------------------------------------------------------------
def _years(spec: Any, result: IndexResult, where: str) -> list[int]:
    if spec is None:
        return [result.years[-1]]
    if isinstance(spec, str) and ":" in spec:
        a, b = spec.split(":", 1)
        try:
            return list(range(int(a), int(b) + 1))
        except ValueError:
            raise ScenarioInputError(f"{where}: years {spec!r} must look like 2018:2019") from None
    items = spec if isinstance(spec, list | tuple) else [spec]
    try:
        return [int(y) for y in items]
    except (TypeError, ValueError):
        raise ScenarioInputError(f"{where}: year {spec!r} is not a year (e.g. 2019 or '2017:2019')") from None


def changes_from_records(records: Sequence[Mapping[str, Any]], result: IndexResult) -> pd.DataFrame:
    """Scenario changes (YAML-style mappings) as rows ``region, year, indicator, kind, value, peers``."""
    rows = []
    for i, rec in enumerate(records, start=1):
        where = f"change {i}"
        if not isinstance(rec, Mapping):
            raise ScenarioInputError(f"{where} must be a mapping with region, indicator and one of set, relative, reach")
        unknown = set(rec) - {"region", "indicator", "year", "years", "set", "relative", "reach", "peers"}
        if unknown:
            raise ScenarioInputError(f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}; use region, "
                                     "indicator, year(s), set | relative | reach, peers")
        for key in ("region", "indicator"):
            if rec.get(key) in (None, ""):
                raise ScenarioInputError(f"{where}: '{key}' is missing")
        kinds = [k for k in ("set", "relative", "reach") if k in rec]
        if len(kinds) != 1:
            raise ScenarioInputError(f"{where}: give exactly one of set (a value), relative (0.2 = +20%) or "
                                     f"reach: peer_leader; got {', '.join(kinds) or 'none'}")
        kind = kinds[0]
        value: Any = rec[kind]
        if kind == "reach":
            if str(value) != "peer_leader":
                raise ScenarioInputError(f"{where}: reach must be 'peer_leader', got {value!r}")
            kind, value = "peer_leader", np.nan
        peers = rec.get("peers")
        if peers is not None and not isinstance(peers, list | tuple):
            raise ScenarioInputError(f"{where}: peers must be a list of provinces")
        for y in _years(rec.get("years", rec.get("year")), result, where):
            rows.append({"region": str(rec["region"]), "year": y, "indicator": str(rec["indicator"]), "kind": kind,
                         "value": value, "peers": list(peers) if peers else None, "where": where})
    return pd.DataFrame(rows, columns=["region", "year", "indicator", "kind", "value", "peers", "where"])


def read_scenario(path: str | Path, result: IndexResult) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A scenario file (YAML or CSV) as change rows, plus its options (``out_of_range``)."""
    from nqpf.safeyaml import load_yaml

    p = Path(path)
    if not p.is_file():
        raise ScenarioInputError(f"scenario file {p} not found (give a YAML or CSV file)")
    if p.suffix.lower() == ".csv":
        try:
            df = pd.read_csv(p, dtype=str, keep_default_na=False)
        except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as e:
            raise ScenarioInputError(f"scenario file {p} is not a readable CSV: {e}") from None
        need = ["region", "year", "indicator", "kind", "value"]
        miss = [c for c in need if c not in df.columns]
        if miss:
            raise ScenarioInputError(f"scenario CSV {p} needs columns {', '.join(need)}; missing {', '.join(miss)}")
        recs = []
        for line, r in enumerate(df.itertuples(index=False), start=2):
            kind = str(r.kind).strip()
            if kind not in KINDS:
                raise ScenarioInputError(f"{p} line {line}: kind must be one of {', '.join(KINDS)}, got {kind!r}")
            rec: dict[str, Any] = {"region": r.region, "indicator": r.indicator, "years": r.year or None}
            if kind == "peer_leader":
                rec["reach"] = "peer_leader"
            else:
                try:
                    rec[kind] = float(str(r.value))
                except ValueError:
                    raise ScenarioInputError(f"{p} line {line}: value {r.value!r} is not a number") from None
            recs.append(rec)
        return changes_from_records(recs, result), {}
    doc = load_yaml(p)
    if isinstance(doc, list):
        doc = {"changes": doc}
    if not isinstance(doc, Mapping) or not isinstance(doc.get("changes"), list) or not doc["changes"]:
        raise ScenarioInputError(f"scenario file {p} must hold 'changes:' with a list of changes")
    opts = {k: v for k, v in doc.items() if k != "changes"}
    bad = set(opts) - {"out_of_range", "framework", "name", "linkage"}
    if bad:
        raise ScenarioInputError(f"scenario file {p}: unknown key(s) {', '.join(sorted(map(str, bad)))}; "
                                 "use changes, out_of_range, framework, name, linkage")
    return changes_from_records(doc["changes"], result), opts


# -- checking and applying --------------------------------------------------------------------
class _Row:
    """Attribute access to one change row (typed loosely, as it comes from a table)."""

    def __init__(self, rec: Mapping[Any, Any]) -> None:
        self.region: str = str(rec.get("region", rec.get("region_code", "")))
        self.region_code: str = str(rec.get("region_code", ""))
        self.year: int = int(rec["year"])
        self.indicator: str = str(rec.get("indicator", ""))
        self.kind: str = str(rec.get("kind", ""))
        self.value: Any = rec.get("value")
        self.peers: list[str] | None = rec.get("peers") or None
        self.where: str = str(rec.get("where", "change"))


def _check_rows(rows: pd.DataFrame, result: IndexResult) -> pd.DataFrame:
    out = rows.copy()
    codes = []
    for rec in out.to_dict("records"):
        r = _Row(rec)
        reg = result.registry.lookup(r.region)
        if reg is None or reg.code not in result.regions:
            hint = result.registry.suggest(str(r.region))
            raise ScenarioInputError(f"{r.where}: unknown province {r.region!r}"
                                     + (f"; did you mean {', '.join(hint)}?" if hint else ""))
        codes.append(reg.code)
        if r.indicator not in result.indicators:
            close = difflib.get_close_matches(r.indicator, result.indicators, n=3)
            raise ScenarioInputError(f"{r.where}: unknown indicator {r.indicator!r} in {result.framework.id}; "
                                     + (f"did you mean {', '.join(close)}?" if close else
                                        f"indicators: {', '.join(result.indicators)}"))
        if r.year not in result.years:
            raise ScenarioInputError(f"{r.where}: year {r.year} is outside the index "
                                     f"({result.years[0]}-{result.years[-1]})")
        if r.kind != "peer_leader":
            try:
                v = float(r.value)
            except (TypeError, ValueError):
                raise ScenarioInputError(f"{r.where}: {r.kind} value {r.value!r} is not a number") from None
            if not np.isfinite(v):
                raise ScenarioInputError(f"{r.where}: {r.kind} value {r.value!r} is not a finite number")
    out["region_code"] = codes
    dup = out[out.duplicated(["region_code", "year", "indicator"], keep=False)]
    if len(dup):
        d = dup.iloc[0]
        raise ScenarioInputError(f"{d['indicator']} of {d['region']} {d['year']} is changed more than once "
                                 f"({', '.join(map(str, dup['where']))}); give one change per cell")
    return out


def _impossible(value: float, k: int, result: IndexResult, unit: str) -> str | None:
    """Why ``value`` cannot be a value of indicator ``k`` (None when it can)."""
    raw = result.raw[:, :, k]
    lo, hi = np.nanmin(raw), np.nanmax(raw)
    if value < 0 <= lo:
        return f"cannot be negative (observed values are {lo:.4g} to {hi:.4g} {unit})"
    if "%" in unit and value > 100 >= hi:
        return f"is a percentage and cannot exceed 100 (observed {lo:.4g} to {hi:.4g})"
    return None


def run_scenario(result: IndexResult, changes: pd.DataFrame | Sequence[Mapping[str, Any]], *,
                 out_of_range: str = "clip", peer_k: int = 5,
                 linkage: Mapping[str, Any] | None = None, panel: Panel | None = None) -> ScenarioResult:
    """Apply ``changes`` (rows from :func:`read_scenario` or YAML-style mappings) and score them.

    The changes are made to the indicator values as evaluated from the formulas; the fitted
    imputation then fills the gaps as it did, so unchanged data give exactly the original scores.
    An imputed cell can be changed too (its imputed value is the base of a relative change; the
    change table says which were imputed). ``peer_k``: peers per province for ``peer_leader`` when none are listed.
    """
    if out_of_range not in OUT_OF_RANGE:
        raise ScenarioInputError(f"out_of_range must be one of {', '.join(OUT_OF_RANGE)}, got {out_of_range!r}")
    rows = changes if isinstance(changes, pd.DataFrame) else changes_from_records(changes, result)
    if rows.empty:
        raise ScenarioInputError("the scenario has no changes")
    rows = _check_rows(rows, result)
    tree = result.tree().set_index("node")
    values = result.raw.copy()  # re-imputed by the fitted imputation: unchanged data give the original scores
    applied = []
    notes: list[str] = []
    for rec in rows.to_dict("records"):
        r = _Row(rec)
        ti, ri, k = result.years.index(r.year), result.regions.index(r.region_code), result.indicators.index(r.indicator)
        unit = str(tree.at[r.indicator, "unit"])
        before = result.filled[ti, ri, k]
        if r.kind == "set":
            after, shown = float(r.value), float(r.value)
        elif r.kind == "relative":
            after, shown = before * (1 + float(r.value)), float(r.value)
        else:
            peers = r.peers or find_peers(result, r.region_code, panel=panel, year=r.year, k=peer_k).peers
            pcodes = [result.registry.resolve(p).code for p in peers]
            idx = [result.regions.index(c) for c in pcodes if c in result.regions]
            norm = result.normalised[ti, idx, k]
            lead = idx[int(np.nanargmax(norm))]
            shown = np.nan
            if norm.max() > result.normalised[ti, ri, k]:
                after = result.filled[ti, lead, k]
                notes.append(f"{r.region_code} {r.year} {r.indicator}: peer leader is {result.regions[lead]}")
            else:
                after = before
                notes.append(f"{r.region_code} {r.year} {r.indicator}: already at or above its peer leader; unchanged")
        if r.kind != "set" and not np.isfinite(before):
            raise ScenarioInputError(f"{r.where}: {r.region_code} has no value of {r.indicator} in {r.year}, "
                                     "so a relative change or peer target cannot be applied; use set")
        why = _impossible(after, k, result, unit)
        if why:
            raise ScenarioInputError(f"{r.where}: {r.indicator} = {after:.4g} for {r.region} {r.year} {why}")
        values[ti, ri, k] = after
        applied.append({"region_code": r.region_code, "year": r.year, "indicator": r.indicator, "unit": unit,
                        "kind": r.kind, "input": shown, "before": before, "after": after,
                        "imputed": bool(result.imputed[ti, ri, k])})
    ch = pd.DataFrame(applied)
    ch.insert(1, "region_en", [result.registry.get(c).name_en if c in result.registry else c for c in ch["region_code"]])
    scored = score_indicators(result, values, out_of_range=out_of_range)
    notes = list(scored.notes) + notes
    root = result.framework.root.id
    nodes = [root, *result.node_children(root)]
    changed = ch[["region_code", "year"]].drop_duplicates()
    eff = []
    for rec in changed.to_dict("records"):
        r = _Row(rec)
        ti, ri = result.years.index(r.year), result.regions.index(r.region_code)
        for n in nodes:
            s0, s1 = result.scores[n][ti, ri], scored.scores[n][ti, ri]
            eff.append({"region_code": r.region_code, "year": r.year, "node": n, "score_before": s0,
                        "score_after": s1, "score_change": s1 - s0, "rank_before": result.ranks[n][ti, ri],
                        "rank_after": scored.ranks[n][ti, ri]})
    effects = pd.DataFrame(eff)
    mask = np.ones(result.index.shape, dtype=bool)
    for rec in changed.to_dict("records"):
        r = _Row(rec)
        mask[result.years.index(r.year), result.regions.index(r.region_code)] = False
    diff = np.abs(scored.index - result.index)[mask]
    others = float(np.nanmax(diff)) if diff.size else 0.0
    if others > 1e-12:
        notes.append(f"other provinces' index scores changed by up to {others:.3g}: the fitted imputation links "
                     "provinces (a changed value fills a neighbour's gap)")
    else:
        notes.append("other provinces' scores are unchanged (frozen scale); their ranks may move")
    if ch["imputed"].any():
        notes.append(f"{int(ch['imputed'].sum())} changed cell(s) were imputed in the original data")
    out = ScenarioResult(framework=result.framework.id, changes=ch, effects=effects, scored=scored,
                         others_max_change=others, out_of_range=scored.out_of_range, notes=notes)
    if linkage is not None:
        add_implied_change(out, linkage)
    return out


def add_implied_change(res: ScenarioResult, linkage: Mapping[str, Any]) -> ScenarioResult:
    """Add the implied outcome change of each changed province-year to ``res.effects`` (index
    rows: ``implied_<outcome>``, ``_low``, ``_high``) from a linkage mapping (``coef, se``;
    optional ``level`` (0.9), ``outcome`` (hqd), ``source``, ``assumption``, ``assumption_zh``),
    e.g. :meth:`nqpf.profiles.hqd_link.HQDLink.as_linkage`; the notes say which and on what assumption."""
    effects, notes, root = res.effects, res.notes, res.scored.root
    try:
        coef, se = float(linkage["coef"]), float(linkage["se"])
    except (KeyError, TypeError, ValueError):
        raise ScenarioInputError("linkage needs numbers coef and se (and optionally level, outcome)") from None
    name = str(linkage.get("outcome", "hqd"))
    at_root = effects["node"] == root
    imp_t = implied_change(effects.loc[at_root, "score_change"].to_numpy(), coef, se,
                          level=float(linkage.get("level", 0.9)))
    for col, src in ((f"implied_{name}", "implied_change"), (f"implied_{name}_low", "low"),
                     (f"implied_{name}_high", "high")):
        effects.loc[at_root, col] = imp_t[src].to_numpy()
    notes.append(f"implied change of {name}: coefficient {coef:g} (se {se:g}) per index unit, "
                 f"{float(linkage.get('level', 0.9)):.0%} interval"
                 + (f"; source: {linkage['source']}" if linkage.get("source") else ""))
    notes.append(str(linkage.get("assumption") or "assumption: the coefficient is applied ceteris paribus "
                     "(other determinants unchanged) as a within-province effect"))
    if linkage.get("assumption_zh"):
        notes.append(str(linkage["assumption_zh"]))
    return res


def implied_change(score_change: float | np.ndarray, coef: float, se: float, *, level: float = 0.9) -> pd.DataFrame:
    """The implied change of an outcome (e.g. HQD) from an index change, through a linear
    linkage coefficient ``coef`` (outcome units per index unit) with standard error ``se``:
    ``coef * dI`` and its normal ``level`` interval ``(coef -+ z se) * dI``."""
    from scipy.stats import norm

    if se < 0 or not 0 < level < 1:
        raise ScenarioInputError(f"linkage needs se >= 0 and 0 < level < 1, got se={se}, level={level}")
    d = np.atleast_1d(np.asarray(score_change, dtype=float))
    z = float(norm.ppf(0.5 + level / 2))
    a, b = (coef - z * se) * d, (coef + z * se) * d
    return pd.DataFrame({"index_change": d, "implied_change": coef * d, "low": np.minimum(a, b),
                         "high": np.maximum(a, b), "level": level})

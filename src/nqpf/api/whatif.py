"""What-if scenarios for the API and the dashboard's scenario page.

Calls the profiles' scenario engine (:func:`nqpf.profiles.scenario.run_scenario`): indicator
values of chosen provinces and years are changed (``set`` an absolute value in the indicator's
unit, ``relative`` 0.2 = +20 %, or ``peer_leader``: reach the best value among the province's
peers) and scored on the run's frozen scale (JRC/OECD Handbook 2008, sec. 5, fixed goalposts).

The answer holds, per changed province-year, the new index and dimension scores and ranks
against the old; every province whose rank moved in an affected year ("who moved"); and, for an
NQPF index when a linkage estimate is available, the implied change of the HQD index with its
interval: ``coef * dI``, ``(coef -+ z se) * dI`` (:func:`nqpf.profiles.scenario.implied_change`),
where ``coef`` is the two-way fixed-effects coefficient of the HQD index on this index
(:mod:`nqpf.linkage`, SE clustered by region).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from nqpf.api.state import BadRequest
from nqpf.api.tables import records

if TYPE_CHECKING:
    from nqpf.api.state import Catalog
    from nqpf.index.result import IndexResult
    from nqpf.profiles.scenario import ScenarioResult

HQD_PREFIX = "hqd"


class WhatIfChange(BaseModel):
    """One change: provinces x indicators x years, each cell changed the same way."""

    regions: list[str] = Field(min_length=1, max_length=31, description="province codes or names / 省份")
    indicators: list[str] = Field(min_length=1, max_length=50, description="indicator ids / 指标")
    kind: Literal["set", "relative", "peer_leader"] = Field(
        description="set: absolute value in the indicator's unit; relative: 0.2 = +20%; peer_leader: reach the peers' best")
    value: float | None = Field(None, allow_inf_nan=False, description="the value (set) or proportion (relative)")
    years: list[int] | None = Field(None, min_length=1, max_length=50,
                                    description="years to change (default: the latest year)")
    peers: list[str] | None = Field(None, min_length=1, max_length=30,
                                    description="peers for peer_leader (default: the 5 nearest)")


class Linkage(BaseModel):
    """A linkage estimate given by the client: outcome units per index unit, with its SE."""

    coef: float = Field(allow_inf_nan=False, ge=-1e6, le=1e6)
    se: float = Field(allow_inf_nan=False, ge=0, le=1e6)
    outcome: str = Field("hqd", max_length=32, pattern=r"^[A-Za-z0-9_]+$")


class WhatIf(BaseModel):
    """A scenario on indicators, scored on the frozen scale."""

    changes: list[WhatIfChange] = Field(min_length=1, max_length=50)
    out_of_range: Literal["clip", "extrapolate"] = "clip"
    level: float = Field(0.9, gt=0, lt=1, description="interval level of the implied HQD change")
    linkage: Linkage | None = Field(None, description="use this coefficient instead of the server's estimate")


class ScenarioRequestError(BadRequest):
    """A scenario request naming a province, indicator, year or value that cannot be used (422)."""


def _field_error(field: str, message: str) -> ScenarioRequestError:
    return ScenarioRequestError(f"{field}: {message}")


def change_rows(body: WhatIf, result: IndexResult) -> pd.DataFrame:
    """The request as the engine's change rows, every field checked first; a bad one raises
    :class:`ScenarioRequestError` naming it (``changes.0.regions.1: unknown province ...``)."""
    import difflib

    rows = []
    for i, ch in enumerate(body.changes):
        at = f"changes.{i}"
        codes = []
        for j, reg in enumerate(ch.regions):
            r = result.registry.lookup(reg) if len(reg) <= 64 else None
            if r is None or r.code not in result.regions:
                hint = result.registry.suggest(reg[:64])
                raise _field_error(f"{at}.regions.{j}", f"unknown province {reg[:64]!r}"
                                   + (f"; did you mean {', '.join(hint)}?" if hint else "; give a code like 340000 or a name like Anhui/安徽"))
            codes.append(r.code)
        for j, ind in enumerate(ch.indicators):
            if ind not in result.indicators:
                close = difflib.get_close_matches(ind[:64], result.indicators, n=3)
                raise _field_error(f"{at}.indicators.{j}", f"{result.framework.id} has no indicator {ind[:64]!r}; "
                                   + (f"did you mean {', '.join(close)}?" if close else f"indicators: {', '.join(result.indicators)}"))
        years = ch.years or [result.years[-1]]
        for j, y in enumerate(years):
            if y not in result.years:
                raise _field_error(f"{at}.years.{j}", f"year {y} is outside the index ({result.years[0]}-{result.years[-1]})")
        if ch.kind != "peer_leader" and ch.value is None:
            raise _field_error(f"{at}.value", f"a {ch.kind} change needs a value "
                               + ("(in the indicator's unit)" if ch.kind == "set" else "(0.2 = +20%)"))
        if ch.kind == "relative" and ch.value is not None and ch.value <= -1:
            raise _field_error(f"{at}.value", f"relative change {ch.value:g} would make the value zero or negative; "
                               "give a proportion above -1 (e.g. -0.1 = -10%)")
        for j, p in enumerate(ch.peers or []):
            r = result.registry.lookup(p) if len(p) <= 64 else None
            if r is None or r.code not in result.regions:
                raise _field_error(f"{at}.peers.{j}", f"unknown province {p[:64]!r}")
        for code in codes:
            for ind in ch.indicators:
                for y in years:
                    rows.append({"region": code, "year": int(y), "indicator": ind, "kind": ch.kind,
                                 "value": np.nan if ch.value is None else float(ch.value),
                                 "peers": list(ch.peers) if ch.peers else None, "where": at})
    df = pd.DataFrame(rows)
    dup = df[df.duplicated(["region", "year", "indicator"], keep=False)]
    if len(dup):
        d = dup.iloc[0]
        raise _field_error("changes", f"{d['indicator']} of {d['region']} {d['year']} is changed more than once "
                           f"({', '.join(dict.fromkeys(dup['where']))}); give one change per cell")
    if len(df) > 5000:
        raise _field_error("changes", f"{len(df)} cells changed; at most 5000 per scenario")
    return df


def linkage_estimate(cat: Catalog, framework: str) -> tuple[dict[str, Any] | None, str]:
    """The HQD-on-index coefficient for ``framework``'s index: ``({coef, se, nobs, source}, note)``,
    or ``(None, why not)``. Read from the job's ``linkage/*.csv`` tables (:func:`nqpf.profiles.hqd_link.read_linkage`)
    when they hold an ``hqd_index`` row for this framework, else estimated once (two-way FE, controls from the store)
    from the HQD run beside it."""
    if framework.startswith(HQD_PREFIX):
        return None, "this is the HQD index itself: no implied HQD change / 本身即高质量发展指数"
    key = f"linkage:{framework}"
    if key not in cat.memo:
        cat.memo[key] = _linkage_from_file(cat, framework) or _linkage_estimated(cat, framework)
    out: tuple[dict[str, Any] | None, str] = cat.memo[key]
    return out


def _linkage_from_file(cat: Catalog, framework: str) -> tuple[dict[str, Any] | None, str] | None:
    from nqpf.profiles.hqd_link import read_linkage

    found = read_linkage(cat.run_dir, framework)  # the same reader the profiles and `nqpf scenario` use
    if found is None:
        return None
    est = {"coef": found.coef, "se": found.se, "nobs": found.nobs or None,
           "source": str(Path(found.source).relative_to(cat.run_dir)) if Path(found.source).is_relative_to(cat.run_dir)
           else found.source}
    return est, "two-way FE coefficient of the HQD index on this index, from the job's linkage tables"


def _linkage_estimated(cat: Catalog, framework: str) -> tuple[dict[str, Any] | None, str]:
    hqd = [f for f in cat.ids if f.startswith(HQD_PREFIX)]
    if not hqd:
        return None, "no HQD run beside this index and no linkage table: implied HQD change not shown / 无高质量发展指数运行"
    store = cat.store()
    if store is None:
        return None, "the linkage regression needs the store's control variables (start with --store) / 需要数据库"
    from nqpf.errors import NqpfError
    from nqpf.linkage import TwoWayFE
    from nqpf.linkage.analysis import CONTROLS, linkage_data

    try:
        panel = store.panel(variables=["budget_expenditure_total", "gdp", "population", "exports_per_capita_usd"])
        d = linkage_data(cat.result(framework), cat.result(hqd[0]), panel)
        fit = TwoWayFE("hqd_index", ["nqpf", *CONTROLS]).fit(d)
    except (NqpfError, KeyError, ValueError) as e:
        return None, f"linkage regression not estimated: {str(e).splitlines()[0][:200]}"
    est = {"coef": float(fit.params["nqpf"]), "se": float(fit.std_errors["nqpf"]), "nobs": int(fit.nobs),
           "source": f"two-way FE of {hqd[0]} on {framework}"}
    return est, (f"two-way FE of the HQD index on this index with controls {', '.join(CONTROLS)}, SE clustered by region, "
                 f"N = {fit.nobs} / 双向固定效应估计")


def _names(result: IndexResult) -> tuple[dict[str, str], dict[str, str]]:
    t = result.tree()
    return dict(zip(t["node"], t["name_en"], strict=True)), dict(zip(t["node"], t["name_zh"], strict=True))


def _region_names(result: IndexResult, codes: pd.Series) -> tuple[list[str], list[str]]:
    en, zh = [], []
    for c in codes:
        r = result.registry.lookup(str(c)) if str(c) in result.registry else None
        en.append(r.name_en if r else str(c))
        zh.append(r.name_zh if r else str(c))
    return en, zh


def who_moved(result: IndexResult, sr: ScenarioResult) -> pd.DataFrame:
    """Every province whose index rank changed in a year the scenario touched: ``region_code,
    region_en, region_zh, year, score_before, score_after, rank_before, rank_after, rank_change``
    (positive = moved up), biggest moves first."""
    root = result.framework.root.id
    rows = []
    for y in sorted(set(sr.changes["year"].astype(int))):
        ti = result.years.index(y)
        r0, r1 = result.ranks[root][ti], sr.scored.ranks[root][ti]
        s0, s1 = result.scores[root][ti], sr.scored.scores[root][ti]
        for ri, code in enumerate(result.regions):
            if np.isfinite(r0[ri]) and np.isfinite(r1[ri]) and r0[ri] != r1[ri]:
                rows.append({"region_code": code, "year": y, "score_before": float(s0[ri]), "score_after": float(s1[ri]),
                             "rank_before": int(r0[ri]), "rank_after": int(r1[ri]), "rank_change": int(r0[ri] - r1[ri])})
    df = pd.DataFrame(rows, columns=["region_code", "year", "score_before", "score_after", "rank_before", "rank_after",
                                     "rank_change"])
    en, zh = _region_names(result, df["region_code"])
    df.insert(1, "region_en", en)
    df.insert(2, "region_zh", zh)
    return df.sort_values(["year", "rank_after"], kind="stable").reset_index(drop=True)


def _store_panel(cat: Catalog, field: str) -> Any:
    """The store's whole panel (read once per process): structural peers need variables beyond
    the index's own."""
    if "panel" not in cat.memo:
        store = cat.store()
        if store is None:
            raise _field_error(field, "the default peers are found from the store's data; start the server with "
                               "--store, or list the peers (e.g. [\"Jiangsu\", \"Zhejiang\"])")
        cat.memo["panel"] = store.panel()
    return cat.memo["panel"]


#: the tables of a what-if answer that download as CSV or XLSX (``POST .../whatif/tables/{table}``)
WHATIF_TABLES = ("index", "moved", "changes", "effects", "implied", "out_of_range")


def whatif_frames(cat: Catalog, framework: str, body: WhatIf) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Score ``body`` on ``framework``'s frozen scale: the answer's tables (:data:`WHATIF_TABLES`,
    each a DataFrame with its columns even when empty) and its other fields."""
    from nqpf.profiles.profile import ProfileError
    from nqpf.profiles.scenario import implied_change, run_scenario

    result = cat.result(framework)
    rows = change_rows(body, result)
    panel = None
    for i, c in enumerate(body.changes):
        if c.kind == "peer_leader" and not c.peers and panel is None:
            panel = _store_panel(cat, f"changes.{i}.peers")
    try:
        sr = run_scenario(result, rows, out_of_range=body.out_of_range, panel=panel)
    except ProfileError as e:  # the engine's own checks (ScenarioInputError is one)
        msg = re.sub(r"^change (\d+)", lambda m: f"changes.{int(m.group(1)) - 1}", str(e))
        raise ScenarioRequestError(msg if msg.startswith("changes") else f"changes: {msg}") from None
    root = result.framework.root.id
    en, zh = _names(result)
    eff = sr.effects.copy()
    eff.insert(1, "region_en", _region_names(result, eff["region_code"])[0])
    eff.insert(2, "region_zh", _region_names(result, eff["region_code"])[1])
    eff.insert(4, "name_en", eff["node"].map(en))
    eff.insert(5, "name_zh", eff["node"].map(zh))
    ch = sr.changes.copy()
    ch.insert(2, "region_zh", _region_names(result, ch["region_code"])[1])
    ch.insert(4, "name_en", ch["indicator"].map(en))
    ch.insert(5, "name_zh", ch["indicator"].map(zh))
    index_rows = eff[eff["node"] == root].reset_index(drop=True)
    if body.linkage is not None:
        est: dict[str, Any] | None = {"coef": body.linkage.coef, "se": body.linkage.se, "nobs": None,
                                      "source": "given in the request"}
        why, outcome = "coefficient given in the request / 请求中给定的系数", body.linkage.outcome
    else:
        est, why = linkage_estimate(cat, framework)
        outcome = "hqd"
    implied: dict[str, Any] = {"available": est is not None, "note": why, "outcome": outcome, "level": body.level}
    imp = pd.DataFrame(columns=["region_code", "region_en", "region_zh", "year", "index_change", "implied_change",
                                "low", "high"])
    if est is not None:
        imp = implied_change(index_rows["score_change"].to_numpy(), est["coef"], est["se"], level=body.level)
        imp.insert(0, "region_code", index_rows["region_code"].to_numpy())
        imp.insert(1, "region_en", index_rows["region_en"].to_numpy())
        imp.insert(2, "region_zh", index_rows["region_zh"].to_numpy())
        imp.insert(3, "year", index_rows["year"].to_numpy())
        implied.update({"coef": est["coef"], "se": est["se"], "nobs": est["nobs"], "source": est["source"]})
    frames = {"index": index_rows, "moved": who_moved(result, sr), "changes": ch, "effects": eff, "implied": imp,
              "out_of_range": sr.out_of_range}
    other = {"framework": framework, "node": root, "out_of_range_mode": body.out_of_range, "cells_changed": len(ch),
             "others_max_change": sr.others_max_change, "implied": implied, "notes": list(sr.notes)}
    return frames, other


def run_whatif(cat: Catalog, framework: str, body: WhatIf) -> dict[str, Any]:
    """Score ``body`` on ``framework``'s frozen scale; the JSON answer of the scenario endpoint."""
    frames, other = whatif_frames(cat, framework, body)
    implied = dict(other["implied"])
    if implied["available"]:
        implied["rows"] = records(frames["implied"])
    return {
        "framework": other["framework"], "node": other["node"], "out_of_range_mode": other["out_of_range_mode"],
        "cells_changed": other["cells_changed"], "changes": records(frames["changes"]), "index": records(frames["index"]),
        "effects": records(frames["effects"]), "moved": records(frames["moved"]),
        "others_max_change": other["others_max_change"], "implied": implied,
        "out_of_range": records(frames["out_of_range"]), "notes": other["notes"],
    }

"""Scoring changed or new data on a fitted construction's frozen scale.

A scenario ("what if Henan raised R&D to 3% of GDP") or a new year must be scored with the
parameters fitted on the original data held fixed: the same treatment caps, the same
normalisation bounds (so the change is not absorbed by a re-normalisation), the same weights and
TOPSIS ideal points. This is scikit-learn's ``transform`` after ``fit``; in composite-index terms
the JRC/OECD Handbook (2008, §5) calls it keeping the reference (goalposts) fixed over time.

Values outside the range the scale was fitted on are listed, and either clipped to it
(``out_of_range="clip"``, the default: a min-max score then stays within its range) or
extrapolated (``"extrapolate"``: a min-max score may leave [0, 1]).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from nqpf.errors import NqpfError
from nqpf.index import impute as imp
from nqpf.index import treat as trt
from nqpf.index.plan import Tree
from nqpf.index.steps import _group_labels, aggregate_tree, normalise_with, rank_desc
from nqpf.panel import Panel

if TYPE_CHECKING:
    from nqpf.index.construction import Construction

OUT_OF_RANGE = ("clip", "extrapolate")


class ScenarioError(NqpfError):
    """Scenario data that cannot be scored (unknown region, variable or year, bad values)."""


@dataclass
class ScoredScenario:
    """Scores of new or changed data on a result's frozen scale.

    Attributes: ``scores``/``ranks`` (``{node: (T, R)}``), ``years``, ``regions``,
    ``indicators``, ``values`` (indicator values (T, R, K) as scored, in their units),
    ``out_of_range`` (``region_code, year, indicator, value, fitted_min, fitted_max, action``)
    and ``notes``.
    """

    framework: str
    root: str
    years: list[int]
    regions: list[str]
    indicators: list[str]
    values: np.ndarray
    scores: dict[str, np.ndarray]
    ranks: dict[str, np.ndarray]
    out_of_range: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    @property
    def index(self) -> np.ndarray:
        return self.scores[self.root]

    def to_tidy(self) -> pd.DataFrame:
        """``region_code, year, framework, node, score, rank``."""
        t, r = len(self.years), len(self.regions)
        frames = [pd.DataFrame({"region_code": np.tile(self.regions, t), "year": np.repeat(self.years, r),
                                "framework": self.framework, "node": n, "score": s.reshape(-1),
                                "rank": pd.array(self.ranks[n].reshape(-1), dtype="Float64").astype("Int64")})
                  for n, s in self.scores.items()]
        return pd.concat(frames, ignore_index=True)

    def change(self, base: Construction, node: str | None = None) -> pd.DataFrame:
        """Score and rank changes against ``base`` for the years and regions both have."""
        node = node or self.root
        rows = []
        for y in self.years:
            if y not in base.years:
                continue
            ti, tb = self.years.index(y), base.years.index(y)
            for ri, code in enumerate(self.regions):
                if code not in base.regions:
                    continue
                rb = base.regions.index(code)
                s0, s1 = base.scores[node][tb, rb], self.scores[node][ti, ri]
                k0, k1 = base.ranks[node][tb, rb], self.ranks[node][ti, ri]
                rows.append({"region_code": code, "year": y, "node": node, "score_before": s0, "score_after": s1,
                             "score_change": s1 - s0, "rank_before": k0, "rank_after": k1})
        return pd.DataFrame(rows)


def apply_changes(panel: Panel, changes: pd.DataFrame) -> Panel:
    """``panel`` with tidy ``region_code, year, variable, value`` rows set (added or replaced)."""
    need = {"region_code", "year", "variable", "value"}
    missing = need - set(changes.columns)
    if missing:
        raise ScenarioError(f"scenario changes need columns {sorted(need)}; missing {sorted(missing)}")
    ch = changes[["region_code", "year", "variable", "value"]].copy()
    ch["region_code"] = ch["region_code"].astype(str)
    unknown = sorted(set(ch["variable"]) - set(panel.variables))
    if unknown:
        raise ScenarioError(f"scenario variable(s) {', '.join(map(str, unknown))} not in the panel")
    vals = pd.to_numeric(ch["value"], errors="coerce")
    bad = ch[~np.isfinite(vals.to_numpy(dtype=float))]
    if len(bad):
        row = bad.iloc[0]
        raise ScenarioError(f"scenario value for {row['region_code']} {row['year']} {row['variable']} is not a "
                            f"finite number: {row['value']!r}")
    ch["value"] = vals.astype(float)
    ch["year"] = ch["year"].astype(int)
    obs = panel.observations
    key = ["region_code", "year", "variable"]
    merged = pd.concat([obs, ch], ignore_index=True)
    merged = merged.drop_duplicates(key, keep="last")
    return Panel(merged[obs.columns.intersection(merged.columns)], panel.catalog)


def score(result: Construction, data: Panel | pd.DataFrame, *, out_of_range: str = "clip",
          years: Sequence[int] | None = None, regions: Sequence[str] | None = None) -> ScoredScenario:
    """Evaluate ``result``'s framework on new or changed data and score it on the frozen scale.

    ``data``: a whole :class:`~nqpf.panel.Panel`, or tidy changes applied to ``result.panel``.
    ``years``/``regions`` default to the result's plus any new ones the changes bring.
    """
    if isinstance(data, Panel):
        panel = data
        new_years: list[int] = []
        new_regions: list[str] = []
    else:
        panel = apply_changes(result.panel, data)
        new_years = sorted({int(y) for y in data["year"]} - set(result.years))
        new_regions = sorted({str(c) for c in data["region_code"]} - set(result.regions))
    yrs = list(years) if years is not None else sorted(set(result.years) | set(new_years))
    regs = list(regions) if regions is not None else [*result.regions, *new_regions]
    cube = result.framework.evaluate(panel, years=yrs, regions=regs)
    pos = [list(cube.variables).index(i) for i in result.indicators]
    return score_indicators(result, cube.values[:, :, pos], years=yrs, regions=regs, out_of_range=out_of_range)


def score_indicators(result: Construction, values: np.ndarray, *, years: Sequence[int] | None = None,
                     regions: Sequence[str] | None = None, out_of_range: str = "clip") -> ScoredScenario:
    """Score indicator values ``(T, R, K)`` (in the indicators' units, K = ``result.indicators``)
    with the result's fitted imputation settings, treatment, normalisation, weights and ideals."""
    if out_of_range not in OUT_OF_RANGE:
        raise ScenarioError(f"out_of_range must be one of {', '.join(OUT_OF_RANGE)}, got {out_of_range!r}")
    yrs = list(years) if years is not None else list(result.years)
    regs = list(regions) if regions is not None else list(result.regions)
    x = np.array(values, dtype=float)
    if x.shape != (len(yrs), len(regs), len(result.indicators)):
        raise ScenarioError(f"values must be (years, regions, indicators) = "
                            f"({len(yrs)}, {len(regs)}, {len(result.indicators)}), got {x.shape}")
    tree = Tree.of(result.framework)
    notes: list[str] = []
    # imputation: the same settings, applied to the new cube
    filled = np.empty_like(x)
    for g in result.stages["impute"].params["groups"]:
        conf, ks = g["conf"], g["columns"]
        lim = conf.get("max_extrapolation")
        filled[:, :, ks], _ = imp.impute(x[:, :, ks], conf.get("method", "linear"),
                                         groups=_group_labels(regs, conf.get("groups"), result.registry),
                                         years=np.asarray(yrs, dtype=float),
                                         max_extrapolation=None if lim is None else float(lim))
    # out of the fitted range: listed, then clipped (or left to extrapolate)
    tp = result.stages["treat"].params
    lo = np.asarray(tp["fitted_min"], dtype=float)
    hi = np.asarray(tp["fitted_max"], dtype=float)
    with np.errstate(invalid="ignore"):
        below, above = filled < lo, filled > hi
    t_i, r_i, k_i = np.nonzero(below | above)
    action = "clipped" if out_of_range == "clip" else "extrapolated"
    logs = [p.get("action") == "log" for p in tp["indicators"]]
    oor = pd.DataFrame({
        "region_code": np.array(regs, dtype=object)[r_i], "year": np.array(yrs)[t_i],
        "indicator": np.array(result.indicators, dtype=object)[k_i], "value": filled[t_i, r_i, k_i],
        "fitted_min": lo[k_i], "fitted_max": hi[k_i],
        "action": [("clipped (log domain)" if logs[k] and out_of_range == "extrapolate" else action) for k in k_i],
    })
    if out_of_range == "clip":
        filled = np.clip(filled, lo, hi)
    elif any(logs):  # a log transform is undefined far below its fitted minimum: clip those only
        for k, is_log in enumerate(logs):
            if is_log:
                filled[:, :, k] = np.clip(filled[:, :, k], lo[k], hi[k])
    if len(oor):
        notes.append(f"{len(oor)} value(s) outside the fitted range were {action}")
    treated = trt.apply_treatment(filled, tp["indicators"])
    year_index = None
    if any(g["fitted"]["scope"] == "per_year" for g in result.stages["normalise"].params["groups"]):
        missing = [y for y in yrs if y not in result.years]
        if missing:
            raise ScenarioError(f"per-year normalisation has no fitted scale for {', '.join(map(str, missing))}; "
                                "use pooled normalisation to score new years")
        year_index = np.array([result.years.index(y) for y in yrs])
    normed = normalise_with(treated, result.stages["normalise"].params, year_index=year_index)
    scores = aggregate_tree(tree, result.spec, result.indicators, normed, result.stages["weight"].params["nodes"],
                            ideals=result.stages["aggregate"].params["topsis_ideal"])
    return ScoredScenario(framework=result.framework.id, root=result.framework.root.id, years=yrs, regions=regs,
                          indicators=list(result.indicators), values=filled, scores=scores,
                          ranks={n: rank_desc(s) for n, s in scores.items()}, out_of_range=oor, notes=notes)

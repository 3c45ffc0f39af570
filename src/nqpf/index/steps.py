"""The steps of an index construction, each a small object with ``fit`` and ``apply``.

``fit`` learns the step's parameters from the data of the steps before it (coverage, imputation
sources, treatment caps, normalisation bounds, weights, TOPSIS ideal points); ``apply`` uses
them. Both the parameters and the output data of every step stay on the result
(:class:`Stage`), so nothing is thrown away, a construction can restart from any step, and new
values can be scored on the fitted scale (:mod:`nqpf.index.frozen`).

Order (:data:`nqpf.index.plan.STEP_NAMES`): indicators -> screen -> impute -> treat ->
normalise -> weight -> aggregate -> rank. References: OECD/JRC (2008) *Handbook on
Constructing Composite Indicators*; COINr (Becker et al. 2022), whose "coin" keeps every step's
data and parameters in the same way.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from nqpf.errors import NqpfError
from nqpf.frameworks import Framework
from nqpf.index import aggregate as agg
from nqpf.index import impute as imp
from nqpf.index import normalize as norm
from nqpf.index import treat as trt
from nqpf.index import weights as wts
from nqpf.index.plan import Tree, parse_years
from nqpf.panel import Panel
from nqpf.regions import RegionRegistry

#: aggregation methods that need every value > 0 (normalised data are rescaled to [1, 100])
POSITIVE_AGGREGATIONS = ("geometric", "harmonic")
#: the positive range used for them, as COINr's examples do for geometric means
POSITIVE_RANGE = [1.0, 100.0]


class IndexBuildError(NqpfError):
    """An index that cannot be built from the data and spec given."""


@dataclass
class Stage:
    """One step's fitted parameters and output data."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass
class Context:
    """What the steps read: the inputs, the resolved tree and the stages run so far."""

    framework: Framework
    tree: Tree
    spec: dict[str, Any]
    panel: Panel
    registry: RegionRegistry
    stages: dict[str, Stage] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def __getitem__(self, name: str) -> Stage:
        return self.stages[name]


class Step:
    """Base class: ``run`` = ``fit`` then ``apply``."""

    name = ""

    def fit(self, ctx: Context) -> dict[str, Any]:
        return {}

    def apply(self, ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
        return {}

    def run(self, ctx: Context) -> Stage:
        before = len(ctx.notes)
        params = self.fit(ctx)
        data = self.apply(ctx, params)
        return Stage(self.name, params, data, ctx.notes[before:])


def data_hash(values: np.ndarray, years: Sequence[int], regions: Sequence[str], indicators: Sequence[str]) -> str:
    """sha256 of a cube and its axis labels (NaN-stable)."""
    h = hashlib.sha256()
    h.update(json.dumps([list(map(int, years)), list(regions), list(indicators)]).encode())
    h.update(np.ascontiguousarray(values, dtype="<f8").tobytes())
    return h.hexdigest()


def default_regions(panel: Panel, registry: RegionRegistry) -> list[str]:
    """Every region of the panel but national aggregates, in code order (none dropped)."""
    out = []
    for code in sorted(panel.regions):
        reg = registry.lookup(code) if code in registry else None
        if reg is not None and reg.level == "country":
            continue
        out.append(code)
    return out


def resolve_regions(wanted: Sequence[Any], registry: RegionRegistry) -> list[str]:
    """Region codes for names or codes; six-digit codes unknown to the registry are kept."""
    out: list[str] = []
    for w in wanted:
        s = str(w).strip()
        if s.isdigit() and len(s) == 6 and s not in registry:
            out.append(s)
        else:
            out.append(registry.resolve(s).code)
    return out


class IndicatorsStep(Step):
    """Evaluate the framework's formulas over the panel and choose the year window."""

    name = "indicators"

    def fit(self, ctx: Context) -> dict[str, Any]:
        sp, panel = ctx.spec, ctx.panel
        regions = resolve_regions(sp["regions"], ctx.registry) if sp["regions"] else default_regions(panel, ctx.registry)
        unknown = [c for c in regions if c not in ctx.registry]
        if unknown:
            ctx.notes.append(f"{len(unknown)} region(s) not in the region registry kept with their codes as names: "
                             f"{', '.join(unknown[:5])}{' ...' if len(unknown) > 5 else ''}")
        given = parse_years(sp["years"])
        years_all = given if given else panel.years
        if given:
            have = set(panel.years)
            if not have.intersection(given):
                raise IndexBuildError(
                    f"the panel has no data for years {given[0]}-{given[-1]}; it covers {min(have)}-{max(have)}")
        return {"years_all": years_all, "regions": regions, "explicit_years": bool(given)}

    def apply(self, ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
        fw = ctx.framework
        axis = sorted(set(ctx.panel.years) | set(params["years_all"]))
        cube_all = fw.evaluate(ctx.panel, years=axis, regions=params["regions"])
        if params["explicit_years"]:
            years = list(params["years_all"])
        else:
            years = _pick_years(cube_all.values, axis, float(ctx.spec["year_coverage"]))
        raw = cube_all.values[[axis.index(y) for y in years]]
        indicators = list(cube_all.variables)
        has = np.any(~np.isnan(cube_all.values), axis=1)  # (T_all, K)
        span = {ind: [axis[i] for i in np.flatnonzero(has[:, k])] for k, ind in enumerate(indicators)}
        return {"raw": raw, "years": list(years), "regions": list(params["regions"]), "indicators": indicators,
                "data_years": {k: [v[0], v[-1]] if v else [] for k, v in span.items()},
                "data_hash": data_hash(raw, years, params["regions"], indicators)}


def _pick_years(cube: np.ndarray, years: list[int], threshold: float) -> list[int]:
    """Years whose share of non-missing indicator cells reaches ``threshold`` (a contiguous span)."""
    share = np.mean(~np.isnan(cube), axis=(1, 2))
    ok = [y for y, s in zip(years, share, strict=True) if s >= threshold]
    if not ok:
        best = years[int(np.argmax(share))]
        raise IndexBuildError(
            f"no year has {threshold:.0%} of the indicator cells filled (best: {best}, "
            f"{share.max():.0%}); lower year_coverage or give years explicitly"
        )
    return [y for y in years if ok[0] <= y <= ok[-1]]


class ScreenStep(Step):
    """Drop indicators with too little data (COINr ``Screen``), never silently.

    Unless ``allow_drop`` is set, an indicator below its ``min_coverage`` stops the build with a
    message naming it and the years it has data for; with ``allow_drop`` the result is a named
    variant ("... without X") so the index name never hides a changed construction.
    """

    name = "screen"

    def fit(self, ctx: Context) -> dict[str, Any]:
        ind = ctx["indicators"].data
        raw, names = ind["raw"], ind["indicators"]
        cov = imp.availability(raw)
        thr = np.array([float(ctx.tree.indicator_step(ctx.spec, "screening", i).get("min_coverage", 0.0)) for i in names])
        excluded = [str(e) for e in ctx.spec.get("exclude") or []]
        unknown = [e for e in excluded if e not in names]
        if unknown:
            raise IndexBuildError(f"exclude: {', '.join(unknown)} not an indicator of {ctx.framework.id} "
                                  f"(indicators: {', '.join(names)})")
        keep = (cov >= thr) & ~np.isin(names, excluded)
        dropped = [n for n, k in zip(names, cov >= thr, strict=True) if not k and n not in excluded]
        if dropped and not ctx.spec.get("allow_drop"):
            raise IndexBuildError(
                f"{ctx.framework.id}: too little data in {ind['years'][0]}-{ind['years'][-1]} for "
                + "; ".join(f"{n} ({_years_with_data(ind['data_years'].get(n) or [])}, "
                            f"coverage {cov[names.index(n)]:.0%} < {thr[names.index(n)]:.0%})" for n in dropped)
                + ". Choose years with data, or pass allow_drop to build a variant without them"
            )
        if not keep.any():
            raise IndexBuildError(f"every indicator of {ctx.framework.id} was screened out "
                                  f"(coverage {dict(zip(names, cov.round(2), strict=True))})")
        if dropped:
            ctx.notes.append(f"variant without {', '.join(dropped)} (too little data in the years asked for)")
        if excluded:
            ctx.notes.append(f"variant without {', '.join(excluded)} (excluded by the spec)")
        return {"keep": keep.tolist(), "coverage": cov.tolist(), "dropped": dropped + excluded}

    def apply(self, ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
        names = ctx["indicators"].data["indicators"]
        keep = np.asarray(params["keep"], dtype=bool)
        cov = np.asarray(params["coverage"])
        screened = pd.DataFrame({"indicator": np.array(names)[~keep], "coverage": cov[~keep]})
        return {"indicators": [n for n, k in zip(names, keep, strict=True) if k],
                "raw": ctx["indicators"].data["raw"][:, :, keep], "screened_out": screened}


def _years_with_data(span: Sequence[int]) -> str:
    if not span:
        return "no data in any year"
    return f"data {span[0]}-{span[1]}" if span[1] != span[0] else f"data {span[0]} only"


class ImputeStep(Step):
    """Fill missing cells (flagged, with the years each was filled from), within a maximum
    extrapolation distance (default 2 years) beyond a series' first and last observations."""

    name = "impute"

    def fit(self, ctx: Context) -> dict[str, Any]:
        names = ctx["screen"].data["indicators"]
        groups = ctx.tree.groups(ctx.spec, "imputation", names)
        return {"groups": [{"conf": c, "columns": ks} for c, ks in groups]}

    def apply(self, ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
        x = ctx["screen"].data["raw"]
        years = np.asarray(ctx["indicators"].data["years"], dtype=float)
        regions = ctx["indicators"].data["regions"]
        filled = np.empty_like(x)
        kind = np.zeros(x.shape, dtype=np.int8)
        y0 = np.full(x.shape, np.nan)
        y1 = np.full(x.shape, np.nan)
        for g in params["groups"]:
            conf, ks = g["conf"], g["columns"]
            labels = _group_labels(regions, conf.get("groups"), ctx.registry)
            lim = conf.get("max_extrapolation")
            filled[:, :, ks], kind[:, :, ks], y0[:, :, ks], y1[:, :, ks] = imp.impute_detail(
                x[:, :, ks], conf.get("method", "linear"), groups=labels, years=years,
                max_extrapolation=None if lim is None else float(lim))
        beyond = int(np.sum(np.isnan(filled)))
        n_filled = int(np.sum(kind != imp.KIND_OBSERVED))
        if n_filled:
            ctx.notes.append(f"imputation: {n_filled} cells filled (listed in imputed.csv)")
        if beyond:
            ctx.notes.append(f"imputation: {beyond} cells left missing (beyond the extrapolation limit or no data); "
                             "aggregation skips them and reweights the rest")
        return {"filled": filled, "kind": kind, "year_from": y0, "year_to": y1}


def _group_labels(regions: Sequence[str], grouping: str | None, registry: RegionRegistry) -> np.ndarray | None:
    if not grouping:
        return None
    labels = []
    for code in regions:
        g = registry.group_of(code, grouping) if code in registry else None
        labels.append(g.key if g is not None else "")
    return np.array(labels)


class TreatStep(Step):
    """Outlier treatment (COINr rules); keeps each indicator's caps or log parameters and the
    fitted range of the imputed values, which new values are checked against."""

    name = "treat"

    def fit(self, ctx: Context) -> dict[str, Any]:
        names = ctx["screen"].data["indicators"]
        x = ctx["impute"].data["filled"]
        per: list[dict[str, Any]] = [{} for _ in names]
        logs = []
        for conf, ks in ctx.tree.groups(ctx.spec, "treatment", names):
            conf = dict(conf)
            method = conf.pop("method", "coinr")
            res = trt.treat(x[:, :, ks], method, names=[names[k] for k in ks], **conf)
            logs.append(res.log)
            for k, p in zip(ks, res.params, strict=True):
                per[k] = p
        with np.errstate(all="ignore"):
            flat = x.reshape(-1, x.shape[-1])
            ok = ~np.all(np.isnan(flat), axis=0)
            lo = np.where(ok, np.nanmin(np.where(ok, flat, 0.0), axis=0), np.nan)
            hi = np.where(ok, np.nanmax(np.where(ok, flat, 0.0), axis=0), np.nan)
        log = pd.concat(logs, ignore_index=True) if logs else pd.DataFrame()
        return {"indicators": per, "fitted_min": lo.tolist(), "fitted_max": hi.tolist(), "log": log}

    def apply(self, ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
        return {"treated": trt.apply_treatment(ctx["impute"].data["filled"], params["indicators"])}


class NormaliseStep(Step):
    """Normalisation (pooled over years by default); keeps the fitted bounds/statistics."""

    name = "normalise"

    def fit(self, ctx: Context) -> dict[str, Any]:
        names = ctx["screen"].data["indicators"]
        x = ctx["treat"].data["treated"]
        by_id = {i.id: i for i in ctx.framework.indicators}
        directions = np.array([by_id[i].direction for i in names], dtype=float)
        groups = []
        for conf, ks in ctx.tree.groups(ctx.spec, "normalisation", names):
            conf = dict(conf)
            method = conf.pop("method", "minmax")
            if "out_range" in conf:
                conf["out_range"] = tuple(float(v) for v in conf["out_range"])
            for arr_key in ("goalposts", "targets"):
                if isinstance(conf.get(arr_key), Mapping):
                    conf[arr_key] = np.array([conf[arr_key][names[k]] for k in ks], dtype=float)
                elif conf.get(arr_key) is not None:
                    conf[arr_key] = np.asarray(conf[arr_key], dtype=float)
            fitted = norm.fit_normalize(x[:, :, ks], method, directions[ks], names=[names[k] for k in ks], **conf)
            groups.append({"columns": ks, "fitted": fitted})
        return {"groups": groups}

    def apply(self, ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
        return {"normalised": normalise_with(ctx["treat"].data["treated"], params)}


def normalise_with(x: np.ndarray, params: Mapping[str, Any], *, year_index: np.ndarray | None = None) -> np.ndarray:
    """Apply fitted normalisation groups to a cube ``(T, R, K)``.

    ``year_index`` picks the fitted years for per-year statistics when ``x`` covers other years.
    """
    out = np.empty_like(x, dtype=float)
    for g in params["groups"]:
        fitted = dict(g["fitted"])
        if year_index is not None and fitted["scope"] == "per_year":
            for key in ("min", "max", "mean", "sd", "ref", "n"):
                if key in fitted:
                    fitted[key] = fitted[key][year_index]
        out[:, :, g["columns"]] = norm.apply_normalize(x[:, :, g["columns"]], fitted)
    return out


class WeightStep(Step):
    """Weights of every node's children, bottom-up (data-driven weights of upper nodes are fitted
    on the aggregated scores of their children). AHP consistency is recorded."""

    name = "weight"

    def fit(self, ctx: Context) -> dict[str, Any]:
        tree, sp = ctx.tree, ctx.spec
        names = ctx["screen"].data["indicators"]
        normed = ctx["normalise"].data["normalised"]
        kept = set(names)
        scores: dict[str, np.ndarray] = {ind: normed[:, :, k] for k, ind in enumerate(names)}
        leaf_weights: dict[str, float] | None = None
        if any(tree.node_step(sp, "weighting", n).get("method") == "entropy_global" for n in tree.nodes):
            mat = normed.reshape(-1, len(names))
            w_all = wts.entropy(_unit_range(mat[~np.all(np.isnan(mat), axis=1)]))
            leaf_weights = dict(zip(names, w_all.tolist(), strict=True))
        nodes: dict[str, dict[str, Any]] = {}
        ahp_log: list[dict[str, Any]] = []
        for n in tree.bottom_up():
            children = [c for c in tree.children[n] if tree.leaves_under(c, kept)]
            if not children:
                raise IndexBuildError(f"node {n!r} has no indicator left after screening")
            stack = np.stack([scores[c] for c in children], axis=-1)
            wconf = tree.node_step(sp, "weighting", n)
            w = node_weights(wconf, stack.reshape(-1, len(children)), ctx.framework, n, children,
                             leaf_weights, {c: tree.leaves_under(c, kept) for c in children}, ahp_log)
            nodes[n] = {"children": children, "weights": w, "method": wconf.get("method")}
            aconf = tree.node_step(sp, "aggregation", n)
            scores[n] = aggregate_node(stack, w, aconf, children)
        return {"nodes": nodes, "ahp": ahp_log}


def _unit_range(x: np.ndarray) -> np.ndarray:
    """Column-wise min-max to [0, 1].

    Entropy is not shift-invariant, so entropy weights are always computed on a [0, 1] copy
    of the normalised values: the weights then do not depend on ``out_range`` (or on z-scores
    being negative), and equal the usual min-max entropy weights of the literature.
    """
    lo = np.nanmin(x, axis=-2, keepdims=True)
    span = np.nanmax(x, axis=-2, keepdims=True) - lo
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(span > 0, (x - lo) / np.where(span > 0, span, 1.0), 0.0)


def _child(framework: Framework, cid: str) -> Any:
    items: list[Any] = [*framework.nodes, *framework.indicators]
    for item in items:
        if item.id == cid:
            return item
    raise KeyError(cid)


def node_weights(method: Mapping[str, Any], x: np.ndarray, framework: Framework, node: str, children: list[str],
                 leaf_weights: Mapping[str, float] | None, leaves_under: Mapping[str, list[str]],
                 ahp_log: list[dict[str, Any]]) -> np.ndarray:
    """Weights of a node's kept children from their pooled ``(N, C)`` matrix.

    AHP judgements (``ahp``, or ``combined`` with ``pairwise``) are solved once, checked for
    consistency (Saaty 1980) and logged in ``ahp_log``; a pairwise matrix must match the kept
    children. ``entropy_global`` is the single-layer practice of many Chinese studies: entropy
    weights over all indicators, a child's weight = the sum of its indicators' weights.
    """
    m = method.get("method", "equal")
    kw = {k: v for k, v in method.items() if k != "method"}
    if len(children) == 1 and m in ("entropy", "critic", "pca", "combined"):
        return np.ones(1)  # a lone child carries its parent whatever the data (CRITIC/PCA are undefined)
    ahp_res = None
    if kw.get("pairwise") is not None:
        pw = np.asarray(kw["pairwise"], dtype=float)
        if pw.shape != (len(children), len(children)):
            raise IndexBuildError(
                f"pairwise matrix of node {node!r} is {pw.shape[0]}x{pw.shape[1] if pw.ndim > 1 else 1}, "
                f"but the node has {len(children)} children ({', '.join(children)})"
            )
        ahp_res = wts.ahp(pw)
        ahp_log.append({"node": node, "method": m, "lambda_max": ahp_res.lambda_max, "ci": ahp_res.ci,
                        "cr": ahp_res.cr, "consistent": ahp_res.consistent})
    if m == "user":
        given = [_child(framework, c).weight for c in children]
        if "weights" in kw:
            spec_w = kw["weights"]
            given = [spec_w.get(c) if isinstance(spec_w, Mapping) else None for c in children]
        if any(w is None for w in given):
            missing = [c for c, w in zip(children, given, strict=True) if w is None]
            raise IndexBuildError(f"user weights missing for {missing} under node {node!r}")
        return wts.compute("user", weights=np.asarray(given, dtype=float))
    if m == "entropy_global":
        if leaf_weights is None:
            raise IndexBuildError("entropy_global needs indicator-level entropy weights")
        w = np.array([sum(leaf_weights.get(i, 0.0) for i in leaves_under[c]) for c in children])
        return w / w.sum()
    if m == "ahp":
        if ahp_res is None:
            raise IndexBuildError(f"AHP weighting of node {node!r} needs a 'pairwise' matrix")
        return ahp_res.weights
    if m == "combined":
        sub = kw.get("subjective")
        if isinstance(sub, Mapping):
            sub = [sub[c] for c in children]
        if sub is None and ahp_res is not None:
            sub = ahp_res.weights
            kw.pop("pairwise", None)
        if sub is None:
            sub = [w if (w := _child(framework, c).weight) is not None else 1.0 for c in children]
        kw["subjective"] = np.asarray(sub, dtype=float)
    if m == "equal":
        return wts.equal(len(children))
    rows = x[~np.all(np.isnan(x), axis=1)]
    if m == "entropy" or (m == "combined" and kw.get("objective", "entropy") == "entropy"):
        rows = _unit_range(rows)
    return wts.compute(m, rows, **kw)


def aggregate_node(stack: np.ndarray, w: np.ndarray, aconf: Mapping[str, Any], children: Sequence[str],
                   ideal: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Aggregate a node's children ``(..., C)`` with weights ``w`` and the node's method."""
    method = aconf.get("method", "arithmetic")
    if method == "topsis":
        return agg.topsis(stack, w, ideal=ideal)
    return agg.aggregate(stack, w, method, p=aconf.get("p"), names=list(children))


class AggregateStep(Step):
    """Scores of every node, bottom-up, with the fitted weights; TOPSIS ideal points are kept."""

    name = "aggregate"

    def fit(self, ctx: Context) -> dict[str, Any]:
        tree, sp = ctx.tree, ctx.spec
        ideals: dict[str, Any] = {}
        scores = self._scores(ctx, ideals=None, record=ideals)
        del scores
        return {"topsis_ideal": ideals,
                "methods": {n: tree.node_step(sp, "aggregation", n) for n in tree.nodes}}

    def apply(self, ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
        return {"scores": self._scores(ctx, ideals=params["topsis_ideal"])}

    @staticmethod
    def _scores(ctx: Context, ideals: Mapping[str, Any] | None, record: dict[str, Any] | None = None) -> dict[str, np.ndarray]:
        names = ctx["screen"].data["indicators"]
        normed = ctx["normalise"].data["normalised"]
        return aggregate_tree(ctx.tree, ctx.spec, names, normed, ctx["weight"].params["nodes"], ideals, record)


def aggregate_tree(tree: Tree, spec: Mapping[str, Any], names: Sequence[str], normed: np.ndarray,
                   nodes: Mapping[str, Mapping[str, Any]], ideals: Mapping[str, Any] | None = None,
                   record: dict[str, Any] | None = None) -> dict[str, np.ndarray]:
    """Every node's score from normalised indicators ``(T, R, K)`` and fitted node weights."""
    scores: dict[str, np.ndarray] = {ind: normed[:, :, k] for k, ind in enumerate(names)}
    for n in tree.bottom_up():
        info = nodes[n]
        stack = np.stack([scores[c] for c in info["children"]], axis=-1)
        aconf = tree.node_step(spec, "aggregation", n)
        ideal = None
        if aconf.get("method") == "topsis":
            if ideals is not None and n in ideals:
                ideal = (np.asarray(ideals[n][0]), np.asarray(ideals[n][1]))
            elif record is not None:
                w = np.asarray(info["weights"], dtype=float)
                best, worst = agg.topsis_ideal(stack * (w / w.sum()))
                record[n] = (best, worst)
                ideal = (best, worst)
        scores[n] = aggregate_node(stack, np.asarray(info["weights"]), aconf, info["children"], ideal)
    return scores


class RankStep(Step):
    """Ranks of every node and year (1 = best; ties share the lower rank), linear memory."""

    name = "rank"

    def apply(self, ctx: Context, params: Mapping[str, Any]) -> dict[str, Any]:
        scores = ctx["aggregate"].data["scores"]
        return {"ranks": {n: rank_desc(s) for n, s in scores.items()}}


def rank_desc(a: np.ndarray) -> np.ndarray:
    """Rank along the last axis, 1 = largest, ties take the lower rank, NaN stays NaN.

    ``O(R log R)`` time and ``O(R)`` memory per row (sort, then the first position of each run
    of equal values), where a pairwise comparison would take ``O(R^2)`` memory.
    """
    x = np.asarray(a, dtype=float)
    if x.size == 0:
        return x.copy()
    filled = np.where(np.isnan(x), -np.inf, x)
    order = np.argsort(-filled, axis=-1, kind="stable")
    srt = np.take_along_axis(filled, order, axis=-1)
    n = x.shape[-1]
    pos = np.broadcast_to(np.arange(n), x.shape)
    new = np.ones(x.shape, dtype=bool)
    new[..., 1:] = srt[..., 1:] != srt[..., :-1]
    first = np.maximum.accumulate(np.where(new, pos, 0), axis=-1)
    ranks = np.empty(x.shape, dtype=float)
    np.put_along_axis(ranks, order, first + 1.0, axis=-1)
    ranks[np.isnan(x)] = np.nan
    return ranks


#: the construction, in order
STEPS: tuple[Step, ...] = (IndicatorsStep(), ScreenStep(), ImputeStep(), TreatStep(), NormaliseStep(),
                           WeightStep(), AggregateStep(), RankStep())


def positive_rescale(spec: dict[str, Any], tree: Tree) -> str | None:
    """For geometric/harmonic aggregation (or a generalised mean with p <= 0) with the default
    [0, 1] range, rescale normalised values to [1, 100] as COINr does; returns a note."""
    needs = False
    for n in tree.nodes:
        a = tree.node_step(spec, "aggregation", n)
        if a.get("method") in POSITIVE_AGGREGATIONS or (a.get("method") == "generalized" and float(a.get("p", 1)) <= 0):
            needs = True
    nconf = spec["normalisation"]
    if needs and nconf.get("method") in ("minmax", "percentile", "goalposts", "distance_to_target") \
            and [float(v) for v in nconf.get("out_range", [0.0, 1.0])] == [0.0, 1.0]:
        spec["normalisation"] = {**nconf, "out_range": list(POSITIVE_RANGE)}
        return "normalisation rescaled to [1, 100] because geometric/harmonic aggregation needs values > 0"
    return None


"""The composite-index engine: framework + panel + method spec -> :class:`IndexResult`.

The steps follow the JRC/OECD *Handbook on Constructing Composite Indicators* (2008) and
COINr (Becker et al. 2022): evaluate the indicator formulas, screen by availability, impute
(flagging every imputed cell), treat outliers, normalise (pooled over all years by default, so
scores of different years compare), then weight and aggregate bottom-up through the tree.
Every choice sits in the spec (:mod:`nqpf.index.spec`), so a result can be rebuilt with one
step changed: ``result.regenerate(weighting="critic")``.

Arrays are ``years x regions x indicators`` (T, R, K); every step is vectorised over them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from nqpf.errors import NqpfError
from nqpf.frameworks import Framework, Indicator, Node, load_framework
from nqpf.index import aggregate as agg
from nqpf.index import impute as imp
from nqpf.index import normalize as norm
from nqpf.index import treat as trt
from nqpf.index import weights as wts
from nqpf.index.spec import make_spec, spec_hash
from nqpf.panel import Panel
from nqpf.regions import REGISTRY

TIDY_COLUMNS = ["region_code", "region_en", "region_zh", "year", "framework", "node", "score", "rank"]


class IndexBuildError(NqpfError):
    """An index that cannot be built from the data and spec given."""


@dataclass
class IndexResult:
    """Everything one index construction produced, plus what it was built from.

    Attributes
    ----------
    framework, spec, panel:
        The inputs; ``regenerate`` rebuilds from them with changes.
    years, regions, indicators:
        The axes of every cube (T, R, K); ``indicators`` are those kept after screening.
    raw:
        Indicator values as evaluated from the formulas (T, R, K), before any step.
    imputed:
        Boolean cube, True where a value was imputed.
    treated:
        Values after imputation and outlier treatment.
    normalised:
        Normalised indicator values (higher = better for every indicator).
    scores:
        ``{node_id: (T, R) array}`` for every node and indicator of the tree.
    weights:
        DataFrame ``node, parent, weight, method``: each child's weight within its parent.
    screened_out:
        Indicators dropped by the availability screen, with their coverage.
    treatment_log:
        One row per indicator: skew/kurtosis before and after, action taken.
    data_hash:
        sha256 of the raw indicator cube and its labels: same hash, same input data.
    ahp:
        One row per node weighted from AHP judgements: ``node, method, lambda_max, ci, cr,
        consistent`` (Saaty's consistency ratio; ``consistent`` is CR < 0.1).
    """

    framework: Framework
    spec: dict[str, Any]
    panel: Panel
    years: list[int]
    regions: list[str]
    indicators: list[str]
    raw: np.ndarray
    imputed: np.ndarray
    treated: np.ndarray
    normalised: np.ndarray
    scores: dict[str, np.ndarray]
    weights: pd.DataFrame
    screened_out: pd.DataFrame
    treatment_log: pd.DataFrame
    data_hash: str
    ahp: pd.DataFrame = field(default_factory=pd.DataFrame)
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    # -- views -------------------------------------------------------------------------
    @property
    def index(self) -> np.ndarray:
        """The top-level index score, (T, R)."""
        return self.scores[self.framework.root.id]

    def node_ids(self) -> list[str]:
        """Node and indicator ids in tree order (root first), kept indicators only."""
        out: list[str] = []

        def walk(n: Node | Indicator) -> None:
            if isinstance(n, Indicator):
                if n.id in self.scores:
                    out.append(n.id)
                return
            out.append(n.id)
            for c in n.children:
                walk(c)

        walk(self.framework.root)
        return out

    def tree(self) -> pd.DataFrame:
        """The framework tree (``node, parent, level, kind, name_en, name_zh, ...``), kept nodes only."""
        tf = self.framework.tree_frame()
        return tf[tf["node"].isin(self.node_ids())].reset_index(drop=True)

    def to_tidy(self) -> pd.DataFrame:
        """Tidy scores: ``region_code, region_en, region_zh, year, framework, node, score, rank``.

        Rank 1 is the best region of that node and year (ties share the lower rank).
        """
        nodes = self.node_ids()
        t, r = len(self.years), len(self.regions)
        stacked = np.stack([self.scores[n] for n in nodes])  # (N, T, R)
        ranks = _rank_desc(stacked)
        regs = {g.code: g for g in REGISTRY}
        codes = np.array(self.regions)
        df = pd.DataFrame(
            {
                "region_code": np.tile(codes, len(nodes) * t),
                "year": np.tile(np.repeat(np.array(self.years), r), len(nodes)),
                "node": np.repeat(np.array(nodes), t * r),
                "score": stacked.reshape(-1),
                "rank": ranks.reshape(-1),
            }
        )
        df["region_en"] = df["region_code"].map(lambda c: regs[c].name_en if c in regs else c)
        df["region_zh"] = df["region_code"].map(lambda c: regs[c].name_zh if c in regs else c)
        df["framework"] = self.framework.id
        df["rank"] = df["rank"].astype("Int64")
        return df[TIDY_COLUMNS]

    def wide(self) -> pd.DataFrame:
        """One row per region-year, one column per node and indicator (normalised indicator values)."""
        nodes = self.node_ids()
        t, r = len(self.years), len(self.regions)
        idx = pd.MultiIndex.from_arrays(
            [np.tile(np.array(self.regions), t), np.repeat(np.array(self.years), r)],
            names=["region_code", "year"],
        )
        return pd.DataFrame({n: self.scores[n].reshape(-1) for n in nodes}, index=idx)

    def imputed_cells(self) -> pd.DataFrame:
        """Every imputed cell: ``region_code, year, indicator, value``."""
        t_i, r_i, k_i = np.nonzero(self.imputed)
        return pd.DataFrame(
            {
                "region_code": np.array(self.regions)[r_i],
                "year": np.array(self.years)[t_i],
                "indicator": np.array(self.indicators)[k_i],
                "value": self.treated[t_i, r_i, k_i],
            }
        )

    def ranking(self, year: int | None = None, node: str | None = None) -> pd.DataFrame:
        """Regions ranked for one year (default: the last) and node (default: the index)."""
        node = node or self.framework.root.id
        year = year if year is not None else self.years[-1]
        score = self.scores[node][self.years.index(year)]
        regs = {g.code: g for g in REGISTRY}
        df = pd.DataFrame({
            "region_code": self.regions,
            "region_en": [regs[c].name_en if c in regs else c for c in self.regions],
            "region_zh": [regs[c].name_zh if c in regs else c for c in self.regions],
            "year": year, "framework": self.framework.id, "node": node, "score": score,
            "rank": pd.array(_rank_desc(score[None, :])[0], dtype="Int64"),
        })
        return df.sort_values(["rank", "region_code"]).reset_index(drop=True)[TIDY_COLUMNS]

    def group_means(self, grouping: str = "nbs4", node: str | None = None) -> pd.DataFrame:
        """Unweighted mean score of each group of regions, per year (years x groups)."""
        node = node or self.framework.root.id
        s = self.scores[node]
        cols = {}
        for key, g in REGISTRY.groups(grouping).items():
            mask = np.isin(np.array(self.regions), g.codes)
            if mask.any():
                cols[key] = np.nanmean(s[:, mask], axis=1)
        return pd.DataFrame(cols, index=pd.Index(self.years, name="year"))

    @property
    def summary(self) -> str:
        """A short text summary: framework, spec, coverage and the latest top and bottom regions."""
        rk = self.ranking()
        top = ", ".join(rk["region_en"].head(5))
        bottom = ", ".join(rk["region_en"].tail(5))
        lines = [
            f"{self.framework.name_en} / {self.framework.name_zh} ({self.framework.id})",
            f"years {self.years[0]}-{self.years[-1]}, {len(self.regions)} regions, "
            f"{len(self.indicators)} indicators ({len(self.screened_out)} screened out), "
            f"{int(self.imputed.sum())} cells imputed",
            f"normalisation {self.spec['normalisation']['method']} ({self.spec['normalisation'].get('scope', 'pooled')}), "
            f"weighting {self.spec['weighting']['method']} / upper {self.spec['weighting_upper']['method']}, "
            f"aggregation {self.spec['aggregation']['method']}",
            f"top {self.years[-1]}: {top}",
            f"bottom {self.years[-1]}: {bottom}",
            f"data hash {self.data_hash[:16]}, spec hash {spec_hash(self.spec)}",
        ]
        return "\n".join(lines)

    def regenerate(self, spec: Mapping[str, Any] | None = None, **changes: Any) -> IndexResult:
        """Rebuild from the same framework and panel with the spec changed (COINr's ``Regen``)."""
        new_spec = make_spec(self.spec if spec is None else spec, **changes)
        return build_index(self.framework, self.panel, new_spec)

    def coherence(self) -> Any:
        """Correlations, Cronbach's alpha and PCA per dimension (:mod:`nqpf.index.coherence`)."""
        from nqpf.index.coherence import coherence

        return coherence(self.wide(), self.tree())


def _rank_desc(a: np.ndarray) -> np.ndarray:
    """Rank along the last axis, 1 = largest, ties take the lower rank, NaN stays NaN."""
    filled = np.where(np.isnan(a), -np.inf, a)
    # rank = 1 + number of strictly larger values
    ranks = 1 + (filled[..., None, :] > filled[..., :, None]).sum(axis=-1).astype(float)
    ranks[np.isnan(a)] = np.nan
    return ranks


def _depths(root: Node) -> dict[str, int]:
    out: dict[str, int] = {}

    def walk(n: Node | Indicator, d: int) -> None:
        out[n.id] = d
        if isinstance(n, Node):
            for c in n.children:
                walk(c, d + 1)

    walk(root, 0)
    return out


def _parents(root: Node) -> dict[str, str]:
    out: dict[str, str] = {}

    def walk(n: Node) -> None:
        for c in n.children:
            out[c.id] = n.id
            if isinstance(c, Node):
                walk(c)

    walk(root)
    return out


def _step_for_indicator(spec: Mapping[str, Any], step: str, ind: str, parents: Mapping[str, str],
                        depths: Mapping[str, int]) -> dict[str, Any]:
    """The nearest override of ``step`` among the indicator's ancestors, else the default."""
    node: str | None = ind
    while node is not None:
        block = (spec.get("by_node") or {}).get(node) or {}
        if step in block:
            return dict(block[step])
        node = parents.get(node)
    node = parents.get(ind)
    while node is not None:
        block = _level_block(spec, depths[node])
        if step in block:
            return dict(block[step])
        node = parents.get(node)
    return dict(spec[step])


def _level_block(spec: Mapping[str, Any], depth: int) -> Mapping[str, Any]:
    levels = spec.get("by_level") or {}
    return levels.get(depth) or levels.get(str(depth)) or {}


def _step_for_node(spec: Mapping[str, Any], step: str, node: Node, depth: int) -> dict[str, Any]:
    """Weighting or aggregation of a node's children: node override, then depth, then default."""
    block = (spec.get("by_node") or {}).get(node.id) or {}
    if step in block:
        return dict(block[step])
    level = _level_block(spec, depth)
    if step in level:
        return dict(level[step])
    if step == "weighting" and any(isinstance(c, Node) for c in node.children):
        return dict(spec["weighting_upper"])
    return dict(spec[step])


def _group_labels(regions: Sequence[str], grouping: str | None) -> np.ndarray | None:
    if not grouping:
        return None
    labels = []
    for code in regions:
        g = REGISTRY.group_of(code, grouping)
        labels.append(g.key if g is not None else "")
    return np.array(labels)


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


def _years(spec_years: Any) -> list[int]:
    """Years of a spec: a list of years, or a range written ``"2012:2019"`` (both ends included)."""
    if isinstance(spec_years, str):
        if ":" not in spec_years:
            return [int(y) for y in spec_years.split(",")]
        a, b = spec_years.split(":", 1)
        return list(range(int(a), int(b) + 1))
    return sorted(int(y) for y in spec_years)


def data_hash(values: np.ndarray, years: Sequence[int], regions: Sequence[str], indicators: Sequence[str]) -> str:
    """sha256 of a cube and its axis labels (NaN-stable)."""
    h = hashlib.sha256()
    h.update(json.dumps([list(map(int, years)), list(regions), list(indicators)]).encode())
    h.update(np.ascontiguousarray(values, dtype="<f8").tobytes())
    return h.hexdigest()


def _node_weights(method: dict[str, Any], x: np.ndarray, node: Node, kept: list[Node | Indicator],
                  leaf_weights: Mapping[str, float] | None, leaves_under: Mapping[str, list[str]],
                  ahp_log: list[dict[str, Any]]) -> np.ndarray:
    """Weights of a node's kept children from their pooled (N, C) matrix.

    AHP judgements (``ahp``, or ``combined`` with ``pairwise``) are checked for consistency
    (Saaty 1980) and logged in ``ahp_log``; a pairwise matrix must match the kept children.
    """
    m = method.get("method", "equal")
    kw = {k: v for k, v in method.items() if k != "method"}
    if kw.get("pairwise") is not None:
        pw = np.asarray(kw["pairwise"], dtype=float)
        if pw.shape != (len(kept), len(kept)):
            raise IndexBuildError(
                f"pairwise matrix of node {node.id!r} is {pw.shape[0]}x{pw.shape[1] if pw.ndim > 1 else 1}, "
                f"but the node has {len(kept)} children ({', '.join(c.id for c in kept)})"
            )
        res = wts.ahp(pw)
        ahp_log.append({"node": node.id, "method": m, "lambda_max": res.lambda_max, "ci": res.ci,
                        "cr": res.cr, "consistent": res.consistent})
    if m == "user":
        given = [c.weight for c in kept]
        if "weights" in kw:
            spec_w = kw["weights"]
            given = [spec_w.get(c.id) if isinstance(spec_w, Mapping) else None for c in kept]
        if any(w is None for w in given):
            missing = [c.id for c, w in zip(kept, given, strict=True) if w is None]
            raise IndexBuildError(f"user weights missing for {missing} under node {node.id!r}")
        return wts.compute("user", weights=np.asarray(given, dtype=float))
    if m == "entropy_global":
        # the single-layer practice of many Chinese studies: entropy weights over all indicators,
        # a child's weight = the sum of its indicators' weights (e.g. Wang & Wang 2024)
        if leaf_weights is None:
            raise IndexBuildError("entropy_global needs indicator-level entropy weights")
        w = np.array([sum(leaf_weights.get(i, 0.0) for i in leaves_under[c.id]) for c in kept])
        return w / w.sum()
    if m == "ahp":
        if kw.get("pairwise") is None:
            raise IndexBuildError(f"AHP weighting of node {node.id!r} needs a 'pairwise' matrix")
        return wts.ahp(np.asarray(kw["pairwise"], dtype=float)).weights
    if m == "combined":
        sub = kw.get("subjective")
        if isinstance(sub, Mapping):
            sub = [sub[c.id] for c in kept]
        if sub is None and kw.get("pairwise") is None:
            sub = [c.weight if c.weight is not None else 1.0 for c in kept]  # the YAML weights
        if sub is not None:
            kw["subjective"] = np.asarray(sub, dtype=float)
    if m == "equal":
        return wts.equal(len(kept))
    rows = x[~np.all(np.isnan(x), axis=1)]
    if m == "entropy" or (m == "combined" and kw.get("objective", "entropy") == "entropy"):
        rows = _unit_range(rows)
    return wts.compute(m, rows, **kw)


def _unit_range(x: np.ndarray) -> np.ndarray:
    """Column-wise min-max to [0, 1].

    Entropy is not shift-invariant, so entropy weights are always computed on a [0, 1] copy
    of the normalised values: the weights then do not depend on ``out_range`` (or on z-scores
    being negative), and equal the usual min-max entropy weights of the literature.
    """
    lo = np.nanmin(x, axis=0)
    span = np.nanmax(x, axis=0) - lo
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(span > 0, (x - lo) / np.where(span > 0, span, 1.0), 0.0)


def build_index(framework: Framework | str, panel: Panel, spec: Mapping[str, Any] | None = None,
                **changes: Any) -> IndexResult:
    """Build a composite index.

    Parameters
    ----------
    framework:
        A :class:`~nqpf.frameworks.Framework` or the id / path of one.
    panel:
        The data (:class:`~nqpf.panel.Panel`), e.g. ``Store().panel()``.
    spec, **changes:
        The method spec (see :mod:`nqpf.index.spec`); keyword changes apply on top.
    """
    fw = load_framework(framework) if isinstance(framework, str) else framework
    sp = make_spec(spec, **changes)
    fw.validate(panel.variables)
    regions = [str(r) for r in sp["regions"]] if sp["regions"] else [r.code for r in REGISTRY.provinces()]
    regions = REGISTRY.codes(regions)
    years_all = _years(sp["years"]) if sp["years"] else panel.years
    cube_all = fw.evaluate(panel, years=years_all, regions=regions)
    years = years_all if sp["years"] else _pick_years(cube_all.values, years_all, float(sp["year_coverage"]))
    t0 = years_all.index(years[0])
    raw = cube_all.values[t0 : t0 + len(years)]
    ind_all = list(cube_all.variables)
    dhash = data_hash(raw, years, regions, ind_all)

    parents = _parents(fw.root)
    depths = _depths(fw.root)
    by_id = {i.id: i for i in fw.indicators}

    # 1. screening by availability
    cov = imp.availability(raw)
    keep_mask = np.ones(len(ind_all), dtype=bool)
    for k, ind in enumerate(ind_all):
        thr = _step_for_indicator(sp, "screening", ind, parents, depths).get("min_coverage", 0.0)
        keep_mask[k] = cov[k] >= float(thr)
    screened = pd.DataFrame(
        {"indicator": np.array(ind_all)[~keep_mask], "coverage": cov[~keep_mask]}
    )
    indicators = [i for i, k in zip(ind_all, keep_mask, strict=True) if k]
    if not indicators:
        raise IndexBuildError(f"every indicator of {fw.id} was screened out (coverage {dict(zip(ind_all, cov.round(2), strict=True))})")
    x = raw[:, :, keep_mask]

    # 2-4. imputation, treatment, normalisation, each applied to groups of indicators sharing settings
    filled = np.empty_like(x)
    flags = np.zeros(x.shape, dtype=bool)
    treated = np.empty_like(x)
    normed = np.empty_like(x)
    logs: list[pd.DataFrame] = []
    directions = np.array([by_id[i].direction for i in indicators], dtype=float)

    def groups_of(step: str) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for k, ind in enumerate(indicators):
            key = json.dumps(_step_for_indicator(sp, step, ind, parents, depths), sort_keys=True)
            out.setdefault(key, []).append(k)
        return out

    for key, ks in groups_of("imputation").items():
        conf = json.loads(key)
        labels = _group_labels(regions, conf.get("groups"))
        filled[:, :, ks], flags[:, :, ks] = imp.impute(x[:, :, ks], conf.get("method", "linear"), groups=labels)
    for key, ks in groups_of("treatment").items():
        conf = json.loads(key)
        method = conf.pop("method", "coinr")
        res = trt.treat(filled[:, :, ks], method, names=[indicators[k] for k in ks], **conf)
        treated[:, :, ks] = res.values
        logs.append(res.log)
    for key, ks in groups_of("normalisation").items():
        conf = json.loads(key)
        method = conf.pop("method", "minmax")
        if "out_range" in conf:
            conf["out_range"] = tuple(float(v) for v in conf["out_range"])
        for arr_key in ("goalposts", "targets"):
            if isinstance(conf.get(arr_key), Mapping):
                conf[arr_key] = np.array([conf[arr_key][indicators[k]] for k in ks], dtype=float)
            elif conf.get(arr_key) is not None:
                conf[arr_key] = np.asarray(conf[arr_key], dtype=float)
        normed[:, :, ks] = norm.normalize(treated[:, :, ks], method, directions[ks], **conf)

    # 5. weights and aggregation, bottom-up
    scores: dict[str, np.ndarray] = {ind: normed[:, :, k] for k, ind in enumerate(indicators)}
    weight_rows: list[dict[str, Any]] = []
    ahp_log: list[dict[str, Any]] = []
    leaves_under: dict[str, list[str]] = {}
    leaf_weights: dict[str, float] | None = None

    def leaves(n: Node | Indicator) -> list[str]:
        if isinstance(n, Indicator):
            leaves_under[n.id] = [n.id] if n.id in scores else []
            return leaves_under[n.id]
        out = [leaf for c in n.children for leaf in leaves(c)]
        leaves_under[n.id] = out
        return out

    leaves(fw.root)
    uses_global = any(
        _step_for_node(sp, "weighting", n, depths[n.id]).get("method") == "entropy_global" for n in fw.nodes
    )
    if uses_global:
        mat = normed.reshape(-1, len(indicators))
        w_all = wts.entropy(_unit_range(mat[~np.all(np.isnan(mat), axis=1)]))
        leaf_weights = dict(zip(indicators, w_all.tolist(), strict=True))

    def visit(n: Node) -> None:
        kept: list[Node | Indicator] = []
        for c in n.children:
            if isinstance(c, Node):
                if not leaves_under[c.id]:
                    continue
                visit(c)
            elif c.id not in scores:
                continue
            kept.append(c)
        if not kept:
            raise IndexBuildError(f"node {n.id!r} has no indicator left after screening")
        stack = np.stack([scores[c.id] for c in kept], axis=-1)  # (T, R, C)
        wconf = _step_for_node(sp, "weighting", n, depths[n.id])
        aconf = _step_for_node(sp, "aggregation", n, depths[n.id])
        w = _node_weights(wconf, stack.reshape(-1, len(kept)), n, kept, leaf_weights, leaves_under, ahp_log)
        method = aconf.get("method", "arithmetic")
        if method == "topsis":
            s = agg.topsis(stack, w)
        else:
            s = agg.aggregate(stack, w, method, p=aconf.get("p"), names=[c.id for c in kept])
        scores[n.id] = s
        for c, wi in zip(kept, w, strict=True):
            weight_rows.append({"node": c.id, "parent": n.id, "weight": float(wi), "method": wconf.get("method")})

    visit(fw.root)
    weights = pd.DataFrame(weight_rows, columns=["node", "parent", "weight", "method"])
    tlog = pd.concat(logs, ignore_index=True) if logs else pd.DataFrame()
    return IndexResult(
        framework=fw, spec=sp, panel=panel, years=list(years), regions=list(regions), indicators=indicators,
        raw=raw[:, :, keep_mask], imputed=flags, treated=treated, normalised=normed, scores=scores,
        weights=weights, screened_out=screened, treatment_log=tlog, data_hash=dhash,
        ahp=pd.DataFrame(ahp_log, columns=["node", "method", "lambda_max", "ci", "cr", "consistent"]),
    )


class CompositeIndex:
    """A model object in the linearmodels style: ``CompositeIndex(fw, **spec).fit(panel)``."""

    def __init__(self, framework: Framework | str, spec: Mapping[str, Any] | None = None, **changes: Any) -> None:
        self.framework = load_framework(framework) if isinstance(framework, str) else framework
        self.spec = make_spec(spec, **changes)

    def fit(self, panel: Panel) -> IndexResult:
        """Build the index on ``panel``."""
        return build_index(self.framework, panel, self.spec)

"""Many variants of one construction evaluated at once, on a leading batch axis.

A Monte Carlo or Sobol analysis (JRC practice: Saisana, Saltelli & Tarantola 2005) rebuilds an
index thousands of times with other weights or without some indicators. Those variants share
everything up to the normalised data, so :func:`evaluate_variants` starts from the fitted
result's normalised cube and evaluates all variants' weights and aggregation as array
operations over a leading axis ``V``: ``(V, T, R)`` scores for every node asked for.

Each variant equals a full rebuild with the same choices (tests check it):

* ``exclude``: indicators left out (spec ``exclude``); data-driven weights are refitted on what
  is left (entropy and ``entropy_global`` exactly and vectorised; CRITIC, PCA and combined
  weights per variant);
* ``weights``: a node's children's weights per variant (spec ``user`` weights of that node);
* ``weight_factors``: multiplicative noise on the fitted (or given) weights, renormalised.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from nqpf.errors import ValidationError
from nqpf.index import aggregate as agg
from nqpf.index import weights as wts
from nqpf.index.plan import Tree
from nqpf.index.steps import _unit_range, node_weights

if TYPE_CHECKING:
    from nqpf.index.construction import Construction

#: weighting methods refitted per variant when the data under a node change
_DATA_DRIVEN = ("entropy", "critic", "pca", "combined")


def _variants(exclude: np.ndarray | None, weights: Mapping[str, np.ndarray] | None,
              weight_factors: Mapping[str, np.ndarray] | None) -> int:
    sizes = set()
    if exclude is not None:
        sizes.add(np.asarray(exclude).shape[0])
    for m in (weights or {}, weight_factors or {}):
        for a in m.values():
            sizes.add(np.asarray(a).shape[0])
    if len(sizes) > 1:
        raise ValidationError(f"variant arrays disagree on the number of variants: {sorted(sizes)}")
    return sizes.pop() if sizes else 1


def evaluate_variants(
    result: Construction,
    *,
    exclude: np.ndarray | None = None,
    weights: Mapping[str, np.ndarray] | None = None,
    weight_factors: Mapping[str, np.ndarray] | None = None,
    nodes: Sequence[str] | None = None,
    chunk: int = 2048,
) -> dict[str, np.ndarray]:
    """Scores of ``V`` variants of ``result``'s construction: ``{node: (V, T, R)}``.

    Parameters
    ----------
    exclude:
        ``(V, K)`` bool over ``result.indicators``: True leaves the indicator out of that variant.
    weights:
        ``{node: (V, C)}`` weights of a node's kept children (``result.node_children(node)``
        order), replacing the fitted ones.
    weight_factors:
        ``{node: (V, C)}`` factors (> 0) multiplying the node's weights, e.g. ``1 + U(-0.25, 0.25)``.
    nodes:
        Nodes to return (default: the index only).
    chunk:
        Variants evaluated together (memory ~ chunk x T x R x children x 8 bytes).
    """
    tree = Tree.of(result.framework)
    names = result.indicators
    k = len(names)
    n_var = _variants(exclude, weights, weight_factors)
    excl = np.zeros((n_var, k), dtype=bool) if exclude is None else np.asarray(exclude, dtype=bool)
    if excl.shape != (n_var, k):
        raise ValidationError(f"exclude must be (V, {k}) over the result's indicators, got {excl.shape}")
    info = result.stages["weight"].params["nodes"]
    for label, m in (("weights", weights or {}), ("weight_factors", weight_factors or {})):
        for node, arr in m.items():
            if node not in info:
                raise ValidationError(f"{label}: {node!r} is not an aggregate node of {result.framework.id}")
            c = len(info[node]["children"])
            if np.asarray(arr).shape != (n_var, c):
                raise ValidationError(f"{label}[{node!r}] must be ({n_var}, {c}), got {np.asarray(arr).shape}")
    want = list(nodes) if nodes is not None else [result.framework.root.id]
    out: dict[str, list[np.ndarray]] = {n: [] for n in want}
    for lo in range(0, n_var, max(1, int(chunk))):
        sl = slice(lo, min(n_var, lo + max(1, int(chunk))))
        part = _evaluate(result, tree, names, excl[sl],
                         {n: np.asarray(a, dtype=float)[sl] for n, a in (weights or {}).items()},
                         {n: np.asarray(a, dtype=float)[sl] for n, a in (weight_factors or {}).items()}, want)
        for n in want:
            out[n].append(part[n])
    return {n: np.concatenate(v, axis=0) for n, v in out.items()}


def _evaluate(result: Construction, tree: Tree, names: list[str], excl: np.ndarray,
              weights: Mapping[str, np.ndarray], factors: Mapping[str, np.ndarray],
              want: Sequence[str]) -> dict[str, np.ndarray]:
    v = excl.shape[0]
    normed = result.normalised
    t, r, _ = normed.shape
    pos = {n: i for i, n in enumerate(names)}
    info = result.stages["weight"].params["nodes"]
    spec = result.spec
    scores: dict[str, np.ndarray] = {}
    gone: dict[str, np.ndarray] = {}  # (V,) True where a child has nothing left in a variant

    def values(c: str) -> np.ndarray:
        if c in scores:
            return scores[c]
        j = pos[c]
        return np.where(excl[:, j][:, None, None], np.nan, normed[None, :, :, j])

    leaf_w: np.ndarray | None = None
    if any(info[n]["method"] == "entropy_global" for n in info):
        mat = normed.reshape(-1, len(names))
        leaf_w = wts.entropy(_unit_range(mat[~np.all(np.isnan(mat), axis=1)]))
    for n in tree.bottom_up():
        if n not in info:
            continue
        children = info[n]["children"]
        leaves = {c: [pos[x] for x in tree.leaves_under(c, set(names))] for c in children}
        dead = np.stack([np.all(excl[:, leaves[c]], axis=1) for c in children], axis=1)  # (V, C)
        gone[n] = np.asarray(dead.all(axis=1))
        method = info[n]["method"]
        fitted = np.asarray(info[n]["weights"], dtype=float)
        touched = np.array([np.any(excl[:, leaves[c]]) for c in children]).any()
        upper = any(tree.is_node(c) for c in children)  # children are aggregates, not indicators
        aconf = tree.node_step(spec, "aggregation", n)
        amethod = aconf.get("method", "arithmetic")
        cache: list[np.ndarray] = []

        def stack_of(children: list[str] = children, cache: list[np.ndarray] = cache) -> np.ndarray:
            """The children's values (V, T, R, C), built once and only if a step needs them."""
            if not cache:
                cache.append(np.stack([values(c) for c in children], axis=-1))
            return cache[0]

        if n in weights:
            w = np.array(weights[n], dtype=float)
        elif method == "entropy_global" and leaf_w is not None:
            keep = ~excl  # (V, K)
            w = np.stack([(keep[:, leaves[c]] * leaf_w[leaves[c]]).sum(axis=1) for c in children], axis=1)
        elif method == "entropy" and upper and touched:  # children's scores differ per variant
            w = wts.entropy(_unit_range(stack_of().reshape(v, t * r, len(children))))
        elif method in _DATA_DRIVEN and method != "entropy" and touched:
            stack = stack_of()
            w = np.empty((v, len(children)))
            for i in range(v):
                alive = [j for j in range(len(children)) if not dead[i, j]]
                w[i] = 0.0
                if len(alive) <= 1:  # one child left carries the whole weight (CRITIC/PCA need two)
                    w[i, alive] = 1.0
                    continue
                x = stack[i].reshape(t * r, len(children))[:, alive]
                wi = node_weights(tree.node_step(spec, "weighting", n), x, result.framework, n,
                                  [children[j] for j in alive], None, {}, [])
                w[i, alive] = wi
        else:
            w = np.broadcast_to(fitted, (v, len(children))).copy()
        if n in factors:
            w = w * factors[n]
        w = np.where(dead, 0.0, w)
        total = w.sum(axis=1, keepdims=True)
        w = np.where(total > 0, w / np.where(total > 0, total, 1.0), 1.0)  # all-dead variants give NaN below
        if not upper and amethod != "topsis":
            # indicators are shared by every variant; a left-out one has weight 0, which is what
            # aggregate() gives a NaN column: one matrix product over the variants
            s = _shared_aggregate(normed[:, :, [pos[c] for c in children]], w, amethod, aconf.get("p"),
                                  list(children))
        elif amethod == "topsis":
            s = agg.topsis(stack_of(), w[:, None, None, :], batch_dims=1)
        else:
            s = _loop_aggregate([values(c) for c in children], w, amethod, aconf.get("p"), list(children))
        scores[n] = np.where(gone[n][:, None, None], np.nan, s) if gone[n].any() else s
    return {n: scores[n] if n in scores else values(n) for n in want}


def _power(method: str, p: float | None) -> tuple[str, float | None]:
    if method == "harmonic":
        return "generalized", -1.0
    if method == "generalized":
        if p is None:
            raise ValidationError("generalized mean aggregation needs the exponent p (e.g. p=0.5)")
        p = float(p)
        return ("geometric" if p == 0.0 else "arithmetic" if p == 1.0 else method), p
    if method not in ("arithmetic", "geometric"):
        raise ValidationError(f"unknown aggregation method {method!r}; choose one of {list(agg.AGGREGATE_METHODS)}")
    return method, p


def _loop_aggregate(vals: Sequence[np.ndarray], w: np.ndarray, method: str, p: float | None,
                    names: Sequence[str]) -> np.ndarray:
    """:func:`nqpf.index.aggregate.aggregate` of per-variant children ``vals`` (each (V, T, R))
    under weights ``w`` (V, C), accumulated child by child (no (V, T, R, C) temporaries)."""
    method, p = _power(method, p)
    num = np.zeros(vals[0].shape)
    den = np.zeros(vals[0].shape)
    for j, x in enumerate(vals):
        valid = ~np.isnan(x)
        wc = w[:, j][:, None, None]
        if method != "arithmetic":
            ok = x > 0 if (method == "geometric" or (p is not None and p <= 0)) else x >= 0
            bad = valid & ~ok & (wc > 0)
            if bad.any():
                need = "every value > 0" if method == "geometric" or (p is not None and p <= 0) else "every value >= 0"
                agg._require(np.where(bad, x, np.nan)[..., None], np.zeros((*x.shape, 1), dtype=bool), need,
                             [names[j]], method if method == "geometric" else f"generalized (p={p:g})")
            x = np.where(valid & ok, x, 1.0)
            term = np.log(x) if method == "geometric" else x ** p
        else:
            term = x
        num += np.where(valid, term, 0.0) * wc
        den += valid * wc
    return _finish(num, den, method, p)


def _finish(num: np.ndarray, den: np.ndarray, method: str, p: float | None) -> np.ndarray:
    """Weighted mean of the transformed values, transformed back (exp, 1/p-th power); NaN where
    no observed column carries weight."""
    with np.errstate(invalid="ignore", divide="ignore"):
        out = num / den
        if method == "geometric":
            out = np.exp(out)
        elif method == "generalized":
            assert p is not None
            out = out ** (1.0 / p)
    return np.where(den > 0, out, np.nan)


def _shared_aggregate(x: np.ndarray, w: np.ndarray, method: str, p: float | None,
                      names: Sequence[str]) -> np.ndarray:
    """:func:`nqpf.index.aggregate.aggregate` of shared data ``x`` (T, R, C) under ``V`` weight
    vectors ``w`` (V, C) at once: ``(V, T, R)``. Missing cells are skipped and the weights of the
    observed ones renormalised, exactly as there; a weight of 0 leaves a column out."""
    method, p = _power(method, p)
    valid = ~np.isnan(x)
    used = np.asarray((w > 0).any(axis=0), dtype=bool)  # columns some variant weighs: only those must meet the method's domain
    if method == "arithmetic":
        term = np.where(valid, x, 0.0)
    elif method == "geometric":
        agg._require(x[..., used], x[..., used] > 0, "every value > 0", [n for n, u in zip(names, used.tolist(), strict=True) if u],
                     "geometric")
        term = np.log(np.where(valid & (x > 0), x, 1.0))
    else:
        assert p is not None
        ok = x >= 0 if p > 0 else x > 0
        agg._require(x[..., used], ok[..., used], "every value >= 0" if p > 0 else "every value > 0",
                     [n for n, u in zip(names, used.tolist(), strict=True) if u], f"generalized (p={p:g})")
        term = np.where(valid & ok, x, 1.0) ** p
    t, r, c = x.shape
    wt = np.ascontiguousarray(w.T)  # (C, V)
    num = term.reshape(t * r, c) @ wt  # (T R, V)
    den = valid.reshape(t * r, c).astype(float) @ wt
    out = _finish(num, den, method, p)
    return np.ascontiguousarray(out.T).reshape(-1, t, r)

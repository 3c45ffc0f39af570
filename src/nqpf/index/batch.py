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
    from nqpf.index.result import IndexResult

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
    result: IndexResult,
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


def _evaluate(result: IndexResult, tree: Tree, names: list[str], excl: np.ndarray,
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
        stack = np.stack([values(c) for c in children], axis=-1)  # (V, T, R, C)
        method = info[n]["method"]
        fitted = np.asarray(info[n]["weights"], dtype=float)
        touched = np.array([np.any(excl[:, leaves[c]]) for c in children]).any()
        upper = any(tree.is_node(c) for c in children)  # children are aggregates, not indicators
        if n in weights:
            w = np.array(weights[n], dtype=float)
        elif method == "entropy_global" and leaf_w is not None:
            keep = ~excl  # (V, K)
            w = np.stack([(keep[:, leaves[c]] * leaf_w[leaves[c]]).sum(axis=1) for c in children], axis=1)
        elif method == "entropy" and upper and touched:  # children's scores differ per variant
            w = wts.entropy(_unit_range(stack.reshape(v, t * r, len(children))))
        elif method in _DATA_DRIVEN and method != "entropy" and touched:
            w = np.empty((v, len(children)))
            for i in range(v):
                alive = [j for j in range(len(children)) if not dead[i, j]]
                x = stack[i].reshape(t * r, len(children))[:, alive]
                wi = node_weights(tree.node_step(spec, "weighting", n), x, result.framework, n,
                                  [children[j] for j in alive], None, {}, [])
                w[i] = 0.0
                w[i, alive] = wi
        else:
            w = np.broadcast_to(fitted, (v, len(children))).copy()
        if n in factors:
            w = w * factors[n]
        w = np.where(dead, 0.0, w)
        total = w.sum(axis=1, keepdims=True)
        w = np.where(total > 0, w / np.where(total > 0, total, 1.0), 1.0)  # all-dead variants give NaN below
        aconf = tree.node_step(spec, "aggregation", n)
        wb = w[:, None, None, :]
        if aconf.get("method") == "topsis":
            s = agg.topsis(stack, wb, batch_dims=1)
        else:
            s = agg.aggregate(stack, wb, aconf.get("method", "arithmetic"), p=aconf.get("p"), names=list(children))
        scores[n] = np.where(gone[n][:, None, None], np.nan, s)
    return {n: scores[n] if n in scores else values(n) for n in want}

"""Draws of the uncertain construction, evaluated in batches on the engine's batch axis.

A draw is a row of ``dims`` uniforms on [0, 1) (:class:`~nqpf.robustness.spec.UncertaintySpec`).
:class:`Evaluator` groups the rows of a block by their categorical combination (normalisation,
weighting, ..., framework), rebuilds once per combination (``IndexResult.regenerate``, which
restarts at the first changed step; a framework is a separate build) and evaluates all the
group's exclusion and weight-noise draws at once with
:func:`nqpf.index.batch.evaluate_variants`. Every draw's sampled parameters are decoded into a
tidy table (:func:`draw_parameters`).

Random streams: block ``b`` of a Monte Carlo run draws from
``np.random.SeedSequence(seed).spawn(n_blocks)[b]``; blocks have a fixed size, so the numbers
do not depend on the backend or the number of workers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from nqpf.robustness.spec import (
    Choice,
    Exclusion,
    FrameworkChoice,
    UncertaintySpec,
    WeightNoise,
    _levels,
)

if TYPE_CHECKING:
    from nqpf.index.result import IndexResult

#: draws per block (fixed, so results are identical for any backend and worker count)
BLOCK = 1000


def block_uniforms(seed: int, n: int, dims: int, block: int = BLOCK) -> list[np.ndarray]:
    """The Monte Carlo uniforms of ``n`` draws, as fixed-size blocks with their own streams."""
    n_blocks = max(1, -(-n // block))
    seqs = np.random.SeedSequence(seed).spawn(n_blocks)
    return [np.random.default_rng(s).random((min(block, n - b * block), dims)) for b, s in enumerate(seqs)]


def block_seeds(seed: int, n: int, block: int = BLOCK) -> list[tuple[np.random.SeedSequence, int]]:
    """``(stream, size)`` of each block, so workers can draw their own uniforms."""
    n_blocks = max(1, -(-n // block))
    seqs = np.random.SeedSequence(seed).spawn(n_blocks)
    return [(s, min(block, n - b * block)) for b, s in enumerate(seqs)]


def categorical_levels(spec: UncertaintySpec, u: np.ndarray) -> np.ndarray:
    """``(n, F)`` level of every categorical factor (Choice, FrameworkChoice; -1 for others)."""
    out = np.full((u.shape[0], len(spec.factors)), -1, dtype=np.int64)
    for i, f in enumerate(spec.factors):
        if isinstance(f, Choice | FrameworkChoice):
            out[:, i] = _levels(u[:, spec.columns(i)][:, 0], len(f.choices))
    return out


def draw_parameters(spec: UncertaintySpec, u: np.ndarray, first: int = 0) -> pd.DataFrame:
    """Every draw's sampled parameters: ``draw``, one column per categorical factor (its label),
    ``excluded`` (indicators left out, ``;``-separated, empty for none) and one
    ``w:<node>/<child>`` column per noisy weight (the factor multiplying it)."""
    cols: dict[str, Any] = {"draw": np.arange(first, first + u.shape[0])}
    lv = categorical_levels(spec, u)
    for i, f in enumerate(spec.factors):
        x = u[:, spec.columns(i)]
        if isinstance(f, Choice | FrameworkChoice):
            cols[f.name] = np.asarray(f.labels, dtype=object)[lv[:, i]]
        elif isinstance(f, Exclusion):
            m = f.mask(x)
            names = np.asarray(f.indicators, dtype=object)
            cols["excluded"] = [";".join(names[row]) for row in m]
        elif isinstance(f, WeightNoise):
            fac = f.factors(x)
            for j, (node, child) in enumerate(f.pairs):
                cols[f"w:{node}/{child}"] = fac[:, j]
    return pd.DataFrame(cols)


class Evaluator:
    """Scores of draws of ``spec`` around the nominal construction ``result``.

    Rebuilt constructions are cached per categorical combination, so a worker that evaluates
    several blocks rebuilds each combination once.
    """

    def __init__(self, result: IndexResult, spec: UncertaintySpec, nodes: Sequence[str] | None = None) -> None:
        self.result = result
        self.spec = spec
        self.nodes = list(nodes) if nodes is not None else [result.framework.root.id]
        self.years = result.years
        self.regions = result.regions
        self._cache: dict[tuple[int, ...], IndexResult] = {}
        self.rebuilds = 0

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_cache": {}}

    def construction(self, combo: tuple[int, ...]) -> IndexResult:
        """The construction of one categorical combination (levels per factor, -1 = not categorical)."""
        if combo in self._cache:
            return self._cache[combo]
        from nqpf.index.build import build_index
        from nqpf.index.spec import make_spec

        base = self.result
        changes: dict[str, Any] = {}
        for f, lv in zip(self.spec.factors, combo, strict=True):
            if isinstance(f, FrameworkChoice):
                from nqpf.frameworks import load_framework

                fw = load_framework(f.choices[lv])
                if fw.id != self.result.framework.id or fw.version != self.result.framework.version:
                    base = build_index(fw, self.result.panel, self.result.spec, registry=self.result.registry)
            elif isinstance(f, Choice):
                ch = f.changes(lv)
                for k, v in ch.items():
                    if isinstance(v, dict) and isinstance(changes.get(k), dict):
                        changes[k] = {**changes[k], **v}
                    else:
                        changes[k] = v
        out = base
        if changes:
            from nqpf.errors import NqpfError
            from nqpf.robustness.spec import UncertaintySpecError

            try:
                spec = make_spec(base.spec, **changes)
                if spec != base.spec:
                    out = base.regenerate(spec)
            except NqpfError as e:
                what = ", ".join(f"{f.name}={f.labels[lv]}" for f, lv in zip(self.spec.factors, combo, strict=True)
                                 if isinstance(f, Choice | FrameworkChoice))
                raise UncertaintySpecError(f"the combination {what} cannot be built: {e}; "
                                           "remove one of these choices from the uncertainty spec") from None
        self._cache[combo] = out
        self.rebuilds += 1
        return out

    def evaluate(self, u: np.ndarray, chunk: int = 2048) -> dict[str, np.ndarray]:
        """``{node: (n, T, R)}`` scores of the draws ``u`` (``(n, dims)`` uniforms), on the
        nominal years and regions (NaN where a construction lacks a year, region or node)."""
        spec = self.spec
        n = u.shape[0]
        t, r = len(self.years), len(self.regions)
        out = {nd: np.full((n, t, r), np.nan) for nd in self.nodes}
        lv = categorical_levels(spec, u)
        keys, inverse = np.unique(lv, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        for g, key in enumerate(keys):
            rows = np.nonzero(inverse == g)[0]
            res = self.construction(tuple(int(x) for x in key))
            ug = u[rows]
            excl = np.zeros((len(rows), len(res.indicators)), dtype=bool)
            pos = {x: j for j, x in enumerate(res.indicators)}
            factors: dict[str, np.ndarray] = {}
            info = res.stages["weight"].params["nodes"]
            for i, f in enumerate(spec.factors):
                x = ug[:, spec.columns(i)]
                if isinstance(f, Exclusion):
                    m = f.mask(x)
                    for j, name in enumerate(f.indicators):
                        if name in pos:
                            excl[:, pos[name]] |= m[:, j]
                elif isinstance(f, WeightNoise):
                    fac = f.factors(x)
                    for j, (node, child) in enumerate(f.pairs):
                        if node in info and child in info[node]["children"]:
                            arr = factors.setdefault(node, np.ones((len(rows), len(info[node]["children"]))))
                            arr[:, info[node]["children"].index(child)] = fac[:, j]
            # nominal node -> the node of this construction (another framework's index stands for
            # the nominal index; nodes a construction lacks stay NaN)
            nominal_root = self.result.framework.root.id
            pairs = [(nd, nd if nd in res.scores else res.framework.root.id) for nd in self.nodes
                     if nd in res.scores or nd == nominal_root]
            want, ask = [p[0] for p in pairs], [p[1] for p in pairs]
            sc = res.evaluate_variants(exclude=excl if excl.any() else None, weight_factors=factors or None,
                                       nodes=ask, chunk=chunk) if (excl.any() or factors) else \
                {a: np.broadcast_to(res.scores[a], (len(rows), *res.scores[a].shape)) for a in ask}
            same = res.years == self.years and res.regions == self.regions
            ti, tj = _align(res.years, self.years)
            ri, rj = _align(res.regions, self.regions)
            for nd, a in zip(want, ask, strict=True):
                if same:
                    out[nd][rows] = sc[a]
                    continue
                block = np.full((len(rows), t, r), np.nan)
                block[:, tj[:, None], rj[None, :]] = np.asarray(sc[a])[:, ti[:, None], ri[None, :]]
                out[nd][rows] = block
        return out


#: a block of work: a Monte Carlo stream with its size, or the rows of a Sobol design
Block = tuple[np.random.SeedSequence, int] | np.ndarray


def run_block(evaluator: Evaluator, block: Block) -> tuple[dict[str, np.ndarray], np.ndarray, int]:
    """Scores of one block, its uniforms and the evaluator's rebuild count so far (any backend calls this)."""
    if isinstance(block, np.ndarray):
        u = block
    else:
        seq, size = block
        u = np.random.default_rng(seq).random((size, evaluator.spec.dims))
    return evaluator.evaluate(u), u, evaluator.rebuilds


def _align(have: Sequence[Any], want: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    """Positions in ``have`` and ``want`` of the labels both contain."""
    pos = {x: i for i, x in enumerate(have)}
    pairs = [(pos[x], j) for j, x in enumerate(want) if x in pos]
    a = np.array([p[0] for p in pairs], dtype=np.int64)
    b = np.array([p[1] for p in pairs], dtype=np.int64)
    return a, b

"""Aggregation of normalised indicators into a composite score.

References: OECD/JRC (2008) *Handbook on Constructing Composite Indicators*, §6.2 (linear and
geometric aggregation); COINr ``Aggregate`` (``a_amean``, ``a_gmean``, ``a_hmean``,
``a_genmean``: missing indicators are skipped and the remaining weights renormalised); Hwang &
Yoon (1981) for TOPSIS, used with pooled min-max data and entropy weights as the 熵权-TOPSIS of
the Chinese NQPF literature.

``x`` is ``(..., K)`` (the last axis holds the indicators), ``weights`` ``(K,)`` >= 0.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from nqpf.errors import ValidationError

AGGREGATE_METHODS = ("arithmetic", "geometric", "generalized", "harmonic", "topsis")


def _inputs(x: np.ndarray, weights: np.ndarray | Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(x, dtype=float)
    w = np.asarray(weights, dtype=float).reshape(-1)
    if a.ndim < 1:
        raise ValidationError("aggregation needs an array with an indicator axis (..., K)")
    if w.shape != (a.shape[-1],):
        raise ValidationError(f"weights have {w.size} entries for {a.shape[-1]} indicators")
    bad = np.flatnonzero(~(np.isfinite(w) & (w >= 0)))
    if bad.size:
        raise ValidationError(f"weights must be finite and >= 0; entry {int(bad[0])} is {w[bad[0]]}")
    if not w.sum() > 0:
        raise ValidationError("weights sum to 0")
    return a, w


def _label(k: int, names: Sequence[str] | None) -> str:
    return f"indicator {names[k]!r}" if names is not None else f"indicator column {k}"


def _require(a: np.ndarray, ok: np.ndarray, need: str, names: Sequence[str] | None, method: str) -> None:
    bad = np.any(~ok & ~np.isnan(a), axis=tuple(range(a.ndim - 1)))
    if np.any(bad):
        k = int(np.flatnonzero(bad)[0])
        worst = float(np.nanmin(a[..., k]))
        raise ValidationError(
            f"{method} aggregation needs {need}; {_label(k, names)} has a value {worst:g}. "
            "Normalise to a positive range, e.g. normalize(..., out_range=(1, 100))"
        )


def aggregate(
    x: np.ndarray,
    weights: np.ndarray | Sequence[float],
    method: str = "arithmetic",
    *,
    p: float | None = None,
    names: Sequence[str] | None = None,
) -> np.ndarray:
    """Weighted aggregation over the last axis: ``(..., K)`` -> ``(...)``.

    ``"arithmetic"``: ``sum w x / sum w``. ``"geometric"``: ``exp(sum w ln x / sum w)``
    (x > 0 required). ``"harmonic"``: ``sum w / sum (w / x)`` (x > 0). ``"generalized"``:
    power mean ``(sum w x^p / sum w)^(1/p)`` (p = 1 arithmetic, p -> 0 geometric, p = -1
    harmonic; x >= 0 for p > 0, x > 0 for p <= 0). ``"topsis"``: :func:`topsis`.

    NaN indicators are skipped and the weights of the observed ones renormalised (COINr's
    default); a row with no observed indicator of positive weight gives NaN.
    """
    if method == "topsis":
        return topsis(x, weights)
    if method not in AGGREGATE_METHODS:
        raise ValidationError(f"unknown aggregation method {method!r}; choose one of {list(AGGREGATE_METHODS)}")
    if np.ndim(weights) > 1:  # a batch of weight vectors, shaped to broadcast against x (e.g. (V, 1, 1, K))
        a = np.asarray(x, dtype=float)
        w = np.asarray(weights, dtype=float)
        if w.shape[-1] != a.shape[-1] or np.any(~(np.isfinite(w) & (w >= 0))):
            raise ValidationError(f"batched weights must end in {a.shape[-1]} columns, finite and >= 0")
    else:
        a, w = _inputs(x, weights)
    if names is not None and len(names) != a.shape[-1]:
        raise ValidationError(f"names has {len(names)} entries for {a.shape[-1]} indicators")
    if method == "harmonic":
        method, p = "generalized", -1.0
    if method == "generalized":
        if p is None:
            raise ValidationError("generalized mean aggregation needs the exponent p (e.g. p=0.5)")
        p = float(p)
        if p == 0.0:
            method = "geometric"
        elif p == 1.0:
            method = "arithmetic"
    valid = ~np.isnan(a)
    wv = np.where(valid, w, 0.0)
    wsum = wv.sum(axis=-1)
    a0 = np.where(valid, a, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "arithmetic":
            out = (wv * a0).sum(axis=-1) / wsum
        elif method == "geometric":
            _require(a, a > 0, "every value > 0", names, "geometric")
            out = np.exp((wv * np.log(np.where(valid, a, 1.0))).sum(axis=-1) / wsum)
        else:
            assert p is not None
            if p > 0:
                _require(a, a >= 0, "every value >= 0", names, f"generalized (p={p:g})")
            else:
                _require(a, a > 0, "every value > 0", names, f"generalized (p={p:g})")
            base = np.where(valid, a, 1.0)
            out = ((wv * base**p).sum(axis=-1) / wsum) ** (1.0 / p)
    return np.where(wsum > 0, out, np.nan)


def topsis(x: np.ndarray, weights: np.ndarray | Sequence[float], *, ideal: tuple[np.ndarray, np.ndarray] | None = None,
           batch_dims: int = 0) -> np.ndarray:
    """Entropy-TOPSIS closeness ``C = D- / (D+ + D-)`` in [0, 1]: ``(..., K)`` -> ``(...)``.

    ``x`` is the normalised (pooled, higher = better) data, ``V = x w`` with the weights
    normalised to sum 1; the ideal / anti-ideal points are the column max / min of ``V`` over
    ALL rows (every leading axis, i.e. all region-years), so closeness values of different years
    are comparable; ``D+`` / ``D-`` are Euclidean distances (Hwang & Yoon 1981). NaN indicators
    are left out of a row's distances; a row with none gives NaN, and a row with
    ``D+ = D- = 0`` (all columns constant) gives 0.5.

    ``ideal``: fitted ``(best, worst)`` points of :func:`topsis_ideal` to score new rows on a
    frozen scale. ``batch_dims``: leading axes that are separate constructions (variants):
    each gets its own ideal points; ``weights`` may then be ``(V..., K)``.
    """
    a = np.asarray(x, dtype=float)
    w = np.asarray(weights, dtype=float)
    if w.ndim > 1:  # batched weights, shaped to broadcast against x (e.g. (V, 1, 1, K))
        bad = ~(np.isfinite(w) & (w >= 0))
        if np.any(bad) or np.any(w.sum(axis=-1) <= 0):
            raise ValidationError("batched weights must be finite, >= 0 and not all zero in any variant")
        w = w / w.sum(axis=-1, keepdims=True)
    else:
        a, w = _inputs(a, w)
        w = w / w.sum()
    v = a * w
    best, worst = ideal if ideal is not None else topsis_ideal(v, batch_dims=batch_dims)
    valid = ~np.isnan(v)
    dp = np.sqrt(np.where(valid, (v - best) ** 2, 0.0).sum(axis=-1))
    dm = np.sqrt(np.where(valid, (v - worst) ** 2, 0.0).sum(axis=-1))
    tot = dp + dm
    with np.errstate(invalid="ignore", divide="ignore"):
        c = np.where(tot > 0, dm / tot, 0.5)
    return np.where(valid.any(axis=-1), c, np.nan)


def topsis_ideal(v: np.ndarray, *, batch_dims: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Ideal and anti-ideal points of weighted values ``v`` (``(..., K)``): the column max and
    min over every axis but the last and the ``batch_dims`` leading ones (keepdims)."""
    axes = tuple(range(batch_dims, v.ndim - 1))
    if not axes:
        return v, v
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmax(v, axis=axes, keepdims=True), np.nanmin(v, axis=axes, keepdims=True)

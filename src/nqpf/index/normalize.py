"""Normalisation of indicators onto a common scale, higher = better for every method.

References: OECD/JRC (2008) *Handbook on Constructing Composite Indicators*, §5 (ranking,
standardisation (z-scores), min-max, distance to a reference);
COINr ``Normalise`` (``n_minmax``, ``n_zscore``, ``n_rank``, ``n_prank``, ``n_goalposts``).

Arrays: ``(N, K)`` matrices or panel cubes ``(..., T, R, K)``. With ``scope="pooled"`` (default)
the statistics (min, max, mean, sd, ranks) of a cube use all ``T*R`` region-years of each
indicator, so the normalised values of different years are on one scale and comparable; with
``scope="per_year"`` they are computed within each year (axis -2 only). A leading batch axis
(e.g. Monte Carlo draws) is kept separate: a 4-D ``(D, T, R, K)`` array is normalised per draw.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from scipy.stats import rankdata

from nqpf.errors import ValidationError

NORMALIZE_METHODS = ("minmax", "zscore", "rank", "percentile", "goalposts", "distance_to_target")
SCOPES = ("pooled", "per_year")


def _label(k: int, names: Sequence[str] | None) -> str:
    return f"indicator {names[k]!r}" if names is not None else f"indicator column {k}"


def check_directions(directions: np.ndarray | Sequence[float] | None, k: int) -> np.ndarray:
    """Validated ``(K,)`` array of +1 (benefit) / -1 (cost); None means all +1."""
    if directions is None:
        return np.ones(k)
    d = np.asarray(directions, dtype=float).reshape(-1)
    if d.shape != (k,):
        raise ValidationError(f"directions has {d.size} entries for {k} indicators")
    bad = np.flatnonzero((d != 1) & (d != -1))
    if bad.size:
        raise ValidationError(f"directions must be +1 or -1; column {int(bad[0])} is {d[bad[0]]}")
    return d


def _axes(ndim: int, scope: str) -> tuple[int, ...]:
    """Axes a statistic runs over: region-years (pooled) or regions only (per_year)."""
    if ndim == 2 or scope == "per_year":
        return (-2,)
    return (-3, -2)


def _nanstat(fn: Callable[..., Any], a: np.ndarray, axes: tuple[int, ...], **kw: Any) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.asarray(fn(a, axis=axes, keepdims=True, **kw))


def _ranks(a: np.ndarray, axes: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Average ranks (1..n) over ``axes`` with NaN kept, and the counts n."""
    if axes == (-3, -2):
        shape = a.shape
        flat = a.reshape(*shape[:-3], shape[-3] * shape[-2], shape[-1])
        r = rankdata(flat, method="average", axis=-2, nan_policy="omit").reshape(shape)
    else:
        r = rankdata(a, method="average", axis=-2, nan_policy="omit")
    n = np.sum(~np.isnan(a), axis=axes, keepdims=True)
    return np.asarray(r, dtype=float), n


def _scale(y: np.ndarray, out_range: tuple[float, float]) -> np.ndarray:
    lo, hi = out_range
    return lo + y * (hi - lo)


def normalize(
    x: np.ndarray,
    method: str = "minmax",
    directions: np.ndarray | Sequence[float] | None = None,
    *,
    scope: str = "pooled",
    out_range: tuple[float, float] = (0.0, 1.0),
    goalposts: np.ndarray | None = None,
    targets: np.ndarray | None = None,
    names: Sequence[str] | None = None,
) -> np.ndarray:
    """Normalise each indicator (last axis); cost indicators are reversed.

    Parameters
    ----------
    x:
        ``(N, K)`` matrix or ``(..., T, R, K)`` cube, float, NaN = missing (stays NaN).
    method:
        ``"minmax"``: ``(x - min)/(max - min)`` (cost: ``(max - x)/(max - min)``) mapped to
        ``out_range``; a constant indicator maps to the middle of ``out_range``.
        ``"zscore"``: ``d (x - mean)/sd`` with the sample sd (ddof = 1, as COINr ``n_zscore``);
        ``out_range`` ignored; a constant indicator gives 0.
        ``"rank"``: ranks 1..n of ``d x`` (ties averaged), ``out_range`` ignored.
        ``"percentile"``: ``(rank - 1)/(n - 1)`` in [0, 1] (ties averaged; 0.5 if n = 1),
        mapped to ``out_range``.
        ``"goalposts"``: ``(x - lo)/(hi - lo)`` clipped to [0, 1] (cost: ``(hi - x)/(hi - lo)``),
        mapped to ``out_range`` (COINr ``n_goalposts``; ``goalposts`` ``(K, 2)`` = lo, hi).
        ``"distance_to_target"``: ``min(x/target, 1)`` for benefit, ``min(target/x, 1)`` for
        cost indicators (x >= 0, target > 0), mapped to ``out_range`` (Handbook §5,
        distance to a reference; ``targets`` ``(K,)``).
    directions:
        ``(K,)`` +1 benefit / -1 cost; default all benefit.
    scope:
        ``"pooled"`` (default: statistics over all region-years) or ``"per_year"``.
        Irrelevant for a 2-D matrix and for goalposts / distance to target.
    out_range:
        ``(lo, hi)`` of the output for minmax, percentile, goalposts and distance to target;
        e.g. ``(1, 100)`` keeps every value positive for geometric aggregation.
    names:
        Indicator names used in error messages.

    Returns
    -------
    numpy.ndarray
        Same shape as ``x``.
    """
    a = np.asarray(x, dtype=float)
    if a.ndim < 2:
        raise ValidationError(f"expected an (N, K) matrix or (T, R, K) cube, got shape {a.shape}")
    n_k = a.shape[-1]
    if names is not None and len(names) != n_k:
        raise ValidationError(f"names has {len(names)} entries for {n_k} indicators")
    if method not in NORMALIZE_METHODS:
        raise ValidationError(f"unknown normalisation method {method!r}; choose one of {list(NORMALIZE_METHODS)}")
    if scope not in SCOPES:
        raise ValidationError(f"unknown scope {scope!r}; choose one of {list(SCOPES)}")
    lo, hi = (float(v) for v in out_range)
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValidationError(f"out_range must be (lo, hi) with lo < hi, got {out_range}")
    rng = (lo, hi)
    d = check_directions(directions, n_k)
    axes = _axes(a.ndim, scope)

    if method == "minmax":
        s = a * d
        mn, mx = _nanstat(np.nanmin, s, axes), _nanstat(np.nanmax, s, axes)
        span = mx - mn
        with np.errstate(invalid="ignore", divide="ignore"):
            y = np.where(span > 0, (s - mn) / span, 0.5)
        return np.where(np.isnan(a), np.nan, _scale(y, rng))
    if method == "zscore":
        s = a * d
        mean = _nanstat(np.nanmean, s, axes)
        sd = _nanstat(np.nanstd, s, axes, ddof=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            z = np.where(sd > 0, (s - mean) / sd, 0.0)
        return np.where(np.isnan(a), np.nan, z)
    if method in ("rank", "percentile"):
        r, n = _ranks(a * d, axes)
        if method == "rank":
            return r
        with np.errstate(invalid="ignore", divide="ignore"):
            pr = np.where(n > 1, (r - 1) / (n - 1), 0.5)
        return np.where(np.isnan(a), np.nan, _scale(pr, rng))
    if method == "goalposts":
        if goalposts is None:
            raise ValidationError("method 'goalposts' needs goalposts: a (K, 2) array of lo, hi per indicator")
        gp = np.asarray(goalposts, dtype=float)
        if gp.shape != (n_k, 2):
            raise ValidationError(f"goalposts has shape {gp.shape}, expected ({n_k}, 2)")
        bad = np.flatnonzero(~(gp[:, 1] > gp[:, 0]))
        if bad.size:
            k = int(bad[0])
            raise ValidationError(f"goalposts of {_label(k, names)} must have lo < hi, got {gp[k].tolist()}")
        y = np.clip((a - gp[:, 0]) / (gp[:, 1] - gp[:, 0]), 0.0, 1.0)
        y = np.where(d > 0, y, 1.0 - y)
        return _scale(y, rng)
    # distance to target
    if targets is None:
        raise ValidationError("method 'distance_to_target' needs targets: a (K,) array, one per indicator")
    tg = np.asarray(targets, dtype=float).reshape(-1)
    if tg.shape != (n_k,):
        raise ValidationError(f"targets has {tg.size} entries for {n_k} indicators")
    bad = np.flatnonzero(~(tg > 0))
    if bad.size:
        k = int(bad[0])
        raise ValidationError(f"target of {_label(k, names)} must be > 0, got {tg[k]}")
    neg = np.any(a < 0, axis=tuple(range(a.ndim - 1)))
    if np.any(neg):
        k = int(np.flatnonzero(neg)[0])
        raise ValidationError(f"distance_to_target needs x >= 0; {_label(k, names)} has negative values")
    with np.errstate(invalid="ignore", divide="ignore"):
        y = np.where(d > 0, a / tg, tg / a)
    y = np.where(np.isnan(a), np.nan, np.minimum(y, 1.0))
    return _scale(y, rng)

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


def _sorted_reference(s: np.ndarray, axes: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Sorted non-missing values over ``axes`` for each remaining cell, padded with +inf.

    Returns ``(ref, n)``: ``ref`` has the statistic axes collapsed to size 1 plus a trailing
    axis of the sorted values; ``n`` the counts (keepdims shape).
    """
    moved = np.moveaxis(s, axes, tuple(range(s.ndim - len(axes), s.ndim)))
    lead = moved.shape[: s.ndim - len(axes)]
    flat = moved.reshape(*lead, -1)
    ref = np.sort(np.where(np.isnan(flat), np.inf, flat), axis=-1)
    n = np.sum(~np.isnan(s), axis=axes, keepdims=True)
    shape = list(s.shape)
    for ax in axes:
        shape[ax] = 1
    ref = np.moveaxis(ref, -1, 0).reshape(ref.shape[-1], *shape)  # (M, ...keepdims)
    return np.moveaxis(ref, 0, -1), n


def _avg_ranks(s: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Average rank of each value of ``s`` among the reference values (ties averaged).

    ``rank = (#less + #less-or-equal + 1) / 2``, which equals ``scipy.stats.rankdata(...,
    method="average")`` for values in the reference, and places a new value between its
    neighbours. ``ref`` broadcasts against ``s`` on every axis but its trailing one.
    """
    out = np.full(s.shape, np.nan)
    # group the cells that share one reference vector: loop over the reference's own cells
    ref_cells = ref.reshape(-1, ref.shape[-1])
    idx = np.arange(ref_cells.shape[0]).reshape(ref.shape[:-1])
    owner = np.broadcast_to(idx, s.shape)
    for c in range(ref_cells.shape[0]):
        sel = owner == c
        vals = s[sel]
        r = ref_cells[c]
        lo = np.searchsorted(r, vals, side="left")
        hi = np.searchsorted(r, vals, side="right")
        out[sel] = np.where(np.isnan(vals), np.nan, (lo + hi + 1) / 2.0)
    return out


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
    return apply_normalize(x, fit_normalize(x, method, directions, scope=scope, out_range=out_range,
                                            goalposts=goalposts, targets=targets, names=names))


def fit_normalize(
    x: np.ndarray,
    method: str = "minmax",
    directions: np.ndarray | Sequence[float] | None = None,
    *,
    scope: str = "pooled",
    out_range: tuple[float, float] = (0.0, 1.0),
    goalposts: np.ndarray | None = None,
    targets: np.ndarray | None = None,
    names: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The fitted scale of :func:`normalize` (same parameters): the statistics it learns from
    ``x`` (min and max, mean and sd, or the sorted reference values for ranks), kept so that new
    values can be put on the same scale with :func:`apply_normalize`.

    Statistics keep the shape of ``x`` with the pooled axes reduced to size 1, so they broadcast
    against data of the same years (``per_year``) or any years (``pooled``).
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
    d = check_directions(directions, n_k)
    axes = _axes(a.ndim, scope)
    par: dict[str, Any] = {"method": method, "scope": scope, "out_range": (lo, hi), "directions": d}
    if method == "minmax":
        s = a * d
        par["min"], par["max"] = _nanstat(np.nanmin, s, axes), _nanstat(np.nanmax, s, axes)
    elif method == "zscore":
        s = a * d
        par["mean"], par["sd"] = _nanstat(np.nanmean, s, axes), _nanstat(np.nanstd, s, axes, ddof=1)
    elif method in ("rank", "percentile"):
        par["ref"], par["n"] = _sorted_reference(a * d, axes)
    elif method == "goalposts":
        if goalposts is None:
            raise ValidationError("method 'goalposts' needs goalposts: a (K, 2) array of lo, hi per indicator")
        gp = np.asarray(goalposts, dtype=float)
        if gp.shape != (n_k, 2):
            raise ValidationError(f"goalposts has shape {gp.shape}, expected ({n_k}, 2)")
        bad = np.flatnonzero(~(gp[:, 1] > gp[:, 0]))
        if bad.size:
            k = int(bad[0])
            raise ValidationError(f"goalposts of {_label(k, names)} must have lo < hi, got {gp[k].tolist()}")
        par["goalposts"] = gp
    else:
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
        par["targets"] = tg
    return par


def apply_normalize(x: np.ndarray, params: dict[str, Any]) -> np.ndarray:
    """Put ``x`` on the scale fitted by :func:`fit_normalize` (training data give exactly the
    values :func:`normalize` gives; new values are placed on the same scale, possibly outside
    ``out_range`` for min-max: clip beforehand if that is wanted)."""
    a = np.asarray(x, dtype=float)
    method, rng, d = params["method"], params["out_range"], params["directions"]
    if method == "minmax":
        s = a * d
        mn, mx = params["min"], params["max"]
        span = mx - mn
        with np.errstate(invalid="ignore", divide="ignore"):
            y = np.where(span > 0, (s - mn) / span, 0.5)
        return np.where(np.isnan(a), np.nan, _scale(y, rng))
    if method == "zscore":
        s = a * d
        mean, sd = params["mean"], params["sd"]
        with np.errstate(invalid="ignore", divide="ignore"):
            z = np.where(sd > 0, (s - mean) / sd, 0.0)
        return np.where(np.isnan(a), np.nan, z)
    if method in ("rank", "percentile"):
        r = _avg_ranks(a * d, params["ref"])
        if method == "rank":
            return r
        n = params["n"]
        with np.errstate(invalid="ignore", divide="ignore"):
            pr = np.where(n > 1, (r - 1) / (n - 1), 0.5)
        return np.where(np.isnan(a), np.nan, _scale(pr, rng))
    if method == "goalposts":
        gp = params["goalposts"]
        y = np.clip((a - gp[:, 0]) / (gp[:, 1] - gp[:, 0]), 0.0, 1.0)
        y = np.where(d > 0, y, 1.0 - y)
        return _scale(y, rng)
    tg = params["targets"]
    with np.errstate(invalid="ignore", divide="ignore"):
        y = np.where(d > 0, a / tg, tg / a)
    y = np.where(np.isnan(a), np.nan, np.minimum(y, 1.0))
    return _scale(y, rng)

"""Missing data: screening by availability and panel-aware imputation.

References: OECD/JRC (2008) *Handbook on Constructing Composite Indicators*, ch. 3 (imputation
of missing data: single imputation by interpolation and by group means); COINr ``Impute``
(Becker et al.), whose panel imputation ``impute_panel(imp_type = "linear")`` interpolates each
unit's time series and carries the nearest observed value to the ends.

Arrays are panel cubes ``(..., T, R, K)`` (years x regions x indicators; leading batch axes
allowed), float with NaN for missing cells.
"""

from __future__ import annotations

import numpy as np

from nqpf.errors import ValidationError

IMPUTE_METHODS = ("none", "linear", "group_mean", "linear+group_mean")


def _cube(cube: np.ndarray) -> np.ndarray:
    arr = np.asarray(cube, dtype=float)
    if arr.ndim < 3:
        raise ValidationError(f"expected a (T, R, K) panel cube, got an array of shape {arr.shape}")
    return arr


def availability(cube: np.ndarray) -> np.ndarray:
    """Share of non-missing cells of each indicator, shape ``(K,)``, in [0, 1].

    Counts over every axis but the last (all years and regions; batch axes too).
    """
    arr = np.asarray(cube, dtype=float)
    if arr.ndim < 1 or arr.shape[-1] == 0:
        raise ValidationError(f"expected an array with an indicator axis, got shape {arr.shape}")
    valid = ~np.isnan(arr.reshape(-1, arr.shape[-1]))
    if valid.shape[0] == 0:
        return np.zeros(arr.shape[-1])
    return np.asarray(valid.mean(axis=0))


def screen(cube: np.ndarray, min_coverage: float = 0.65) -> np.ndarray:
    """Keep-mask ``(K,)``: True where the availability is at least ``min_coverage``.

    The 0.65 default follows COINr's ``Screen``/``get_data_avail`` practice of dropping
    indicators with less than about two thirds of their data.
    """
    if not 0.0 <= min_coverage <= 1.0:
        raise ValidationError(f"min_coverage must lie in [0, 1], got {min_coverage}")
    return availability(cube) >= min_coverage


#: how a cell was filled (the ``kind`` cube of :func:`impute_detail`)
KIND_OBSERVED, KIND_INTERPOLATED, KIND_CARRIED_FORWARD, KIND_CARRIED_BACKWARD, KIND_GROUP_MEAN = 0, 1, 2, 3, 4
KIND_LABELS = {KIND_INTERPOLATED: "linear interpolation", KIND_CARRIED_FORWARD: "carried forward",
               KIND_CARRIED_BACKWARD: "carried backward", KIND_GROUP_MEAN: "group mean"}


def _linear_detail(x: np.ndarray, years: np.ndarray | None,
                   max_extrapolation: float | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Interpolate along axis -3 (time); ends take the nearest observed value.

    Returns ``(out, kind, year_from, year_to)``: the filled cube, how each cell was filled
    (``KIND_*``) and the years of the observations it was filled from (NaN when observed).
    With ``max_extrapolation`` (in years), ends are carried at most that far; cells beyond
    stay missing.
    """
    xt = np.moveaxis(x, -3, 0)  # (T, ..., R, K)
    n_t = xt.shape[0]
    pos = np.arange(n_t, dtype=float) if years is None else np.asarray(years, dtype=float)
    if pos.shape != (n_t,):
        raise ValidationError(f"years has shape {pos.shape}, expected ({n_t},) to match the time axis")
    if n_t > 1 and np.any(np.diff(pos) <= 0):
        raise ValidationError("years must be strictly increasing")
    valid = ~np.isnan(xt)
    idx = np.arange(n_t).reshape((n_t,) + (1,) * (xt.ndim - 1))
    # index of the last observed value at or before t, and of the first at or after t
    prev = np.maximum.accumulate(np.where(valid, idx, -1), axis=0)
    nxt = np.flip(np.minimum.accumulate(np.flip(np.where(valid, idx, n_t), axis=0), axis=0), axis=0)
    has_prev, has_next = prev >= 0, nxt < n_t
    p = np.clip(prev, 0, n_t - 1)
    q = np.clip(nxt, 0, n_t - 1)
    xp = np.take_along_axis(xt, p, axis=0)
    xq = np.take_along_axis(xt, q, axis=0)
    tp, tq, tt = pos[p], pos[q], pos[idx] * np.ones_like(xt)
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(q > p, (tt - tp) / (tq - tp), 0.0)
    inside = has_prev & has_next
    fwd = has_prev & ~has_next
    bwd = has_next & ~has_prev
    if max_extrapolation is not None:
        fwd &= (tt - tp) <= max_extrapolation
        bwd &= (tq - tt) <= max_extrapolation
    out = np.where(inside, xp + frac * (xq - xp), np.where(fwd, xp, np.where(bwd, xq, np.nan)))
    out = np.where(valid, xt, out)
    kind = np.where(valid, KIND_OBSERVED,
                    np.where(inside, KIND_INTERPOLATED,
                             np.where(fwd, KIND_CARRIED_FORWARD, np.where(bwd, KIND_CARRIED_BACKWARD, KIND_OBSERVED))))
    y_from = np.where(valid, np.nan, np.where(inside | fwd, tp, np.where(bwd, tq, np.nan)))
    y_to = np.where(valid, np.nan, np.where(inside | bwd, tq, np.where(fwd, tp, np.nan)))
    y_from = np.where(np.isnan(out), np.nan, y_from)
    y_to = np.where(np.isnan(out), np.nan, y_to)
    return (np.moveaxis(out, 0, -3), np.moveaxis(kind, 0, -3), np.moveaxis(y_from, 0, -3),
            np.moveaxis(y_to, 0, -3))


def _linear(x: np.ndarray, years: np.ndarray | None, max_extrapolation: float | None = None) -> np.ndarray:
    return _linear_detail(x, years, max_extrapolation)[0]


def _group_mean(x: np.ndarray, groups: np.ndarray | None) -> np.ndarray:
    """Fill NaN with the same-year mean of the region's group, else of all regions."""
    n_r = x.shape[-2]
    valid = ~np.isnan(x)
    x0 = np.where(valid, x, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        overall = x0.sum(axis=-2, keepdims=True) / valid.sum(axis=-2, keepdims=True)
    fill = np.broadcast_to(overall, x.shape)
    if groups is not None:
        labels = np.asarray(groups)
        if labels.shape != (n_r,):
            raise ValidationError(f"groups has shape {labels.shape}, expected ({n_r},): one label per region")
        text = np.array(["" if v is None or v != v else str(v) for v in labels.tolist()])
        member = text != ""  # regions without a label use the all-region mean
        uniq, inv = np.unique(text, return_inverse=True)
        onehot = ((inv[:, None] == np.arange(len(uniq))[None, :]) & member[:, None]).astype(float)
        sums = np.einsum("...rk,rg->...gk", x0, onehot)
        counts = np.einsum("...rk,rg->...gk", valid.astype(float), onehot)
        with np.errstate(invalid="ignore", divide="ignore"):
            gmean = (sums / counts)[..., inv, :]
        gmean = np.where(member[:, None], gmean, np.nan)
        fill = np.where(np.isnan(gmean), fill, gmean)
    return np.where(valid, x, fill)


def impute(
    cube: np.ndarray,
    method: str = "linear",
    *,
    groups: np.ndarray | None = None,
    years: np.ndarray | None = None,
    max_extrapolation: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Fill missing cells of a panel cube ``(..., T, R, K)``.

    Parameters
    ----------
    cube:
        Float array, NaN = missing. Time is axis -3, regions axis -2, indicators axis -1.
    method:
        ``"none"``: nothing filled. ``"linear"``: linear interpolation within each region's
        time series; before the first / after the last observation the nearest observed value
        is carried (COINr ``impute_panel`` linear, R ``approx(rule = 2)``); a series with no
        value stays NaN. ``"group_mean"``: mean of the same year and indicator over the
        observed regions of the region's group (``groups``, e.g. NBS four regions), falling
        back to the all-region mean of that year (Handbook §3.2, "unconditional mean" by
        group). ``"linear+group_mean"``: linear, then group means (computed on the linearly
        filled cube) for series that had no value at all.
    groups:
        ``(R,)`` group labels; without it ``group_mean`` uses the all-region mean.
    years:
        ``(T,)`` increasing year numbers, so gaps between unevenly spaced years are
        interpolated in time; default equally spaced.
    max_extrapolation:
        Largest distance (in years, or steps without ``years``) over which ``linear`` carries
        a series' first or last observation; cells further away stay missing (None: no limit).

    Returns
    -------
    (filled, flags)
        The filled cube (same shape) and a bool cube, True exactly where a cell was NaN and
        now holds a value.
    """
    out, kind, _, _ = impute_detail(cube, method, groups=groups, years=years, max_extrapolation=max_extrapolation)
    return out, kind != KIND_OBSERVED


def impute_detail(
    cube: np.ndarray,
    method: str = "linear",
    *,
    groups: np.ndarray | None = None,
    years: np.ndarray | None = None,
    max_extrapolation: float | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`impute` with the record of how each cell was filled.

    Returns ``(filled, kind, year_from, year_to)``: ``kind`` holds ``KIND_*`` codes
    (0 observed or still missing, 1 interpolated, 2 carried forward, 3 carried backward,
    4 group mean) and ``year_from``/``year_to`` the years of the observations a cell was
    interpolated or carried from (NaN for observed and group-mean cells).
    """
    x = _cube(cube)
    if method not in IMPUTE_METHODS:
        raise ValidationError(f"unknown imputation method {method!r}; choose one of {list(IMPUTE_METHODS)}")
    if max_extrapolation is not None and not max_extrapolation >= 0:
        raise ValidationError(f"max_extrapolation must be >= 0 years, got {max_extrapolation}")
    missing = np.isnan(x)
    nan = np.full(x.shape, np.nan)
    if method == "none":
        return x.copy(), np.zeros(x.shape, dtype=np.int8), nan, nan.copy()
    if method == "group_mean":
        out = _group_mean(x, groups)
        kind = np.where(missing & ~np.isnan(out), KIND_GROUP_MEAN, KIND_OBSERVED)
        return out, kind.astype(np.int8), nan, nan.copy()
    out, kind, y0, y1 = _linear_detail(x, years, max_extrapolation)
    if method == "linear+group_mean":
        # group means only for series with no value at all (as before the extrapolation limit)
        empty = np.all(missing, axis=-3, keepdims=True) & missing
        gm = _group_mean(out, groups)  # means over the filled cube; empty series are NaN in it
        fill = empty & np.isnan(out) & ~np.isnan(gm)
        out = np.where(fill, gm, out)
        kind = np.where(fill, KIND_GROUP_MEAN, kind)
    return out, kind.astype(np.int8), y0, y1

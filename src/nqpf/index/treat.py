"""Outlier treatment with COINr's rules (skewness/kurtosis test, winsorisation, log).

References: OECD/JRC (2008) *Handbook on Constructing Composite Indicators* (data treatment);
the JRC COIN practice (|skewness| > 2 and kurtosis > 3.5 flag an indicator for treatment);
COINr ``Treat`` / ``winsorise`` / ``log_CT`` / ``check_SkewKurt`` (Becker et al., COINr >= 1.0),
whose rules are reproduced here:

* skewness = e1071 ``type = 2`` (adjusted Fisher-Pearson, Excel ``SKEW``):
  ``G1 = sqrt(n(n-1))/(n-2) * m3/m2**1.5`` = ``scipy.stats.skew(x, bias=False)``;
* kurtosis = e1071 ``type = 2`` excess kurtosis (Excel ``KURT``):
  ``G2 = ((n+1)(m4/m2**2 - 3) + 6)(n-1)/((n-2)(n-3))`` = ``scipy.stats.kurtosis(x, bias=False)``;
* an indicator *passes* when ``|G1| < skew_max`` or ``G2 < kurt_max`` (so it is treated when
  ``|G1| >= skew_max`` and ``G2 >= kurt_max``);
* winsorisation: while failing and fewer than ``winmax`` points treated, the most extreme value
  on the side the skew points to (high if ``G1 >= 0``; ties together) is set to the next value
  inward, then the test is re-run;
* if still failing, the log transform is applied to the *original* values (COINr's
  ``combine_treat = FALSE``): ``log(x - min + 0.01 (max - min))`` (COINr ``log_CT``).

Statistics are pooled over every row (all region-years).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from nqpf.errors import ValidationError

TREAT_METHODS = ("none", "coinr", "winsorise", "log")
LOG_FORMS = ("ct", "ct_orig")


@dataclass
class TreatResult:
    """Treated values (same shape as the input), one log row per indicator, and the fitted
    transform of each indicator (``params``, for :func:`apply_treatment` on new data)."""

    values: np.ndarray
    log: pd.DataFrame
    params: list[dict[str, float | str | None]] = field(default_factory=list)


def _colmean(a: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.asarray(np.nanmean(a, axis=0))


def _moments(x: np.ndarray, p: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per column of ``x``: the count of values, and the 2nd and ``p``-th central moments (divided by n)."""
    a = np.asarray(x, dtype=float)
    n = np.sum(~np.isnan(a), axis=0).astype(float)
    d = a - _colmean(a)
    with np.errstate(invalid="ignore", divide="ignore"):
        return n, np.nansum(d**2, axis=0) / n, np.nansum(d**p, axis=0) / n


def skewness(x: np.ndarray) -> np.ndarray:
    """Sample skewness G1 of each column of ``(N, K)`` (NaN skipped; NaN if n < 3 or sd = 0).

    e1071 ``skewness(type = 2)`` as used by COINr ``skew()``; equals
    ``scipy.stats.skew(x, bias=False, nan_policy="omit")``.
    """
    n, m2, m3 = _moments(x, 3)
    with np.errstate(invalid="ignore", divide="ignore"):
        g1 = m3 / m2**1.5 * np.sqrt(n * (n - 1)) / (n - 2)
    return np.where((n >= 3) & (m2 > 0), g1, np.nan)


def kurtosis(x: np.ndarray) -> np.ndarray:
    """Sample excess kurtosis G2 of each column of ``(N, K)`` (NaN if n < 4 or sd = 0).

    e1071 ``kurtosis(type = 2)`` as used by COINr ``kurt()``; equals
    ``scipy.stats.kurtosis(x, fisher=True, bias=False, nan_policy="omit")``.
    """
    n, m2, m4 = _moments(x, 4)
    with np.errstate(invalid="ignore", divide="ignore"):
        g2 = ((n + 1) * (m4 / m2**2 - 3) + 6) * (n - 1) / ((n - 2) * (n - 3))
    return np.where((n >= 4) & (m2 > 0), g2, np.nan)


def _fails(v: np.ndarray, skew_max: float, kurt_max: float) -> bool:
    s = float(skewness(v[:, None])[0])
    k = float(kurtosis(v[:, None])[0])
    if np.isnan(s) or np.isnan(k):
        return False
    return abs(s) >= skew_max and k >= kurt_max


def winsorise(v: np.ndarray, *, skew_max: float = 2.0, kurt_max: float = 3.5,
              winmax: int = 5) -> tuple[np.ndarray, int]:
    """COINr ``winsorise`` on one vector (NaN kept): returns (values, points treated)."""
    y = np.asarray(v, dtype=float).copy()
    touched = np.zeros(y.shape, dtype=bool)
    obs = ~np.isnan(y)
    while _fails(y, skew_max, kurt_max) and touched.sum() < winmax:
        s = float(skewness(y[:, None])[0])
        ext = np.nanmax(y) if s >= 0 else np.nanmin(y)
        at = obs & (y == ext)
        rest = y[obs & ~at]
        if rest.size == 0:
            break
        y[at] = rest.max() if s >= 0 else rest.min()
        touched |= at
    return y, int(touched.sum())


def log_transform(v: np.ndarray, *, negative_skew: bool = False, form: str = "ct") -> np.ndarray:
    """COINr's log transform of one vector, mirrored for a negative skew.

    ``form="ct"`` (COINr ``log_CT``, the default of ``Treat``): ``log(x - min + 0.01 (max - min))``;
    ``form="ct_orig"`` (COINr ``log_CT_orig``): ``log(x - min + 1)``. For a negative skew the
    mirror image ``-log(max - x + a)`` is used, so the order of the values is kept and the long
    lower tail is compressed (COINr applies the same formula whatever the skew sign).
    """
    if form not in LOG_FORMS:
        raise ValidationError(f"unknown log form {form!r}; choose one of {list(LOG_FORMS)}")
    y = np.asarray(v, dtype=float)
    lo, hi = np.nanmin(y), np.nanmax(y)
    a = 0.01 * (hi - lo) if form == "ct" else 1.0
    if a == 0:  # constant column: nothing to compress
        return y.copy()
    if negative_skew:
        return -np.log(hi - y + a)
    return np.log(y - lo + a)


def _log_params(v: np.ndarray, negative_skew: bool, form: str) -> dict[str, float | str | None]:
    y = np.asarray(v, dtype=float)
    lo, hi = float(np.nanmin(y)), float(np.nanmax(y))
    a = 0.01 * (hi - lo) if form == "ct" else 1.0
    return {"action": "log", "lo": lo, "hi": hi, "a": a, "negative": float(negative_skew)}


def apply_treatment(x: np.ndarray, params: list[dict[str, float | str | None]]) -> np.ndarray:
    """Apply fitted treatments to new values ``(..., K)`` (one ``params`` entry per column).

    Winsorised indicators are clipped at the fitted caps; log-treated ones use the fitted
    ``lo``/``hi``/``a`` of :func:`log_transform`, so training data map to exactly the values
    :func:`treat` gave them.
    """
    a = np.array(x, dtype=float, copy=True)
    for k, p in enumerate(params):
        col = a[..., k]
        if p["action"] == "winsorised":
            a[..., k] = np.clip(col, -np.inf if p["lo"] is None else p["lo"], np.inf if p["hi"] is None else p["hi"])
        elif p["action"] == "log" and float(p["hi"]) - float(p["lo"]) + float(p["a"]) > 0 and float(p["a"]) > 0:  # type: ignore[arg-type]
            lo, hi, c = float(p["lo"]), float(p["hi"]), float(p["a"])  # type: ignore[arg-type]
            with np.errstate(invalid="ignore", divide="ignore"):
                a[..., k] = -np.log(hi - col + c) if p["negative"] else np.log(col - lo + c)
    return a


def treat(
    x: np.ndarray,
    method: str = "coinr",
    *,
    skew_max: float = 2.0,
    kurt_max: float = 3.5,
    winmax: int = 5,
    names: list[str] | None = None,
    log_form: str = "ct",
) -> TreatResult:
    """Treat outliers of each indicator, statistics pooled over all rows.

    Parameters
    ----------
    x:
        ``(T, R, K)`` cube or ``(N, K)`` matrix (any leading axes are pooled).
    method:
        ``"coinr"`` (default): test, winsorise up to ``winmax`` points, else log (COINr
        ``Treat`` defaults); ``"winsorise"``: test and winsorise only; ``"log"``: log every
        indicator (mirrored when skewed left); ``"none"``: report statistics only.
    skew_max, kurt_max:
        Thresholds of |skewness| and excess kurtosis (COINr 2 and 3.5).
    winmax:
        Largest number of points winsorised per indicator (ties count each).
    names:
        Indicator names for the log (default ``x0, x1, ...``).
    log_form:
        ``"ct"`` (COINr ``log_CT``, scale-free) or ``"ct_orig"`` (``log(x - min + 1)``).

    Returns
    -------
    TreatResult
        ``values`` (same shape as ``x``) and ``log``: one row per indicator with
        ``indicator, skew_before, kurt_before, action ("none"/"winsorised"/"log"),
        n_winsorised, skew_after, kurt_after``.
    """
    arr = np.asarray(x, dtype=float)
    if arr.ndim < 2:
        raise ValidationError(f"expected an (N, K) matrix or (T, R, K) cube, got shape {arr.shape}")
    if method not in TREAT_METHODS:
        raise ValidationError(f"unknown treatment method {method!r}; choose one of {list(TREAT_METHODS)}")
    if winmax < 0:
        raise ValidationError(f"winmax must be >= 0, got {winmax}")
    n_k = arr.shape[-1]
    labels = list(names) if names is not None else [f"x{k}" for k in range(n_k)]
    if len(labels) != n_k:
        raise ValidationError(f"names has {len(labels)} entries for {n_k} indicators")
    mat = arr.reshape(-1, n_k)
    out = mat.copy()
    sk0, ku0 = skewness(mat), kurtosis(mat)
    actions, nwins = [], []
    params: list[dict[str, float | str | None]] = []
    for k in range(n_k):  # sequential by nature (re-test after each winsorised point)
        col = mat[:, k]
        action, nwin = "none", 0
        par: dict[str, float | str | None] = {"action": "none"}
        if method == "log":
            if np.sum(~np.isnan(col)) > 1:
                out[:, k] = log_transform(col, negative_skew=bool(sk0[k] < 0), form=log_form)
                action = "log"
                par = _log_params(col, bool(sk0[k] < 0), log_form)
        elif method in ("coinr", "winsorise") and _fails(col, skew_max, kurt_max):
            y, nwin = winsorise(col, skew_max=skew_max, kurt_max=kurt_max, winmax=winmax)
            if method == "winsorise" or not _fails(y, skew_max, kurt_max):
                out[:, k] = y
                action = "winsorised" if nwin else "none"
                if nwin:
                    lo0, hi0, lo1, hi1 = np.nanmin(col), np.nanmax(col), np.nanmin(y), np.nanmax(y)
                    par = {"action": "winsorised", "lo": float(lo1) if lo1 > lo0 else None,
                           "hi": float(hi1) if hi1 < hi0 else None}
            else:
                out[:, k] = log_transform(col, negative_skew=bool(sk0[k] < 0), form=log_form)
                action, nwin = "log", 0
                par = _log_params(col, bool(sk0[k] < 0), log_form)
        actions.append(action)
        nwins.append(nwin)
        params.append(par)
    log = pd.DataFrame({
        "indicator": labels, "skew_before": sk0, "kurt_before": ku0, "action": actions,
        "n_winsorised": nwins, "skew_after": skewness(out), "kurt_after": kurtosis(out),
    })
    return TreatResult(values=out.reshape(arr.shape), log=log, params=params)

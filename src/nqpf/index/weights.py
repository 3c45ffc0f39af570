"""Indicator weights: equal, entropy, CRITIC, PCA, AHP, user and combined.

References: OECD/JRC (2008) *Handbook on Constructing Composite Indicators*, §6.1 (weighting
methods); Shannon (1948) and Zeleny (1982) for the entropy weight method; Diakoulaki,
Mavrotas & Papayannakis (1995) for CRITIC; Nicoletti, Scarpetta & Boylaud (2000) for PCA
weights with Kaiser's (1958) varimax rotation; Saaty (1980) for AHP.

Objective weights take the *normalised* data as an ``(N, K)`` matrix: for a panel pass the pooled
matrix ``cube.reshape(-1, K)`` (all region-years at once) so one set of weights serves every year.
Every function returns a ``(K,)`` array of non-negative weights summing to 1.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from nqpf.errors import ValidationError

WEIGHT_METHODS = ("equal", "entropy", "critic", "pca", "ahp", "user", "combined")
OBJECTIVE_METHODS = ("equal", "entropy", "critic", "pca")

# Saaty's random consistency index RI for n = 1..15 (Saaty 1980, The Analytic Hierarchy
# Process, McGraw-Hill).
SAATY_RI = (0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51, 1.48, 1.56, 1.57, 1.59)


def _matrix(x: np.ndarray, what: str, *, batch: bool = False) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    if a.ndim < 2 or (a.ndim > 2 and not batch):
        raise ValidationError(
            f"{what} needs an (N, K) matrix (for a panel cube pass cube.reshape(-1, K)), got shape {a.shape}"
        )
    if a.shape[-1] == 0:
        raise ValidationError(f"{what} needs at least one indicator column")
    return a


def _unit(w: np.ndarray, what: str) -> np.ndarray:
    s = np.sum(w, axis=-1, keepdims=True)
    if np.any(~(s > 0)):
        raise ValidationError(f"{what}: every indicator got weight 0 (no variation in the data)")
    return np.asarray(w / s)


def equal(k: int) -> np.ndarray:
    """Equal weights ``1/k`` (Handbook §6.1)."""
    if k < 1:
        raise ValidationError(f"equal weights need k >= 1, got {k}")
    return np.full(k, 1.0 / k)


def entropy(x: np.ndarray) -> np.ndarray:
    """Entropy weights of a non-negative normalised matrix ``(..., N, K)`` -> ``(..., K)``.

    ``p_ij = x_ij / sum_i x_ij``; ``e_j = -(1/ln n_j) sum_i p_ij ln p_ij`` with ``0 ln 0 = 0``
    (no fudge constant); ``d_j = 1 - e_j``; ``w_j = d_j / sum d``. NaN cells are skipped
    (``n_j`` = observed cells of column j). A constant column (``e = 1``), an all-zero column
    and a column with fewer than two values get ``d = 0``, i.e. weight 0.

    Leading axes are a batch (e.g. Monte Carlo draws); a ``(T, R, K)`` cube would give
    per-year weights, so pass ``cube.reshape(-1, K)`` for the pooled weights.
    """
    a = _matrix(x, "entropy", batch=True)
    bad = np.any(a < 0, axis=tuple(range(a.ndim - 1)))
    if np.any(bad):
        raise ValidationError(
            f"entropy weights need non-negative (normalised) data; column {int(np.flatnonzero(bad)[0])} "
            "has negative values (normalise with min-max first)"
        )
    valid = ~np.isnan(a)
    n = valid.sum(axis=-2).astype(float)
    a0 = np.where(valid, a, 0.0)
    total = a0.sum(axis=-2, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(total > 0, a0 / total, 0.0)
        plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
        e = -plogp.sum(axis=-2) / np.log(n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        spread = np.nanmax(a, axis=-2) - np.nanmin(a, axis=-2)
    ok = (n >= 2) & (total[..., 0, :] > 0) & (spread > 0)  # a constant column has e = 1 exactly
    dvg = np.where(ok, np.clip(1.0 - e, 0.0, None), 0.0)
    return _unit(dvg, "entropy")


def _complete_rows(a: np.ndarray) -> np.ndarray:
    return a[~np.any(np.isnan(a), axis=1)]


def critic(x: np.ndarray) -> np.ndarray:
    """CRITIC weights (Diakoulaki, Mavrotas & Papayannakis 1995) of ``(..., N, K)`` -> ``(..., K)``.

    ``C_j = sigma_j sum_k (1 - r_jk)``, ``w = C / sum C``, with ``sigma_j`` the sample standard
    deviation (ddof = 1) of the *normalised* column and ``r`` Pearson correlations. Rows with a
    NaN are dropped (listwise). A constant column gets weight 0 and is left out of the other
    columns' conflict sums (its correlations are undefined).
    """
    a = _matrix(x, "critic", batch=True)
    if a.ndim > 2:
        flat = a.reshape(-1, *a.shape[-2:])
        return np.stack([critic(m) for m in flat]).reshape(*a.shape[:-2], a.shape[-1])
    present = ~np.all(np.isnan(a), axis=0)  # an all-missing column gets weight 0
    m = _complete_rows(a[:, present])
    if m.shape[0] < 3:
        raise ValidationError(f"critic needs at least 3 complete rows, got {m.shape[0]}")
    sd = np.zeros(a.shape[-1])
    sd[present] = m.std(axis=0, ddof=1)
    live = sd > 0
    m = _complete_rows(a[:, live]) if live.any() else m
    c = np.zeros(a.shape[-1])
    if live.any():
        r = np.atleast_2d(np.corrcoef(m, rowvar=False))
        c[live] = sd[live] * np.sum(1.0 - r, axis=1)
    return _unit(c, "critic")


def varimax(loadings: np.ndarray, *, normalize: bool = True, max_iter: int = 500,
            tol: float = 1e-12) -> tuple[np.ndarray, np.ndarray]:
    """Varimax rotation (Kaiser 1958) of a ``(K, m)`` loading matrix.

    Maximises ``sum_f [ mean_j L_jf^4 - (mean_j L_jf^2)^2 ]`` by Kaiser's original cyclic
    pairwise rotations: for factors i < j with ``u = L_i^2 - L_j^2``, ``v = 2 L_i L_j`` the
    optimal planar angle is ``phi = atan2(D - 2AB/K, C - (A^2 - B^2)/K) / 4`` (A = sum u,
    B = sum v, C = sum(u^2 - v^2), D = 2 sum uv; Kaiser 1958, Harman 1976), sweeping until every
    angle is below ``tol``. With ``normalize`` rows are first scaled to unit communality
    (Kaiser normalisation) and scaled back after. Returns (rotated loadings, rotation T) with
    ``rotated = loadings @ T``. (The SVD iteration of R's ``stats::varimax`` can stall on
    symmetric inputs; the pairwise sweep cannot decrease the criterion.)
    """
    lam = np.asarray(loadings, dtype=float)
    k, m = lam.shape
    if m < 2:
        return lam.copy(), np.eye(m)
    sc = np.sqrt(np.sum(lam**2, axis=1, keepdims=True)) if normalize else np.ones((k, 1))
    sc = np.where(sc > 0, sc, 1.0)
    z = lam / sc
    rot = np.eye(m)
    for _ in range(max_iter):
        biggest = 0.0
        for i in range(m - 1):
            for j in range(i + 1, m):
                a, b = z[:, i], z[:, j]
                u, v = a * a - b * b, 2 * a * b
                big_a, big_b = u.sum(), v.sum()
                big_c, big_d = np.sum(u * u - v * v), 2 * np.sum(u * v)
                phi = np.arctan2(big_d - 2 * big_a * big_b / k, big_c - (big_a**2 - big_b**2) / k) / 4
                biggest = max(biggest, abs(float(phi)))
                g = np.array([[np.cos(phi), -np.sin(phi)], [np.sin(phi), np.cos(phi)]])
                z[:, [i, j]] = z[:, [i, j]] @ g
                rot[:, [i, j]] = rot[:, [i, j]] @ g
        if biggest < tol:
            break
    return z * sc, rot


def _pca_from_corr(corr: np.ndarray, min_eigenvalue: float) -> np.ndarray:
    vals, vecs = np.linalg.eigh(corr)
    order = np.argsort(vals)[::-1]
    vals, vecs = vals[order], vecs[:, order]
    keep = vals > min_eigenvalue
    keep[0] = True  # at least the first factor
    lam = vecs[:, keep] * np.sqrt(vals[keep])
    rot, _ = varimax(lam)
    ss = np.sum(rot**2, axis=0)  # variance explained by each rotated factor
    sq = rot**2 / ss  # squared loadings scaled to unity sum within each factor
    share = ss / ss.sum()
    w = np.max(sq * share, axis=1)
    return np.asarray(w / w.sum())


def pca(x: np.ndarray, *, min_eigenvalue: float = 1.0) -> np.ndarray:
    """PCA / factor-analysis weights (Nicoletti, Scarpetta & Boylaud 2000; Handbook §6.1).

    1. Correlation matrix of the complete rows of ``x`` ``(N, K)`` (listwise deletion).
    2. Retain the principal components with eigenvalue > ``min_eigenvalue`` (Kaiser
       criterion; at least one); loadings ``L = v sqrt(lambda)``.
    3. Varimax-rotate ``L`` (Kaiser normalisation; skipped for one factor).
    4. Square the rotated loadings and scale them to unit sum within each factor; a factor's
       share = its rotated explained variance / the retained total.
    5. Each indicator's weight = max over factors of (scaled squared loading x factor share),
       i.e. it is assigned to the factor it loads most on; normalised to sum 1.

    Constant columns get weight 0 and are left out of the correlation matrix.
    """
    a = _matrix(x, "pca")
    present = ~np.all(np.isnan(a), axis=0)  # an all-missing column gets weight 0
    m = _complete_rows(a[:, present])
    if m.shape[0] < 3:
        raise ValidationError(f"pca needs at least 3 complete rows, got {m.shape[0]}")
    live = np.zeros(a.shape[1], dtype=bool)
    live[present] = m.std(axis=0) > 0
    w = np.zeros(a.shape[1])
    if live.sum() == 1:
        w[live] = 1.0
    elif live.any():
        m = _complete_rows(a[:, live])
        w[live] = _pca_from_corr(np.corrcoef(m, rowvar=False), min_eigenvalue)
    return _unit(w, "pca")


@dataclass
class AHPResult:
    """AHP weights with Saaty's consistency statistics (``consistent``: ``cr < 0.1``)."""

    weights: np.ndarray
    lambda_max: float
    ci: float
    cr: float
    consistent: bool


def check_pairwise(pairwise: np.ndarray, *, rtol: float = 0.01) -> np.ndarray:
    """Validate a pairwise comparison matrix: square, positive, unit diagonal, reciprocal."""
    a = np.asarray(pairwise, dtype=float)
    if a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape[0] < 1:
        raise ValidationError(f"the AHP pairwise matrix must be square (n, n), got shape {a.shape}")
    if not np.all(np.isfinite(a)) or np.any(a <= 0):
        i, j = np.argwhere(~(np.isfinite(a) & (a > 0)))[0]
        raise ValidationError(f"the AHP pairwise matrix must be finite and positive; entry ({i}, {j}) is {a[i, j]}")
    if not np.allclose(np.diag(a), 1.0, rtol=rtol):
        i = int(np.flatnonzero(~np.isclose(np.diag(a), 1.0, rtol=rtol))[0])
        raise ValidationError(f"the AHP pairwise matrix needs 1 on the diagonal; entry ({i}, {i}) is {a[i, i]}")
    prod = a * a.T
    bad = np.argwhere(~np.isclose(prod, 1.0, rtol=rtol))
    if bad.size:
        i, j = bad[0]
        raise ValidationError(
            f"the AHP pairwise matrix must be reciprocal (a_ji = 1/a_ij); entries ({i}, {j}) = {a[i, j]} "
            f"and ({j}, {i}) = {a[j, i]}"
        )
    return a


def ahp(pairwise: np.ndarray, *, method: str = "eigenvector") -> AHPResult:
    """AHP weights from a Saaty pairwise comparison matrix (Saaty 1980).

    ``method="eigenvector"``: the principal right eigenvector, normalised to sum 1;
    ``method="geometric"``: row geometric means (Crawford & Williams 1985), normalised.
    Consistency: ``lambda_max`` = principal eigenvalue, ``CI = (lambda_max - n)/(n - 1)``,
    ``CR = CI / RI(n)`` with Saaty's random index (n = 1..15; ``CR = 0`` for n <= 2).
    """
    a = check_pairwise(pairwise)
    n = a.shape[0]
    if n > len(SAATY_RI):
        raise ValidationError(f"Saaty's random index is tabulated for n <= {len(SAATY_RI)}, got n = {n}")
    vals, vecs = np.linalg.eig(a)
    i = int(np.argmax(vals.real))
    lam = float(vals[i].real)
    if method == "eigenvector":
        v = np.abs(vecs[:, i].real)
        w = v / v.sum()
    elif method == "geometric":
        g = np.exp(np.mean(np.log(a), axis=1))
        w = g / g.sum()
    else:
        raise ValidationError(f"unknown AHP method {method!r}; choose 'eigenvector' or 'geometric'")
    ci = (lam - n) / (n - 1) if n > 1 else 0.0
    ci = max(ci, 0.0) if abs(ci) < 1e-12 else ci
    cr = ci / SAATY_RI[n - 1] if n > 2 else 0.0
    return AHPResult(weights=w, lambda_max=lam, ci=float(ci), cr=float(cr), consistent=bool(cr < 0.1))


def _weight_vector(w: np.ndarray | Sequence[float], what: str) -> np.ndarray:
    v = np.asarray(w, dtype=float).reshape(-1)
    if v.size == 0:
        raise ValidationError(f"{what} weights are empty")
    bad = np.flatnonzero(~(np.isfinite(v) & (v >= 0)))
    if bad.size:
        raise ValidationError(f"{what} weights must be finite and >= 0; entry {int(bad[0])} is {v[bad[0]]}")
    if not v.sum() > 0:
        raise ValidationError(f"{what} weights sum to 0")
    return v / v.sum()


def combine(subjective: np.ndarray | Sequence[float], objective: np.ndarray | Sequence[float], *,
            method: str = "multiplicative", alpha: float = 0.5) -> np.ndarray:
    """Combine subjective and objective weights (both normalised to sum 1 first).

    ``"multiplicative"``: ``w_s w_o / sum(w_s w_o)`` (multiplicative synthesis, common in the
    AHP-entropy literature); ``"linear"``: ``alpha w_s + (1 - alpha) w_o``, ``alpha`` in [0, 1].
    """
    ws, wo = _weight_vector(subjective, "subjective"), _weight_vector(objective, "objective")
    if ws.shape != wo.shape:
        raise ValidationError(f"subjective weights have {ws.size} entries, objective {wo.size}")
    if method == "multiplicative":
        return _unit(ws * wo, "combined (multiplicative: no indicator has both weights > 0)")
    if method == "linear":
        if not 0.0 <= alpha <= 1.0:
            raise ValidationError(f"alpha must lie in [0, 1], got {alpha}")
        return alpha * ws + (1.0 - alpha) * wo
    raise ValidationError(f"unknown combination {method!r}; choose 'multiplicative' or 'linear'")


def compute(method: str, x: np.ndarray | None = None, **kw: Any) -> np.ndarray:
    """Weights by name.

    ``"equal"`` (``x`` or ``k=``), ``"entropy"``, ``"critic"``, ``"pca"`` (``x`` the pooled
    normalised ``(N, K)`` matrix; ``min_eigenvalue=`` for pca), ``"ahp"`` (``pairwise=``,
    ``ahp_method=``), ``"user"`` (``weights=``, normalised to sum 1), ``"combined"``
    (``subjective=`` weights or ``pairwise=``; ``objective=`` one of equal/entropy/critic/pca;
    ``combine=`` ``"multiplicative"``/``"linear"``; ``alpha=``).
    """
    if method == "equal":
        if x is None and "k" not in kw:
            raise ValidationError("equal weights need x or k=")
        return equal(int(kw["k"]) if "k" in kw else np.asarray(x).shape[-1])
    if method in ("entropy", "critic", "pca"):
        if x is None:
            raise ValidationError(f"{method} weights need the normalised data matrix x")
        if method == "pca":
            return pca(x, min_eigenvalue=float(kw.get("min_eigenvalue", 1.0)))
        return entropy(x) if method == "entropy" else critic(x)
    if method == "ahp":
        if kw.get("pairwise") is None:
            raise ValidationError("ahp weights need pairwise= (an (n, n) Saaty matrix)")
        return ahp(np.asarray(kw["pairwise"], dtype=float), method=kw.get("ahp_method", "eigenvector")).weights
    if method == "user":
        if kw.get("weights") is None:
            raise ValidationError("user weights need weights=")
        w = _weight_vector(kw["weights"], "user")
        if x is not None and w.size != np.asarray(x).shape[-1]:
            raise ValidationError(f"user weights have {w.size} entries for {np.asarray(x).shape[-1]} indicators")
        return w
    if method == "combined":
        obj = kw.get("objective", "entropy")
        if obj not in OBJECTIVE_METHODS:
            raise ValidationError(f"unknown objective method {obj!r}; choose one of {list(OBJECTIVE_METHODS)}")
        sub = kw.get("subjective")
        if sub is None and kw.get("pairwise") is not None:
            sub = ahp(np.asarray(kw["pairwise"], dtype=float)).weights
        if sub is None:
            raise ValidationError("combined weights need subjective= weights or pairwise= (AHP)")
        wo = compute(obj, x, **{k: v for k, v in kw.items() if k in ("k", "min_eigenvalue")})
        return combine(sub, wo, method=kw.get("combine", "multiplicative"), alpha=float(kw.get("alpha", 0.5)))
    raise ValidationError(f"unknown weighting method {method!r}; choose one of {list(WEIGHT_METHODS)}")

"""Spatial Durbin model (SDM) of a balanced panel with fixed effects, by (quasi-)maximum likelihood.

    y_t = ρ W y_t + X_t β + W X_t θ + μ + α_t ι + ε_t,     t = 1..T,  ε ~ (0, σ² I_n)

W is an (n, n) row-standardised spatial weights matrix. θ = 0 gives the spatial lag (SAR)
model. Fixed effects μ (regions) and α_t (years) are swept out by the within transformation.

Estimation (``method``):

* ``"lee-yu"`` (default): the transformation approach of Lee and Yu (2010), *Estimation of spatial
  autoregressive panel data models with fixed effects*, J. Econometrics 154(2), 165-185. Region
  effects are removed by an orthonormal transformation over time (T-1 effective periods), year
  effects by one over regions (n-1 effective regions, which needs W ι = ι). The concentrated
  log-likelihood is

      ℓ(ρ) = -N*/2 · ln(SSR(ρ)/N*) + T* [ln|I - ρW| - 1(year effects) · ln(1 - ρ)]

  with N* = n*·T*, n* = n - 1 with year effects, T* = T - 1 with region effects; σ̂² = SSR/N*.
  This is the exact form of the bias correction Elhorst (2014, *Spatial Econometrics*, ch. 3)
  applies to the direct approach: β, θ and ρ are consistent for large n whatever T, and σ̂²
  is not biased down by T/(T-1).
* ``"direct"``: the direct approach of Elhorst (2014, ch. 3), ℓ = -nT/2 ln(SSR/nT) + T ln|I-ρW|
  on the demeaned data; with region effects only this is PySAL ``spreg.Panel_FE_Lag`` (tested equal).

Standard errors come from the inverse of the information matrix (Lee and Yu 2010; Elhorst 2014,
ch. 3) with G = W (I - ρW)⁻¹ taken in the transformed space:
tr(JG), tr(JGJG), tr(JG'JG), J = I - ιι'/n with year effects (J = I otherwise).

Effects (LeSage and Pace 2009, *Introduction to Spatial Econometrics*, ch. 2): for regressor k,
S_k = (I - ρW)⁻¹ (β_k I + θ_k W); direct = tr(S_k)/n, total = ι'S_kι/n = (β_k + θ_k)/(1 - ρ),
indirect = total - direct. Their standard errors by simulation (as LeSage and Pace 2009 and
Elhorst 2014 do: ``n_sim`` draws of (β, θ, ρ) from N(estimate, covariance), draws with ρ outside the stable
interval discarded and counted) and by the delta method (analytic gradient).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import optimize, stats

from nqpf.errors import ValidationError
from nqpf.linkage.fe import regression_frame

Effects = Literal["twoways", "entity", "time"]
Method = Literal["lee-yu", "direct"]


def _weights_frame(weights: Any) -> pd.DataFrame:
    """A labelled (n, n) weights frame from a DataFrame or an object with ``regions`` and
    ``row_standardised()`` (``nqpf.regional.weights.SpatialWeights``)."""
    if isinstance(weights, pd.DataFrame):
        w = weights.copy()
    elif hasattr(weights, "regions") and hasattr(weights, "row_standardised"):
        w = pd.DataFrame(weights.row_standardised(), index=list(weights.regions), columns=list(weights.regions))
    else:
        raise ValidationError("weights must be a DataFrame labelled by region on both axes or a SpatialWeights")
    w.index = w.index.astype(str)
    w.columns = w.columns.astype(str)
    if list(w.index) != list(w.columns):
        raise ValidationError("weights must have the same regions, in the same order, as rows and columns")
    m = w.to_numpy(float)
    if not np.allclose(np.diag(m), 0.0):
        raise ValidationError("weights must have a zero diagonal (no region is its own neighbour)")
    if not np.allclose(m.sum(axis=1), 1.0, atol=1e-10):
        bad = [r for r, s in zip(w.index, m.sum(axis=1), strict=True) if abs(s - 1) > 1e-10]
        raise ValidationError(f"weights must be row-standardised (rows summing to 1); rows of {', '.join(bad[:5])} "
                              "do not (an island? link it, e.g. SpatialWeights.queen(islands='link'))")
    return w


def _demean(a: np.ndarray, effects: str) -> np.ndarray:
    """Within transformation of (T, n, ...) arrays: region means (over T), year means (over n) or both."""
    out = a.copy()
    if effects in ("entity", "twoways"):
        out = out - out.mean(axis=0, keepdims=True)
    if effects in ("time", "twoways"):
        out = out - out.mean(axis=1, keepdims=True)
    return out


@dataclass
class SDMResults:
    """Estimates of :class:`SpatialDurbin`.

    ``params`` (β for each regressor, θ as ``W·name``, then ``rho``), ``std_errors``,
    ``pvalues`` (normal), ``cov`` (covariance of params), ``sigma2``, ``loglik``,
    ``effects`` (tidy: variable, effect, estimate, std_error (simulation), std_error_delta,
    z, p_value, ci_low, ci_high (2.5/97.5 % of the draws)), ``wald_durbin`` (χ² statistic,
    df, p of θ = 0), ``nobs``, ``n_regions``, ``years``, ``method``, ``fixed_effects``,
    ``dependent``, ``notes``.
    """

    params: pd.Series
    std_errors: pd.Series
    pvalues: pd.Series
    cov: pd.DataFrame
    sigma2: float
    loglik: float
    effects: pd.DataFrame
    wald_durbin: tuple[float, int, float] | None
    nobs: int
    n_regions: int
    years: list[int]
    method: str
    fixed_effects: str
    dependent: str
    notes: list[str] = field(default_factory=list)

    @property
    def rho(self) -> float:
        """The spatial autoregressive coefficient ρ."""
        return float(self.params["rho"])

    def to_tidy(self) -> pd.DataFrame:
        """dependent, term, estimate, std_error, z, p_value, stars, nobs."""
        from nqpf.linkage.fe import stars

        return pd.DataFrame({"dependent": self.dependent, "term": self.params.index,
                             "estimate": self.params.to_numpy(), "std_error": self.std_errors.to_numpy(),
                             "z": (self.params / self.std_errors).to_numpy(), "p_value": self.pvalues.to_numpy(),
                             "stars": [stars(float(p)) for p in self.pvalues], "nobs": self.nobs})

    def effects_tidy(self) -> pd.DataFrame:
        """The effects table with the dependent in front."""
        return self.effects.assign(dependent=self.dependent)[["dependent", *self.effects.columns]]

    @property
    def summary(self) -> str:
        """Coefficients, ρ, σ², and the effects, one line each."""
        from nqpf.linkage.fe import stars

        head = (f"Spatial Durbin model / 空间杜宾模型: {self.dependent}, N = {self.nobs} ({self.n_regions} regions x "
                f"{len(self.years)} years), fixed effects {self.fixed_effects}, {self.method} QML; "
                f"sigma2 = {self.sigma2:.4g}, log L = {self.loglik:.2f}")
        lines = [head] + [f"  {t:<28} {b: .4f}{stars(float(p)):<3} ({s:.4f})" for t, b, s, p in
                          zip(self.params.index, self.params, self.std_errors, self.pvalues, strict=True)]
        if self.wald_durbin is not None:
            w, df, p = self.wald_durbin
            lines.append(f"  Wald theta = 0 / 杜宾项联合检验: chi2({df}) = {w:.2f}, p = {p:.4f}")
        lines.append("  effects / 效应 (LeSage-Pace; SE by simulation):")
        lines += [f"    {v:<20} {k:<9} {b: .4f}{stars(float(p)):<3} ({s:.4f})" for v, k, b, p, s in
                  zip(self.effects["variable"], self.effects["effect"], self.effects["estimate"],
                      self.effects["p_value"], self.effects["std_error"], strict=True)]
        return "\n".join(lines + [f"  note: {n}" for n in self.notes])


@dataclass
class SpatialDurbin:
    """``SpatialDurbin(dependent, regressors).fit(data, weights)``: data indexed by (region, year).

    ``durbin``: the regressors that also enter as W·x (default all; ``()`` gives the SAR model).
    ``fixed_effects``: ``"twoways"`` (default), ``"entity"`` or ``"time"``. ``method``:
    ``"lee-yu"`` or ``"direct"`` (see the module docstring). ``n_sim`` draws for the effects'
    simulated standard errors, ``seed`` for them.
    """

    dependent: str
    regressors: Sequence[str]
    durbin: Sequence[str] | None = None
    fixed_effects: Effects = "twoways"
    method: Method = "lee-yu"
    n_sim: int = 1000
    seed: int = 0

    def _check(self) -> list[str]:
        if self.fixed_effects not in ("twoways", "entity", "time"):
            raise ValidationError(f"fixed_effects must be twoways, entity or time, got {self.fixed_effects!r}")
        if self.method not in ("lee-yu", "direct"):
            raise ValidationError(f"method must be lee-yu or direct, got {self.method!r}")
        durbin = list(self.regressors) if self.durbin is None else list(self.durbin)
        extra = [d for d in durbin if d not in self.regressors]
        if extra:
            raise ValidationError(f"durbin terms {extra} are not among the regressors {list(self.regressors)}")
        if self.n_sim < 0:
            raise ValidationError(f"n_sim must be 0 or more, got {self.n_sim}")
        return durbin

    def fit(self, data: pd.DataFrame, weights: Any) -> SDMResults:
        """Estimate on the balanced panel of the weights' regions. Years in which any region lacks
        a value are left out and named in ``notes``; a region of the data without weights fails."""
        durbin = self._check()
        w = _weights_frame(weights)
        cols = [self.dependent, *self.regressors]
        d = regression_frame(data, cols)
        d.index = pd.MultiIndex.from_arrays([d.index.get_level_values(0).astype(str),
                                             d.index.get_level_values(1).astype(int)])
        regions = list(w.index)
        unknown = sorted(set(d.index.get_level_values(0)) - set(regions))
        if unknown:
            raise ValidationError(f"regions {', '.join(unknown[:5])} have data but no spatial weights")
        notes: list[str] = []
        years_all = sorted(set(d.index.get_level_values(1)))
        cube = {c: d[c].unstack(0).reindex(index=years_all, columns=regions) for c in cols}
        ok = np.all([cube[c].notna().all(axis=1).to_numpy() for c in cols], axis=0)
        years = [y for y, k in zip(years_all, ok, strict=True) if k]
        dropped = [y for y, k in zip(years_all, ok, strict=True) if not k]
        if dropped:
            notes.append(f"years {', '.join(map(str, dropped))} left out: some region lacks a value "
                         "(the spatial model needs every region in every year) / 缺值年份未纳入")
        if len(years) < 2 + (self.fixed_effects != "time"):
            raise ValidationError(f"the spatial Durbin model needs a balanced panel of at least "
                                  f"{2 + (self.fixed_effects != 'time')} complete years; have {years}")
        Y = cube[self.dependent].loc[years].to_numpy()  # (T, n)
        X = np.stack([cube[c].loc[years].to_numpy() for c in self.regressors], axis=2)  # (T, n, k)
        return self._estimate(Y, X, w.to_numpy(float), durbin, years, notes)

    # -- estimation ------------------------------------------------------------------------
    def _estimate(self, Y: np.ndarray, X: np.ndarray, W: np.ndarray, durbin: list[str],
                  years: list[int], notes: list[str]) -> SDMResults:
        T, n = Y.shape
        names = list(self.regressors)
        dix = [names.index(c) for c in durbin]
        WY = Y @ W.T
        WX = np.einsum("ij,tjk->tik", W, X)[:, :, dix]
        Z = np.concatenate([X, WX], axis=2)
        terms = names + [f"W·{c}" for c in durbin]
        fe = self.fixed_effects
        yd, wyd = _demean(Y, fe).reshape(-1), _demean(WY, fe).reshape(-1)
        Zd = _demean(Z, fe).reshape(T * n, -1)
        if np.linalg.matrix_rank(Zd) < Zd.shape[1]:
            raise ValidationError(f"regressors of {self.dependent} are collinear after the fixed effects "
                                  f"({', '.join(terms)})")
        zz = Zd.T @ Zd
        b0 = np.linalg.solve(zz, Zd.T @ yd)
        b1 = np.linalg.solve(zz, Zd.T @ wyd)
        e0, e1 = yd - Zd @ b0, wyd - Zd @ b1
        lam = np.linalg.eigvals(W)
        lee_yu = self.method == "lee-yu"
        ent, tim = fe in ("entity", "twoways"), fe in ("time", "twoways")
        t_star = T - 1 if (lee_yu and ent) else T
        n_star = n - 1 if (lee_yu and tim) else n
        n_eff = t_star * n_star
        drop_one = lee_yu and tim
        real = lam[np.abs(lam.imag) < 1e-10].real
        lo = 1.0 / real.min() if real.min() < 0 else -1.0
        hi = 1.0 / real.max()

        def logdet(rho: float) -> float:
            v = float(np.sum(np.log(np.abs(1.0 - rho * lam))))
            return v - np.log(1.0 - rho) if drop_one else v

        def negll(rho: float) -> float:
            e = e0 - rho * e1
            return n_eff / 2.0 * np.log(float(e @ e) / n_eff) - t_star * logdet(rho)

        eps = 1e-9
        opt = optimize.minimize_scalar(negll, bounds=(lo + eps, hi - eps), method="bounded",
                                       options={"xatol": 1e-12, "maxiter": 1000})
        rho = float(opt.x)
        if min(rho - lo, hi - rho) < 1e-6:
            notes.append(f"rho = {rho:.6f} is at the edge of its admissible interval ({lo:.3f}, {hi:.3f}) / ρ 在边界")
        beta = b0 - rho * b1
        e = e0 - rho * e1
        sigma2 = float(e @ e) / n_eff
        loglik = -n_eff / 2.0 * (np.log(2 * np.pi * sigma2) + 1.0) + t_star * logdet(rho)

        # information matrix, order (β, θ, ρ, σ²)
        A = np.linalg.inv(np.eye(n) - rho * W)
        G = W @ A
        J = np.eye(n) - 1.0 / n if drop_one else np.eye(n)
        JG = J @ G
        tr1, tr2, tr3 = np.trace(JG), np.trace(JG @ JG), np.trace(J @ G.T @ JG)
        zb = (Zd @ beta).reshape(T, n)
        H = (zb @ G.T @ J.T).reshape(-1)  # J G (Z β)_t for every t, stacked
        p = Zd.shape[1]
        info = np.zeros((p + 2, p + 2))
        info[:p, :p] = zz / sigma2
        info[:p, p] = info[p, :p] = Zd.T @ H / sigma2
        info[p, p] = H @ H / sigma2 + t_star * (tr2 + tr3)
        info[p, p + 1] = info[p + 1, p] = t_star * tr1 / sigma2
        info[p + 1, p + 1] = n_eff / (2 * sigma2**2)
        cov_all = np.linalg.inv(info)
        cov = cov_all[: p + 1, : p + 1]
        est = np.r_[beta, rho]
        se = np.sqrt(np.diag(cov))
        pv = 2 * stats.norm.sf(np.abs(est / se))
        labels = [*terms, "rho"]
        wald = None
        if durbin:
            q = len(durbin)
            th = beta[len(names):]
            vt = cov[len(names):p, len(names):p]
            wstat = float(th @ np.linalg.solve(vt, th))
            wald = (wstat, q, float(stats.chi2.sf(wstat, q)))
        effects = self._effects(est, cov, lam, names, dix, n, lo, hi, notes)
        if lee_yu:
            notes.append(f"Lee-Yu (2010) transformation approach: {n_star} x {t_star} effective observations "
                         "after the fixed effects / Lee-Yu 变换法")
        return SDMResults(pd.Series(est, index=labels, name="estimate"), pd.Series(se, index=labels, name="std_error"),
                          pd.Series(pv, index=labels, name="p_value"), pd.DataFrame(cov, index=labels, columns=labels),
                          sigma2, float(loglik), effects, wald, T * n, n, list(years), self.method, fe,
                          self.dependent, notes)

    def _effects(self, est: np.ndarray, cov: np.ndarray, lam: np.ndarray, names: list[str], dix: list[int],
                 n: int, lo: float, hi: float, notes: list[str]) -> pd.DataFrame:
        """Direct, indirect and total effects with simulated and delta-method SEs."""
        k = len(names)
        p = len(est) - 1

        def eff(b: np.ndarray, th: np.ndarray, rho: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            # b, th: (R, k); rho: (R,) -> direct, total (R, k)
            d = 1.0 - rho[:, None] * lam[None, :]
            t_a = np.sum(1.0 / d, axis=1).real
            t_aw = np.sum(lam[None, :] / d, axis=1).real
            direct = (b * t_a[:, None] + th * t_aw[:, None]) / n
            total = (b + th) / (1.0 - rho)[:, None]
            return direct, total

        def split(v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            th = np.zeros((v.shape[0], k))
            th[:, dix] = v[:, k:p]
            return v[:, :k], th, v[:, p]

        b, th, rho = split(est[None, :])
        direct, total = eff(b, th, rho)
        point = {"direct": direct[0], "indirect": (total - direct)[0], "total": total[0]}
        # delta method: analytic gradient in (β_k, θ_k, ρ)
        r = float(rho[0])
        d1 = 1.0 - r * lam
        t_a, t_aw = float(np.sum(1 / d1).real), float(np.sum(lam / d1).real)
        dt_a, dt_aw = float(np.sum(lam / d1**2).real), float(np.sum(lam**2 / d1**2).real)
        delta_se: dict[str, np.ndarray] = {e: np.zeros(k) for e in point}
        for j in range(k):
            gd, gt = np.zeros(p + 1), np.zeros(p + 1)
            bj, tj = b[0, j], th[0, j]
            gd[j], gt[j] = t_a / n, 1 / (1 - r)
            if j in dix:
                col = k + dix.index(j)
                gd[col], gt[col] = t_aw / n, 1 / (1 - r)
            gd[p] = (bj * dt_a + tj * dt_aw) / n
            gt[p] = (bj + tj) / (1 - r) ** 2
            for name, g in (("direct", gd), ("indirect", gt - gd), ("total", gt)):
                delta_se[name][j] = float(np.sqrt(g @ cov @ g))
        sims: dict[str, np.ndarray] = {}
        if self.n_sim > 0:
            rng = np.random.default_rng(self.seed)
            draws = rng.multivariate_normal(est, cov, size=self.n_sim, method="cholesky")
            keep = (draws[:, p] > lo) & (draws[:, p] < hi)
            if (~keep).sum():
                notes.append(f"effects: {(~keep).sum()} of {self.n_sim} simulated draws had rho outside "
                             f"({lo:.3f}, {hi:.3f}) and were discarded / 舍弃越界抽样")
            if keep.sum() >= 2:
                bs, ths, rs = split(draws[keep])
                ds, ts = eff(bs, ths, rs)
                sims = {"direct": ds, "indirect": ts - ds, "total": ts}
            else:
                notes.append("effects: too few admissible draws; standard errors by the delta method / 改用德尔塔法")
        rows = []
        for j, var in enumerate(names):
            for name in ("direct", "indirect", "total"):
                est_j = float(point[name][j])
                if sims:
                    s = sims[name][:, j]
                    se_j = float(s.std(ddof=1))
                    lo_j, hi_j = (float(v) for v in np.quantile(s, [0.025, 0.975]))
                else:
                    se_j = float(delta_se[name][j])
                    lo_j, hi_j = est_j - 1.96 * se_j, est_j + 1.96 * se_j
                z = est_j / se_j if se_j > 0 else np.nan
                rows.append({"variable": var, "effect": name, "estimate": est_j, "std_error": se_j,
                             "std_error_delta": float(delta_se[name][j]), "z": z,
                             "p_value": float(2 * stats.norm.sf(abs(z))) if se_j > 0 else np.nan,
                             "ci_low": lo_j, "ci_high": hi_j})
        return pd.DataFrame(rows)

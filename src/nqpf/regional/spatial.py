"""Spatial autocorrelation: global Moran's I and Geary's C, local Moran (LISA), Getis-Ord Gi*.

Moran, P. A. P. (1950) *Biometrika* 37: 17-23; Geary, R. C. (1954) *The Incorporated
Statistician* 5: 115-145; Anselin, L. (1995) "Local indicators of spatial association - LISA",
*Geographical Analysis* 27: 93-115; Ord, J. K. & Getis, A. (1995) *Geographical Analysis* 27:
286-306. Definitions and inference follow esda (PySAL), against which the tests check them:

    I   = (n / S0) sum_ij w_ij z_i z_j / sum_i z_i^2,      z = y - mean(y)
    C   = (n - 1) sum_ij w_ij (y_i - y_j)^2 / (2 S0 sum_i z_i^2)
    I_i = (n - 1) z_i sum_j w_ij z_j / sum_k z_k^2,          z standardised (ddof 0)
    G*_i = sum_j w_ij y_j / sum_j y_j  (binary weights, w_ii = 1), z-score of Ord & Getis (1995)

Permutation inference: the global statistics are recomputed on random permutations of y (all
at once, one matrix product); local Moran uses conditional permutations (y_i held fixed, its
neighbours drawn from the other n - 1 values). Pseudo p-values take the nearer tail:
(min(#sim >= obs, #sim <= obs) + 1) / (permutations + 1), ties counted as extreme. The default weights are queen
contiguity with Hainan linked to Guangdong (:class:`~nqpf.regional.weights.SpatialWeights`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from nqpf.regional.series import RegionalError, RegionalSeries, as_series
from nqpf.regional.weights import SpatialWeights

__all__ = ["GetisOrdGStar", "GlobalAutocorrelation", "LocalMoran", "geary_c", "moran_i", "permutation_p"]

QUADRANTS = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}
QUADRANTS_ZH = {"HH": "高-高", "LH": "低-高", "LL": "低-低", "HL": "高-低", "ns": "不显著"}


def moran_i(y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Moran's I of ``y`` (last axis = regions; leading axes are batches) under weights ``w``."""
    z = y - y.mean(axis=-1, keepdims=True)
    n, s0 = y.shape[-1], w.sum()
    return n / s0 * np.sum(z * (z @ w.T), axis=-1) / np.sum(z * z, axis=-1)


def geary_c(y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Geary's C of ``y`` (last axis = regions) under weights ``w``; uses sum w_ij (y_i - y_j)^2
    = sum_i (r_i + c_i) y_i^2 - 2 y'Wy, with r, c the row and column sums."""
    z = y - y.mean(axis=-1, keepdims=True)
    n, s0 = y.shape[-1], w.sum()
    rc = w.sum(axis=1) + w.sum(axis=0)
    num = np.sum(rc * z * z, axis=-1) - 2 * np.sum(z * (z @ w.T), axis=-1)
    return (n - 1) * num / (2 * s0 * np.sum(z * z, axis=-1))


def permutation_p(obs: np.ndarray, sim: np.ndarray) -> np.ndarray:
    """Folded (one-tailed, the nearer tail) pseudo p-value; sim has the permutations on axis 0.

    (min(#sim >= obs, #sim <= obs) + 1) / (permutations + 1). A simulated value equal to the
    observed one (to 1e-12 relative) counts as extreme in both tails: with few neighbours the
    conditional distribution is discrete and such ties are frequent (esda's ``directed`` rule
    counts them in the upper tail only, so its p-values can be lower by 1/(n-1) in the lower tail).
    """
    p = sim.shape[0]
    tol = 1e-12 * np.maximum(np.abs(obs), 1.0)
    ge = np.sum(sim >= obs - tol, axis=0)
    le = np.sum(sim <= obs + tol, axis=0)
    return (np.minimum(ge, le) + 1.0) / (p + 1.0)


def _permuted(y: np.ndarray, permutations: int, rng: np.random.Generator) -> np.ndarray:
    return rng.permuted(np.broadcast_to(y, (permutations, y.size)), axis=1)


def _year_weights(ser: RegionalSeries, t: int, weights: SpatialWeights, notes: list[str]
                  ) -> tuple[np.ndarray, np.ndarray, SpatialWeights]:
    row, ok = ser.cross_section(t)
    regs = [r for r, k in zip(ser.regions, ok, strict=True) if k]
    missing = [r for r in weights.regions if r not in set(regs)]
    if missing:
        notes.append(f"{ser.years[t]}: {len(missing)} regions without a value left out ({', '.join(missing)})")
        w = weights.subset(regs)
        notes.extend(f"{ser.years[t]}: {n}" for n in w.notes[len(weights.notes):])
    else:
        w = weights
    pos = {r: i for i, r in enumerate(ser.regions)}
    y = np.array([row[pos[r]] for r in w.regions])
    return y, w.transformed("r"), w


def _weights_for(ser: RegionalSeries, weights: SpatialWeights | None) -> SpatialWeights:
    w = weights if weights is not None else SpatialWeights.queen([r for r in ser.regions])
    extra = [r for r in ser.regions if r not in set(w.regions)]
    if extra:
        raise RegionalError(f"regions without spatial weights: {', '.join(extra)}")
    return w


@dataclass
class GlobalAutocorrelation:
    """Global Moran's I and Geary's C for every year, with analytic and permutation inference.

    Weights are row-standardised. Attributes: ``table`` (year, n, moran_i, expected_i, z_norm,
    p_norm, p_sim, z_sim, geary_c, geary_p_sim, geary_z_sim), ``weights``, ``notes``.
    """

    data: Any
    weights: SpatialWeights | None = None
    node: str | None = None
    permutations: int = 999
    seed: int = 0
    table: pd.DataFrame = field(init=False)
    notes: list[str] = field(init=False)

    def __post_init__(self) -> None:
        ser = as_series(self.data, self.node)
        self.name = ser.name
        self.weights = _weights_for(ser, self.weights)
        self.notes = list(self.weights.notes)
        rng = np.random.default_rng(self.seed)
        rows = []
        for t, year in enumerate(ser.years):
            y, w, _ = _year_weights(ser, t, self.weights, self.notes)
            n = y.size
            if n < 4 or np.ptp(y) == 0:
                self.notes.append(f"{year}: fewer than 4 regions or constant values; skipped")
                continue
            i_obs = float(moran_i(y, w))
            c_obs = float(geary_c(y, w))
            s0 = w.sum()
            s1 = 0.5 * np.sum((w + w.T) ** 2)
            s2 = np.sum((w.sum(axis=1) + w.sum(axis=0)) ** 2)
            ei = -1.0 / (n - 1)
            vi = (n * n * s1 - n * s2 + 3 * s0 * s0) / ((n - 1) * (n + 1) * s0 * s0) - ei * ei
            z_norm = (i_obs - ei) / np.sqrt(vi)
            rec = {"year": year, "n": n, "moran_i": i_obs, "expected_i": ei, "z_norm": z_norm,
                   "p_norm": float(2 * stats.norm.sf(abs(z_norm))), "geary_c": c_obs}
            if self.permutations > 0:
                perm = _permuted(y, self.permutations, rng)
                i_sim, c_sim = moran_i(perm, w), geary_c(perm, w)
                rec.update(p_sim=float(permutation_p(np.array(i_obs), i_sim)),
                           z_sim=float((i_obs - i_sim.mean()) / i_sim.std()),
                           geary_p_sim=float(permutation_p(np.array(c_obs), c_sim)),
                           geary_z_sim=float((c_obs - c_sim.mean()) / c_sim.std()))
            rows.append(rec)
        self.table = pd.DataFrame(rows)

    @property
    def summary(self) -> str:
        """Moran's I and Geary's C per year, significance flagged."""
        lines = [f"Global spatial autocorrelation / 全局空间自相关: {self.name} ({self.weights.kind})"]  # type: ignore[union-attr]
        for _, r in self.table.iterrows():
            sig = "*" if r.get("p_sim", r["p_norm"]) < 0.05 else " "
            lines.append(f"  {int(r['year'])}: Moran's I {r['moran_i']:+.4f}{sig} (z {r['z_norm']:.2f}, "
                         f"p_sim {r.get('p_sim', np.nan):.3f})  Geary's C {r['geary_c']:.4f} "
                         f"(p_sim {r.get('geary_p_sim', np.nan):.3f})")
        lines.append("  * p < 0.05 (permutation) / 5%水平显著")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def to_tidy(self) -> pd.DataFrame:
        """Long table ``year, statistic, value``."""
        return self.table.melt(id_vars="year", var_name="statistic")

    def chart_data(self) -> pd.DataFrame:
        """Moran's I over time with its p-value: ``year, moran_i, p``."""
        p = self.table["p_sim"] if "p_sim" in self.table else self.table["p_norm"]
        return pd.DataFrame({"year": self.table["year"], "moran_i": self.table["moran_i"], "p": p})


def local_moran_values(y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Local Moran I_i, the standardised value z and its spatial lag (esda's scaling)."""
    z = (y - y.mean()) / y.std()
    lag = w @ z
    return (y.size - 1) * z * lag / np.sum(z * z), z, lag


def _conditional_sims(z: np.ndarray, w: np.ndarray, permutations: int, rng: np.random.Generator) -> np.ndarray:
    """Local Moran under conditional permutation: (permutations, n)."""
    n = z.size
    den = np.sum(z * z)
    out = np.full((permutations, n), np.nan)
    kmax = int((w > 0).sum(axis=1).max())
    if kmax == 0:
        return out
    draws = np.argsort(rng.random((permutations, n - 1)), axis=1)[:, :kmax]  # k distinct of n-1
    for i in range(n):
        nb = np.nonzero(w[i])[0]
        k = nb.size
        if k == 0:
            continue
        idx = draws[:, :k]
        idx = idx + (idx >= i)  # skip i itself
        out[:, i] = (n - 1) * z[i] * (z[idx] @ w[i, nb]) / den
    return out


@dataclass
class LocalMoran:
    """Local Moran's I (LISA) of every region and year, with cluster labels.

    Attributes: ``table`` (year, region_code, value, z, lag, local_i, quadrant HH/LH/LL/HL,
    p_sim, cluster: the quadrant where p_sim < alpha, else "ns"), ``weights``, ``notes``.
    """

    data: Any
    weights: SpatialWeights | None = None
    node: str | None = None
    permutations: int = 999
    alpha: float = 0.05
    seed: int = 0
    years: list[int] | None = None
    table: pd.DataFrame = field(init=False)
    notes: list[str] = field(init=False)

    def __post_init__(self) -> None:
        ser = as_series(self.data, self.node)
        self.name = ser.name
        self.weights = _weights_for(ser, self.weights)
        self.notes = list(self.weights.notes)
        rng = np.random.default_rng(self.seed)
        want = set(self.years) if self.years is not None else set(ser.years)
        frames = []
        for t, year in enumerate(ser.years):
            if year not in want:
                continue
            y, w, wy = _year_weights(ser, t, self.weights, self.notes)
            if np.ptp(y) == 0:
                self.notes.append(f"{year}: constant values; skipped")
                continue
            li, z, lag = local_moran_values(y, w)
            has_nb = w.sum(axis=1) > 0
            li = np.where(has_nb, li, np.nan)
            q = np.where(z > 0, np.where(lag > 0, 1, 4), np.where(lag > 0, 2, 3))
            p = np.full(y.size, np.nan)
            if self.permutations > 0:
                sims = _conditional_sims(z, w, self.permutations, rng)
                p = np.where(has_nb, permutation_p(li, sims), np.nan)
            quad = np.array([QUADRANTS[int(v)] for v in q], dtype=object)
            quad[~has_nb] = "island"
            cluster = np.where(p < self.alpha, quad, "ns")
            frames.append(pd.DataFrame({"year": year, "region_code": wy.regions, "value": y, "z": z, "lag": lag,
                                        "local_i": li, "quadrant": quad, "p_sim": p, "cluster": cluster}))
        if not frames:
            raise RegionalError("no year to compute local Moran for")
        self.table = pd.concat(frames, ignore_index=True)

    @property
    def summary(self) -> str:
        """Significant clusters of the last year."""
        last = self.table[self.table["year"] == self.table["year"].max()]
        lines = [f"Local Moran (LISA) / 局部莫兰指数: {self.name}, {int(last['year'].iloc[0])}, alpha {self.alpha}"]
        for c in ("HH", "LL", "HL", "LH"):
            regs = last.loc[last["cluster"] == c, "region_code"].tolist()
            lines.append(f"  {c} / {QUADRANTS_ZH[c]}: {', '.join(regs) if regs else '-'}")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def to_tidy(self) -> pd.DataFrame:
        """The table itself (already tidy)."""
        return self.table.copy()

    def chart_data(self, year: int | None = None) -> pd.DataFrame:
        """``region_code, cluster, local_i, p_sim`` of one year (default: the last), for a map."""
        year = int(self.table["year"].max()) if year is None else year
        return self.table.loc[self.table["year"] == year, ["region_code", "cluster", "local_i", "p_sim"]]


@dataclass
class GetisOrdGStar:
    """Getis-Ord Gi* hot and cold spots (binary weights plus the region itself), every year.

    Attributes: ``table`` (year, region_code, value, g_star, z, p_norm two-sided, spot: hot/cold
    at 99/95/90% or "ns"), ``notes``. The z-score is Ord & Getis (1995), as in esda's G_Local.
    """

    data: Any
    weights: SpatialWeights | None = None
    node: str | None = None
    table: pd.DataFrame = field(init=False)
    notes: list[str] = field(init=False)

    def __post_init__(self) -> None:
        ser = as_series(self.data, self.node)
        self.name = ser.name
        self.weights = _weights_for(ser, self.weights)
        self.notes = list(self.weights.notes)
        frames = []
        for t, year in enumerate(ser.years):
            y, _, wy = _year_weights(ser, t, self.weights, self.notes)
            b = wy.transformed("b")
            np.fill_diagonal(b, 1.0)
            n = y.size
            g = (b @ y) / y.sum()
            card = b.sum(axis=1)
            mean, var = y.mean(), y.var()
            eg = card / n
            vg = card * (n - card) / (n - 1) / n**2 * var / mean**2
            z = (g - eg) / np.sqrt(vg)
            p = 2 * stats.norm.sf(np.abs(z))
            spot = np.full(n, "ns", dtype=object)
            for lvl, crit in (("90", 1.645), ("95", 1.96), ("99", 2.576)):
                spot[z >= crit] = f"hot {lvl}%"
                spot[z <= -crit] = f"cold {lvl}%"
            frames.append(pd.DataFrame({"year": year, "region_code": wy.regions, "value": y, "g_star": g,
                                        "z": z, "p_norm": p, "spot": spot}))
        self.table = pd.concat(frames, ignore_index=True)

    @property
    def summary(self) -> str:
        """Hot and cold spots of the last year."""
        last = self.table[self.table["year"] == self.table["year"].max()]
        hot = last.loc[last["spot"].str.startswith("hot"), "region_code"].tolist()
        cold = last.loc[last["spot"].str.startswith("cold"), "region_code"].tolist()
        return (f"Getis-Ord Gi* / 热点分析: {self.name}, {int(last['year'].iloc[0])}\n"
                f"  hot spots / 热点: {', '.join(hot) or '-'}\n  cold spots / 冷点: {', '.join(cold) or '-'}")

    def to_tidy(self) -> pd.DataFrame:
        """The table itself (already tidy)."""
        return self.table.copy()

    def chart_data(self, year: int | None = None) -> pd.DataFrame:
        """``region_code, z, spot`` of one year (default: the last)."""
        year = int(self.table["year"].max()) if year is None else year
        return self.table.loc[self.table["year"] == year, ["region_code", "z", "spot"]]

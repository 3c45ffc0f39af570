"""Malmquist and Malmquist-Luenberger productivity indices with their decompositions.

Malmquist (Färe, Grosskopf, Norris and Zhang 1994, AER 84(1)), output-oriented CRS distance
functions D^t(x, y) = 1/η* (:func:`nqpf.productivity.dea.radial_scores`):

    M   = sqrt[ D^t(x_{t+1}, y_{t+1}) / D^t(x_t, y_t) · D^{t+1}(x_{t+1}, y_{t+1}) / D^{t+1}(x_t, y_t) ]
    EC  = D^{t+1}(x_{t+1}, y_{t+1}) / D^t(x_t, y_t)
    TC  = sqrt[ D^t(x_{t+1}, y_{t+1}) / D^{t+1}(x_{t+1}, y_{t+1}) · D^t(x_t, y_t) / D^{t+1}(x_t, y_t) ]

so M = EC · TC exactly. Malmquist-Luenberger (Chung, Färe and Grosskopf 1997, JEM 51(3)),
directional distance functions D⃗ with direction (y, -b) (:func:`~nqpf.productivity.dea.ddf_scores`):

    ML   = sqrt[ (1 + D⃗^t(t)) / (1 + D⃗^t(t+1)) · (1 + D⃗^{t+1}(t)) / (1 + D⃗^{t+1}(t+1)) ]
    MLEC = (1 + D⃗^t(t)) / (1 + D⃗^{t+1}(t+1)),   MLTC = ML / MLEC

A value above 1 is productivity growth. Cross-period programs can be infeasible (a unit
outside the other year's technology): those units get NaN and are listed, never dropped silently.

The four programs of each pair of years are independent; ``backend="dask"`` sends them to a
Dask cluster in chunks (:mod:`nqpf.productivity.dask_backend`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from nqpf.errors import ValidationError
from nqpf.productivity.dea import ddf_scores, radial_scores
from nqpf.productivity.inputs import long_table

Index = Literal["malmquist", "luenberger"]


def distance_task(task: tuple[str, np.ndarray, np.ndarray, np.ndarray | None,
                              np.ndarray, np.ndarray, np.ndarray | None]) -> np.ndarray:
    """One batch of distance functions: (kind, X_ref, Y_ref, B_ref, X_eval, Y_eval, B_eval).

    ``kind`` "m": output distance D = 1/η* (CRS); "ml": directional distance β* (CRS).
    Module-level so Dask can ship it to workers.
    """
    kind, X, Y, B, Xe, Ye, Be = task
    if kind == "m":
        return radial_scores(X, Y, "output", "crs", Xe, Ye)[0]
    assert B is not None and Be is not None
    return ddf_scores(X, Y, B, Xe, Ye, Be)[0]


def linprog_distance_task(task: tuple[str, np.ndarray, np.ndarray, np.ndarray | None,
                                      np.ndarray, np.ndarray, np.ndarray | None]) -> np.ndarray:
    """The same output distances as :func:`distance_task` ("m" only) with one
    ``scipy.optimize.linprog(method="highs")`` call per program: the naive baseline."""
    from scipy.optimize import linprog

    kind, X, Y, _, Xe, Ye, _ = task
    if kind != "m":
        raise ValidationError("the linprog baseline covers the Malmquist (radial) programs only")
    m, n = X.shape
    s = Y.shape[0]
    out = np.full(Xe.shape[1], np.nan)
    c = np.zeros(n + 1)
    c[0] = -1.0  # max η
    for j in range(Xe.shape[1]):
        a_ub = np.zeros((m + s, n + 1))
        a_ub[:m, 1:] = X
        a_ub[m:, 0] = Ye[:, j]
        a_ub[m:, 1:] = -Y
        b_ub = np.concatenate([Xe[:, j], np.zeros(s)])
        res = linprog(c, A_ub=a_ub, b_ub=b_ub, bounds=[(0, None)] * (n + 1), method="highs")
        if res.status == 0 and -res.fun > 0:
            out[j] = 1.0 / -res.fun
    return out


def _batch(kind: str, Xr: np.ndarray, Yr: np.ndarray, Br: np.ndarray | None, Xe: np.ndarray, Ye: np.ndarray,
           Be: np.ndarray | None, chunk: int) -> list[tuple[Any, ...]]:
    """Distance programs of the evaluated points (columns of Xe, Ye, Be) against one reference
    technology, split into tasks of at most ``chunk`` points."""
    n = Xe.shape[1]
    return [(kind, Xr, Yr, Br, Xe[:, a:a + chunk], Ye[:, a:a + chunk], None if Be is None else Be[:, a:a + chunk])
            for a in range(0, n, chunk)]


def run_tasks(tasks: Sequence[tuple[Any, ...]], backend: str = "highs", workers: int = 2,
              client: Any = None, solver: Callable[..., np.ndarray] | None = None) -> list[np.ndarray]:
    """Solve task batches serially (``"highs"``, model reuse), with the per-program ``"linprog"``
    baseline, or on Dask (``"dask"``, ``workers`` processes or an existing ``client``)."""
    if backend == "dask":
        from nqpf.productivity.dask_backend import map_tasks

        return map_tasks(distance_task, list(tasks), workers=workers, client=client)
    if backend == "linprog":
        return [linprog_distance_task(t) for t in tasks]
    if backend != "highs":
        raise ValidationError(f"backend must be highs, linprog or dask, got {backend!r}")
    fn = solver or distance_task
    return [fn(t) for t in tasks]


@dataclass
class MalmquistResult:
    """Per unit and pair of years: ``index`` (M or ML), ``efficiency_change``,
    ``technical_change`` (each ``period x unit``, period = the later year), the
    ``distances`` (tidy: unit, year, reference year, value), ``infeasible`` (unit, period)."""

    index: pd.DataFrame
    efficiency_change: pd.DataFrame
    technical_change: pd.DataFrame
    distances: pd.DataFrame
    infeasible: pd.DataFrame
    params: dict[str, Any] = field(default_factory=dict)

    def to_tidy(self) -> pd.DataFrame:
        """unit, year (later year of the pair), index, efficiency_change, technical_change, measure."""
        parts = {"index": self.index, "efficiency_change": self.efficiency_change,
                 "technical_change": self.technical_change}
        out = long_table(parts, "unit")
        out["measure"] = self.params["measure"]
        return out[["unit", "year", *parts, "measure"]]

    def cumulative(self) -> pd.DataFrame:
        """Cumulative productivity (first year = 1) per unit: the running product of the index."""
        first = int(self.index.index.min()) - 1
        c = self.index.cumprod()
        c.loc[first] = 1.0
        return c.sort_index()

    @property
    def summary(self) -> str:
        """Geometric means per period across units."""
        def gm(f: pd.DataFrame) -> pd.Series:
            return np.exp(np.log(f).mean(axis=1))
        tab = pd.DataFrame({"index": gm(self.index), "EC": gm(self.efficiency_change), "TC": gm(self.technical_change)})
        head = f"{self.params['measure']} productivity index (geometric mean across units) / 生产率指数:"
        tail = f"\ninfeasible cross-period programs / 跨期无可行解: {len(self.infeasible)}"
        return head + "\n" + tab.round(4).to_string() + tail


@dataclass
class Malmquist:
    """Malmquist (``measure="malmquist"``) or Malmquist-Luenberger (``"luenberger"``) index.

    ``fit(X, Y, B=None, years=..., units=...)`` with ``X (T, m, n)``, ``Y (T, s, n)``,
    ``B (T, k, n)`` (undesirable outputs, Luenberger only). ``backend``: ``"highs"``
    (serial, HiGHS model reuse), ``"linprog"`` (scipy per program; Malmquist only) or
    ``"dask"`` (``workers`` processes). ``chunk``: evaluated units per task.

    Each year's own-period distances are solved once (they enter two pairs). With ``prune``
    (Malmquist only) the cross-period programs use as reference set only the units efficient in
    their own year: under constant returns and free disposability a unit with D^t < 1 is
    dominated by a combination of the others, so dropping it leaves the technology, and every
    distance, unchanged (the frontier pre-processing of Dulá and Thrall 2001). The directional
    programs of the Luenberger index (bads weakly disposable) are never pruned.
    """

    measure: Index = "malmquist"
    backend: str = "highs"
    workers: int = 2
    chunk: int = 500
    client: Any = None
    prune: bool = True

    def fit(self, X: np.ndarray, Y: np.ndarray, B: np.ndarray | None = None,
            years: Sequence[int] | None = None, units: Sequence[str] | None = None) -> MalmquistResult:
        """Solve the 4 (T-1) n distance programs and form the index and its components."""
        X, Y = np.asarray(X, float), np.asarray(Y, float)
        if X.ndim != 3 or Y.ndim != 3 or X.shape[0] != Y.shape[0] or X.shape[2] != Y.shape[2]:
            raise ValidationError("X must be (T, m, n) and Y (T, s, n) with the same T and n")
        kind = "m" if self.measure == "malmquist" else "ml"
        if kind == "ml" and B is None:
            raise ValidationError("the Malmquist-Luenberger index needs undesirable outputs B (T, k, n)")
        if kind == "m" and B is not None:
            raise ValidationError("undesirable outputs need measure='luenberger'")
        T, _, n = X.shape
        if T < 2:
            raise ValidationError("a productivity index needs at least two years")
        yrs = list(years) if years is not None else list(range(T))
        names = [str(u) for u in units] if units is not None else [str(i) for i in range(n)]
        Bc = np.asarray(B, float) if B is not None else None

        def bt(t: int) -> np.ndarray | None:
            return None if Bc is None else Bc[t]

        own_client = self.backend == "dask" and self.client is None
        client = self.client
        if own_client:
            from nqpf.productivity.dask_backend import start_cluster

            client = start_cluster(self.workers)
        try:
            own = self._run([_batch(kind, X[t], Y[t], bt(t), X[t], Y[t], bt(t), self.chunk) for t in range(T)], client)
            prune = self.prune and kind == "m"
            keep = [own[t] >= 1 - 1e-6 if prune else np.ones(n, bool) for t in range(T)]
            if prune:
                for t in range(T):
                    keep[t] |= ~np.isfinite(own[t])  # never drop a unit whose own program failed
            cross_b = []
            for p in range(T - 1):
                k0, k1 = keep[p], keep[p + 1]
                cross_b.append(_batch(kind, X[p][:, k0], Y[p][:, k0], None if Bc is None else Bc[p][:, k0],
                                      X[p + 1], Y[p + 1], bt(p + 1), self.chunk))
                cross_b.append(_batch(kind, X[p + 1][:, k1], Y[p + 1][:, k1], None if Bc is None else Bc[p + 1][:, k1],
                                      X[p], Y[p], bt(p), self.chunk))
            cross = self._run(cross_b, client)
        finally:
            if own_client and client is not None:
                cluster = client.cluster
                client.close()
                cluster.close()
        n_programs = T * n + 2 * (T - 1) * n
        idx, ec, tc, rows, bad = {}, {}, {}, [], []
        for p in range(T - 1):
            d_tt, d_t1, d1_t, d1_t1 = own[p], cross[2 * p], cross[2 * p + 1], own[p + 1]
            with np.errstate(divide="ignore", invalid="ignore"):
                if kind == "m":
                    m_ = np.sqrt(d_t1 / d_tt * d1_t1 / d1_t)
                    e_ = d1_t1 / d_tt
                else:
                    m_ = np.sqrt((1 + d_tt) / (1 + d_t1) * (1 + d1_t) / (1 + d1_t1))
                    e_ = (1 + d_tt) / (1 + d1_t1)
            t_ = m_ / e_
            y1 = yrs[p + 1]
            idx[y1], ec[y1], tc[y1] = m_, e_, t_
            for ref, ev, v in ((yrs[p], yrs[p], d_tt), (yrs[p], y1, d_t1), (y1, yrs[p], d1_t), (y1, y1, d1_t1)):
                rows.append(pd.DataFrame({"unit": names, "year": ev, "reference_year": ref, "distance": v}))
            bad += [{"unit": names[j], "year": y1} for j in np.nonzero(~np.isfinite(m_))[0]]
        mk = lambda d: pd.DataFrame(d, index=names).T.rename_axis("year")  # noqa: E731
        return MalmquistResult(mk(idx), mk(ec), mk(tc), pd.concat(rows, ignore_index=True),
                               pd.DataFrame(bad, columns=["unit", "year"]),
                               {"measure": "Malmquist" if kind == "m" else "Malmquist-Luenberger",
                                "backend": self.backend, "programs": n_programs,
                                "reference_units": [int(k.sum()) for k in keep]})

    def _run(self, batches: list[list[tuple[Any, ...]]], client: Any) -> list[np.ndarray]:
        """Solve a list of batches (one result array per batch) on the chosen backend."""
        flat = [t for b in batches for t in b]
        res = run_tasks(flat, self.backend, self.workers, client)
        out, i = [], 0
        for b in batches:
            out.append(np.concatenate(res[i:i + len(b)]) if b else np.array([]))
            i += len(b)
        return out

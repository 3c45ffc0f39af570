"""Data envelopment analysis, every linear program solved by HiGHS (highspy / scipy).

Models (Cooper, Seiford and Tone 2007, *Data Envelopment Analysis*, 2nd ed., chs. 3-4, 7, 13):

- CCR (Charnes, Cooper and Rhodes 1978), constant returns, and BCC (Banker, Charnes and
  Cooper 1984), variable returns (Σλ = 1); input orientation ``min θ: Xλ ≤ θx_o, Yλ ≥ y_o``,
  output orientation ``max η: Xλ ≤ x_o, Yλ ≥ η y_o``, reported as the Farrell efficiency θ or
  1/η, in (0, 1].
- Super-efficiency (Andersen and Petersen 1993): the same program with DMU o left out of the
  reference set; scores may exceed 1; an infeasible program (possible under VRS) is reported
  as NaN with status ``infeasible``, never hidden.
- SBM with undesirable outputs (Tone 2004; CST 2007 §13.7), solved after the Charnes-Cooper
  transformation.

Radial programs share one HiGHS model per reference technology: only the score column and the
row bounds change from one evaluated unit to the next (``changeCoeff``/``changeRowBounds``),
so each solve warm-starts from the previous basis ("model reuse").
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from nqpf.errors import ValidationError

Orientation = Literal["input", "output"]
RTS = Literal["crs", "vrs"]
INF = float("inf")


_BANNER_SHOWN = False


def new_highs() -> Any:
    """A silent ``highspy.Highs``; the copyright banner HiGHS prints on its first construction in
    a process is kept off stdout (it would corrupt CLI and CSV output)."""
    import highspy

    global _BANNER_SHOWN
    if _BANNER_SHOWN:
        h = highspy.Highs()
    else:
        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "w") as null:
                os.dup2(null.fileno(), 1)
                h = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        _BANNER_SHOWN = True
    h.setOptionValue("output_flag", False)
    return h


def _check(x: np.ndarray, name: str) -> np.ndarray:
    a = np.atleast_2d(np.asarray(x, dtype=float))
    if not np.all(np.isfinite(a)):
        raise ValidationError(f"{name} has missing or infinite values; drop those units first")
    if np.any(a < 0):
        raise ValidationError(f"{name} has negative values; DEA needs non-negative data")
    return a


class RadialLP:
    """One reusable HiGHS model: the radial (or directional) program against a fixed reference set.

    ``X`` (m, n) inputs and ``Y`` (s, n) outputs of the reference units; ``B`` (k, n)
    undesirable outputs for the directional distance function. ``kind``: ``"input"``
    (min θ), ``"output"`` (max η) or ``"ddf"`` (max β with direction (y, -b); Chung, Färe and
    Grosskopf 1997). ``solve(x, y, b, exclude)`` returns (value, status).
    """

    def __init__(self, X: np.ndarray, Y: np.ndarray, kind: str = "input", rts: RTS = "crs",
                 B: np.ndarray | None = None) -> None:
        import highspy

        X, Y = np.atleast_2d(X), np.atleast_2d(Y)
        B = np.atleast_2d(B) if B is not None else np.zeros((0, X.shape[1]))

        def unit(a: np.ndarray) -> np.ndarray:
            mx = np.abs(a).max(axis=1) if a.shape[1] else np.ones(a.shape[0])
            return np.where(mx > 0, mx, 1.0)

        # every row rescaled to max 1 (scores are unit-free): without it, warm-started solves on
        # raw data (capital ~1e6 next to labour ~1e2) can stop at a wrong vertex
        self.sx, self.sy, self.sb = unit(X), unit(Y), unit(B)
        self.X, self.Y, self.B = X / self.sx[:, None], Y / self.sy[:, None], B / self.sb[:, None]
        m, n = self.X.shape
        s, k = self.Y.shape[0], self.B.shape[0]
        self.kind, self.rts, self.n = kind, rts, n
        self.m, self.s, self.k = m, s, k
        h = new_highs()
        h.setOptionValue("presolve", "off")
        inf = highspy.kHighsInf
        sense = highspy.ObjSense.kMinimize if kind == "input" else highspy.ObjSense.kMaximize
        # column 0: score; columns 1..n: λ
        h.addVar(-inf if kind == "ddf" else 0.0, inf)
        h.changeColCost(0, 1.0)
        for _ in range(n):
            h.addVar(0.0, inf)
        h.changeObjectiveSense(sense)
        lam = np.arange(1, n + 1, dtype=np.int32)
        # rows 0..m-1 inputs, m..m+s-1 outputs, then bads, then convexity
        for i in range(m):
            h.addRow(-inf, 0.0, n, lam, self.X[i])
        for r in range(s):
            h.addRow(0.0, inf, n, lam, self.Y[r])
        for q in range(k):
            h.addRow(0.0, 0.0, n, lam, self.B[q])
        if rts == "vrs":
            h.addRow(1.0, 1.0, n, lam, np.ones(n))
        self.h, self.inf = h, inf
        self._excluded: int | None = None

    def solve(self, x: np.ndarray, y: np.ndarray, b: np.ndarray | None = None,
              exclude: int | None = None) -> tuple[float, str]:
        """Score of the point (x, y[, b]) against the reference set (without unit ``exclude``)."""
        import highspy

        h, inf, m, s = self.h, self.inf, self.m, self.s
        x, y = np.asarray(x, float) / self.sx, np.asarray(y, float) / self.sy
        if b is not None:
            b = np.asarray(b, float) / self.sb
        if self._excluded is not None and self._excluded != exclude:
            h.changeColBounds(1 + self._excluded, 0.0, inf)
        if exclude is not None:
            h.changeColBounds(1 + exclude, 0.0, 0.0)
        self._excluded = exclude
        if self.kind == "input":
            for i in range(m):
                h.changeCoeff(i, 0, -x[i])
            for r in range(s):
                h.changeRowBounds(m + r, y[r], inf)
        elif self.kind == "output":
            for i in range(m):
                h.changeRowBounds(i, -inf, x[i])
            for r in range(s):
                h.changeCoeff(m + r, 0, -y[r])
        else:  # ddf: Xλ ≤ x, Yλ - yβ ≥ y, Bλ + bβ = b
            assert b is not None
            for i in range(m):
                h.changeRowBounds(i, -inf, x[i])
            for r in range(s):
                h.changeCoeff(m + r, 0, -y[r])
                h.changeRowBounds(m + r, y[r], inf)
            for q in range(self.k):
                h.changeCoeff(m + s + q, 0, b[q])
                h.changeRowBounds(m + s + q, b[q], b[q])
        h.run()
        st = h.getModelStatus()
        if st == highspy.HighsModelStatus.kOptimal:
            return float(h.getInfo().objective_function_value), "optimal"
        if st == highspy.HighsModelStatus.kInfeasible:
            return float("nan"), "infeasible"
        if st in (highspy.HighsModelStatus.kUnbounded, highspy.HighsModelStatus.kUnboundedOrInfeasible):
            return float("nan"), "unbounded"
        return float("nan"), h.modelStatusToString(st)


def radial_scores(X: np.ndarray, Y: np.ndarray, orientation: Orientation = "input", rts: RTS = "crs",
                  Xe: np.ndarray | None = None, Ye: np.ndarray | None = None,
                  super_efficiency: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Farrell efficiency of each evaluated unit (columns of ``Xe, Ye``; default the reference
    units) against the reference technology ``X (m, n), Y (s, n)``.

    Input orientation returns θ*, output orientation 1/η*. With ``super_efficiency`` unit j
    is left out of its own reference set (evaluated = reference units only). Returns
    (scores, statuses); infeasible programs give NaN.
    """
    X, Y = _check(X, "inputs"), _check(Y, "outputs")
    Xe = X if Xe is None else _check(Xe, "inputs")
    Ye = Y if Ye is None else _check(Ye, "outputs")
    if super_efficiency and Xe.shape[1] != X.shape[1]:
        raise ValidationError("super-efficiency evaluates the reference units themselves")
    lp = RadialLP(X, Y, "input" if orientation == "input" else "output", rts)
    ne = Xe.shape[1]
    scores, status = np.full(ne, np.nan), np.empty(ne, dtype=object)
    for j in range(ne):
        v, st = lp.solve(Xe[:, j], Ye[:, j], exclude=j if super_efficiency else None)
        status[j] = st
        if st == "optimal":
            scores[j] = v if orientation == "input" else (1.0 / v if v > 0 else np.nan)
    return scores, status


def ddf_scores(X: np.ndarray, Y: np.ndarray, B: np.ndarray, Xe: np.ndarray | None = None,
               Ye: np.ndarray | None = None, Be: np.ndarray | None = None,
               rts: RTS = "crs") -> tuple[np.ndarray, np.ndarray]:
    """Directional distance β* with direction (y, -b) (Chung, Färe and Grosskopf 1997): the
    largest proportional expansion of good outputs and contraction of bad ones. β* = 0 on the
    frontier; infeasible cross-period programs give NaN."""
    X, Y, B = _check(X, "inputs"), _check(Y, "outputs"), _check(B, "undesirable outputs")
    Xe = X if Xe is None else _check(Xe, "inputs")
    Ye = Y if Ye is None else _check(Ye, "outputs")
    Be = B if Be is None else _check(Be, "undesirable outputs")
    lp = RadialLP(X, Y, "ddf", rts, B)
    ne = Xe.shape[1]
    out, status = np.full(ne, np.nan), np.empty(ne, dtype=object)
    for j in range(ne):
        v, st = lp.solve(Xe[:, j], Ye[:, j], Be[:, j])
        out[j], status[j] = (v if st == "optimal" else np.nan), st
    return out, status


def sbm_undesirable(X: np.ndarray, Y: np.ndarray, B: np.ndarray | None = None,
                    rts: RTS = "crs") -> tuple[np.ndarray, np.ndarray]:
    """Non-radial SBM efficiency with undesirable outputs (Tone 2004; CST 2007 §13.7).

        ρ* = min [1 - (1/m) Σ s⁻_i/x_io] / [1 + (1/(s1+s2)) (Σ s^g_r/y_ro + Σ s^b_q/b_qo)]
        s.t. x_o = Xλ + s⁻, y_o = Yλ - s^g, b_o = Bλ + s^b, λ, s ≥ 0  (VRS: Σλ = 1)

    solved as a linear program after the Charnes-Cooper transformation, with
    ``scipy.optimize.linprog(method="highs")``. Data must be strictly positive. Returns
    (ρ*, statuses).
    """
    from scipy.optimize import linprog

    X, Y = _check(X, "inputs"), _check(Y, "outputs")
    B = np.zeros((0, X.shape[1])) if B is None else _check(B, "undesirable outputs")
    if np.any(X <= 0) or np.any(Y <= 0) or np.any(B <= 0):
        raise ValidationError("SBM needs strictly positive inputs and outputs")
    m, n = X.shape
    s1, s2 = Y.shape[0], B.shape[0]
    # variables: t, Λ (n), S⁻ (m), S^g (s1), S^b (s2)
    nv = 1 + n + m + s1 + s2
    rho, status = np.full(n, np.nan), np.empty(n, dtype=object)
    for o in range(n):
        c = np.zeros(nv)
        c[0] = 1.0
        c[1 + n:1 + n + m] = -1.0 / (m * X[:, o])
        rows, rhs = [], []
        norm = np.zeros(nv)
        norm[0] = 1.0
        norm[1 + n + m:1 + n + m + s1] = 1.0 / ((s1 + s2) * Y[:, o])
        norm[1 + n + m + s1:] = 1.0 / ((s1 + s2) * B[:, o]) if s2 else 0.0
        rows.append(norm)
        rhs.append(1.0)
        for i in range(m):  # x_io t - XΛ - S⁻ = 0
            r = np.zeros(nv)
            r[0], r[1:1 + n], r[1 + n + i] = X[i, o], -X[i], -1.0
            rows.append(r)
            rhs.append(0.0)
        for q in range(s1):  # y_o t - YΛ + S^g = 0
            r = np.zeros(nv)
            r[0], r[1:1 + n], r[1 + n + m + q] = Y[q, o], -Y[q], 1.0
            rows.append(r)
            rhs.append(0.0)
        for q in range(s2):  # b_o t - BΛ - S^b = 0
            r = np.zeros(nv)
            r[0], r[1:1 + n], r[1 + n + m + s1 + q] = B[q, o], -B[q], -1.0
            rows.append(r)
            rhs.append(0.0)
        if rts == "vrs":  # ΣΛ = t
            r = np.zeros(nv)
            r[0], r[1:1 + n] = -1.0, 1.0
            rows.append(r)
            rhs.append(0.0)
        bounds = [(1e-12, None)] + [(0, None)] * (nv - 1)
        res = linprog(c, A_eq=np.array(rows), b_eq=np.array(rhs), bounds=bounds, method="highs")
        status[o] = "optimal" if res.status == 0 else res.message
        if res.status == 0:
            rho[o] = float(res.fun)
    return rho, status


@dataclass
class DEA:
    """DEA model object: ``DEA(model="ccr"|"bcc"|"sbm", orientation, super_efficiency).fit(...)``.

    ``fit(X, Y, B=None, units=None)`` with X (m, n), Y (s, n), B (k, n) undesirable
    outputs (SBM only) returns a :class:`DEAResult`.
    """

    model: Literal["ccr", "bcc", "sbm"] = "ccr"
    orientation: Orientation = "input"
    super_efficiency: bool = False

    def fit(self, X: np.ndarray, Y: np.ndarray, B: np.ndarray | None = None,
            units: list[str] | None = None) -> DEAResult:
        """Solve one program per unit; see :func:`radial_scores` and :func:`sbm_undesirable`."""
        if self.model not in ("ccr", "bcc", "sbm"):
            raise ValidationError(f"model must be ccr, bcc or sbm, got {self.model!r}")
        if self.orientation not in ("input", "output"):
            raise ValidationError(f"orientation must be input or output, got {self.orientation!r}")
        if self.model == "sbm":
            if self.super_efficiency:
                raise ValidationError("super-efficiency is available for ccr and bcc, not sbm")
            scores, status = sbm_undesirable(X, Y, B, "crs")
        else:
            if B is not None:
                raise ValidationError("undesirable outputs need model='sbm' (or the Malmquist-Luenberger index)")
            rts: RTS = "crs" if self.model == "ccr" else "vrs"
            scores, status = radial_scores(X, Y, self.orientation, rts, super_efficiency=self.super_efficiency)
        n = np.atleast_2d(X).shape[1]
        names = list(units) if units is not None else [str(i) for i in range(n)]
        return DEAResult(pd.Series(scores, index=names, name="efficiency"),
                         pd.Series(status, index=names, name="status"),
                         {"model": self.model, "orientation": self.orientation,
                          "super_efficiency": self.super_efficiency})


@dataclass
class DEAResult:
    """Scores (``efficiency``), solver ``status`` per unit, and the model ``params``."""

    efficiency: pd.Series
    status: pd.Series
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def infeasible(self) -> list[str]:
        """Units whose program had no optimum (reported, never hidden)."""
        return [str(u) for u in self.status.index[self.status != "optimal"]]

    def to_tidy(self) -> pd.DataFrame:
        """unit, efficiency, status, model, orientation, super_efficiency."""
        out = pd.DataFrame({"unit": self.efficiency.index, "efficiency": self.efficiency.to_numpy(),
                            "status": self.status.to_numpy()})
        for k, v in self.params.items():
            out[k] = v
        return out

    @property
    def summary(self) -> str:
        """Mean, min, number efficient, infeasible units."""
        e = self.efficiency.dropna()
        inf = self.infeasible
        return (f"DEA {self.params['model'].upper()} ({self.params['orientation']}"
                f"{', super-efficiency' if self.params['super_efficiency'] else ''}) / 数据包络分析: "
                f"{len(e)} units, mean {e.mean():.4f}, min {e.min():.4f}, "
                f"efficient (>= 1 - 1e-9) {(e >= 1 - 1e-9).sum()}"
                + (f"; infeasible / 无可行解: {', '.join(inf)}" if inf else ""))

"""The link from an NQPF index to high-quality development (HQD), for what-if scenarios.

A scenario changes a province's NQPF index by ``ΔI``; the implied change of the HQD index is
``β ΔI`` with the interval ``(β ∓ z·se) ΔI``, where ``β`` is the two-way fixed-effects
coefficient of HQD on NQPF (:class:`nqpf.linkage.TwoWayFE`: province and year effects, the
linkage controls, SE clustered by province; Cameron & Miller 2015) and ``z`` the normal quantile
of ``level`` (95% by default, as the linkage tables' ``ci_low, ci_high``).

Where the coefficient comes from, in order:

1. the run's own linkage tables, ``<run>/linkage/*.csv`` with columns ``dependent, estimate,
   std_error`` (``nqpf_coefficients.csv`` of ``nqpf linkage``; a ``term`` column is read at
   ``nqpf``); a column ``framework`` (or ``nqpf_framework``) picks the NQPF framework's row; a
   table without one is the linkage model of ``nqpf-three-elements`` (the index ``nqpf linkage`` uses);
2. else fitted here from the same run's NQPF and HQD scores through the linkage API
   (:func:`nqpf.linkage.analysis.linkage_data`, the same regression as ``nqpf linkage``'s main one).

The assumption is stated with every use: the coefficient is a within-province association over
the years observed, applied ceteris paribus (the other determinants of HQD held as they were).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from nqpf.errors import NqpfError

if TYPE_CHECKING:
    from nqpf.index.result import IndexResult
    from nqpf.panel import Panel

ASSUMPTION = ("Implied HQD change = two-way fixed-effects coefficient x change in the NQPF index: a within-province "
              "effect over the years observed, applied ceteris paribus (all other determinants of HQD unchanged); "
              "an association, not a proven causal effect.",
              "隐含的高质量发展变化 = 双向固定效应系数 × 新质生产力指数变化：为省内（组内）效应，按其他条件不变假设推算；"
              "系相关关系，并非已证实的因果效应。")
FRAMEWORK_COLUMNS = ("framework", "nqpf_framework")
DEFAULT_LINKAGE_FRAMEWORK = "nqpf-three-elements"


@dataclass
class HQDLink:
    """The coefficient of HQD on one NQPF index: ``coef`` (HQD index units per NQPF index unit),
    clustered ``se``, ``nobs``, ``level`` of the interval, ``source`` (a file, or "fitted ...")
    and the ``controls`` of the regression."""

    framework: str
    coef: float
    se: float
    nobs: int
    source: str
    controls: tuple[str, ...] = ()
    outcome: str = "hqd"
    level: float = 0.95

    def as_linkage(self) -> dict[str, Any]:
        """The mapping :func:`nqpf.profiles.scenario.run_scenario` takes as ``linkage``."""
        return {"coef": self.coef, "se": self.se, "level": self.level, "outcome": self.outcome,
                "source": self.source, "assumption": ASSUMPTION[0], "assumption_zh": ASSUMPTION[1]}

    def to_frame(self) -> pd.DataFrame:
        """One row: ``framework, outcome, coef, se, level, ci_low, ci_high, nobs, controls, source, assumption``."""
        from scipy.stats import norm

        z = float(norm.ppf(0.5 + self.level / 2))
        return pd.DataFrame([{"framework": self.framework, "outcome": self.outcome, "coef": self.coef, "se": self.se,
                              "level": self.level, "ci_low": self.coef - z * self.se, "ci_high": self.coef + z * self.se,
                              "nobs": self.nobs, "controls": ";".join(self.controls), "source": self.source,
                              "assumption": ASSUMPTION[0]}])


def _base_id(framework: str) -> str:
    return str(framework).split("@")[0]


def read_linkage(run_dir: str | Path, framework: str) -> HQDLink | None:
    """The HQD coefficient of ``framework`` from ``<run_dir>/linkage/*.csv``, or None when absent."""
    folder = Path(run_dir) / "linkage"
    if not folder.is_dir():
        return None
    want = _base_id(framework)
    for path in sorted(folder.glob("*.csv")):
        try:
            t = pd.read_csv(path)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError):
            continue
        if not {"dependent", "estimate", "std_error"} <= set(t.columns):
            continue
        t = t[t["dependent"].astype(str) == "hqd_index"]
        if "term" in t.columns:
            t = t[t["term"].astype(str) == "nqpf"]
        fcol = next((c for c in FRAMEWORK_COLUMNS if c in t.columns), None)
        if fcol is not None:
            t = t[t[fcol].astype(str).map(_base_id) == want]
        elif want != DEFAULT_LINKAGE_FRAMEWORK:
            continue
        if len(t) != 1:
            continue
        r = t.iloc[0]
        coef, se = float(r["estimate"]), float(r["std_error"])
        if not (np.isfinite(coef) and np.isfinite(se) and se >= 0):
            continue
        nobs = int(r["nobs"]) if "nobs" in t.columns and pd.notna(r["nobs"]) else 0
        return HQDLink(framework=want, coef=coef, se=se, nobs=nobs, source=str(path))
    return None


def fit_link(nqpf: IndexResult, hqd: IndexResult, panel: Panel | None = None, *,
             controls: Sequence[str] | None = None) -> HQDLink:
    """Fit the two-way FE coefficient of HQD on ``nqpf``'s index from the two results' scores
    (common province-years), with the linkage controls when ``panel`` has their series."""
    from nqpf.linkage.analysis import CONTROLS, controls_frame, index_frame
    from nqpf.linkage.fe import TwoWayFE

    a = index_frame(nqpf, [nqpf.framework.root.id], ["nqpf"])
    b = index_frame(hqd, [hqd.framework.root.id], ["hqd_index"])
    d = a.join(b, how="inner")
    used: tuple[str, ...] = ()
    if panel is not None:
        need = {"budget_expenditure_total", "gdp", "population", "exports_per_capita_usd"}
        if need <= set(panel.variables):
            d = d.join(controls_frame(panel), how="left")
            used = tuple(controls) if controls is not None else CONTROLS
    try:
        r = TwoWayFE("hqd_index", ["nqpf", *used]).fit(d)
    except NqpfError as e:
        raise NqpfError(f"the HQD linkage of {nqpf.framework.id} cannot be fitted: {e}") from None
    what = f"fitted: two-way FE of {hqd.framework.id} on {nqpf.framework.id}, SE clustered by province, " + (
        f"controls {', '.join(used)}" if used else "no controls (the panel lacks their series)")
    return HQDLink(framework=nqpf.framework.id, coef=float(r.params["nqpf"]), se=float(r.std_errors["nqpf"]),
                   nobs=r.nobs, source=what, controls=used)


def hqd_link(nqpf: IndexResult, *, run_dir: str | Path | None = None, hqd: IndexResult | None = None,
             panel: Panel | None = None) -> HQDLink:
    """The run's linkage coefficient when ``run_dir`` has one, else fitted from ``hqd``'s scores."""
    if run_dir is not None:
        found = read_linkage(run_dir, nqpf.framework.id)
        if found is not None:
            return found
    if hqd is None:
        raise NqpfError(f"no linkage table in {run_dir}/linkage and no HQD index to fit one for "
                        f"{nqpf.framework.id}: run nqpf run (all frameworks) or give the HQD result")
    return fit_link(nqpf, hqd, panel)

"""The regional analyses of one index, computed once, as the tables a report reads.

``nqpf run`` calls :func:`regional_analyses` for every index it builds: the summary page draws
its charts from these objects, and :meth:`RegionalAnalyses.write` puts their tables beside it in
``<run>/<framework>/regional/*.csv`` (columns and units: ``docs/regional.md``), so a report, a
workbook or a LaTeX table takes every number from the run and nothing is computed twice.

Analyses and settings (the methods and their sources are in each module):

* Dagum Gini by NBS four regions, 499 bootstrap replicates, 95% percentile intervals, seed 0
  (Dagum 1997, :mod:`nqpf.regional.dagum`);
* Gini, CV, Theil T and L split within/between (Theil 1967; Shorrocks 1980);
* sigma convergence (sd of ln y per year, OLS trend) and absolute beta convergence (two-way FE,
  SE clustered by region; Barro and Sala-i-Martin 1992);
* global Moran's I and Geary's C per year, 999 permutations (Moran 1950; Geary 1954);
* local Moran (LISA) in the latest year, 499 permutations, alpha 0.05 (Anselin 1995);
* Gaussian kernel densities per year, Silverman's bandwidth;
* obstacle degree of every indicator and dimension (needs min-max normalisation);
* coupling coordination with the HQD index, corrected form (Wang Shujia et al. 2021), when an
  HQD index is given.

An analysis that does not apply (e.g. the obstacle model under z-scores) is left out and the
reason is written to ``notes.csv``, with every note the analyses made (regions left out, the
Hainan-Guangdong link, rescaled systems).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from nqpf.errors import NqpfError

__all__ = ["FLOAT_FORMAT", "RegionalAnalyses", "regional_analyses"]

#: CSV precision of the regional tables (significant digits)
FLOAT_FORMAT = "%.10g"


@dataclass
class RegionalAnalyses:
    """Fitted regional analyses of one index (``None`` where one does not apply, see ``errors``).

    Attributes: ``dagum`` (DagumGini), ``inequality`` (Inequality), ``sigma``, ``beta``,
    ``moran`` (GlobalAutocorrelation), ``lisa`` (LocalMoran, latest year), ``density``
    (KernelDensity), ``obstacles`` (ObstacleDegree), ``coupling`` (CouplingCoordination or None),
    ``errors`` ({analysis: why it was not computed}), ``framework`` (id), ``names``
    (region_code, region_en, region_zh).
    """

    framework: str
    names: pd.DataFrame
    dagum: Any = None
    inequality: Any = None
    sigma: Any = None
    beta: Any = None
    moran: Any = None
    lisa: Any = None
    density: Any = None
    obstacles: Any = None
    coupling: Any = None
    errors: dict[str, str] = field(default_factory=dict)

    def _named(self, df: pd.DataFrame) -> pd.DataFrame:
        """``df`` with ``region_en, region_zh`` after its ``region_code`` column."""
        out = df.merge(self.names, on="region_code", how="left")
        cols = list(df.columns)
        at = cols.index("region_code") + 1
        return out[[*cols[:at], "region_en", "region_zh", *cols[at:]]]

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table, by file stem (see ``docs/regional.md`` for columns and units)."""
        t: dict[str, pd.DataFrame] = {}
        if self.dagum is not None:
            g = self.dagum.groups
            t["dagum_overall"] = self.dagum.overall
            w = self.dagum.within_groups.copy()
            w.insert(2, "group_en", w["group"].map(g.names_en))
            w.insert(3, "group_zh", w["group"].map(g.names_zh))
            t["dagum_within"] = w
            b = self.dagum.between_groups.copy()
            b.insert(3, "pair_en", b["group_a"].map(g.names_en) + " - " + b["group_b"].map(g.names_en))
            b.insert(4, "pair_zh", b["group_a"].map(g.names_zh) + "-" + b["group_b"].map(g.names_zh))
            t["dagum_between"] = b
        if self.inequality is not None:
            t["inequality"] = self.inequality.table
            gt = self.inequality.groups_table.copy()
            gt.insert(2, "group_en", gt["group"].map(self.inequality.groups.names_en))
            gt.insert(3, "group_zh", gt["group"].map(self.inequality.groups.names_zh))
            t["inequality_groups"] = gt
        if self.sigma is not None:
            t["sigma"] = self.sigma.table
        if self.sigma is not None or self.beta is not None:
            t["convergence"] = self.convergence_table()
        if self.beta is not None:
            t["beta"] = self.beta.to_tidy()
        if self.moran is not None:
            t["moran"] = self.moran.table
        if self.lisa is not None:
            t["lisa"] = self._named(self.lisa.table)
        if self.density is not None:
            t["density"] = self.density.to_tidy()
            t["density_moments"] = self.density.moments
        if self.obstacles is not None:
            t["obstacles_indicators"] = self._named(self.obstacles.indicators)
            t["obstacles_dimensions"] = self._named(self.obstacles.dimensions)
            t["obstacles_top"] = self._named(self.obstacles.top(3))
            t["obstacles_mean"] = self.obstacles.chart_data()
        if self.coupling is not None:
            t["coupling"] = self._named(self.coupling.table)
        t["notes"] = self.notes_table()
        return t

    def convergence_table(self) -> pd.DataFrame:
        """One row per test: ``test, measure, coef, se, t, p, speed, half_life, nobs, converging``.

        sigma rows: the OLS trend per year of sd(ln y) and of the CV (coef; p of the slope).
        beta row: absolute beta (two-way FE, clustered SE), speed lambda (per year) and half-life (years).
        """
        rows: list[dict[str, Any]] = []
        nan = float("nan")
        s = self.sigma
        if s is not None:
            first, last = s.table.iloc[0], s.table.iloc[-1]
            for measure, slope, p in (("sd_log", s.slope_sd_log, s.p_sd_log), ("cv", s.slope_cv, s.p_cv)):
                rows.append({"test": "sigma", "measure": measure, "coef": slope, "se": nan, "t": nan, "p": p,
                             "speed": nan, "half_life": nan, "nobs": len(s.table),
                             "first_year": int(first["year"]), "last_year": int(last["year"]),
                             "first_value": float(first[measure]), "last_value": float(last[measure]),
                             "converging": bool(slope < 0 and p < 0.05)})
        b = self.beta
        if b is not None:
            rows.append({"test": f"beta_{b.kind}", "measure": "ln growth on ln level", "coef": b.beta, "se": b.se,
                         "t": b.t, "p": b.p, "speed": b.speed, "half_life": b.half_life, "nobs": b.nobs,
                         "first_year": nan, "last_year": nan, "first_value": nan, "last_value": nan,
                         "converging": b.converging})
        return pd.DataFrame(rows)

    def notes_table(self) -> pd.DataFrame:
        """``analysis, note``: analyses not computed (why) and every note of those computed."""
        rows = [{"analysis": k, "note": f"not computed / 未计算: {v}"} for k, v in self.errors.items()]
        for name in ("dagum", "inequality", "sigma", "beta", "moran", "lisa", "density", "obstacles", "coupling"):
            obj = getattr(self, name)
            for n in dict.fromkeys(getattr(obj, "notes", []) if obj is not None else []):
                rows.append({"analysis": name, "note": n})
        return pd.DataFrame(rows, columns=["analysis", "note"])

    def write(self, folder: str | Path) -> dict[str, Path]:
        """Write every table to ``folder/regional/<name>.csv``; returns ``{"regional_<name>": path}``."""
        out = Path(folder) / "regional"
        out.mkdir(parents=True, exist_ok=True)
        paths: dict[str, Path] = {}
        for name, df in self.tables().items():
            p = out / f"{name}.csv"
            df.to_csv(p, index=False, float_format=FLOAT_FORMAT)
            paths[f"regional_{name}"] = p
        return paths


def regional_analyses(result: Any, hqd: Any = None, *, seed: int = 0, n_boot: int = 499,
                      permutations: int = 999, lisa_permutations: int = 499) -> RegionalAnalyses:
    """Compute the regional analyses of ``result``'s index once (see the module docstring).

    ``hqd``: the high-quality development index result, for the coupling coordination (skipped
    when ``hqd`` is None or is ``result`` itself).
    """
    from nqpf.regional.convergence import BetaConvergence, SigmaConvergence
    from nqpf.regional.coupling import CouplingCoordination
    from nqpf.regional.dagum import DagumGini
    from nqpf.regional.density import KernelDensity
    from nqpf.regional.obstacle import ObstacleDegree
    from nqpf.regional.spatial import GlobalAutocorrelation, LocalMoran
    from nqpf.regional.theil import Inequality

    names = result.ranking()[["region_code", "region_en", "region_zh"]].astype(str)
    ra = RegionalAnalyses(result.framework.id, names.sort_values("region_code").reset_index(drop=True))
    latest = result.years[-1]

    def fit(name: str, make: Callable[[], Any]) -> None:
        try:
            setattr(ra, name, make())
        except NqpfError as e:  # an analysis that does not apply to this construction says why
            ra.errors[name] = str(e)

    fit("dagum", lambda: DagumGini(result, "nbs4", n_boot=n_boot, seed=seed))
    fit("inequality", lambda: Inequality(result, "nbs4"))
    fit("sigma", lambda: SigmaConvergence(result))
    fit("beta", lambda: BetaConvergence(result))
    fit("moran", lambda: GlobalAutocorrelation(result, permutations=permutations, seed=seed))
    fit("lisa", lambda: LocalMoran(result, permutations=lisa_permutations, years=[latest], seed=seed))
    fit("density", lambda: KernelDensity(result))
    fit("obstacles", lambda: ObstacleDegree(result))
    if hqd is not None and hqd is not result:
        fit("coupling", lambda: CouplingCoordination({result.framework.id: result, hqd.framework.id: hqd}))
    return ra

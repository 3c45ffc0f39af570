"""Variance-based sensitivity: first- and total-order Sobol indices of discrete and continuous factors.

The Saltelli design (Saltelli 2002; Saltelli et al. 2010, *Comput. Phys. Commun.* 181:259-270):
two ``(N, D)`` matrices ``A`` and ``B`` of uniforms (a scrambled Sobol' sequence of dimension
``2D``, as SALib does) and, per factor ``i``, ``AB_i`` = ``A`` with factor ``i``'s columns taken
from ``B``. A factor may own several columns (weight noise on many weights, random exclusion):
its columns move together, which gives the group's indices. A categorical factor with ``L``
levels reads its column as level ``floor(u * L)``, so the estimators apply unchanged to mixed
discrete and continuous factors. With ``V = Var([f(A), f(B)])``:

=========== ======================================================== ============================
estimator   first order ``S_i``                                      total order ``ST_i``
=========== ======================================================== ============================
saltelli    ``mean(f(B) (f(AB_i) - f(A))) / V`` (Saltelli 2010, b)   ``mean(f(A) (f(A) - f(AB_i))) / V``
                                                                     (Sobol' 2007; Saltelli 2010, e)
jansen      ``(V - mean((f(B) - f(AB_i))^2) / 2) / V`` (Jansen 1999) ``mean((f(A) - f(AB_i))^2) / 2 / V``
                                                                     (Jansen 1999; Saltelli 2010, f)
=========== ======================================================== ============================

Outputs are centred on their grand mean first (as SALib does), which the Jansen estimators
do not need and which keeps the Saltelli products from losing precision to a large mean.
Confidence intervals: percentile bootstrap over the ``N`` rows (Archer, Saltelli & Sobol 1997).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from nqpf.errors import NqpfError

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from nqpf.index.result import IndexResult
    from nqpf.robustness.spec import UncertaintySpec

ESTIMATORS = ("saltelli", "jansen")
#: an output: ``f(scores, ranks) -> (n,)`` from ``{node: (n, T, R)}`` scores and ranks of n draws
Output = Callable[[dict[str, np.ndarray], dict[str, np.ndarray]], np.ndarray]


def saltelli_design(dims: int, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``A`` and ``B``, each ``(n, dims)``, from a scrambled Sobol' sequence of dimension ``2 dims``."""
    from scipy.stats import qmc

    if n < 2:
        raise NqpfError(f"Sobol analysis needs N >= 2 base samples, got {n}")
    m = int(np.ceil(np.log2(n)))
    x = qmc.Sobol(2 * dims, scramble=True, seed=seed).random_base2(m)[:n]
    return x[:, :dims], x[:, dims:]


def design_rows(a: np.ndarray, b: np.ndarray, groups: Sequence[slice]) -> np.ndarray:
    """The full design ``[A; B; AB_1; ...; AB_F]``, ``(n (F + 2), dims)``."""
    rows = [a, b]
    for g in groups:
        ab = a.copy()
        ab[:, g] = b[:, g]
        rows.append(ab)
    return np.concatenate(rows, axis=0)


def _estimate(fa: np.ndarray, fb: np.ndarray, fab: np.ndarray, estimator: str) -> tuple[np.ndarray, np.ndarray]:
    """First and total order from ``fa, fb`` ``(..., n)`` and ``fab`` ``(..., F, n)``."""
    var = np.var(np.concatenate([fa, fb], axis=-1), axis=-1)[..., None]
    a, b = fa[..., None, :], fb[..., None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        if estimator == "saltelli":
            s1 = np.mean(b * (fab - a), axis=-1) / var
            st = np.mean(a * (a - fab), axis=-1) / var
        else:
            s1 = (var - 0.5 * np.mean((b - fab) ** 2, axis=-1)) / var
            st = 0.5 * np.mean((a - fab) ** 2, axis=-1) / var
    return s1, st


def sobol_indices(fa: np.ndarray, fb: np.ndarray, fab: np.ndarray, *, names: Sequence[str] | None = None,
                  estimator: str = "saltelli", n_boot: int = 500, conf: float = 0.95,
                  seed: int = 0) -> pd.DataFrame:
    """First- and total-order indices with bootstrap intervals from model outputs.

    ``fa``, ``fb``: ``(n,)`` outputs at ``A`` and ``B``; ``fab``: ``(F, n)`` outputs at each
    ``AB_i``. Returns ``factor, S1, S1_low, S1_high, ST, ST_low, ST_high`` (intervals at
    ``conf``, percentile bootstrap with ``n_boot`` resamples of the rows).
    """
    if estimator not in ESTIMATORS:
        raise NqpfError(f"unknown Sobol estimator {estimator!r}; one of {', '.join(ESTIMATORS)}")
    fa, fb, fab = (np.asarray(x, dtype=float) for x in (fa, fb, fab))
    centre = np.mean(np.concatenate([fa, fb, fab.reshape(-1)]))  # as SALib: the Saltelli terms are not shift-free
    fa, fb, fab = fa - centre, fb - centre, fab - centre
    f, n = fab.shape
    names = list(names) if names is not None else [f"x{i + 1}" for i in range(f)]
    s1, st = _estimate(fa, fb, fab, estimator)
    rng = np.random.default_rng(seed)
    lo, hi = (1 - conf) / 2 * 100, (1 + conf) / 2 * 100
    b1, bt = [], []
    for start in range(0, n_boot, 50):  # batches of resamples keep memory ~ 50 n (F + 2)
        idx = rng.integers(0, n, size=(min(50, n_boot - start), n))
        x1, xt = _estimate(fa[idx], fb[idx], np.swapaxes(fab[:, idx], 0, 1), estimator)
        b1.append(x1)
        bt.append(xt)
    q1 = np.nanpercentile(np.concatenate(b1), [lo, hi], axis=0)
    qt = np.nanpercentile(np.concatenate(bt), [lo, hi], axis=0)
    return pd.DataFrame({"factor": names, "S1": s1.reshape(-1), "S1_low": q1[0], "S1_high": q1[1],
                         "ST": st.reshape(-1), "ST_low": qt[0], "ST_high": qt[1]})


# -- outputs of an index construction ---------------------------------------------------------
def mean_abs_rank_shift(result: IndexResult, node: str | None = None, year: int | None = None) -> Output:
    """Mean over regions of ``|rank - nominal rank|`` (one node and year; default index, last year)."""
    node = node or result.framework.root.id
    ti = result.years.index(year) if year is not None else len(result.years) - 1
    nominal = result.ranks[node][ti]

    def f(scores: dict[str, np.ndarray], ranks: dict[str, np.ndarray]) -> np.ndarray:
        return np.asarray(np.nanmean(np.abs(ranks[node][:, ti, :] - nominal), axis=1))

    f.__name__ = "mean_abs_rank_shift"
    return f


def region_rank(result: IndexResult, region: str, node: str | None = None, year: int | None = None) -> Output:
    """One region's rank (code or name) in one node and year (default index, last year)."""
    node = node or result.framework.root.id
    ti = result.years.index(year) if year is not None else len(result.years) - 1
    found = result.registry.lookup(region) if region not in result.regions else None
    code = found.code if found is not None else region
    if code not in result.regions:
        raise NqpfError(f"region {region!r} is not in the result (regions: {', '.join(result.regions)})")
    ri = result.regions.index(code)

    def f(scores: dict[str, np.ndarray], ranks: dict[str, np.ndarray]) -> np.ndarray:
        return np.asarray(ranks[node][:, ti, ri])

    f.__name__ = f"rank:{code}"
    return f


def group_gap(result: IndexResult, group_a: str = "east", group_b: str = "west", *, grouping: str = "nbs4",
              node: str | None = None, year: int | None = None) -> Output:
    """Mean score of group A minus that of group B (default: the East-West gap, NBS regions)."""
    node = node or result.framework.root.id
    ti = result.years.index(year) if year is not None else len(result.years) - 1
    groups = result.registry.groups(grouping)
    for g in (group_a, group_b):
        if g not in groups:
            raise NqpfError(f"unknown group {g!r} of {grouping}; one of {', '.join(groups)}")
    regs = np.asarray(result.regions)
    ma, mb = np.isin(regs, groups[group_a].codes), np.isin(regs, groups[group_b].codes)

    def f(scores: dict[str, np.ndarray], ranks: dict[str, np.ndarray]) -> np.ndarray:
        s = scores[node][:, ti, :]
        return np.asarray(np.nanmean(s[:, ma], axis=1) - np.nanmean(s[:, mb], axis=1))

    f.__name__ = f"gap:{group_a}-{group_b}"
    return f


def output_named(result: IndexResult, name: str, year: int | None = None) -> Output:
    """An output by name: ``mean_abs_rank_shift``, ``rank:<region>``, ``gap:<group>-<group>``."""
    if name == "mean_abs_rank_shift":
        return mean_abs_rank_shift(result, year=year)
    if name.startswith("rank:"):
        return region_rank(result, name[5:], year=year)
    if name.startswith("gap:") and "-" in name:
        a, b = name[4:].split("-", 1)
        return group_gap(result, a, b, year=year)
    raise NqpfError(f"unknown output {name!r}; use mean_abs_rank_shift, rank:<region> or gap:<group>-<group> "
                    "(e.g. gap:east-west)")


@dataclass
class SobolResult:
    """First- and total-order Sobol indices of one output.

    indices:
        ``factor, S1, S1_low, S1_high, ST, ST_low, ST_high`` (``estimator``, ``conf`` intervals).
    outputs:
        The output at every design row (``[A; B; AB_1; ...]``), ``n (F + 2)`` values.
    """

    output: str
    estimator: str
    n: int
    indices: pd.DataFrame
    outputs: np.ndarray = field(repr=False)
    draws: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)

    @property
    def summary(self) -> str:
        lines = [f"Sobol sensitivity / 敏感性分析 of {self.output} ({self.estimator}, N={self.n}, "
                 f"{self.n * (len(self.indices) + 2)} evaluations)"]
        for r in self.indices.itertuples():
            lines.append(f"  {r.factor:<28} S1 {r.S1:6.3f} [{r.S1_low:6.3f}, {r.S1_high:6.3f}]   "
                         f"ST {r.ST:6.3f} [{r.ST_low:6.3f}, {r.ST_high:6.3f}]")
        return "\n".join(lines)

    def to_tidy(self) -> pd.DataFrame:
        return self.indices.assign(output=self.output, estimator=self.estimator, n=self.n)

    def figure(self) -> go.Figure:
        """Bar chart of S1 and ST with intervals (:func:`nqpf.robustness.charts.sobol_figure`)."""
        from nqpf.robustness.charts import sobol_figure

        return sobol_figure(self.indices, title=self.output)


def sobol(
    result: IndexResult,
    spec: UncertaintySpec | None = None,
    *,
    n: int = 512,
    output: str | Output = "mean_abs_rank_shift",
    estimator: str = "saltelli",
    n_boot: int = 500,
    conf: float = 0.95,
    seed: int = 0,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = False,
) -> SobolResult:
    """Sobol indices of an output of ``result`` over the factors of ``spec`` (``n (F + 2)`` constructions).

    ``output``: a name (:func:`output_named`) or a function ``f(scores, ranks) -> (n,)`` of
    the draws' ``{node: (n, T, R)}`` scores and ranks (the index node).
    """
    from nqpf.index.steps import rank_desc
    from nqpf.robustness.backends import evaluate
    from nqpf.robustness.sampling import BLOCK, draw_parameters
    from nqpf.robustness.spec import default_spec

    spec = spec or default_spec(result)
    fn = output_named(result, output) if isinstance(output, str) else output
    a, b = saltelli_design(spec.dims, n, seed)
    rows = design_rows(a, b, [spec.columns(i) for i in range(len(spec.factors))])
    blocks = [rows[i:i + BLOCK] for i in range(0, len(rows), BLOCK)]
    nodes = [result.framework.root.id]
    scores, u, _ = evaluate(result, spec, blocks, nodes=nodes, workers=workers, scheduler=scheduler,
                            progress=progress, label="Sobol / 敏感性")
    ranks = {k: rank_desc(v) for k, v in scores.items()}
    y = np.asarray(fn(scores, ranks), dtype=float)
    f = len(spec.factors)
    idx = sobol_indices(y[:n], y[n:2 * n], y[2 * n:].reshape(f, n), names=spec.names, estimator=estimator,
                        n_boot=n_boot, conf=conf, seed=seed)
    return SobolResult(getattr(fn, "__name__", "output"), estimator, n, idx, y, draw_parameters(spec, u))

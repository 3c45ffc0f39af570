"""Coupling coordination between two or more systems, in the corrected form.

Wang Shujia (王淑佳), Kong Wei, Ren Liang, Zhi Dandan, Dai Yante (2021) "国内耦合协调度模型的
误区及修正" (Misconceptions and corrections of the domestic coupling coordination degree
model), *Journal of Natural Resources* (自然资源学报) 36(3): 793-810. For n systems with scores
U_i in [0, 1]:

    C = sqrt( [1 - sum_{i>j} |U_i - U_j| / sum_{m=1}^{n-1} m] * [prod_i (U_i / max_k U_k)]^(1/(n-1)) )
    T = sum_i a_i U_i   (a_i = 1/n unless given)          D = sqrt(C T)

For two systems C = sqrt((1 - |U_1 - U_2|) * min/max). The widely copied form
C_trad = n (prod U_i)^(1/n) / sum U_i (a ratio of geometric to arithmetic means) is reported
alongside as ``c_traditional``: it crowds near 1 and barely discriminates, the error the paper
corrects. D is read on the usual ten-level scale (0.1 steps, 极度失调 ... 优质协调).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from nqpf.regional.series import RegionalError, as_series

__all__ = ["CLASSES", "CouplingCoordination", "coordination_class", "coupling_degree"]

CLASSES: list[tuple[str, str]] = [
    ("extreme imbalance", "极度失调"), ("serious imbalance", "严重失调"), ("moderate imbalance", "中度失调"),
    ("mild imbalance", "轻度失调"), ("verge of imbalance", "濒临失调"), ("barely coordinated", "勉强协调"),
    ("primary coordination", "初级协调"), ("intermediate coordination", "中级协调"),
    ("good coordination", "良好协调"), ("high-quality coordination", "优质协调"),
]
"""Coordination classes of D, one per 0.1 step from [0, 0.1) to [0.9, 1.0]."""


def coupling_degree(u: np.ndarray) -> np.ndarray:
    """Corrected coupling degree C (Wang et al. 2021) of systems on the last axis (values in [0, 1])."""
    n = u.shape[-1]
    if n < 2:
        raise RegionalError("coupling needs at least two systems")
    diff = np.abs(u[..., :, None] - u[..., None, :])
    pairs = np.triu(np.ones((n, n), dtype=bool), 1)
    spread = diff[..., pairs].sum(axis=-1) / (n * (n - 1) / 2)
    mx = u.max(axis=-1, keepdims=True)
    ratio = np.divide(u, mx, out=np.zeros_like(u), where=mx > 0)
    balance = np.prod(ratio, axis=-1) ** (1.0 / (n - 1))
    return np.sqrt(np.clip(1.0 - spread, 0.0, 1.0) * balance)


def coordination_class(d: np.ndarray) -> np.ndarray:
    """Class index 0..9 of coordination degrees D."""
    return np.clip(np.floor(np.asarray(d) * 10).astype(int), 0, 9)


@dataclass
class CouplingCoordination:
    """Coupling (C), comprehensive (T) and coordination (D) degrees of systems, per region and year.

    ``systems``: ``{name: IndexResult or series}`` (two or more); ``weights``: {name: a_i}
    (default equal); ``nodes``: {name: node} for index results. Scores outside [0, 1] are
    rescaled by pooled min-max (said in ``notes``).

    Attributes: ``table`` (year, region_code, U per system, c, c_traditional, t, d, class_en,
    class_zh, lagging: the lowest system), ``notes``.
    """

    systems: Mapping[str, Any]
    weights: Mapping[str, float] | None = None
    nodes: Mapping[str, str] | None = None
    table: pd.DataFrame = field(init=False)
    notes: list[str] = field(init=False)

    def __post_init__(self) -> None:
        if len(self.systems) < 2:
            raise RegionalError("coupling coordination needs at least two systems")
        self.notes = []
        frames = {}
        for name, data in self.systems.items():
            s = as_series(data, (self.nodes or {}).get(name))
            f = s.frame()
            lo, hi = np.nanmin(f.to_numpy()), np.nanmax(f.to_numpy())
            if lo < 0 or hi > 1:
                f = (f - lo) / (hi - lo)
                self.notes.append(f"{name}: scores outside [0, 1] ({lo:.4g}..{hi:.4g}) rescaled by pooled min-max")
            frames[name] = f
        names = list(frames)
        years = sorted(set.intersection(*(set(f.index) for f in frames.values())))
        regions = sorted(set.intersection(*(set(f.columns) for f in frames.values())))
        if not years or not regions:
            raise RegionalError("the systems share no year or no region")
        for name, f in frames.items():
            lost_y = sorted(set(f.index) - set(years))
            if lost_y:
                self.notes.append(f"{name}: years not shared by every system left out ({lost_y[0]}..{lost_y[-1]})")
        u = np.stack([frames[n].reindex(index=years, columns=regions).to_numpy() for n in names], axis=-1)
        a = np.array([(self.weights or {}).get(n, 1.0 / len(names)) for n in names], dtype=float)
        if self.weights:
            missing = [n for n in names if n not in self.weights]
            if missing or abs(a.sum() - 1) > 1e-9:
                raise RegionalError(f"weights must name every system ({', '.join(names)}) and sum to 1")
        c = coupling_degree(u)
        ctrad = len(names) * np.exp(np.mean(np.log(np.where(u > 0, u, np.nan)), axis=-1)) / u.sum(axis=-1)
        t = u @ a
        d = np.sqrt(c * t)
        k = coordination_class(np.nan_to_num(d))
        yy, rr = np.meshgrid(years, regions, indexing="ij")
        tab = pd.DataFrame({"year": yy.ravel(), "region_code": rr.ravel()})
        for i, n in enumerate(names):
            tab[n] = u[..., i].ravel()
        tab["c"], tab["c_traditional"], tab["t"], tab["d"] = c.ravel(), ctrad.ravel(), t.ravel(), d.ravel()
        tab["class_en"] = [CLASSES[i][0] for i in k.ravel()]
        tab["class_zh"] = [CLASSES[i][1] for i in k.ravel()]
        tab["lagging"] = np.array(names)[np.argmin(np.nan_to_num(u, nan=np.inf), axis=-1).ravel()]
        bad = tab["d"].isna()
        if bad.any():
            self.notes.append(f"{int(bad.sum())} region-years lack a score in some system: D is NaN")
            tab.loc[bad, ["class_en", "class_zh", "lagging"]] = ""
        self.system_names: Sequence[str] = names
        self.table = tab

    @property
    def summary(self) -> str:
        """Mean C, T, D and the class counts of the last year."""
        last = self.table[self.table["year"] == self.table["year"].max()]
        counts = last["class_zh"].value_counts()
        return (f"Coupling coordination / 耦合协调度: {' x '.join(self.system_names)} (Wang et al. 2021 corrected C)\n"
                f"  {int(last['year'].iloc[0])}: mean C {last['c'].mean():.3f} (traditional {last['c_traditional'].mean():.3f}), "
                f"T {last['t'].mean():.3f}, D {last['d'].mean():.3f}\n"
                f"  classes / 等级: {', '.join(f'{k} {v}' for k, v in counts.items())}"
                + "".join(f"\n  note: {n}" for n in self.notes))

    def to_tidy(self) -> pd.DataFrame:
        """The table (already one row per region and year)."""
        return self.table.copy()

    def chart_data(self, year: int | None = None) -> pd.DataFrame:
        """``region_code, d, class_en, class_zh`` of one year (default: the last), for a map."""
        year = int(self.table["year"].max()) if year is None else year
        return self.table.loc[self.table["year"] == year, ["region_code", "d", "class_en", "class_zh"]]

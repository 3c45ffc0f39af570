"""How much of a framework's indicator cube is real data, year by year, before any imputation.

The OECD/JRC *Handbook on Constructing Composite Indicators* (2008, step 3) asks that the
share of imputed values be reported with a composite; :func:`real_share` gives it per year,
and the distance of every missing cell to the nearest observation of the same province and
indicator (:func:`fill_distance`), so that no cell is filled further than an extrapolation
limit (2 years by default) without it being seen.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from nqpf.errors import ValidationError

if TYPE_CHECKING:
    from nqpf.frameworks.spec import Framework
    from nqpf.panel import Panel

__all__ = ["fill_distance", "real_share"]


def fill_distance(values: np.ndarray, years: Sequence[int]) -> np.ndarray:
    """Years from each cell of a ``(T, R, K)`` cube to the nearest observed year of its
    (region, indicator) series: 0 where observed, ``inf`` where the series has no value at all.

    Vectorised: the last observed year at or before each year and the next at or after are
    carried along the time axis with running maxima/minima.
    """
    v = np.asarray(values, dtype=float)
    if v.ndim != 3:
        raise ValidationError(f"expected a (T, R, K) cube, got shape {v.shape}")
    y = np.asarray(years, dtype=float)
    if y.shape != (v.shape[0],) or (len(y) > 1 and np.any(np.diff(y) <= 0)):
        raise ValidationError(f"years must be increasing and match the time axis ({v.shape[0]}), got {list(years)}")
    obs = ~np.isnan(v)
    yy = np.broadcast_to(y[:, None, None], v.shape)
    last = np.maximum.accumulate(np.where(obs, yy, -np.inf), axis=0)
    nxt = np.minimum.accumulate(np.where(obs, yy, np.inf)[::-1], axis=0)[::-1]
    return np.minimum(yy - last, nxt - yy)


def real_share(
    framework: Framework,
    panel: Panel,
    years: Sequence[int],
    regions: Sequence[str] | None = None,
    *,
    max_gap: int = 2,
) -> pd.DataFrame:
    """Per year: cells, real (observed) cells, share real, cells within and beyond ``max_gap``.

    The framework is evaluated on every panel year, so an observation just outside ``years``
    counts as near. Columns: ``year, n_cells, n_real, share_real, n_fill_within, n_fill_beyond,
    max_fill_distance`` (years; ``inf`` when a series has no value at all).
    """
    span = sorted(set(panel.years) | {int(y) for y in years})
    cube = framework.evaluate(panel, years=span, regions=regions)
    dist = fill_distance(cube.values, span)
    pos = [span.index(int(y)) for y in years]
    d = dist[pos]
    n = d.shape[1] * d.shape[2]
    real = (d == 0).sum(axis=(1, 2))
    within = ((d > 0) & (d <= max_gap)).sum(axis=(1, 2))
    return pd.DataFrame({
        "year": [int(y) for y in years],
        "n_cells": n,
        "n_real": real,
        "share_real": real / n,
        "n_fill_within": within,
        "n_fill_beyond": n - real - within,
        "max_fill_distance": d.max(axis=(1, 2)),
    })

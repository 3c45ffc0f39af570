"""Priorities: what holds a province back, and what would move its score most.

Two measures per indicator, for one province and year:

* **obstacle degree** (障碍度), the obstacle-degree model of the Chinese composite-index
  literature: factor contribution ``F_k`` (the indicator's effective weight in the index) times
  the deviation ``I_k = 1 - x_k`` (``x_k`` the normalised value rescaled to [0, 1] by the pooled
  range of normalised values; for min-max normalisation exactly ``1 - x_k``), as a share:
  ``O_k = 100 * F_k I_k / sum_j F_j I_j`` (%). Dimension obstacles are sums over their indicators.
* **marginal gain**: the change of the index score when the indicator improves by one step
  (default 10% of its fitted range, in its unit; upwards for a benefit indicator, downwards for
  a cost indicator), scored on the frozen scale (:func:`nqpf.index.frozen.score_indicators`),
  so it holds for any aggregation; a value already at the best end of the range gains nothing.
  For arithmetic aggregation of min-max scores it equals ``w_k * step / range * (max-min of the
  output range)``.

The action areas are the indicators ranked by the mean of their obstacle rank and gain rank.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from nqpf.index.frozen import score_indicators
from nqpf.index.result import IndexResult
from nqpf.profiles.profile import (
    ProfileError,
    dimension_of,
    resolve_region,
    resolve_year,
    tree_info,
)


@dataclass
class Priorities:
    """``table``: every indicator with ``indicator, name_en, name_zh, dimension, unit, direction,
    value, rank, effective_weight, deviation, obstacle_pct, step, value_after, gain, obstacle_rank,
    gain_rank, priority``; ``dimensions``: ``dimension, name_en, name_zh, obstacle_pct``;
    ``actions``: the top ``n`` rows of ``table`` with sentences ``text_en``, ``text_zh``."""

    region_code: str
    year: int
    step_share: float
    table: pd.DataFrame
    dimensions: pd.DataFrame
    actions: pd.DataFrame


def obstacle_degree(weights: np.ndarray, normalised: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Obstacle degree in % of each indicator (last axis): ``100 * w (1 - x') / sum w (1 - x')``
    with ``x' = (x - lo) / (hi - lo)``. All zero when the unit is at the frontier everywhere."""
    span = np.where(hi > lo, hi - lo, 1.0)
    dev = 1.0 - np.clip((normalised - lo) / span, 0.0, 1.0)
    f = weights * np.nan_to_num(dev)
    tot = f.sum(axis=-1, keepdims=True)
    return np.where(tot > 0, 100.0 * f / np.where(tot > 0, tot, 1.0), 0.0)


def _fmt(v: float) -> str:
    return f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}"


def action_text(row: dict[str, Any], n_regions: int) -> tuple[str, str]:
    """The English and Chinese sentence of one action area (every number from ``row``)."""
    verb_en, verb_zh = ("Raise", "提高") if row["direction"] > 0 else ("Lower", "降低")
    step = _fmt(abs(row["step"]))
    en = (f"{verb_en} {row['name_en']} (now {_fmt(row['value'])} {row['unit']}, rank {row['rank']:.0f} of "
          f"{n_regions}): it accounts for {row['obstacle_pct']:.1f}% of the distance to the frontier; "
          f"a change of {step} {row['unit']} would add {row['gain']:.4f} to the index score.")
    zh = (f"{verb_zh}{row['name_zh']}（现为{_fmt(row['value'])} {row['unit']}，排名第{row['rank']:.0f}位，共{n_regions}个）："
          f"占距前沿差距的{row['obstacle_pct']:.1f}%；变动{step} {row['unit']}可使指数得分提高{row['gain']:.4f}。")
    return en, zh


def priorities(result: IndexResult, region: str, *, year: int | None = None, n: int = 5,
               step_share: float = 0.1) -> Priorities:
    """Obstacle degree, marginal gains and the ``n`` action areas of one province in ``year``."""
    code = resolve_region(result, region)
    year = resolve_year(result, year)
    if not 0 < step_share <= 1:
        raise ProfileError(f"the improvement step is a share of the indicator's range in (0, 1], got {step_share}")
    ri, ti = result.regions.index(code), result.years.index(year)
    inds = result.indicators
    eff = result.effective_weights()
    w = np.array([eff[i] for i in inds])
    norm_all = result.normalised
    lo, hi = np.nanmin(norm_all, axis=(0, 1)), np.nanmax(norm_all, axis=(0, 1))
    x = norm_all[ti, ri]
    obst = obstacle_degree(w, x, lo, hi)
    tp = result.stages["treat"].params
    fmin, fmax = np.asarray(tp["fitted_min"], float), np.asarray(tp["fitted_max"], float)
    tree = tree_info(result)
    direction = np.array([int(tree[i]["direction"]) for i in inds])
    # one frozen-scale call: row 0 is the province as it is, row 1 + k has indicator k improved
    cur = result.filled[ti, ri].copy()
    rows = np.repeat(cur[None, :], len(inds) + 1, axis=0)
    span = fmax - fmin
    target = np.clip(cur + direction * step_share * span, fmin, fmax)
    target = np.where(np.isfinite(cur), target, cur)
    rows[1 + np.arange(len(inds)), np.arange(len(inds))] = target
    scored = score_indicators(result, rows[None, :, :], years=[year], regions=[code] * (len(inds) + 1)).index[0]
    steps, after = target - cur, target
    gains = np.where(np.isfinite(cur), scored[1:] - scored[0], 0.0)
    dims = dimension_of(result)
    table = pd.DataFrame({
        "indicator": inds, "name_en": [tree[i]["name_en"] for i in inds],
        "name_zh": [tree[i]["name_zh"] for i in inds], "dimension": [dims[i] for i in inds],
        "unit": [tree[i]["unit"] for i in inds], "direction": direction,
        "value": result.filled[ti, ri], "rank": [result.ranks[i][ti, ri] for i in inds],
        "effective_weight": w, "deviation": 1 - np.clip((x - lo) / np.where(hi > lo, hi - lo, 1), 0, 1),
        "obstacle_pct": obst, "step": steps, "value_after": after, "gain": gains,
    })
    table["obstacle_rank"] = table["obstacle_pct"].rank(ascending=False, method="min").astype(int)
    table["gain_rank"] = table["gain"].rank(ascending=False, method="min").astype(int)
    table["priority"] = (table["obstacle_rank"] + table["gain_rank"]) / 2
    table = table.sort_values(["priority", "obstacle_rank", "indicator"]).reset_index(drop=True)
    dim = table.groupby("dimension", sort=False)["obstacle_pct"].sum().reset_index()
    dim["name_en"] = [tree[str(d)]["name_en"] for d in dim["dimension"]]
    dim["name_zh"] = [tree[str(d)]["name_zh"] for d in dim["dimension"]]
    dim = dim.sort_values("obstacle_pct", ascending=False).reset_index(drop=True)[["dimension", "name_en", "name_zh",
                                                                                  "obstacle_pct"]]
    n_reg = int(np.sum(np.isfinite(result.index[ti])))
    actions = table[table["gain"] > 0].head(n).copy()
    texts = [action_text({str(k): v for k, v in r.items()}, n_reg) for r in actions.to_dict("records")]
    actions["text_en"] = [t[0] for t in texts]
    actions["text_zh"] = [t[1] for t in texts]
    return Priorities(region_code=code, year=year, step_share=step_share, table=table, dimensions=dim,
                      actions=actions.reset_index(drop=True))

"""Rank intervals of a run's robustness analysis, read for profiles.

``nqpf run --robustness N`` writes ``<run>/<framework>/robustness/rank_uncertainty.csv`` (per
region, year and node: ``median_rank, rank_p05, rank_p95`` over N Monte Carlo draws of the
construction choices; :mod:`nqpf.robustness`). :func:`rank_intervals` reads it in the profile's
form (``region_code, year, node, rank_p05, rank_median, rank_p95``) or returns ``None`` when the
run has none, and :data:`NOT_COMPUTED` says so, with how to get it, in both languages.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from nqpf.profiles.errors import ProfileError

ROBUSTNESS_COLUMNS = ["region_code", "year", "node", "rank_p05", "rank_median", "rank_p95"]


def check_robustness(table: pd.DataFrame) -> pd.DataFrame:
    """Validate a robustness table (``region_code, year, node, rank_p05, rank_median, rank_p95``;
    ``median_rank``, the name :mod:`nqpf.robustness` writes, is accepted for ``rank_median``)."""
    if "rank_median" not in table.columns and "median_rank" in table.columns:  # nqpf.robustness's name
        table = table.rename(columns={"median_rank": "rank_median"})
    missing = [c for c in ROBUSTNESS_COLUMNS if c not in table.columns]
    if missing:
        raise ProfileError(f"the robustness table needs columns {', '.join(ROBUSTNESS_COLUMNS)}; "
                           f"missing {', '.join(missing)}")
    t = table[ROBUSTNESS_COLUMNS].copy()
    t["region_code"] = t["region_code"].astype(str)
    t["year"] = t["year"].astype(int)
    bad = t[(t["rank_p05"] > t["rank_median"]) | (t["rank_median"] > t["rank_p95"])]
    if len(bad):
        r = bad.iloc[0]
        raise ProfileError(f"robustness row {r['region_code']} {r['year']} {r['node']}: rank_p05 <= rank_median "
                           f"<= rank_p95 must hold, got {r['rank_p05']}, {r['rank_median']}, {r['rank_p95']}")
    return t


#: where a run folder keeps the robustness ranks, relative to ``<run>/<framework>/``
RANKS_FILE = Path("robustness") / "rank_uncertainty.csv"

#: what a narrative says when the run has no robustness analysis
NOT_COMPUTED = ("The rank interval was not computed (run nqpf run --robustness N to get it).",
                "排名区间未计算（运行 nqpf run --robustness N 可得）。")


def ranks_path(folder: str | Path) -> Path:
    """``<folder>/robustness/rank_uncertainty.csv`` (``folder``: the framework's run folder)."""
    return Path(folder) / RANKS_FILE


def rank_intervals(folder: str | Path | None) -> pd.DataFrame | None:
    """The run's rank intervals as the profile's table, or ``None`` when it has none.

    The robustness module's ``median_rank`` becomes the profile's ``rank_median``.
    """
    if folder is None:
        return None
    path = ranks_path(folder)
    if not path.is_file():
        return None
    try:
        t = pd.read_csv(path, dtype={"region_code": str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        raise ProfileError(f"{path} is not a readable robustness table: {e}") from None
    return check_robustness(t)[ROBUSTNESS_COLUMNS]

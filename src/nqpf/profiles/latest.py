"""The latest observed value of panel variables per province, with the year it comes from."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from nqpf.errors import NqpfError
from nqpf.panel import Panel


def latest_values(panel: Panel, variables: Sequence[str], regions: Sequence[str], *, year: int | None = None,
                  min_regions: int | None = None) -> tuple[pd.DataFrame, dict[str, int]]:
    """``regions x variables`` values of the latest year (<= ``year``) in which at least
    ``min_regions`` (default: 80% of ``regions``) have the variable; and that year per variable.

    Each variable takes one common year, so provinces are compared on the same year.
    """
    unknown = [v for v in variables if v not in panel.variables]
    if unknown:
        raise NqpfError(f"variable(s) {', '.join(unknown)} not in the panel; import them first "
                        f"(nqpf data import) or choose others")
    need = int(np.ceil(0.8 * len(regions))) if min_regions is None else min_regions
    arr = panel.to_array(list(variables), regions=list(regions))
    out = pd.DataFrame(index=pd.Index(list(regions), name="region_code"))
    years: dict[str, int] = {}
    for k, v in enumerate(variables):
        counts = np.sum(np.isfinite(arr.values[:, :, k]), axis=1)
        ok = [i for i, y in enumerate(arr.years) if counts[i] >= need and (year is None or y <= year)]
        if not ok:
            raise NqpfError(f"variable {v} has no year with at least {need} provinces"
                            + (f" up to {year}" if year is not None else ""))
        ti = ok[-1]
        years[v] = int(arr.years[ti])
        out[v] = arr.values[ti, :, k]
    return out, years

"""The real data bundle's ``panel/`` folder as a :class:`~nqpf.panel.Panel`, and the version-1.0
frameworks the regional tests build on it (the conftest fixtures ``panel`` and ``v1_results``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from nqpf.panel import Panel

#: the published 2010-2019 indices (version 1.0 reads the panel/ folder alone)
V1_FRAMEWORKS = ["nqpf-three-elements@1.0", "nqpf-technology-economy-industry@1.0", "hqd-four-channels@1.0"]


def read_panel(data: Path) -> Panel:
    """``data/panel/provinces.csv`` with its variable catalogue (region codes kept as text)."""
    return Panel(pd.read_csv(data / "panel" / "provinces.csv", dtype={"region_code": str}),
                 pd.read_csv(data / "panel" / "variables.csv"))

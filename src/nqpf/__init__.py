"""nqpf: measure, explain and monitor China's New Quality Productive Forces (新质生产力).

The flow runs one way: sources -> importers -> store -> :class:`~nqpf.panel.Panel` ->
frameworks -> index engine -> results -> analyses and reports.
"""

from nqpf.errors import NqpfError
from nqpf.panel import Panel
from nqpf.regions import REGISTRY, Region, RegionRegistry

__all__ = ["REGISTRY", "NqpfError", "Panel", "Region", "RegionRegistry"]
__version__ = "0.1.0"

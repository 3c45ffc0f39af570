"""Regional disparity, dynamics and spatial analysis (layer 5: analyses).

Every analysis takes an :class:`~nqpf.index.build.IndexResult` (any node) or any region-by-year
series and, where it compares groups, a grouping (``nbs4`` by default, ``belt3`` or user
groups). Each result has named attributes, ``summary``, ``to_tidy()`` and ``chart_data()``.
"""

from nqpf.regional.club import ClubConvergence
from nqpf.regional.convergence import BetaConvergence, SigmaConvergence
from nqpf.regional.coupling import CouplingCoordination
from nqpf.regional.dagum import DagumGini, dagum_decompose
from nqpf.regional.density import KernelDensity
from nqpf.regional.markov import Markov, SpatialMarkov
from nqpf.regional.obstacle import ObstacleDegree
from nqpf.regional.series import RegionalError, RegionalSeries, as_series, grouping_of
from nqpf.regional.spatial import GetisOrdGStar, GlobalAutocorrelation, LocalMoran
from nqpf.regional.theil import Inequality
from nqpf.regional.weights import SpatialWeights

__all__ = [
    "BetaConvergence", "ClubConvergence", "CouplingCoordination", "DagumGini", "GetisOrdGStar",
    "GlobalAutocorrelation", "Inequality", "KernelDensity", "LocalMoran", "Markov", "ObstacleDegree",
    "RegionalError", "RegionalSeries", "SigmaConvergence", "SpatialMarkov", "SpatialWeights",
    "as_series", "dagum_decompose", "grouping_of",
]

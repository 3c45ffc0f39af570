"""According to local conditions (因地制宜): province profiles, peers, priorities, what-if
scenarios and the investor view, all computed from an :class:`~nqpf.index.result.IndexResult`.

* :mod:`~nqpf.profiles.profile` -- scores and ranks at every level, strengths and weaknesses
  (GII style), EIS performance groups, growth, position within the NBS region, rank uncertainty;
* :mod:`~nqpf.profiles.peers` -- structurally similar provinces and the gap to the peer leader;
* :mod:`~nqpf.profiles.priorities` -- obstacle degree and marginal gains, as action areas;
* :mod:`~nqpf.profiles.scenario` -- what-if changes scored on the frozen scale;
* :mod:`~nqpf.profiles.hqd_link` -- the linkage coefficient behind a scenario's implied HQD change;
* :mod:`~nqpf.profiles.intervals` -- rank intervals read from a run's robustness analysis;
* :mod:`~nqpf.profiles.run_tables` -- the tables and summary sections ``nqpf run`` writes;
* :mod:`~nqpf.profiles.investor` -- a province x sector opportunity matrix;
* :mod:`~nqpf.profiles.narrative` -- bilingual sentences filled from the tables;
* :mod:`~nqpf.profiles.charts` -- Plotly figures.
"""

from nqpf.profiles.hqd_link import HQDLink, fit_link, hqd_link, read_linkage
from nqpf.profiles.intervals import rank_intervals
from nqpf.profiles.investor import InvestorError, InvestorView, investor_view, sector_text_exposure
from nqpf.profiles.narrative import Narrative, narrate
from nqpf.profiles.peers import Peers, find_peers, peer_gaps
from nqpf.profiles.priorities import Priorities, priorities
from nqpf.profiles.profile import PERFORMANCE_GROUPS, Profile, ProfileError, profile, profiles
from nqpf.profiles.scenario import (
           ScenarioInputError,
           ScenarioResult,
           add_implied_change,
           implied_change,
           read_scenario,
           run_scenario,
)

__all__ = ["PERFORMANCE_GROUPS", "HQDLink", "InvestorError", "InvestorView", "Narrative", "Peers", "Priorities", "Profile",
           "ProfileError", "ScenarioInputError", "ScenarioResult", "add_implied_change", "find_peers", "fit_link",
           "hqd_link", "implied_change", "investor_view",
           "narrate", "peer_gaps", "priorities", "profile", "profiles", "rank_intervals", "read_linkage",
           "read_scenario", "run_scenario",
           "sector_text_exposure"]

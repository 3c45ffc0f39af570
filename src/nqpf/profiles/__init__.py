"""According to local conditions (因地制宜): province profiles, peers, priorities, what-if
scenarios and the investor view, all computed from an :class:`~nqpf.index.result.IndexResult`.

* :mod:`~nqpf.profiles.profile` -- scores and ranks at every level, strengths and weaknesses
  (GII style), EIS performance groups, growth, position within the NBS region, rank uncertainty;
* :mod:`~nqpf.profiles.peers` -- structurally similar provinces and the gap to the peer leader;
* :mod:`~nqpf.profiles.priorities` -- obstacle degree and marginal gains, as action areas;
* :mod:`~nqpf.profiles.scenario` -- what-if changes scored on the frozen scale;
* :mod:`~nqpf.profiles.investor` -- a province x sector opportunity matrix;
* :mod:`~nqpf.profiles.narrative` -- bilingual sentences filled from the tables;
* :mod:`~nqpf.profiles.charts` -- Plotly figures.
"""

from nqpf.profiles.investor import InvestorError, InvestorView, investor_view, sector_text_exposure
from nqpf.profiles.narrative import Narrative, narrate
from nqpf.profiles.peers import Peers, find_peers, peer_gaps
from nqpf.profiles.priorities import Priorities, priorities
from nqpf.profiles.profile import PERFORMANCE_GROUPS, Profile, ProfileError, profile, profiles
from nqpf.profiles.scenario import (
           ScenarioInputError,
           ScenarioResult,
           implied_change,
           read_scenario,
           run_scenario,
)

__all__ = ["PERFORMANCE_GROUPS", "InvestorError", "InvestorView", "Narrative", "Peers", "Priorities", "Profile",
           "ProfileError", "ScenarioInputError", "ScenarioResult", "find_peers", "implied_change", "investor_view",
           "narrate", "peer_gaps", "priorities", "profile", "profiles", "read_scenario", "run_scenario",
           "sector_text_exposure"]

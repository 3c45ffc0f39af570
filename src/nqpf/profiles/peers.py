"""Peers: provinces of similar economic structure, so that comparisons are fair.

The Regional Innovation Scoreboard (European Commission, *RIS 2023 Methodology Report*, §6)
compares a region with regions of similar structure (GDP per head, industry shares, population
density...) rather than with all regions. Here: the structural features (default: size = log
GRP, income = GRP per resident, industry structure = secondary and tertiary shares) are
standardised (z-scores over the provinces), and a province's peers are its ``k`` nearest
provinces by Euclidean distance, or the members of its Ward cluster (Ward 1963, via SciPy),
or a list the user gives. The gap to the peer leader is then read per indicator.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from nqpf.errors import NqpfError
from nqpf.panel import Panel
from nqpf.profiles.latest import latest_values
from nqpf.profiles.profile import ProfileError, resolve_region, resolve_year, tree_info

if TYPE_CHECKING:
    from nqpf.index.result import IndexResult

#: default structural features: name -> (panel variables, label en, label zh, unit)
DEFAULT_FEATURES: dict[str, tuple[tuple[str, ...], str, str, str]] = {
    "log_gdp": (("gdp",), "Size: log of GRP", "规模：地区生产总值对数", "log(100 million yuan)"),
    "gdp_per_resident": (("gdp", "population"), "Income: GRP per resident", "收入：人均地区生产总值",
                         "yuan per resident"),
    "secondary_share": (("secondary_share",), "Industry share of GRP", "第二产业占比", "%"),
    "tertiary_share": (("tertiary_share",), "Services share of GRP", "第三产业占比", "%"),
}
PEER_METHODS = ("nearest", "cluster", "user")


@dataclass
class Peers:
    """A province's peer group.

    ``features`` (regions x features, raw), ``feature_years`` (the year of each panel variable),
    ``z`` (standardised), ``distance`` (to the province, sorted), ``clusters`` (Ward cluster of
    every province), ``peers`` (codes, nearest first, the province itself excluded), ``method``.
    """

    region_code: str
    method: str
    peers: list[str]
    features: pd.DataFrame
    feature_years: dict[str, int]
    z: pd.DataFrame
    distance: pd.Series
    clusters: pd.Series
    notes: list[str] = field(default_factory=list)

    def table(self) -> pd.DataFrame:
        """``region_code, distance, cluster, is_peer`` plus the raw features."""
        t = self.features.copy()
        t["distance"] = self.distance
        t["cluster"] = self.clusters
        t["is_peer"] = t.index.isin(self.peers)
        return t.sort_values("distance").reset_index()


def structural_features(panel: Panel, regions: Sequence[str], *, year: int | None = None,
                        features: Sequence[str] | None = None) -> tuple[pd.DataFrame, dict[str, int]]:
    """Structural features of ``regions``: the defaults or panel variables, latest year <= ``year``."""
    names = list(features) if features else list(DEFAULT_FEATURES)
    variables: list[str] = []
    for f in names:
        variables += list(DEFAULT_FEATURES[f][0]) if f in DEFAULT_FEATURES else [f]
    vals, years = latest_values(panel, list(dict.fromkeys(variables)), regions, year=year)
    out = pd.DataFrame(index=vals.index)
    for f in names:
        if f == "log_gdp":
            out[f] = np.log(vals["gdp"].where(vals["gdp"] > 0))
        elif f == "gdp_per_resident":  # GRP in 100 million yuan / population in 10k persons -> yuan
            out[f] = vals["gdp"] / vals["population"] * 1e4
        else:
            out[f] = vals[f]
    return out, years


def find_peers(result: IndexResult, region: str, *, panel: Panel | None = None, year: int | None = None,
               features: Sequence[str] | None = None, k: int = 5, method: str = "nearest",
               n_clusters: int = 5, peers: Sequence[str] | None = None) -> Peers:
    """The peers of ``region`` among the result's regions (see the module text).

    ``panel`` defaults to the result's; ``peers`` (names or codes) sets them by hand
    (``method="user"``).
    """
    from scipy.cluster.hierarchy import fcluster, linkage

    code = resolve_region(result, region)
    year = resolve_year(result, year)
    if peers is not None:
        method = "user"
    if method not in PEER_METHODS:
        raise ProfileError(f"peer method must be one of {', '.join(PEER_METHODS)}, got {method!r}")
    if k < 1:
        raise ProfileError(f"the number of peers must be at least 1, got {k}")
    notes: list[str] = []
    try:
        feats, fyears = structural_features(panel or result.panel, result.regions, year=year, features=features)
    except NqpfError as e:
        if method != "user":
            raise ProfileError(f"peers by structure need {e}; or give the peers by hand") from None
        feats, fyears = pd.DataFrame(index=pd.Index(result.regions, name="region_code")), {}
        notes.append(f"no structural features ({e}); peers as given")
    if feats.shape[1]:
        incomplete = [str(c) for c, bad in zip(feats.index, np.asarray(feats.isna().to_numpy().any(axis=1)).tolist(),
                                               strict=True) if bad]
        if code in incomplete and method != "user":
            raise ProfileError(f"{region} lacks structural data "
                               f"({', '.join(str(c) for c in feats.columns[feats.loc[[code]].isna().to_numpy()[0]])}) "
                               f"for peers; choose other features or give the peers by hand")
        if incomplete:
            notes.append(f"left out of the peer search for missing structural data: {', '.join(incomplete)}")
        full = feats.drop(index=incomplete)
        sd = full.std(ddof=0).replace(0, 1.0)
        z = (full - full.mean()) / sd
    else:
        z = feats
    if code in z.index and len(z) > 1:
        dist = np.sqrt(((z - z.loc[code]) ** 2).sum(axis=1)).sort_values(kind="stable")
        clusters = pd.Series(fcluster(linkage(z.to_numpy(), method="ward"), t=min(n_clusters, len(z)),
                                      criterion="maxclust"), index=z.index, name="cluster")
    else:
        dist = pd.Series(np.nan, index=pd.Index(result.regions, name="region_code"))
        clusters = pd.Series(0, index=dist.index, name="cluster")
    if method == "user":
        chosen = [resolve_region(result, p) for p in peers or []]
        chosen = [c for c in dict.fromkeys(chosen) if c != code]
        if not chosen:
            raise ProfileError("give at least one peer other than the province itself")
    elif method == "cluster":
        chosen = [c for c in dist.index if clusters[c] == clusters[code] and c != code]
        if not chosen:
            chosen = [c for c in dist.index if c != code][:k]
            notes.append(f"{code} is alone in its cluster; its {k} nearest provinces are used instead")
    else:
        chosen = [c for c in dist.index if c != code][:k]
    return Peers(region_code=code, method=method, peers=chosen, features=feats, feature_years=fyears, z=z,
                 distance=dist, clusters=clusters, notes=notes)


def peer_gaps(result: IndexResult, region: str, peers: Sequence[str] | Peers, *, year: int | None = None) -> pd.DataFrame:
    """Per indicator, the province against its peer leader in ``year``.

    Columns: ``indicator, name_en, name_zh, unit, direction, value, normalised, peer_leader,
    leader_value, leader_normalised, gap_value`` (leader minus province, in the indicator's
    unit; negative for a cost indicator the leader keeps lower) ``, gap_normalised, is_leader``.
    The leader is the best of the peers and the province by normalised value (direction-aware).
    """
    code = resolve_region(result, region)
    year = resolve_year(result, year)
    codes = peers.peers if isinstance(peers, Peers) else [resolve_region(result, p) for p in peers]
    group = [code, *[c for c in codes if c != code]]
    ti = result.years.index(year)
    idx = [result.regions.index(c) for c in group]
    tree = tree_info(result)
    rows = []
    for k, ind in enumerate(result.indicators):
        norm = result.normalised[ti, idx, k]
        if not np.isfinite(norm).any():
            continue
        lead = int(np.nanargmax(norm))
        own_v, lead_v = result.filled[ti, idx[0], k], result.filled[ti, idx[lead], k]
        rows.append({"indicator": ind, "name_en": tree[ind]["name_en"], "name_zh": tree[ind]["name_zh"],
                     "unit": tree[ind]["unit"], "direction": int(tree[ind]["direction"]),
                     "value": own_v, "normalised": norm[0], "peer_leader": group[lead], "leader_value": lead_v,
                     "leader_normalised": norm[lead], "gap_value": lead_v - own_v,
                     "gap_normalised": norm[lead] - norm[0], "is_leader": bool(norm[lead] == norm[0])})
    return pd.DataFrame(rows)

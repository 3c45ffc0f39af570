"""The method specification: every choice of an index construction, recorded as data.

Following COINr (Becker et al. 2022, JOSS 7(78):4567) and the JRC/OECD *Handbook on
Constructing Composite Indicators* (2008), the whole construction is one plain dictionary that
can be saved, compared and changed one step at a time (``IndexResult.regenerate``).

Steps and their defaults::

    years:          null                   # [2015, 2019] or "2012:2019"; null = years with enough data
    year_coverage:  0.85                   # keep years whose share of non-missing cells >= this
    regions:        null                   # every region of the panel but the national total
    screening:      {min_coverage: 0.65}   # drop indicators with less data than this (share of cells)
    allow_drop:     false                  # true: build a named variant when screening drops an indicator
    exclude:        []                     # indicators left out on purpose (a named variant)
    imputation:     {method: linear, groups: nbs4, max_extrapolation: 2}   # carry ends <= 2 years
    treatment:      {method: coinr, skew_max: 2.0, kurt_max: 3.5, winmax: 5}
    normalisation:  {method: minmax, scope: pooled, out_range: [0, 1]}
    weighting:      {method: entropy}      # for the children of nodes one level above the indicators
    weighting_upper: {method: equal}       # for the children of every higher node
    aggregation:    {method: arithmetic}
    by_level:       {}                     # {depth: {step: {...}}}: overrides for nodes at that depth
    by_node:        {}                     # {node_id: {step: {...}}}: overrides for one node

Indicator-level steps (imputation, treatment, normalisation) of an indicator take the nearest
override among its ancestors; weighting and aggregation of a node's children take the node's
own override, then its depth's, then the defaults.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from nqpf.errors import NqpfError

STEPS = ("screening", "imputation", "treatment", "normalisation", "weighting", "aggregation")

DEFAULT_SPEC: dict[str, Any] = {
    "years": None,
    "year_coverage": 0.85,
    "regions": None,
    "screening": {"min_coverage": 0.65},
    "allow_drop": False,
    "exclude": [],
    "imputation": {"method": "linear", "groups": "nbs4", "max_extrapolation": 2},
    "treatment": {"method": "coinr", "skew_max": 2.0, "kurt_max": 3.5, "winmax": 5},
    "normalisation": {"method": "minmax", "scope": "pooled", "out_range": [0.0, 1.0]},
    "weighting": {"method": "entropy"},
    "weighting_upper": {"method": "equal"},
    "aggregation": {"method": "arithmetic"},
    "by_level": {},
    "by_node": {},
}

CHOICES: dict[str, tuple[str, ...]] = {
    "imputation": ("none", "linear", "group_mean", "linear+group_mean"),
    "treatment": ("none", "coinr", "winsorise", "log"),
    "normalisation": ("minmax", "zscore", "rank", "percentile", "goalposts", "distance_to_target"),
    "weighting": ("equal", "entropy", "critic", "pca", "ahp", "user", "combined", "entropy_global"),
    "aggregation": ("arithmetic", "geometric", "generalized", "harmonic", "topsis"),
}


class SpecError(NqpfError):
    """A method specification that cannot be used."""


def _merge(base: dict[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in changes.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _shorthand(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Let ``weighting="critic"`` stand for ``weighting={"method": "critic"}``."""
    out: dict[str, Any] = {}
    for k, v in changes.items():
        if k in CHOICES or k == "weighting_upper":
            out[k] = {"method": v} if isinstance(v, str) else v
        else:
            out[k] = v
    return out


def make_spec(base: Mapping[str, Any] | None = None, **changes: Any) -> dict[str, Any]:
    """A complete, validated spec: defaults, then ``base``, then ``changes`` (deep-merged).

    A step given as a string is the method name: ``make_spec(weighting="critic")``. A step
    given as a dict replaces only the keys it names; pass ``{"method": ..., ...}`` in full
    when switching methods with different parameters.
    """
    spec = copy.deepcopy(DEFAULT_SPEC)
    for layer in (_shorthand(base or {}), _shorthand(changes)):
        spec = _apply(spec, layer)
    validate_spec(spec)
    return spec


def _apply(spec: dict[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge ``changes``; a step switching to another method starts from its own parameters
    (so a spec read back from a result builds the same as the result: ``make_spec`` is idempotent)."""
    for step, val in changes.items():
        is_step = step in CHOICES or step == "weighting_upper"
        if is_step and isinstance(val, Mapping) and val.get("method", spec[step].get("method")) != spec[step].get("method"):
            spec[step] = dict(val)  # a new method starts from its own parameters
            continue
        spec = _merge(spec, {step: val})
    return spec


def validate_spec(spec: Mapping[str, Any]) -> None:
    """Raise :class:`SpecError` naming every unknown step or method."""
    problems: list[str] = []
    known = set(DEFAULT_SPEC)
    for k in spec:
        if k not in known:
            problems.append(f"unknown spec key {k!r} (known: {', '.join(sorted(known))})")

    def check(where: str, block: Mapping[str, Any]) -> None:
        for step, val in block.items():
            kind = "weighting" if step == "weighting_upper" else step
            if kind in CHOICES:
                if not isinstance(val, Mapping) or "method" not in val:
                    problems.append(f"{where}{step}: needs a 'method' (one of {', '.join(CHOICES[kind])})")
                elif val["method"] not in CHOICES[kind]:
                    problems.append(
                        f"{where}{step}: unknown method {val['method']!r} (one of {', '.join(CHOICES[kind])})"
                    )
            elif step not in STEPS and where:
                problems.append(f"{where}{step}: unknown step (one of {', '.join(STEPS)})")

    check("", {k: v for k, v in spec.items() if k in CHOICES or k == "weighting_upper"})
    for depth, block in (spec.get("by_level") or {}).items():
        check(f"by_level[{depth}].", block)
    for node, block in (spec.get("by_node") or {}).items():
        check(f"by_node[{node}].", block)
    lim = (spec.get("imputation") or {}).get("max_extrapolation")
    if lim is not None and not (isinstance(lim, int | float) and not isinstance(lim, bool) and lim >= 0):
        problems.append(f"imputation.max_extrapolation must be a number of years >= 0 (or null for no limit), got {lim!r}")
    out_range = (spec.get("normalisation") or {}).get("out_range")
    if out_range is not None and (len(out_range) != 2 or float(out_range[0]) >= float(out_range[1])):
        problems.append(f"normalisation.out_range must be [low, high] with low < high, got {out_range}")
    if problems:
        raise SpecError("invalid method spec:\n  " + "\n  ".join(problems))


def spec_hash(spec: Mapping[str, Any]) -> str:
    """A short stable hash of a spec (sorted JSON)."""
    return hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode()).hexdigest()[:16]

"""The resolved construction plan: the framework tree walked once, and every step's settings.

A spec (:mod:`nqpf.index.spec`) says what to do by default, per level (``by_level``) and per
node (``by_node``). :class:`Tree` resolves it to the settings each indicator or node actually
uses, so the steps never walk the tree themselves, and two specs can be compared step by step
(:func:`first_changed_step`), which is what lets ``regenerate`` restart from the step that changed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from nqpf.frameworks import Framework, Indicator, Node
from nqpf.years import YearsError, parse_years

__all__ = ["STEP_NAMES", "Tree", "YearsError", "first_changed_step", "parse_years"]

#: weighting methods fitted on the data (the rest are given: equal, user, AHP)
DATA_DRIVEN = ("entropy", "critic", "pca", "combined", "entropy_global")

#: the steps of a construction, in order (each is a class in :mod:`nqpf.index.steps`)
STEP_NAMES = ("indicators", "screen", "impute", "treat", "normalise", "weight", "aggregate", "rank")


@dataclass(frozen=True)
class Tree:
    """The framework tree, walked once: parents, depths, children and leaves of every node."""

    framework: Framework
    parents: dict[str, str]
    depths: dict[str, int]
    children: dict[str, list[str]]
    nodes: list[str]  # aggregate nodes, pre-order (root first)
    indicators: list[str]  # leaves, pre-order (the K axis)

    @classmethod
    def of(cls, framework: Framework) -> Tree:
        """Walk ``framework`` once."""
        parents: dict[str, str] = {}
        depths: dict[str, int] = {}
        children: dict[str, list[str]] = {}
        nodes: list[str] = []
        leaves: list[str] = []

        def walk(n: Node | Indicator, d: int) -> None:
            depths[n.id] = d
            if isinstance(n, Indicator):
                leaves.append(n.id)
                return
            nodes.append(n.id)
            children[n.id] = [c.id for c in n.children]
            for c in n.children:
                parents[c.id] = n.id
                walk(c, d + 1)

        walk(framework.root, 0)
        return cls(framework, parents, depths, children, nodes, leaves)

    @property
    def root(self) -> str:
        return self.framework.root.id

    def is_node(self, item: str) -> bool:
        return item in self.children

    def leaves_under(self, item: str, kept: set[str] | None = None) -> list[str]:
        """Indicators below ``item`` (itself if an indicator), optionally only the ``kept`` ones."""
        if not self.is_node(item):
            return [item] if kept is None or item in kept else []
        return [leaf for c in self.children[item] for leaf in self.leaves_under(c, kept)]

    def bottom_up(self) -> list[str]:
        """Aggregate nodes, children before parents."""
        return list(reversed(self.nodes))

    def ancestors(self, item: str) -> list[str]:
        out = []
        node = self.parents.get(item)
        while node is not None:
            out.append(node)
            node = self.parents.get(node)
        return out

    # -- settings ------------------------------------------------------------------------
    def indicator_step(self, spec: Mapping[str, Any], step: str, ind: str) -> dict[str, Any]:
        """An indicator's settings of ``step``: the nearest ``by_node`` override among the
        indicator and its ancestors, then the nearest ``by_level`` override of its ancestors'
        depths, then the default."""
        by_node = spec.get("by_node") or {}
        for item in [ind, *self.ancestors(ind)]:
            block = by_node.get(item) or {}
            if step in block:
                return dict(block[step])
        for node in self.ancestors(ind):
            block = _level_block(spec, self.depths[node])
            if step in block:
                return dict(block[step])
        return dict(spec[step])

    def node_step(self, spec: Mapping[str, Any], step: str, node: str) -> dict[str, Any]:
        """A node's weighting or aggregation of its children: the node's own override, then its
        depth's, then ``weighting_upper`` for nodes above other nodes, then the default."""
        block = (spec.get("by_node") or {}).get(node) or {}
        if step in block:
            return dict(block[step])
        level = _level_block(spec, self.depths[node])
        if step in level:
            return dict(level[step])
        if step == "weighting" and any(self.is_node(c) for c in self.children[node]):
            return dict(spec["weighting_upper"])
        return dict(spec[step])

    def groups(self, spec: Mapping[str, Any], step: str, indicators: Sequence[str]) -> list[tuple[dict[str, Any], list[int]]]:
        """Indicators (positions in ``indicators``) that share the settings of ``step``."""
        out: dict[str, list[int]] = {}
        for k, ind in enumerate(indicators):
            key = json.dumps(self.indicator_step(spec, step, ind), sort_keys=True, default=str)
            out.setdefault(key, []).append(k)
        return [(json.loads(k), ks) for k, ks in out.items()]

    def resolved(self, spec: Mapping[str, Any], step: str) -> str:
        """Everything ``step`` reads from the spec, resolved per indicator or node, as JSON."""
        if step == "indicators":
            part: Any = {k: spec.get(k) for k in ("years", "year_coverage", "regions")}
        elif step == "screen":
            part = {"by_indicator": {i: self.indicator_step(spec, "screening", i) for i in self.indicators},
                    "exclude": sorted(map(str, spec.get("exclude") or [])), "allow_drop": bool(spec.get("allow_drop"))}
        elif step in ("impute", "treat", "normalise"):
            key = {"impute": "imputation", "treat": "treatment", "normalise": "normalisation"}[step]
            part = {i: self.indicator_step(spec, key, i) for i in self.indicators}
        elif step == "weight":
            # data-driven weights of an upper node are fitted on its child nodes' aggregated scores,
            # so those children's aggregation belongs to this step too
            part = {}
            for n in self.nodes:
                w = self.node_step(spec, "weighting", n)
                fed = [self.node_step(spec, "aggregation", c) for c in self.children[n] if self.is_node(c)] \
                    if w.get("method") in DATA_DRIVEN else []
                part[n] = [w, fed]
        elif step == "aggregate":
            part = {n: self.node_step(spec, "aggregation", n) for n in self.nodes}
        else:
            part = None
        return json.dumps(part, sort_keys=True, default=str)


def _level_block(spec: Mapping[str, Any], depth: int) -> Mapping[str, Any]:
    levels = spec.get("by_level") or {}
    return levels.get(depth) or levels.get(str(depth)) or {}


def first_changed_step(tree: Tree, old: Mapping[str, Any], new: Mapping[str, Any]) -> str | None:
    """The earliest step whose resolved settings differ between two specs (None: no change)."""
    for step in STEP_NAMES:
        if tree.resolved(old, step) != tree.resolved(new, step):
            return step
    return None

"""What one index construction fitted: every step's data and parameters, and their views.

:class:`Construction` is COINr's *coin* (Becker et al. 2022): the inputs (framework, spec,
panel, registry) and, for each step of :data:`~nqpf.index.plan.STEP_NAMES`, its fitted
parameters and output data. The operations on a construction (:mod:`nqpf.index.batch`,
:mod:`nqpf.index.frozen`, :mod:`nqpf.index.runner`) read it; :class:`nqpf.index.result.IndexResult`
adds the tables, the text and those operations as methods.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from nqpf.frameworks import Framework
from nqpf.index import impute as imp
from nqpf.index.plan import Tree
from nqpf.index.steps import Stage
from nqpf.panel import Panel
from nqpf.regions import RegionRegistry


@dataclass
class Construction:
    """Everything one index construction produced, plus what it was built from.

    ``stages`` holds, for each step of :data:`~nqpf.index.plan.STEP_NAMES`, its fitted
    parameters and output data (COINr's coin). The attributes below are views of them:

    years, regions, indicators:
        The axes of every cube (T, R, K); ``indicators`` are those kept after screening.
    raw:
        Indicator values as evaluated from the formulas (T, R, K), in each indicator's unit.
    filled, imputed:
        Values after imputation (still in the indicator's unit) and the flags of filled cells.
    treated, normalised:
        Values after outlier treatment, and normalised (higher = better for every indicator).
    scores, ranks:
        ``{node_id: (T, R) array}`` for every node and indicator of the tree.
    weights:
        DataFrame ``node, parent, weight, method, effective_weight``: each child's weight within
        its parent, and its weight in the index (the product down the tree).
    notes:
        Every choice the construction made for the user (filled cells, a rescaled range, a
        variant without an indicator), in words.
    """

    framework: Framework
    spec: dict[str, Any]
    panel: Panel
    registry: RegionRegistry
    stages: dict[str, Stage]
    notes: list[str] = field(default_factory=list)
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    # -- stage views ---------------------------------------------------------------------
    @property
    def tree_plan(self) -> Tree:
        return Tree.of(self.framework)

    @property
    def years(self) -> list[int]:
        return list(self.stages["indicators"].data["years"])

    @property
    def regions(self) -> list[str]:
        return list(self.stages["indicators"].data["regions"])

    @property
    def indicators(self) -> list[str]:
        return list(self.stages["screen"].data["indicators"])

    @property
    def raw(self) -> np.ndarray:
        return self.stages["screen"].data["raw"]

    @property
    def filled(self) -> np.ndarray:
        return self.stages["impute"].data["filled"]

    @property
    def imputed(self) -> np.ndarray:
        return self.stages["impute"].data["kind"] != imp.KIND_OBSERVED

    @property
    def treated(self) -> np.ndarray:
        return self.stages["treat"].data["treated"]

    @property
    def normalised(self) -> np.ndarray:
        return self.stages["normalise"].data["normalised"]

    @property
    def scores(self) -> dict[str, np.ndarray]:
        return self.stages["aggregate"].data["scores"]

    @property
    def ranks(self) -> dict[str, np.ndarray]:
        return self.stages["rank"].data["ranks"]

    @property
    def screened_out(self) -> pd.DataFrame:
        return self.stages["screen"].data["screened_out"]

    @property
    def treatment_log(self) -> pd.DataFrame:
        return self.stages["treat"].params["log"]

    @property
    def data_hash(self) -> str:
        return str(self.stages["indicators"].data["data_hash"])

    @property
    def ahp(self) -> pd.DataFrame:
        return pd.DataFrame(self.stages["weight"].params["ahp"],
                            columns=["node", "method", "lambda_max", "ci", "cr", "consistent"])

    @property
    def weights(self) -> pd.DataFrame:
        nodes = self.stages["weight"].params["nodes"]
        rows = [{"node": c, "parent": n, "weight": float(w), "method": info["method"]}
                for n in Tree.of(self.framework).nodes if n in nodes
                for info in [nodes[n]] for c, w in zip(info["children"], info["weights"], strict=True)]
        df = pd.DataFrame(rows, columns=["node", "parent", "weight", "method"])
        eff = self.effective_weights()
        df["effective_weight"] = df["node"].map(eff).astype(float)
        return df

    @property
    def index(self) -> np.ndarray:
        """The top-level index score, (T, R)."""
        return self.scores[self.framework.root.id]

    @property
    def name_en(self) -> str:
        """The index name; a variant without screened-out indicators says so."""
        dropped = self.stages["screen"].params.get("dropped") or []
        return self.framework.name_en + (f" (variant without {', '.join(dropped)})" if dropped else "")

    @property
    def name_zh(self) -> str:
        dropped = self.stages["screen"].params.get("dropped") or []
        return self.framework.name_zh + (f"（不含 {', '.join(dropped)} 的变体）" if dropped else "")

    # -- tree ----------------------------------------------------------------------------
    def node_children(self, node: str) -> list[str]:
        """The kept children of an aggregate node, in the order of its weights."""
        return list(self.stages["weight"].params["nodes"][node]["children"])

    def node_weights(self, node: str) -> np.ndarray:
        """The fitted weights of a node's kept children (sum 1)."""
        return np.asarray(self.stages["weight"].params["nodes"][node]["weights"], dtype=float)

    def effective_weights(self) -> dict[str, float]:
        """Each node's and indicator's weight in the index: the product of weights down the tree."""
        nodes = self.stages["weight"].params["nodes"]
        out = {self.framework.root.id: 1.0}
        for n in Tree.of(self.framework).nodes:
            if n not in nodes or n not in out:
                continue
            w = np.asarray(nodes[n]["weights"], dtype=float)
            w = w / w.sum()
            for c, wi in zip(nodes[n]["children"], w, strict=True):
                out[c] = out[n] * float(wi)
        return out

    def node_ids(self) -> list[str]:
        """Node and indicator ids in tree order (root first), kept ones only."""
        return [i for i in self.framework.tree_frame()["node"] if i in self.scores]

    def tree(self) -> pd.DataFrame:
        """The framework tree (``node, parent, level, kind, name_en, name_zh, ...``), kept nodes only."""
        tf = self.framework.tree_frame()
        return tf[tf["node"].isin(self.node_ids())].reset_index(drop=True)

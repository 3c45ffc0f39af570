"""The composite-index engine: framework + panel + method spec -> :class:`IndexResult`.

The construction is a plan of named steps (:mod:`nqpf.index.steps`: indicators -> screen ->
impute -> treat -> normalise -> weight -> aggregate -> rank), following the JRC/OECD
*Handbook on Constructing Composite Indicators* (2008) and COINr (Becker et al. 2022). Every
step's data and fitted parameters stay on the result, so ``result.regenerate(weighting="critic")``
restarts from the step that changed, and ``result.score(...)`` scores new data on the fitted scale.

Arrays are ``years x regions x indicators`` (T, R, K); every step is vectorised over them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nqpf.frameworks import Framework, load_framework
from nqpf.index.result import TIDY_COLUMNS, IndexResult
from nqpf.index.runner import run_plan
from nqpf.index.spec import make_spec
from nqpf.index.steps import IndexBuildError, data_hash
from nqpf.panel import Panel
from nqpf.regions import REGISTRY, RegionRegistry

__all__ = ["TIDY_COLUMNS", "CompositeIndex", "IndexBuildError", "IndexResult", "build_index", "data_hash", "rebuild"]


def build_index(framework: Framework | str, panel: Panel, spec: Mapping[str, Any] | None = None, *,
                registry: RegionRegistry | None = None, **changes: Any) -> IndexResult:
    """Build a composite index.

    Parameters
    ----------
    framework:
        A :class:`~nqpf.frameworks.Framework` or the id / path of one.
    panel:
        The data (:class:`~nqpf.panel.Panel`), e.g. ``Store().panel()``.
    spec, **changes:
        The method spec (see :mod:`nqpf.index.spec`); keyword changes apply on top.
    registry:
        The regions and groupings to use (default: the shipped provinces); regions of the panel
        that it does not know are kept under their codes, never dropped.
    """
    fw = load_framework(framework) if isinstance(framework, str) else framework
    sp = make_spec(spec, **changes)
    fw.validate(panel.variables)
    return IndexResult.of(run_plan(fw, sp, panel, registry or REGISTRY))


def rebuild(result: IndexResult, spec: Mapping[str, Any] | None = None, *, from_step: str | None = None,
            **changes: Any) -> IndexResult:
    """``result`` rebuilt with the spec changed, reusing the stages before the first one whose
    resolved settings differ (or before ``from_step``). Equal to a full build with the new spec
    (:func:`nqpf.index.runner.restart`; the same as ``result.regenerate``)."""
    return result.regenerate(spec, from_step=from_step, **changes)


class CompositeIndex:
    """A model object in the linearmodels style: ``CompositeIndex(fw, **spec).fit(panel)``."""

    def __init__(self, framework: Framework | str, spec: Mapping[str, Any] | None = None, **changes: Any) -> None:
        self.framework = load_framework(framework) if isinstance(framework, str) else framework
        self.spec = make_spec(spec, **changes)

    def fit(self, panel: Panel, *, registry: RegionRegistry | None = None) -> IndexResult:
        """Build the index on ``panel``."""
        return build_index(self.framework, panel, self.spec, registry=registry)


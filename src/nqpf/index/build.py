"""The composite-index engine: framework + panel + method spec -> :class:`IndexResult`.

The construction is a plan of named steps (:mod:`nqpf.index.steps`: indicators -> screen ->
impute -> treat -> normalise -> weight -> aggregate -> rank), following the JRC/OECD
*Handbook on Constructing Composite Indicators* (2008) and COINr (Becker et al. 2022). Every
step's data and fitted parameters stay on the result, so ``result.regenerate(weighting="critic")``
restarts from the step that changed, and ``result.score(...)`` scores new data on the fitted scale.

Arrays are ``years x regions x indicators`` (T, R, K); every step is vectorised over them.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from nqpf.frameworks import Framework, load_framework
from nqpf.index.plan import STEP_NAMES, Tree, first_changed_step
from nqpf.index.result import TIDY_COLUMNS, IndexResult
from nqpf.index.spec import SpecError, make_spec
from nqpf.index.steps import STEPS, Context, IndexBuildError, data_hash, positive_rescale
from nqpf.panel import Panel
from nqpf.regions import REGISTRY, RegionRegistry

__all__ = ["TIDY_COLUMNS", "CompositeIndex", "IndexBuildError", "IndexResult", "build_index", "data_hash", "rebuild"]


def _run(ctx: Context, start: int = 0) -> None:
    for step in STEPS[start:]:
        ctx.stages[step.name] = step.run(ctx)


def _prepare(fw: Framework, sp: dict[str, Any]) -> tuple[Tree, list[str]]:
    tree = Tree.of(fw)
    notes = []
    note = positive_rescale(sp, tree)
    if note:
        notes.append(note)
    return tree, notes


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
    tree, notes = _prepare(fw, sp)
    ctx = Context(fw, tree, sp, panel, registry or REGISTRY, notes=notes)
    _run(ctx)
    return IndexResult(framework=fw, spec=sp, panel=panel, registry=ctx.registry, stages=ctx.stages, notes=ctx.notes)


def rebuild(result: IndexResult, spec: Mapping[str, Any] | None = None, *, from_step: str | None = None,
            **changes: Any) -> IndexResult:
    """``result`` rebuilt with the spec changed, reusing the stages before the first one whose
    resolved settings differ (or before ``from_step``). Equal to a full build with the new spec."""
    fw = result.framework
    base = copy.deepcopy(result.spec if spec is None else spec)
    sp = make_spec(base, **changes)
    tree, notes = _prepare(fw, sp)
    if from_step is not None and from_step not in STEP_NAMES:
        raise SpecError(f"unknown step {from_step!r}; one of {', '.join(STEP_NAMES)}")
    changed = first_changed_step(tree, result.spec, sp)
    starts = [STEP_NAMES.index(s) for s in (changed, from_step) if s is not None]
    start = min(starts) if starts else len(STEP_NAMES)
    ctx = Context(fw, tree, sp, result.panel, result.registry, notes=notes)
    ctx.stages = {name: result.stages[name] for name in STEP_NAMES[:start]}
    for name in STEP_NAMES[:start]:  # notes of reused steps are kept; re-run steps make theirs again
        ctx.notes.extend(ctx.stages[name].notes)
    _run(ctx, start)
    return IndexResult(framework=fw, spec=sp, panel=result.panel, registry=result.registry, stages=ctx.stages,
                       notes=ctx.notes)


class CompositeIndex:
    """A model object in the linearmodels style: ``CompositeIndex(fw, **spec).fit(panel)``."""

    def __init__(self, framework: Framework | str, spec: Mapping[str, Any] | None = None, **changes: Any) -> None:
        self.framework = load_framework(framework) if isinstance(framework, str) else framework
        self.spec = make_spec(spec, **changes)

    def fit(self, panel: Panel, *, registry: RegionRegistry | None = None) -> IndexResult:
        """Build the index on ``panel``."""
        return build_index(self.framework, panel, self.spec, registry=registry)


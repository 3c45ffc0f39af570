"""Running the step plan: a whole construction, or a restart from the first changed step.

The steps (:data:`nqpf.index.steps.STEPS`: indicators -> screen -> impute -> treat -> normalise
-> weight -> aggregate -> rank) follow the JRC/OECD *Handbook on Constructing Composite
Indicators* (2008) and COINr (Becker et al. 2022); a restart reuses the stages before the first
step whose resolved settings differ, as COINr's ``Regen`` does. Both return the
:class:`~nqpf.index.steps.Context` the steps filled; :class:`nqpf.index.result.IndexResult`
wraps it.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from nqpf.frameworks import Framework
from nqpf.index.construction import Construction
from nqpf.index.plan import STEP_NAMES, Tree, first_changed_step
from nqpf.index.spec import SpecError, make_spec
from nqpf.index.steps import STEPS, Context, positive_rescale
from nqpf.panel import Panel
from nqpf.regions import RegionRegistry


def _run(ctx: Context, start: int = 0) -> Context:
    for step in STEPS[start:]:
        ctx.stages[step.name] = step.run(ctx)
    return ctx


def _prepare(fw: Framework, sp: dict[str, Any]) -> tuple[Tree, list[str]]:
    tree = Tree.of(fw)
    notes = []
    note = positive_rescale(sp, tree)
    if note:
        notes.append(note)
    return tree, notes


def run_plan(fw: Framework, sp: dict[str, Any], panel: Panel, registry: RegionRegistry) -> Context:
    """Every step of the plan on ``panel`` with the resolved spec ``sp`` (see :func:`make_spec`)."""
    tree, notes = _prepare(fw, sp)
    return _run(Context(fw, tree, sp, panel, registry, notes=notes))


def restart(done: Construction, spec: Mapping[str, Any] | None = None, *, from_step: str | None = None,
            **changes: Any) -> Context:
    """``done`` run again with the spec changed, reusing the stages before the first one whose
    resolved settings differ (or before ``from_step``). Equal to a full run with the new spec."""
    fw = done.framework
    base = copy.deepcopy(done.spec if spec is None else spec)
    sp = make_spec(base, **changes)
    tree, notes = _prepare(fw, sp)
    if from_step is not None and from_step not in STEP_NAMES:
        raise SpecError(f"unknown step {from_step!r}; one of {', '.join(STEP_NAMES)}")
    changed = first_changed_step(tree, done.spec, sp)
    starts = [STEP_NAMES.index(s) for s in (changed, from_step) if s is not None]
    start = min(starts) if starts else len(STEP_NAMES)
    ctx = Context(fw, tree, sp, done.panel, done.registry, notes=notes)
    ctx.stages = {name: done.stages[name] for name in STEP_NAMES[:start]}
    for name in STEP_NAMES[:start]:  # notes of reused steps are kept; re-run steps make theirs again
        ctx.notes.extend(ctx.stages[name].notes)
    return _run(ctx, start)

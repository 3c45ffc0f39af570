"""The uncertainty specification: which construction choices vary in a robustness analysis.

Following the JRC audit practice (Saisana, Saltelli & Tarantola 2005, *J. R. Stat. Soc. A*
168(2):307-323; OECD/JRC *Handbook on Constructing Composite Indicators* 2008, step 7), each
uncertain input is a *factor*:

* :class:`Choice`: a categorical choice of one step of the recorded construction
  (``normalisation``, ``weighting``, ``weighting_upper``, ``aggregation``, ``imputation``,
  ``treatment``, or a parameter such as ``imputation.max_extrapolation``), levels equally likely;
* :class:`Exclusion`: indicators left out, ``one_at_a_time`` (none or one of them, equally
  likely) or ``random`` (each independently with probability ``p``);
* :class:`WeightNoise`: each fitted weight multiplied by ``1 + U(-range, range)``, renormalised;
* :class:`FrameworkChoice`: the framework (version) itself.

Each factor reads ``dims`` uniform [0, 1) columns of a draw (a categorical factor with ``L``
levels takes level ``floor(u * L)``), so the same factors serve Monte Carlo draws and the
Saltelli design of a Sobol analysis. The YAML form::

    factors:
      - {step: normalisation, choices: [minmax, zscore]}
      - {step: imputation.max_extrapolation, choices: [0, 2, 5]}
      - {step: exclusion, mode: one_at_a_time}
      - {step: weight_noise, range: 0.25}
      - {step: framework, choices: [nqpf-three-elements, my-v2.yaml]}

Invalid specifications raise :class:`UncertaintySpecError` naming the factor at fault.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nqpf.errors import NqpfError

if TYPE_CHECKING:
    from nqpf.index.result import IndexResult

#: steps of the recorded construction a Choice may vary (and their parameters, as step.key)
CHOICE_STEPS = ("screening", "imputation", "treatment", "normalisation", "weighting", "weighting_upper",
                "aggregation")


class UncertaintySpecError(NqpfError):
    """An uncertainty specification that cannot be used."""


def _label(v: Any) -> str:
    return v if isinstance(v, str) else json.dumps(v, sort_keys=True, default=str)


def _levels(u: np.ndarray, n_levels: int) -> np.ndarray:
    """Level of each uniform draw: ``floor(u * L)``, clipped into ``0..L-1``."""
    return np.minimum((np.asarray(u) * n_levels).astype(np.int64), n_levels - 1)


@dataclass(frozen=True)
class Choice:
    """A categorical choice of one construction step; ``choices`` are method names or dicts."""

    step: str
    choices: tuple[Any, ...]
    dims: int = 1

    @property
    def name(self) -> str:
        return self.step

    @property
    def labels(self) -> list[str]:
        return [_label(c) for c in self.choices]

    def changes(self, level: int) -> dict[str, Any]:
        """The spec change of one level, e.g. ``{"imputation": {"max_extrapolation": 5}}``."""
        value = self.choices[level]
        head, _, key = self.step.partition(".")
        return {head: {key: value}} if key else {head: value}


@dataclass(frozen=True)
class Exclusion:
    """Indicators left out: ``one_at_a_time`` (levels: none, then each indicator) or ``random``."""

    mode: str = "one_at_a_time"
    indicators: tuple[str, ...] = ()
    p: float = 0.1

    @property
    def name(self) -> str:
        return "exclusion"

    @property
    def dims(self) -> int:
        return 1 if self.mode == "one_at_a_time" else len(self.indicators)

    def mask(self, u: np.ndarray) -> np.ndarray:
        """``(n, K)`` True where an indicator is left out, from ``(n, dims)`` uniforms."""
        n = u.shape[0]
        if self.mode == "one_at_a_time":
            lv = _levels(u[:, 0], len(self.indicators) + 1)
            out = np.zeros((n, len(self.indicators)), dtype=bool)
            hit = lv > 0
            out[np.nonzero(hit)[0], lv[hit] - 1] = True
            return out
        return u < self.p


@dataclass(frozen=True)
class WeightNoise:
    """Multiplicative noise ``1 + U(-range, range)`` on each (node, child) weight listed."""

    range: float
    pairs: tuple[tuple[str, str], ...] = ()

    @property
    def name(self) -> str:
        return "weight_noise"

    @property
    def dims(self) -> int:
        return len(self.pairs)

    def factors(self, u: np.ndarray) -> np.ndarray:
        return 1.0 + self.range * (2.0 * u - 1.0)


@dataclass(frozen=True)
class FrameworkChoice:
    """The framework (or framework version) itself: ids or YAML paths."""

    choices: tuple[str, ...]
    dims: int = 1

    @property
    def name(self) -> str:
        return "framework"

    @property
    def labels(self) -> list[str]:
        return [Path(c).stem if c.endswith((".yaml", ".yml")) else c for c in self.choices]


Factor = Choice | Exclusion | WeightNoise | FrameworkChoice


@dataclass(frozen=True)
class UncertaintySpec:
    """Validated factors of a robustness analysis (see the module docstring)."""

    factors: tuple[Factor, ...]
    offsets: tuple[int, ...] = field(default=())

    def __post_init__(self) -> None:
        offs, o = [], 0
        for f in self.factors:
            offs.append(o)
            o += f.dims
        object.__setattr__(self, "offsets", tuple(offs))

    @property
    def dims(self) -> int:
        """Uniform columns one draw needs."""
        return sum(f.dims for f in self.factors)

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.factors]

    def columns(self, i: int) -> slice:
        """The columns of factor ``i`` in a draw."""
        return slice(self.offsets[i], self.offsets[i] + self.factors[i].dims)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | Sequence[Mapping[str, Any]], result: IndexResult) -> UncertaintySpec:
        """Validate a spec (the parsed YAML) against ``result``'s construction."""
        items = data.get("factors") if isinstance(data, Mapping) else data
        if isinstance(data, Mapping):
            extra = sorted(set(data) - {"factors"})
            if extra:
                raise UncertaintySpecError(f"uncertainty spec: unknown key(s) {extra}; only 'factors' is allowed")
        if not isinstance(items, Sequence) or isinstance(items, str) or not items:
            raise UncertaintySpecError("uncertainty spec: 'factors' must be a non-empty list of factors")
        return cls(tuple(_factor(i, item, result) for i, item in enumerate(items)))

    @classmethod
    def from_yaml(cls, path: str | Path, result: IndexResult) -> UncertaintySpec:
        """Read and validate a YAML uncertainty spec (safe loader: :func:`nqpf.safeyaml.load_yaml`)."""
        from nqpf.safeyaml import load_yaml

        p = Path(path)
        if not p.is_file():
            raise UncertaintySpecError(f"uncertainty spec file not found: {p}")
        return cls.from_dict(load_yaml(p) or {}, result)

    def describe(self) -> list[str]:
        """One line per factor, for the output and the report."""
        out = []
        for f in self.factors:
            if isinstance(f, Choice):
                out.append(f"{f.step}: {' | '.join(f.labels)}")
            elif isinstance(f, Exclusion):
                how = "none or one at a time" if f.mode == "one_at_a_time" else f"each with p={f.p}"
                out.append(f"exclusion ({how}) of {len(f.indicators)} indicators")
            elif isinstance(f, WeightNoise):
                out.append(f"weight noise ±{f.range:.0%} on {len(f.pairs)} weights")
            else:
                out.append(f"framework: {' | '.join(f.labels)}")
        return out


def default_spec(result: IndexResult, *, noise: float = 0.25) -> UncertaintySpec:
    """The JRC-style default: normalisation, weighting, aggregation, one-at-a-time exclusion, ±25% weights."""
    return UncertaintySpec.from_dict({"factors": [
        {"step": "normalisation", "choices": ["minmax", "rank", "percentile"]},
        {"step": "weighting", "choices": ["entropy", "equal"]},
        {"step": "aggregation", "choices": ["arithmetic", "geometric"]},
        {"step": "exclusion", "mode": "one_at_a_time"},
        {"step": "weight_noise", "range": noise},
    ]}, result)


def _factor(i: int, item: Any, result: IndexResult) -> Factor:
    where = f"uncertainty spec, factor {i + 1}"
    if not isinstance(item, Mapping) or "step" not in item:
        raise UncertaintySpecError(f"{where}: needs a 'step' (a construction step, 'exclusion', 'weight_noise' or 'framework')")
    step = str(item["step"])
    allowed = {"step", "choices", "mode", "indicators", "p", "range", "nodes"}
    extra = sorted(set(item) - allowed)
    if extra:
        raise UncertaintySpecError(f"{where} ({step}): unknown key(s) {extra}")
    where = f"{where} ({step})"
    if step == "exclusion":
        return _exclusion(where, item, result)
    if step == "weight_noise":
        return _noise(where, item, result)
    choices = item.get("choices")
    if not isinstance(choices, Sequence) or isinstance(choices, str) or len(choices) == 0:
        raise UncertaintySpecError(f"{where}: 'choices' must be a non-empty list")
    if step == "framework":
        from nqpf.frameworks import load_framework

        for c in choices:
            try:
                load_framework(str(c))
            except NqpfError as e:
                raise UncertaintySpecError(f"{where}: cannot load framework {c!r}: {e}") from None
        return FrameworkChoice(tuple(str(c) for c in choices))
    head, _, key = step.partition(".")
    if head not in CHOICE_STEPS or (key and (not isinstance(result.spec.get(head), Mapping) or key not in result.spec[head])):
        known = [*CHOICE_STEPS, *(f"{h}.{k}" for h in CHOICE_STEPS for k in (result.spec.get(h) or {}) if k != "method"),
                 "exclusion", "weight_noise", "framework"]
        raise UncertaintySpecError(f"{where}: {step!r} is not a step of the construction (one of {', '.join(known)})")
    factor = Choice(step, tuple(choices))
    from nqpf.index.spec import make_spec

    for lv in range(len(choices)):
        try:
            make_spec(result.spec, **factor.changes(lv))
        except NqpfError as e:
            raise UncertaintySpecError(f"{where}: choice {factor.labels[lv]!r} is invalid: {e}") from None
    return factor


def _exclusion(where: str, item: Mapping[str, Any], result: IndexResult) -> Exclusion:
    mode = str(item.get("mode", "one_at_a_time"))
    if mode not in ("one_at_a_time", "random"):
        raise UncertaintySpecError(f"{where}: mode must be 'one_at_a_time' or 'random', got {mode!r}")
    inds = item.get("indicators") or result.indicators
    unknown = [x for x in inds if x not in result.indicators]
    if unknown:
        raise UncertaintySpecError(f"{where}: not indicators of the construction: {unknown} "
                                   f"(kept indicators: {', '.join(result.indicators)})")
    p = float(item.get("p", 0.1))
    if mode == "random" and not 0.0 < p < 1.0:
        raise UncertaintySpecError(f"{where}: p must be in (0, 1), got {p}")
    return Exclusion(mode, tuple(str(x) for x in inds), p)


def _noise(where: str, item: Mapping[str, Any], result: IndexResult) -> WeightNoise:
    try:
        r = float(item.get("range", 0.25))
    except (TypeError, ValueError):
        raise UncertaintySpecError(f"{where}: range must be a number in [0, 1), got {item.get('range')!r}") from None
    if not 0.0 <= r < 1.0:
        raise UncertaintySpecError(f"{where}: range must be in [0, 1) (e.g. 0.25 for ±25%), got {r}")
    info = result.stages["weight"].params["nodes"]
    nodes = item.get("nodes") or [n for n in result.tree_plan.nodes if n in info]
    unknown = [n for n in nodes if n not in info]
    if unknown:
        raise UncertaintySpecError(f"{where}: not aggregate nodes of the construction: {unknown} "
                                   f"(nodes: {', '.join(info)})")
    pairs = tuple((str(n), str(c)) for n in nodes for c in info[n]["children"])
    return WeightNoise(r, pairs)

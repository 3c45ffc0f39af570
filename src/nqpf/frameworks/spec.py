"""Indicator frameworks: the tree of index -> dimensions -> indicators, recorded as data.

A framework is a YAML file (schema in ``docs/frameworks.md``)::

    id: my-framework                  # lower-case letters, digits, - and _
    name_en: ...                      # English and Chinese names
    name_zh: ...
    version: "1.0"
    description: ...
    references: [...]                 # optional: full citations
    methods: {...}                    # optional: per-level method overrides, passed through
    not_covered: [{name_en, name_zh, why, reference}, ...]
    root:
      id: my_index
      name_en: ...
      name_zh: ...
      children:
        - id: dim_a                   # a node: has ``children``
          name_en: ...
          name_zh: ...
          weight: 0.5                 # optional user weight
          children:
            - id: rd_intensity        # an indicator: has ``formula``
              name_en: ...
              name_zh: ...
              formula: rd_expenditure / gdp / 100
              unit: "% of GDP"
              direction: +1           # +1 benefit (higher is better), -1 cost
              rationale: ...
              reference: ...
              years: 2016-2024          # optional: first-last year the inputs are observed
              sources:                  # optional: one entry per panel variable of the formula
                - {variable: rd_expenditure, source: techme, years: 2010-2023, unit: 10k yuan}

Versions: a shipped id loads its latest file (``<id>.yaml``); earlier versions stay loadable
as ``<id>@<version>`` from ``versions/<id>@<version>.yaml``, byte-for-byte as published, so
a published result can be reproduced (:func:`list_versions`).

Names in a formula are panel variables, or the id of another indicator of the same
framework (a derived ratio); an indicator's own id in its formula always means the panel
variable of that name. Loading checks everything it can without data and raises one
:class:`FrameworkSpecError` listing every problem, each naming the node or indicator id;
:meth:`Framework.validate` adds the check against the variable catalog.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from nqpf.errors import FrameworkError, NqpfError
from nqpf.frameworks.formula import FormulaError, evaluate_formula, parse_formula
from nqpf.panel import PanelArray
from nqpf.regions import REGISTRY
from nqpf.safeyaml import YamlError, load_yaml

if TYPE_CHECKING:
    from nqpf.panel import Panel

__all__ = [
    "SHIPPED_DIR",
    "Framework",
    "FrameworkSpecError",
    "Indicator",
    "Node",
    "framework_from_dict",
    "list_frameworks",
    "list_versions",
    "load_framework",
]

SHIPPED_DIR = Path(__file__).resolve().parent
"""Folder of the shipped framework YAML files."""

VERSIONS_DIR = SHIPPED_DIR / "versions"
"""Earlier versions of the shipped frameworks, ``<id>@<version>.yaml``."""

_ID_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_FW_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]*$")

_DIRECTIONS: dict[str, int] = {
    "1": 1, "+1": 1, "+": 1, "benefit": 1, "positive": 1, "higher": 1, "higher_is_better": 1,
    "-1": -1, "-": -1, "cost": -1, "negative": -1, "lower": -1, "lower_is_better": -1,
}

_FW_KEYS = {"id", "name_en", "name_zh", "description", "version", "references", "methods",
            "not_covered", "root"}
_NODE_KEYS = {"id", "name_en", "name_zh", "children", "weight", "description"}
_IND_KEYS = {"id", "name_en", "name_zh", "formula", "unit", "direction", "rationale",
             "reference", "weight", "description", "years", "sources"}
_SOURCE_KEYS = {"variable", "source", "years", "unit", "note"}
_NOT_COVERED_KEYS = ("name_en", "name_zh", "why", "reference")


class FrameworkSpecError(FrameworkError):
    """A framework with problems: ``file``, ``framework`` id and the full ``problems`` list."""

    def __init__(self, problems: list[str], *, file: str | None = None, framework: str | None = None) -> None:
        self.problems = list(problems)
        self.file = file
        self.framework = framework
        where = f"framework file {file}" if file else "framework"
        if framework:
            where += f" (id {framework!r})"
        n = len(self.problems)
        head = f"{where}: {n} problem{'s' if n != 1 else ''}"
        super().__init__(head + "".join(f"\n  - {p}" for p in self.problems))


# ---------------------------------------------------------------------------------- tree
@dataclass
class Indicator:
    """A leaf: one indicator computed by ``formula`` from panel variables.

    ``direction`` is +1 when a higher value means more development (benefit) and -1 for a
    cost indicator; ``unit`` is the unit of the formula's result.
    """

    id: str
    name_en: str
    name_zh: str
    formula: str
    unit: str
    direction: int
    rationale: str = ""
    reference: str = ""
    weight: float | None = None
    description: str = ""
    years: str = ""
    sources: list[dict[str, str]] = field(default_factory=list)


@dataclass
class Node:
    """An aggregate (the index or a dimension) over child nodes and/or indicators."""

    id: str
    name_en: str
    name_zh: str
    children: list[Node | Indicator] = field(default_factory=list)
    weight: float | None = None
    description: str = ""


@dataclass
class Framework:
    """An indicator framework: metadata plus the tree under ``root``."""

    id: str
    name_en: str
    name_zh: str
    description: str
    version: str
    root: Node
    methods: dict[str, Any] = field(default_factory=dict)
    not_covered: list[dict[str, Any]] = field(default_factory=list)
    source_path: Path | None = None
    references: list[str] = field(default_factory=list)

    @property
    def ref(self) -> str:
        """``id@version``: the name that loads exactly this framework again."""
        return f"{self.id}@{self.version}"

    # -- views -------------------------------------------------------------------------
    def _walk(self) -> Iterator[tuple[Node | Indicator, str | None, int]]:
        """Depth-first (pre-order) ``(item, parent id, level)``; stops at repeated nodes."""
        on_path: set[int] = set()

        def rec(item: Node | Indicator, parent: str | None, level: int) -> Iterator[tuple[Node | Indicator, str | None, int]]:
            yield item, parent, level
            if isinstance(item, Node) and id(item) not in on_path:
                on_path.add(id(item))
                for child in item.children:
                    yield from rec(child, item.id, level + 1)
                on_path.discard(id(item))

        yield from rec(self.root, None, 0)

    @property
    def indicators(self) -> list[Indicator]:
        """The leaves in depth-first order (the K axis of the indicator cube)."""
        return [i for i, _, _ in self._walk() if isinstance(i, Indicator)]

    @property
    def nodes(self) -> list[Node]:
        """All aggregate nodes, root first, depth-first."""
        return [n for n, _, _ in self._walk() if isinstance(n, Node)]

    def parent_of(self, id: str) -> str | None:
        """The id of the node directly above ``id`` (``None`` for the root); KeyError if unknown."""
        for item, parent, _ in self._walk():
            if item.id == id:
                return parent
        raise KeyError(f"framework {self.id!r} has no node or indicator {id!r}")

    def tree_frame(self) -> pd.DataFrame:
        """One row per node and indicator, depth-first.

        Columns: ``node, parent, level`` (root 0), ``kind`` (``index``/``dimension``/
        ``indicator``), ``name_en, name_zh, weight`` (NaN unless set), ``direction`` (NaN for
        nodes), ``unit, formula, rationale, reference`` (missing for nodes; the root has no parent).
        """
        rows = []
        for item, parent, level in self._walk():
            leaf = isinstance(item, Indicator)
            rows.append({
                "node": item.id,
                "parent": parent,
                "level": level,
                "kind": "indicator" if leaf else ("index" if level == 0 else "dimension"),
                "name_en": item.name_en,
                "name_zh": item.name_zh,
                "weight": np.nan if item.weight is None else float(item.weight),
                "direction": float(item.direction) if isinstance(item, Indicator) else np.nan,
                "unit": item.unit if isinstance(item, Indicator) else None,
                "formula": item.formula if isinstance(item, Indicator) else None,
                "rationale": item.rationale if isinstance(item, Indicator) else None,
                "reference": item.reference if isinstance(item, Indicator) else None,
            })
        frame = pd.DataFrame(rows)
        frame["level"] = frame["level"].astype(int)
        frame["weight"] = frame["weight"].astype(float)
        frame["direction"] = frame["direction"].astype(float)
        return frame

    def to_dict(self) -> dict[str, Any]:
        """The framework as a plain document in the YAML schema (round-trips through
        :func:`framework_from_dict`), to record the exact construction with results."""

        def item(x: Node | Indicator) -> dict[str, Any]:
            if isinstance(x, Indicator):
                d: dict[str, Any] = {"id": x.id, "name_en": x.name_en, "name_zh": x.name_zh,
                                     "formula": x.formula, "unit": x.unit, "direction": x.direction,
                                     "rationale": x.rationale, "reference": x.reference}
            else:
                d = {"id": x.id, "name_en": x.name_en, "name_zh": x.name_zh,
                     "children": [item(c) for c in x.children]}
            if x.weight is not None:
                d["weight"] = x.weight
            if x.description:
                d["description"] = x.description
            if isinstance(x, Indicator) and x.years:
                d["years"] = x.years
            if isinstance(x, Indicator) and x.sources:
                d["sources"] = [dict(e) for e in x.sources]
            return d

        return {
            "id": self.id, "name_en": self.name_en, "name_zh": self.name_zh,
            "version": self.version, "description": self.description,
            "references": list(self.references), "methods": dict(self.methods),
            "not_covered": [dict(e) for e in self.not_covered], "root": item(self.root),
        }

    def _ids(self) -> set[str]:
        return {i.id for i in self.indicators}

    def references_of(self, indicator: Indicator) -> tuple[set[str], set[str]]:
        """``(other indicator ids, panel variables)`` one indicator's formula reads."""
        f = parse_formula(indicator.formula)
        ids = self._ids() - {indicator.id}
        return {n for n in f.names if n in ids}, {n for n in f.names if n not in ids}

    def variables(self) -> set[str]:
        """The panel variables the formulas read (names that are not other indicators)."""
        out: set[str] = set()
        for ind in self.indicators:
            try:
                out |= self.references_of(ind)[1]
            except FormulaError:
                continue
        return out

    # -- validation --------------------------------------------------------------------
    def _problems(self, catalog: set[str] | None, skip: set[tuple[str, str]] | None = None) -> list[str]:
        problems: list[str] = []
        skip = skip or set()
        # ids: syntax, duplicates, a node inside its own subtree
        seen: dict[str, str] = {}
        path: list[str] = []
        on_path: set[int] = set()

        def rec(item: Node | Indicator) -> None:
            kind = "indicator" if isinstance(item, Indicator) else "node"
            loc = " > ".join([*path, item.id])
            if not isinstance(item.id, str) or not _ID_RE.match(item.id):
                problems.append(f"{kind} {item.id!r} ({loc}): invalid id, use letters, digits and _ (not starting with a digit)")
            if item.id in path:
                problems.append(f"{kind} {item.id!r}: cycle, the id repeats inside its own subtree ({loc})")
            elif item.id in seen:
                problems.append(f"{kind} {item.id!r}: duplicate id (at {seen[item.id]} and at {loc})")
            else:
                seen[item.id] = loc
            for lang in ("name_en", "name_zh"):
                if not str(getattr(item, lang) or "").strip():
                    problems.append(f"{kind} {item.id!r}: missing {lang}")
            w = item.weight
            if w is not None and (isinstance(w, bool) or not isinstance(w, int | float) or not math.isfinite(w) or w < 0):
                problems.append(f"{kind} {item.id!r}: weight must be a finite number >= 0, got {w!r}")
            if isinstance(item, Node):
                if id(item) in on_path:
                    problems.append(f"node {item.id!r}: cycle, the node contains itself ({loc})")
                    return
                if not item.children:
                    problems.append(f"node {item.id!r}: empty dimension (no children)")
                on_path.add(id(item))
                path.append(item.id)
                for child in item.children:
                    rec(child)
                path.pop()
                on_path.discard(id(item))

        rec(self.root)

        # indicators: direction, unit, formulas
        indicators = self.indicators
        ids = {i.id for i in indicators}
        refs: dict[str, set[str]] = {}
        for ind in indicators:
            if (ind.id, "direction") not in skip and (ind.direction not in (1, -1) or isinstance(ind.direction, bool)):
                problems.append(f"indicator {ind.id!r}: invalid direction {ind.direction!r} (use +1 benefit or -1 cost)")
            if not str(ind.unit or "").strip():
                problems.append(f"indicator {ind.id!r}: missing unit")
            try:
                f = parse_formula(ind.formula)
            except FormulaError as exc:
                if (ind.id, "formula") not in skip:
                    problems.append(f"indicator {ind.id!r}: {exc}")
                continue
            own = ids - {ind.id}
            refs[ind.id] = {n for n in f.names if n in own}
            variables = {n for n in f.names if n not in own}
            if not f.names:
                problems.append(f"indicator {ind.id!r}: formula {ind.formula!r} reads no variable")
            if ind.sources:
                listed = [str(e.get("variable", "")) for e in ind.sources]
                for v in sorted(variables - set(listed)):
                    problems.append(f"indicator {ind.id!r}: sources lists no entry for variable {v!r} of its formula")
                for v in sorted(set(listed) - variables):
                    problems.append(f"indicator {ind.id!r}: sources names {v!r}, which its formula {ind.formula!r} does not read")
            if catalog is not None:
                for v in sorted(variables - catalog):
                    hint = difflib.get_close_matches(v, sorted(catalog | own), n=3, cutoff=0.6)
                    tip = f" (did you mean {', '.join(repr(h) for h in hint)}?)" if hint else ""
                    problems.append(f"indicator {ind.id!r}: unknown variable {v!r} in formula {ind.formula!r}{tip}")
                if ind.id in catalog and ind.formula.strip() != ind.id:
                    problems.append(
                        f"indicator {ind.id!r}: the id is also a panel variable but the formula is "
                        f"{ind.formula!r}; rename the indicator or make its formula exactly {ind.id!r}"
                    )
        problems.extend(_cycles(refs))

        # not_covered entries
        for i, entry in enumerate(self.not_covered):
            label = entry.get("name_en", f"#{i + 1}") if isinstance(entry, dict) else f"#{i + 1}"
            if not isinstance(entry, dict):
                problems.append(f"not_covered entry #{i + 1}: must be a mapping with {', '.join(_NOT_COVERED_KEYS)}")
                continue
            missing = [k for k in _NOT_COVERED_KEYS if not str(entry.get(k) or "").strip()]
            if missing:
                problems.append(f"not_covered entry {label!r}: missing {', '.join(missing)}")
        return problems

    def validate(self, catalog_variables: Iterable[str] | None = None) -> None:
        """Check the whole framework; one :class:`FrameworkSpecError` listing every problem.

        Checks ids (syntax, duplicates, a node repeated in its own subtree), names, weights,
        empty dimensions, directions, units, formula syntax and allowed constructs, cycles
        among indicators that reference each other and, when ``catalog_variables`` is given
        (variable ids, or a catalog DataFrame with a ``variable`` column), unknown variables
        with the closest matches.
        """
        catalog: set[str] | None = None
        if catalog_variables is not None:
            if isinstance(catalog_variables, pd.DataFrame):
                catalog = set(catalog_variables["variable"].astype(str))
            else:
                catalog = {str(v) for v in catalog_variables}
        problems = self._problems(catalog)
        if problems:
            raise FrameworkSpecError(problems, file=str(self.source_path) if self.source_path else None, framework=self.id)

    # -- evaluation --------------------------------------------------------------------
    def evaluate(
        self,
        panel: Panel,
        years: Sequence[int] | None = None,
        regions: Sequence[str] | None = None,
    ) -> PanelArray:
        """The indicator cube ``values[T, R, K]`` in each indicator's own unit.

        ``variables`` of the result are the indicator ids in :attr:`indicators` order;
        ``regions`` default to the 31 provinces in code order (any alias accepted) and
        ``years`` to every panel year. Time functions may reach back before the first
        requested year (the whole panel history is used). NaN where an input is missing or a
        denominator is zero.
        """
        self.validate(panel.variables)
        if regions is None:
            regs = [r.code for r in REGISTRY.provinces()]
        else:  # six-digit codes the registry does not know (cities, counties of a user table) are kept
            regs = [str(r) if re.fullmatch(r"\d{6}", str(r)) and str(r) not in REGISTRY else REGISTRY.codes([r])[0]
                    for r in regions]
        out_years = list(panel.years) if years is None else [int(y) for y in years]
        axis = sorted(set(panel.years) | set(out_years))
        variables = sorted(self.variables())
        arr = panel.to_array(variables, regs, axis)
        data: dict[str, np.ndarray] = {v: arr.get(v) for v in variables}
        indicators = self.indicators
        by_id = {i.id: i for i in indicators}
        results: dict[str, np.ndarray] = {}

        def compute(ind: Indicator) -> np.ndarray:
            if ind.id not in results:
                f = parse_formula(ind.formula)
                other, _ = self.references_of(ind)
                env = {n: (compute(by_id[n]) if n in other else data[n]) for n in f.names}
                try:
                    val = evaluate_formula(f, env, axis)
                except NqpfError as exc:
                    raise FrameworkError(f"framework {self.id!r}, indicator {ind.id!r}: {exc}") from exc
                results[ind.id] = np.broadcast_to(val, (len(axis), len(regs))).astype(float)
            return results[ind.id]

        pos = [axis.index(y) for y in out_years]
        k = len(indicators)
        values = np.full((len(out_years), len(regs), k), np.nan)
        for j, ind in enumerate(indicators):
            values[:, :, j] = compute(ind)[pos]
        return PanelArray(values, out_years, regs, [i.id for i in indicators])


def _cycles(refs: dict[str, set[str]]) -> list[str]:
    """Cycles among indicators whose formulas read other indicators, one message each."""
    problems: list[str] = []
    state: dict[str, int] = {}  # 1 on stack, 2 done
    stack: list[str] = []
    reported: set[frozenset[str]] = set()

    def visit(n: str) -> None:
        state[n] = 1
        stack.append(n)
        for m in sorted(refs.get(n, ())):
            if state.get(m) == 1:
                cyc = [*stack[stack.index(m):], m]
                key = frozenset(cyc)
                if key not in reported:
                    reported.add(key)
                    problems.append(f"indicator {m!r}: cycle among formulas ({' -> '.join(cyc)})")
            elif m not in state and m in refs:
                visit(m)
        stack.pop()
        state[n] = 2

    for n in sorted(refs):
        if n not in state:
            visit(n)
    return problems


# ------------------------------------------------------------------------------- loading
def list_frameworks() -> list[str]:
    """Ids of the shipped frameworks (the YAML files beside this module)."""
    return sorted(p.stem for p in SHIPPED_DIR.glob("*.yaml"))


def _version_key(v: str) -> tuple[tuple[int, str], ...]:
    return tuple((int(p), "") if p.isdigit() else (-1, p) for p in re.split(r"[.\-]", v))


def _file_version(path: Path) -> str:
    """The ``version:`` of a shipped file, read without building the framework."""
    doc = load_yaml(path, name=path.name)
    return str(doc.get("version") or "0").strip() if isinstance(doc, dict) else "0"


def list_versions(framework_id: str) -> list[str]:
    """Versions of a shipped framework, oldest first; the last one is what the bare id loads.

    >>> list_versions("nqpf-three-elements")[0]
    '1.0'
    """
    if framework_id not in list_frameworks():
        raise FrameworkError(f"no shipped framework {framework_id!r} (shipped: {', '.join(list_frameworks())})")
    older = {p.stem.split("@", 1)[1] for p in VERSIONS_DIR.glob(f"{framework_id}@*.yaml")}
    latest = _file_version(SHIPPED_DIR / f"{framework_id}.yaml")
    return [*sorted(older - {latest}, key=_version_key), latest]


def _resolve_version(name: str) -> Path:
    fid, _, version = name.partition("@")
    if fid not in list_frameworks():
        shipped = list_frameworks()
        hint = difflib.get_close_matches(fid, shipped, n=2, cutoff=0.5)
        tip = f"; did you mean {', '.join(hint)}?" if hint else ""
        raise FrameworkError(f"no framework {name!r}: {fid!r} is not a shipped id ({', '.join(shipped)}){tip}")
    versions = list_versions(fid)
    if version not in versions:
        raise FrameworkError(
            f"framework {fid!r} has no version {version!r}; shipped versions: {', '.join(versions)} "
            f"(write {fid}@{versions[-1]}, or {fid} for the latest)"
        )
    if version == versions[-1]:
        return SHIPPED_DIR / f"{fid}.yaml"
    return VERSIONS_DIR / f"{fid}@{version}.yaml"


def _resolve(name_or_path: str | Path) -> Path:
    p = Path(name_or_path)
    if isinstance(name_or_path, str) and name_or_path in list_frameworks() and not p.exists():
        return SHIPPED_DIR / f"{name_or_path}.yaml"
    if p.is_file():
        return p
    if isinstance(name_or_path, str) and "@" in name_or_path:
        return _resolve_version(name_or_path)
    user = _user_framework(name_or_path)
    if user is not None:
        return user
    shipped = list_frameworks()
    hint = difflib.get_close_matches(str(name_or_path), shipped, n=2, cutoff=0.5)
    tip = f"; did you mean {', '.join(hint)}?" if hint else ""
    raise FrameworkError(
        f"no framework {str(name_or_path)!r}: not a shipped id ({', '.join(shipped)}) "
        f"nor an existing YAML file{tip}"
    )


def _user_framework(name: str | Path) -> Path | None:
    """``<user frameworks folder>/<id>.yaml`` for a bare id saved there (see
    :func:`nqpf.settings.default_frameworks_dir`), else None."""
    from nqpf.settings import default_frameworks_dir

    if not isinstance(name, str) or not _FW_ID_RE.match(name):
        return None
    p = default_frameworks_dir() / f"{name}.yaml"
    return p if p.is_file() else None


def _text(d: dict[str, Any], key: str) -> str:
    v = d.get(key)
    return "" if v is None else str(v).strip()


def _weight(d: dict[str, Any], where: str, problems: list[str]) -> float | None:
    w = d.get("weight")
    if w is None:
        return None
    if isinstance(w, bool) or not isinstance(w, int | float):
        problems.append(f"{where}: weight must be a number, got {w!r}")
        return None
    return float(w)


def _direction(d: dict[str, Any], where: str, problems: list[str], skip: set[tuple[str, str]], ident: str) -> int:
    if "direction" not in d or d["direction"] is None or str(d["direction"]).strip() == "":
        problems.append(f"{where}: missing direction (use +1 benefit or -1 cost)")
        skip.add((ident, "direction"))
        return 0
    raw = d["direction"]
    if isinstance(raw, int | float) and not isinstance(raw, bool) and raw in (1, -1):
        return int(raw)
    key = str(raw).strip().lower().replace(" ", "_")
    if isinstance(raw, bool) or key not in _DIRECTIONS:
        problems.append(f"{where}: invalid direction {raw!r} (use +1 benefit or -1 cost)")
        skip.add((ident, "direction"))
        return 0
    return _DIRECTIONS[key]


def _sources(d: dict[str, Any], where: str, problems: list[str]) -> list[dict[str, str]]:
    raw = d.get("sources")
    if raw is None:
        return []
    if not isinstance(raw, list):
        problems.append(f"{where}: sources must be a list of {{variable, source, years, unit}} mappings")
        return []
    out: list[dict[str, str]] = []
    for i, e in enumerate(raw):
        if not isinstance(e, dict) or not str(e.get("variable") or "").strip():
            problems.append(f"{where}: sources entry #{i + 1} must be a mapping with a variable, got {e!r}")
            continue
        _unknown_keys(e, _SOURCE_KEYS, f"{where}, sources entry {e.get('variable')!r}", problems)
        out.append({str(k): str(v).strip() for k, v in e.items() if v is not None})
    return out


def _unknown_keys(d: dict[str, Any], allowed: set[str], where: str, problems: list[str]) -> None:
    for k in sorted(set(map(str, d)) - allowed):
        hint = difflib.get_close_matches(k, sorted(allowed), n=1, cutoff=0.6)
        tip = f" (did you mean {hint[0]!r}?)" if hint else ""
        problems.append(f"{where}: unknown key {k!r}{tip}")


def _build_item(
    d: Any, parent: str, problems: list[str], active: set[int], skip: set[tuple[str, str]]
) -> Node | Indicator | None:
    if not isinstance(d, dict):
        problems.append(f"under {parent!r}: each child must be a mapping with an id, got {d!r}")
        return None
    raw_id = d.get("id")
    ident = "" if raw_id is None else str(raw_id)
    if not ident:
        problems.append(f"under {parent!r}: a child has no id ({_text(d, 'name_en') or sorted(d)})")
        ident = f"<missing id under {parent}>"
    has_f, has_c = "formula" in d, "children" in d
    if has_f and has_c:
        problems.append(f"{ident!r}: has both formula (indicator) and children (node); choose one")
    if not has_f and not has_c:
        problems.append(f"{ident!r}: neither formula (indicator) nor children (node)")
    if has_f:
        where = f"indicator {ident!r}"
        _unknown_keys(d, _IND_KEYS, where, problems)
        formula = d.get("formula")
        if formula is None or (isinstance(formula, str) and not formula.strip()):
            problems.append(f"{where}: missing formula")
            skip.add((ident, "formula"))
            formula = ""
        return Indicator(
            id=ident,
            name_en=_text(d, "name_en"),
            name_zh=_text(d, "name_zh"),
            formula=str(formula).strip(),
            unit=_text(d, "unit"),
            direction=_direction(d, where, problems, skip, ident),
            rationale=_text(d, "rationale"),
            reference=_text(d, "reference"),
            weight=_weight(d, where, problems),
            description=_text(d, "description"),
            years=_text(d, "years"),
            sources=_sources(d, where, problems),
        )
    where = f"node {ident!r}"
    _unknown_keys(d, _NODE_KEYS, where, problems)
    if id(d) in active:  # a YAML alias that contains itself
        problems.append(f"{where}: cycle, the node contains itself (YAML alias)")
        return None
    children_raw = d.get("children") or []
    if not isinstance(children_raw, list):
        problems.append(f"{where}: children must be a list")
        children_raw = []
    active.add(id(d))
    children = [c for c in (_build_item(x, ident, problems, active, skip) for x in children_raw) if c is not None]
    active.discard(id(d))
    return Node(ident, _text(d, "name_en"), _text(d, "name_zh"), children,
                _weight(d, where, problems), _text(d, "description"))


def framework_from_dict(doc: Any, source_path: Path | None = None) -> Framework:
    """Build and check a framework from its parsed YAML document (see the module docstring)."""
    file = str(source_path) if source_path else None
    problems: list[str] = []
    if not isinstance(doc, dict):
        raise FrameworkSpecError([f"the file must hold a mapping (id, name_en, ..., root), got {type(doc).__name__}"], file=file)
    fw_id = _text(doc, "id") or (source_path.stem if source_path else "")
    if not _FW_ID_RE.match(fw_id):
        problems.append(f"framework id {fw_id!r}: use letters, digits, - and _")
    _unknown_keys(doc, _FW_KEYS, f"framework {fw_id!r}", problems)
    for key in ("name_en", "name_zh"):
        if not _text(doc, key):
            problems.append(f"framework {fw_id!r}: missing {key}")
    methods = doc.get("methods") or {}
    if not isinstance(methods, dict):
        problems.append(f"framework {fw_id!r}: methods must be a mapping")
        methods = {}
    not_covered = doc.get("not_covered") or []
    if not isinstance(not_covered, list):
        problems.append(f"framework {fw_id!r}: not_covered must be a list")
        not_covered = []
    refs = doc.get("references") or []
    if not isinstance(refs, list):
        problems.append(f"framework {fw_id!r}: references must be a list")
        refs = []
    root: Node | Indicator | None = None
    skip: set[tuple[str, str]] = set()
    if not isinstance(doc.get("root"), dict):
        problems.append(f"framework {fw_id!r}: missing root (a node with children)")
    else:
        root = _build_item(doc["root"], fw_id, problems, set(), skip)
        if isinstance(root, Indicator):
            problems.append(f"framework {fw_id!r}: root must be a node with children, not an indicator")
            root = None
    fw = Framework(
        id=fw_id,
        name_en=_text(doc, "name_en"),
        name_zh=_text(doc, "name_zh"),
        description=_text(doc, "description"),
        version=_text(doc, "version") or "0",
        root=root if isinstance(root, Node) else Node(fw_id, "", "", []),
        methods=dict(methods),
        not_covered=list(not_covered),
        source_path=source_path,
        references=[str(r) for r in refs],
    )
    if root is not None:
        problems.extend(fw._problems(None, skip))
    if problems:
        raise FrameworkSpecError(_dedupe(problems), file=file, framework=fw_id)
    return fw


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def load_framework(name_or_path: str | Path) -> Framework:
    """Load a shipped framework by id (latest version), ``id@version``, or a YAML path, checked.

    Raises :class:`FrameworkSpecError` (a :class:`~nqpf.errors.FrameworkError`) naming the
    file and, for each problem, the node or indicator id at fault.
    """
    path = _resolve(name_or_path)
    try:
        doc = load_yaml(path, name=path.name)
    except YamlError as exc:
        raise FrameworkSpecError([str(exc)], file=str(path)) from None
    fw = framework_from_dict(doc, source_path=path)
    if isinstance(name_or_path, str) and "@" in name_or_path and not Path(name_or_path).is_file():
        want = name_or_path.partition("@")[2]
        if fw.version != want:
            raise FrameworkSpecError([f"file declares version {fw.version!r}, expected {want!r}"], file=str(path), framework=fw.id)
    return fw

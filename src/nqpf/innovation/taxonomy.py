"""The bilingual NQPF taxonomy: schemes, sectors, concepts and their surface forms.

Shipped schemes (``taxonomy/nqpf_taxonomy.yaml``, versioned by its ``version`` key):

* ``sei2018``: strategic emerging industries, the nine categories of 国家统计局《战略性新兴产业
  分类（2018）》(国家统计局令第23号);
* ``future``: future industries (工信部等七部门《关于推动未来产业创新发展的实施意见》, 2024):
  humanoid robots, quantum, brain-computer interfaces, 6G, hydrogen, low-altitude economy ...;
* ``digital_core``: the digital-economy core industries, categories 01–04 of 国家统计局《数字经济
  及其核心产业统计分类（2021）》(国家统计局令第33号);
* ``digital_transformation``: the five-dimension word-frequency dictionary of Wu, Hu, Lin and
  Ren (2021), 《管理世界》37(7);
* ``innovation_type``: technological, institutional and management innovation;
* ``nqpf_core``: the headline terms 新质生产力 and 高质量发展.

A concept groups synonyms (Chinese and English forms). Within one scheme a form maps to one
sector; across schemes it may map to several. Users extend the taxonomy with YAML of the same
shape (:meth:`Taxonomy.extend`).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from nqpf.errors import NqpfError
from nqpf.safeyaml import YamlError, load_yaml

DEFAULT_TAXONOMY = "nqpf_taxonomy.yaml"


class TaxonomyError(NqpfError):
    """A taxonomy file that cannot be loaded; the message names the file."""


@dataclass(frozen=True)
class Scheme:
    """A classification the sectors belong to, with its source."""

    id: str
    name_en: str
    name_zh: str
    source: str = ""


@dataclass(frozen=True)
class Concept:
    """One concept: its canonical (first Chinese) name and all its surface forms."""

    name: str
    sector: str
    forms_zh: tuple[str, ...]
    forms_en: tuple[str, ...]

    @property
    def forms(self) -> tuple[str, ...]:
        """All forms, Chinese first, without duplicates."""
        return tuple(dict.fromkeys((*self.forms_zh, *self.forms_en)))


@dataclass(frozen=True)
class Sector:
    """A sector (field) of one scheme, with its concepts."""

    id: str
    scheme: str
    name_en: str
    name_zh: str
    code: str = ""
    concepts: tuple[Concept, ...] = field(default=())

    @property
    def variable(self) -> str:
        """The panel variable id of this sector's exposure."""
        return f"text_exposure_{self.id}"


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


class Taxonomy:
    """Schemes and sectors; ``forms()`` gives the surface-form index matchers are built from.

    >>> tax = Taxonomy.default()
    >>> [s.id for s in tax.lookup("人工智能")]
    ['sei_it', 'de_technology', 'dt_ai']
    """

    def __init__(
        self,
        schemes: Mapping[str, Scheme],
        sectors: Iterable[Sector],
        *,
        version: str = "",
        name: str = "",
        origin: str = "<memory>",
    ) -> None:
        self.schemes: dict[str, Scheme] = dict(schemes)
        self.sectors: dict[str, Sector] = {}
        self.version = version
        self.name = name
        for s in sectors:
            if s.scheme not in self.schemes:
                raise TaxonomyError(f"[file {origin}] sector {s.id!r} names unknown scheme {s.scheme!r}")
            if s.id in self.schemes:
                raise TaxonomyError(f"[file {origin}] sector id {s.id!r} clashes with a scheme id")
            self.sectors[s.id] = s
        self._check(origin)

    # -- loading ---------------------------------------------------------------------
    @classmethod
    def default(cls) -> Taxonomy:
        """The shipped taxonomy."""
        return cls.from_dict(_default_doc(), origin=f"nqpf/innovation/taxonomy/{DEFAULT_TAXONOMY}")

    @classmethod
    def load(cls, path: str | Path) -> Taxonomy:
        """A taxonomy from a YAML file of the shipped shape."""
        p = Path(path)
        return cls.from_dict(_read_yaml(p), origin=str(p))

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any], *, origin: str = "<memory>") -> Taxonomy:
        """A taxonomy from a parsed YAML mapping (``schemes`` and ``sectors``)."""
        schemes, sectors = _parse(doc, origin)
        return cls(schemes, sectors, version=str(doc.get("version", "")), name=str(doc.get("name", "")), origin=origin)

    def extend(self, other: str | Path | Mapping[str, Any]) -> Taxonomy:
        """A new taxonomy with the user's schemes, sectors and concepts added.

        Sectors with a known id gain the new concepts; new ids are new sectors. The version
        becomes ``"<base>+<extension name or version>"``.
        """
        if isinstance(other, Mapping):
            doc, origin = other, "<memory>"
        else:
            doc, origin = _read_yaml(Path(other)), str(other)
        schemes, sectors = _parse(doc, origin, known_schemes=self.schemes, known_sectors=self.sectors)
        merged = dict(self.sectors)
        for s in sectors:
            if s.id in merged:
                old = merged[s.id]
                merged[s.id] = Sector(old.id, old.scheme, old.name_en, old.name_zh, old.code, old.concepts + s.concepts)
            else:
                merged[s.id] = s
        tag = str(doc.get("name") or doc.get("version") or origin)
        return Taxonomy({**self.schemes, **schemes}, merged.values(), version=f"{self.version}+{tag}", name=self.name, origin=origin)

    # -- queries ---------------------------------------------------------------------
    def sectors_of(self, scheme: str) -> list[Sector]:
        """The sectors of one scheme, in file order."""
        return [s for s in self.sectors.values() if s.scheme == scheme]

    def forms(self) -> dict[str, tuple[str, ...]]:
        """Lower-cased surface form -> the sector ids it counts for (one per scheme at most)."""
        out: dict[str, tuple[str, ...]] = {}
        for s in self.sectors.values():
            for c in s.concepts:
                for f in c.forms:
                    key = f.lower()
                    if s.id not in out.get(key, ()):
                        out[key] = (*out.get(key, ()), s.id)
        return out

    def lookup(self, term: str) -> list[Sector]:
        """The sectors a surface form counts for."""
        return [self.sectors[s] for s in self.forms().get(term.lower(), ())]

    def concept_of(self, form: str, sector: str) -> Concept | None:
        """The concept of ``sector`` that has this surface form."""
        for c in self.sectors[sector].concepts:
            if form.lower() in (f.lower() for f in c.forms):
                return c
        return None

    def table(self) -> pd.DataFrame:
        """Tidy table: ``scheme, sector, code, sector_en, sector_zh, concept, lang, form``."""
        rows = []
        for s in self.sectors.values():
            for c in s.concepts:
                for lang, forms in (("zh", c.forms_zh), ("en", c.forms_en)):
                    for f in forms:
                        rows.append((s.scheme, s.id, s.code, s.name_en, s.name_zh, c.name, lang, f))
        return pd.DataFrame(rows, columns=["scheme", "sector", "code", "sector_en", "sector_zh", "concept", "lang", "form"])

    def _check(self, origin: str) -> None:
        seen: dict[tuple[str, str], str] = {}
        for s in self.sectors.values():
            for c in s.concepts:
                for f in c.forms:
                    key = (s.scheme, f.lower())
                    if key in seen and seen[key] != s.id:
                        raise TaxonomyError(
                            f"[file {origin}] form {f!r} is in sectors {seen[key]!r} and {s.id!r} of scheme {s.scheme!r}; "
                            "a form may map to one sector per scheme"
                        )
                    seen[key] = s.id

    def __repr__(self) -> str:
        n = sum(len(c.forms) for s in self.sectors.values() for c in s.concepts)
        return f"Taxonomy({self.name} {self.version}: {len(self.schemes)} schemes, {len(self.sectors)} sectors, {n} forms)"



@functools.lru_cache(maxsize=1)
def _default_doc() -> Mapping[str, Any]:
    text = resources.files("nqpf.innovation").joinpath("taxonomy", DEFAULT_TAXONOMY).read_text("utf-8")
    return load_yaml(text, name=DEFAULT_TAXONOMY)  # the same refusals as user YAML


def _read_yaml(path: Path) -> Mapping[str, Any]:
    try:
        doc = load_yaml(path)
    except YamlError as exc:
        raise TaxonomyError(f"[file {path}] cannot read taxonomy: {exc}") from None
    if not isinstance(doc, Mapping):
        raise TaxonomyError(f"[file {path}] a taxonomy file must be a YAML mapping with 'sectors'")
    return doc


def _parse(
    doc: Mapping[str, Any],
    origin: str,
    known_schemes: Mapping[str, Scheme] | None = None,
    known_sectors: Mapping[str, Sector] | None = None,
) -> tuple[dict[str, Scheme], list[Sector]]:
    schemes: dict[str, Scheme] = {}
    for sid, spec in (doc.get("schemes") or {}).items():
        spec = spec or {}
        schemes[str(sid)] = Scheme(str(sid), str(spec.get("name_en", sid)), str(spec.get("name_zh", spec.get("name_en", sid))), str(spec.get("source", "")))
    all_schemes = {**(known_schemes or {}), **schemes}
    sectors: list[Sector] = []
    for i, spec in enumerate(doc.get("sectors") or []):
        if not isinstance(spec, Mapping) or "id" not in spec:
            raise TaxonomyError(f"[file {origin}] sector #{i + 1} needs an 'id'")
        sid = str(spec["id"])
        base = (known_sectors or {}).get(sid)
        scheme = str(spec.get("scheme") or (base.scheme if base else ""))
        if scheme not in all_schemes:
            raise TaxonomyError(f"[file {origin}] sector {sid!r} needs a known 'scheme' (known: {', '.join(all_schemes)})")
        concepts = []
        for j, cspec in enumerate(spec.get("concepts") or []):
            zh = _as_list(cspec.get("zh")) if isinstance(cspec, Mapping) else _as_list(cspec)
            en = _as_list(cspec.get("en")) if isinstance(cspec, Mapping) else []
            if isinstance(cspec, Mapping):
                zh += _as_list(cspec.get("synonyms"))
            if not zh and not en:
                raise TaxonomyError(f"[file {origin}] sector {sid!r} concept #{j + 1} has no forms")
            concepts.append(Concept((zh or en)[0], sid, tuple(zh), tuple(en)))
        sectors.append(
            Sector(
                sid,
                scheme,
                str(spec.get("name_en", base.name_en if base else sid)),
                str(spec.get("name_zh", base.name_zh if base else sid)),
                str(spec.get("code", base.code if base else "")),
                tuple(concepts),
            )
        )
    return schemes, sectors

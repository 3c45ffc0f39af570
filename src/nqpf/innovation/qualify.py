"""The NQPF qualifier: apply the seed's test to a description, with evidence.

The test (the project's seed, after Xi Jinping's formulation of 新质生产力): *as long as an
innovation disrupts traditional production methods, creates wealth, and improves living
standards, it qualifies as a new quality productive force; scale or ownership no longer
matters*, across fields such as big data, AI, medicine, materials and ecology.

Transparent rules (cue lexicon ``taxonomy/qualifier_cues.yaml``, fields from the taxonomy):

1. Firm size and ownership words (国有, 民营, 外资, 中小, 小微, state-owned, private, small,
   large ...) are **removed** before any rule runs and listed in ``ignored``; structured fields
   about them (``ownership``, ``size`` ...) are dropped. Equal descriptions that differ only in
   these words therefore get equal results.
2. The text is normalised (:func:`nqpf.innovation.matching.normalize`) and segmented with
   jieba. Cue phrases of each criterion and taxonomy forms (frontier fields) are matched
   leftmost-longest.
3. **Negation**: a match is negated when one of the negators (不, 未, 没有, 无法, 并未, 不会,
   not, no, without, fails ...) is among the ``window`` (4) jieba tokens before it, without a
   clause break (，。；,.; ...) in between. jieba keeps 不断, 不仅 and 无人化 as words, and a
   negator starting a listed exception (*not only*, *no longer*, 不仅 ...) does not negate.
   A stated harm (``harms`` in the lexicon: 造成污染, 依赖人工, raises costs ...) counts as a
   negated cue of its criterion, with negator ``"harm"``.
4. **Scores**: a criterion with ``n`` distinct affirmed cues scores ``1 - 0.5**n`` (0.5, 0.75,
   0.875 ...). It is *met* if affirmed occurrences outnumber negated ones, *negated* if it has
   negated occurrences and no more affirmed ones, *absent* otherwise (score 0 unless met). The
   frontier-field score is ``1 - 0.5**k`` for ``k`` distinct affirmed field concepts.
5. **Verdict**: *insufficient evidence* if the text has fewer than ``min_tokens`` (8) content
   tokens; *does not qualify* if any criterion is negated, or if disruption is absent from a
   text of at least ``long_tokens`` (40) tokens; *qualifies* if all three criteria are met and
   a frontier field matched; otherwise *insufficient evidence*, naming what is missing.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources
from typing import Any, cast

import pandas as pd
import yaml

from nqpf.innovation.matching import Match, TermMatcher, normalize
from nqpf.innovation.taxonomy import Taxonomy

CRITERIA = ("disruption", "wealth", "living")
FRONTIER_SCHEMES = ("sei2018", "future", "digital_core", "digital_transformation")
"""Schemes whose sectors count as frontier fields (innovation types and headline terms do not)."""

IGNORED_KEYS = frozenset({
    "ownership", "owner", "owner_type", "ownership_type", "size", "scale", "firm_size", "company_size", "employees",
    "headcount", "staff", "enterprise_type", "所有制", "所有制性质", "企业性质", "规模", "企业规模", "员工人数",
})
"""Structured-input keys about size or ownership; dropped and listed in ``ignored``."""


class Verdict(StrEnum):
    """The qualifier's verdict."""

    QUALIFIES = "qualifies"
    DOES_NOT_QUALIFY = "does_not_qualify"
    INSUFFICIENT_EVIDENCE = "insufficient_evidence"

    @property
    def label_zh(self) -> str:
        """The verdict in Chinese."""
        return {"qualifies": "符合（属于新质生产力）", "does_not_qualify": "不符合", "insufficient_evidence": "证据不足"}[self.value]


@dataclass(frozen=True)
class Evidence:
    """One matched cue: the criterion or field, the cue, its context and its negation."""

    target: str
    cue: str
    context: str
    start: int
    negated: bool = False
    negator: str | None = None


@dataclass(frozen=True)
class CriterionResult:
    """Score in [0, 1], status (``met``/``negated``/``absent``) and evidence of one criterion."""

    criterion: str
    name_en: str
    name_zh: str
    score: float
    status: str
    evidence: tuple[Evidence, ...] = ()

    @property
    def met(self) -> bool:
        """Whether the criterion is met."""
        return self.status == "met"


@dataclass(frozen=True)
class Reason:
    """One reason for the verdict, in English and Chinese."""

    en: str
    zh: str


@dataclass(frozen=True)
class Qualification:
    """The qualifier's result: verdict, reasons, per-criterion scores, fields and evidence."""

    verdict: Verdict
    reasons: tuple[Reason, ...]
    criteria: dict[str, CriterionResult]
    frontier_score: float
    fields: tuple[Evidence, ...]
    sectors: tuple[str, ...]
    innovation_types: tuple[str, ...]
    ignored: tuple[str, ...]
    n_tokens: int
    text: str = field(repr=False, default="")

    @property
    def qualifies(self) -> bool:
        """True iff the verdict is *qualifies*."""
        return self.verdict is Verdict.QUALIFIES

    @property
    def scores(self) -> dict[str, float]:
        """Criterion scores and the frontier-field score."""
        return {**{k: v.score for k, v in self.criteria.items()}, "frontier": self.frontier_score}

    def evidence_table(self) -> pd.DataFrame:
        """Tidy evidence: ``target, cue, negated, negator, context, start``."""
        rows = [(e.target, e.cue, e.negated, e.negator, e.context, e.start)
                for c in self.criteria.values() for e in c.evidence]
        rows += [(e.target, e.cue, e.negated, e.negator, e.context, e.start) for e in self.fields]
        return pd.DataFrame(rows, columns=["target", "cue", "negated", "negator", "context", "start"])

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        return {
            "verdict": self.verdict.value,
            "verdict_zh": self.verdict.label_zh,
            "reasons": [{"en": r.en, "zh": r.zh} for r in self.reasons],
            "scores": self.scores,
            "criteria": {k: {"status": v.status, "score": v.score,
                             "evidence": [{"cue": e.cue, "negated": e.negated, "negator": e.negator, "context": e.context}
                                          for e in v.evidence]}
                         for k, v in self.criteria.items()},
            "sectors": list(self.sectors),
            "fields": [{"sectors": e.target, "term": e.cue, "negated": e.negated, "context": e.context} for e in self.fields],
            "innovation_types": list(self.innovation_types),
            "ignored": list(self.ignored),
            "n_tokens": self.n_tokens,
        }


def _load_cues() -> dict[str, Any]:
    text = resources.files("nqpf.innovation").joinpath("taxonomy", "qualifier_cues.yaml").read_text("utf-8")
    return dict(yaml.safe_load(text))


@functools.lru_cache(maxsize=1)
def _jieba() -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


class Qualifier:
    """Rule-based qualifier; see the module docstring for every rule.

    >>> q = Qualifier().qualify("基于人工智能的质检系统取代人工目检，降低成本，让患者更快拿到安全的药品。")
    >>> q.verdict.value, [e.cue for e in q.criteria["disruption"].evidence]
    ('qualifies', ['取代'])
    """

    def __init__(
        self,
        taxonomy: Taxonomy | None = None,
        cues: Mapping[str, Any] | None = None,
        *,
        min_tokens: int = 8,
        long_tokens: int = 40,
        window: int = 4,
    ) -> None:
        self.taxonomy = taxonomy or Taxonomy.default()
        self.cues = dict(cues or _load_cues())
        self.min_tokens, self.long_tokens, self.window = min_tokens, long_tokens, window
        crit = self.cues["criteria"]
        harms = self.cues.get("harms") or {}
        cue_forms: dict[str, tuple[str, bool]] = {
            f: (name, False) for name in CRITERIA for f in (*crit[name].get("zh", []), *crit[name].get("en", []))
        }
        for name in CRITERIA:
            spec = harms.get(name) or {}
            cue_forms.update({f: (name, True) for f in (*spec.get("zh", []), *spec.get("en", []))})
        self._cue_matcher = TermMatcher(cue_forms)
        neg = self.cues["negators"]
        self._negators = {normalize(str(n)) for n in (*neg.get("zh", []), *neg.get("en", []))}
        self._breaks = set(self.cues.get("clause_breaks", "，。；！？,.;!?\n"))
        self._exceptions = tuple(normalize(str(x)) for x in self.cues.get("negation_exceptions", []))
        forms = self.taxonomy.forms()
        self._field_forms = {normalize(f): s for f, s in forms.items()}
        self._field_matcher = TermMatcher(list(self._field_forms))
        ign = self.cues["ignored"]
        self._ignored_forms = {normalize(f) for f in (*ign.get("zh", []), *ign.get("en", []))}
        # taxonomy forms join the ignore matcher so that e.g. "large language model" is kept whole
        self._ignore_matcher = TermMatcher([*self._ignored_forms, *self._field_forms])

    # -- public ----------------------------------------------------------------------
    def qualify(self, description: str | Mapping[str, Any]) -> Qualification:
        """Apply the test to a text (Chinese or English) or to structured fields."""
        ignored: list[str] = []
        if isinstance(description, Mapping):
            parts = []
            for k, v in description.items():
                if str(k).strip().lower() in IGNORED_KEYS:
                    ignored.append(f"{k}: {v}")
                elif v is not None and str(v).strip():
                    parts.append(str(v))
            raw = "。\n".join(parts)
        else:
            raw = str(description)
        text = self._strip_ignored(normalize(raw), ignored)
        jb = _jieba()
        tokens = [(w, s, e) for w, s, e in jb.tokenize(text) if w.strip()]
        n_tokens = sum(1 for w, _, _ in tokens if any(ch.isalnum() for ch in w))
        tok_at = self._token_index(text, tokens)

        evidence: dict[str, list[Evidence]] = {c: [] for c in CRITERIA}
        for m in self._cue_matcher.find(text):
            crit, harm = cast(tuple[str, bool], self._cue_matcher.payload[m.form])
            ev = self._evidence(crit, m, text, tokens, tok_at)
            if harm:  # a stated harm is evidence against the criterion (a negated harm is neutral)
                ev = Evidence(crit, ev.cue, ev.context, ev.start, negated=not ev.negated,
                              negator=None if ev.negated else "harm")
                if not ev.negated:
                    continue
            evidence[crit].append(ev)
        fields: list[Evidence] = []
        sectors: dict[str, None] = {}
        types: dict[str, None] = {}
        frontier_concepts: set[str] = set()
        for m in self._field_matcher.find(text):
            sids = self._field_forms[m.form]
            ev = self._evidence(",".join(sids), m, text, tokens, tok_at)
            fields.append(ev)
            if ev.negated:
                continue
            for sid in sids:
                sec = self.taxonomy.sectors[sid]
                if sec.scheme in FRONTIER_SCHEMES:
                    sectors[sid] = None
                    concept = self.taxonomy.concept_of(m.form, sid)
                    frontier_concepts.add(concept.name if concept else m.form)
                elif sec.scheme == "innovation_type":
                    types[sid] = None

        crit_spec = self.cues["criteria"]
        criteria = {c: self._score(c, crit_spec[c], evidence[c]) for c in CRITERIA}
        frontier = 1 - 0.5 ** len(frontier_concepts) if frontier_concepts else 0.0
        verdict, reasons = self._verdict(criteria, bool(sectors), n_tokens)
        return Qualification(verdict, tuple(reasons), criteria, frontier, tuple(fields), tuple(sectors), tuple(types),
                             tuple(ignored), n_tokens, text)

    # -- rules -----------------------------------------------------------------------
    def _strip_ignored(self, text: str, ignored: list[str]) -> str:
        out, pos = [], 0
        for m in self._ignore_matcher.find(text):
            if m.form in self._ignored_forms and m.form not in self._field_forms:
                out.append(text[pos : m.start])
                ignored.append(text[m.start : m.end])
                pos = m.end
        out.append(text[pos:])
        return normalize(" ".join(out)) if ignored else text

    @staticmethod
    def _token_index(text: str, tokens: list[tuple[str, int, int]]) -> list[int]:
        idx = [0] * (len(text) + 1)
        for i, (_, s, e) in enumerate(tokens):
            for p in range(s, e):
                idx[p] = i
        return idx

    def _evidence(self, target: str, m: Match, text: str, tokens: list[tuple[str, int, int]], tok_at: list[int]) -> Evidence:
        ti = tok_at[m.start]
        if ti < len(tokens) and tokens[ti][1] < m.start:  # cue starts inside a token: that token precedes it
            ti += 1
        negator = None
        seen = 0
        j = ti - 1
        while j >= 0 and seen < self.window:
            w = tokens[j][0]
            if any(ch in self._breaks for ch in w):
                break
            if w in self._negators and not text.startswith(self._exceptions, tokens[j][1]):
                negator = w
                break
            seen += 1
            j -= 1
        lo, hi = max(0, m.start - 12), min(len(text), m.end + 12)
        return Evidence(target, text[m.start : m.end], text[lo:hi], m.start, negator is not None, negator)

    @staticmethod
    def _score(name: str, spec: Mapping[str, Any], evidence: list[Evidence]) -> CriterionResult:
        affirmed = [e for e in evidence if not e.negated]
        negated = [e for e in evidence if e.negated]
        if affirmed and len(affirmed) > len(negated):
            status, score = "met", 1 - 0.5 ** len({e.cue for e in affirmed})
        elif negated:
            status, score = "negated", 0.0
        else:
            status, score = "absent", 0.0
        return CriterionResult(name, str(spec.get("name_en", name)), str(spec.get("name_zh", name)), score, status, tuple(evidence))

    def _verdict(self, criteria: dict[str, CriterionResult], frontier: bool, n_tokens: int) -> tuple[Verdict, list[Reason]]:
        if n_tokens < self.min_tokens:
            return Verdict.INSUFFICIENT_EVIDENCE, [Reason(
                f"text too short: {n_tokens} content tokens (at least {self.min_tokens} needed)",
                f"文本过短：{n_tokens}个有效词（至少需要{self.min_tokens}个）")]
        negated = [c for c in criteria.values() if c.status == "negated"]
        if negated:
            reasons = []
            for c in negated:
                e = next(e for e in c.evidence if e.negated)
                if e.negator == "harm":
                    reasons.append(Reason(f"criterion contradicted: {c.name_en} ('{e.cue}')",
                                          f"标准被否定：{c.name_zh}（“{e.cue}”）"))
                else:
                    reasons.append(Reason(f"criterion negated: {c.name_en} ('{e.negator}' before '{e.cue}')",
                                          f"标准被否定：{c.name_zh}（“{e.cue}”前有“{e.negator}”）"))
            return Verdict.DOES_NOT_QUALIFY, reasons
        d = criteria["disruption"]
        if d.status == "absent" and n_tokens >= self.long_tokens:
            return Verdict.DOES_NOT_QUALIFY, [Reason(
                f"no change to production methods is described in {n_tokens} tokens",
                f"{n_tokens}个词的描述中未涉及对传统生产方式的改变")]
        missing = [c for c in criteria.values() if not c.met]
        if not missing and frontier:
            return Verdict.QUALIFIES, [Reason(
                "all three criteria met in a frontier field; scale and ownership were not considered",
                "三项标准均满足且属于前沿领域；未考虑规模与所有制")]
        reasons = [Reason(f"no evidence for: {c.name_en}", f"缺少证据：{c.name_zh}") for c in missing]
        if not frontier:
            reasons.append(Reason("no frontier field recognised (extend the taxonomy if the field is new)",
                                  "未识别出前沿领域（如为新领域可扩充词表）"))
        return Verdict.INSUFFICIENT_EVIDENCE, reasons


@functools.lru_cache(maxsize=1)
def default_qualifier() -> Qualifier:
    """The qualifier with the shipped taxonomy and cues (built once)."""
    return Qualifier()


def qualify(description: str | Mapping[str, Any]) -> Qualification:
    """Apply the seed's test with the default rules; see :class:`Qualifier`."""
    return default_qualifier().qualify(description)

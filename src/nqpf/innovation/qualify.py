"""The NQPF qualifier: apply the seed's test to a description, with evidence and a confidence.

The test (the project's seed, after Xi Jinping's formulation of 新质生产力): *as long as an
innovation disrupts traditional production methods, creates wealth, and improves living
standards, it qualifies as a new quality productive force; scale or ownership no longer
matters*, across fields such as big data, AI, medicine, materials and ecology. Scale is not the
criterion; changing how things are produced is.

Transparent rules (cue lexicon ``taxonomy/qualifier_cues.yaml``, fields from the taxonomy):

1. Firm size and ownership words (国有, 民营, 外资, 中小, 小微, state-owned, private, small,
   large ...) are **removed** before any rule runs and listed in ``ignored``; structured fields
   about them (``ownership``, ``size`` ...) are dropped.
2. The text is normalised (:func:`nqpf.innovation.matching.normalize`), segmented with jieba
   and cut into sentences (。；！？.;!? and line ends). Cue phrases are matched leftmost-longest:
   the three **criteria** (with stated **harms**), **conventional** change (same or existing
   equipment, capacity expansion, assets, land, mergers, renaming, speculation), **vague**
   wording (future or hortatory mood, slogans) and **facts** (completed actions); **figures**
   with units are found by pattern (years such as 2027年 are not figures).
3. **Negation**: a criterion cue is negated when a negator (不, 未, 没有, 无法, not, no,
   without, fails ...) is among the ``window`` (4) jieba tokens before it, with no clause break
   in between; listed exceptions (*not only*, 不仅, 不断 ...) do not negate. A stated harm
   (造成污染, 排放增加, relies on manual, raises costs ...) is a negated cue of its criterion,
   unless a decrease word is within 12 characters in its clause (重污染天数减少): then it is
   evidence *for* the criterion. A negated harm (没有造成污染) is neutral.
   A **burden** noun (排放, 废水, 损失, 报废, emissions, losses ...) in a clause with a decrease
   word (减少, 降为, fell, less ...) is evidence for living standards or wealth.
   (3a) **People** named by their ending: a Chinese jieba token of 2-4 characters ending in a
   listed suffix (民, 户, 者, 员, 童, 师, 手 ...: 渔民, 住户, 劳动者, 操作员, 骑手), and not in the
   exclusion list (投资者, 账户, 对手 ...), is evidence for living standards, so that the lexicon
   need not list every occupation.
   (3b) Added after the independent labeller's guide (``benchmarks/data/qualifier_labelling_guide.md``),
   tuned on its fresh development part only: a **harm noun under a negator** (未发生伤亡事故, *no
   accidents*) is evidence for living standards; **money the people concerned gain** (增收, 工资,
   *wages, incomes*) counts for wealth and living standards (guide R8); an **amount of money**
   (6000万元, 千亿元, *60 million yuan*) is wealth unless its clause is about money spent, invested,
   raised or granted, and a **measured change** (从92%提高到98.5%, *from 70% to 95%*) is wealth
   (R7), both only outside a plan; a **switch of method** (不再…而是, *converted … from … to …*) is
   disruption; **layoffs** are a harm; pilots, trials, signings, awards, patents and labs are
   counted like modal words (inputs and events, not results).
   (3c) Added for writers 2 and 3 (``qualify_structure.py``): **disruption read from structure**, the old way
   named (过去, *used to*), the present way set against it (现在, *now*), the old way stopped (不再, *no longer*)
   or a technique adopted in a clause (用上…机器人, *with an AI tool*), each outside a plan and not in a clause
   that says the old way stayed (沿用, 仍, *same, as before*); a **measured change** (a figure with a change
   word: 亩产提高约5%, *60% more scans*) is wealth (R7); building stated for a whole region (全省, *the
   province's*) is an aggregate statistic, not an expansion; conventional cues and negations inside a plan, and
   negations about disclosure (*no costs were published*), do not count; people under a negator are neutral.
4. **Scores**: a criterion with ``n`` distinct affirmed cues scores ``1 - 0.5**n``; it is
   *negated* if a harm is stated, else *met* if affirmed occurrences outnumber negated ones,
   *negated* if it has negated occurrences and no more affirmed ones, *absent* otherwise. A sentence is **concrete** when its facts, figures
   and conventional cues outnumber its vague cues, **vague** when it has vague cues and is not
   concrete. Facts after a **modal** word (拟, 预计, 力争, 计划在, will, plans to, aims ...) up to
   the end of its sentence are a plan, not a result: they are not counted, and the modal word
   counts as a vague cue; ``concreteness = 1 - 0.5**k`` for ``k`` concrete sentences, likewise vagueness.
5. **Verdict** (first rule that applies):

   a. fewer than ``min_tokens`` (8) content tokens: *insufficient evidence*;
   b. a negated criterion or a stated harm: *does not qualify*;
   c. no concrete sentence, and a vague sentence or no disruption (only plans, intentions,
      slogans): *insufficient evidence*;
   d. disruption not met: with conventional cues, *does not qualify* (``conventional``), naming
      them; else with **expansion** cues outside a plan (新建, 投产, 安装, *built, doubled,
      installed*: building or adding with no method described), *does not qualify*
      (``expansion``); else *insufficient evidence* (``no_change``: a result, event or input whose
      nature is not stated, guide R10/R12);
   e. disruption, wealth and living all met: *qualifies* (a frontier field raises the
      confidence; without one the reason says the field was not recognised);
   f. wealth or living not shown and at least as many distinct conventional cues as disruption
      cues: *does not qualify* (conventional);
   g. otherwise (a new method, but wealth or living not shown): *insufficient evidence*.

6. **Confidence**: ``1 - 0.5**(m + 1)`` for an evidence margin ``m >= 0`` of the rule that
   decided (0.5, 0.75, 0.875 ...): the number of supporting signals beyond the minimum, minus
   the conflicting ones (see :meth:`Qualifier._margin`; ``q.margin``), or a Platt fit passed as
   ``calibration`` (``qualify_calibration.py``). On the held-out part of the
   evaluation set higher confidence is more often right (``benchmarks/bench_qualifier.py``).
"""

from __future__ import annotations

import bisect
import functools
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources
from typing import Any, cast

import pandas as pd

from nqpf.innovation.matching import Match, TermMatcher, normalize
from nqpf.innovation.qualify_calibration import Calibration
from nqpf.innovation.qualify_structure import StructureReader
from nqpf.innovation.taxonomy import Taxonomy
from nqpf.safeyaml import load_yaml

CRITERIA = ("disruption", "wealth", "living")
SIGNALS = ("conventional", "vague", "facts", "expansion")
FRONTIER_SCHEMES = ("sei2018", "future", "digital_core", "digital_transformation")
"""Schemes whose sectors count as frontier fields (innovation types and headline terms do not)."""

IGNORED_KEYS = frozenset({
    "ownership", "owner", "owner_type", "ownership_type", "size", "scale", "firm_size", "company_size", "employees",
    "headcount", "staff", "enterprise_type", "所有制", "所有制性质", "企业性质", "规模", "企业规模", "员工人数",
})
"""Structured-input keys about size or ownership; dropped and listed in ``ignored``."""

_FIG_ZH_UNITS = ("%|个百分点|万|亿|千|百|元|吨|台|辆|家|人|个|座|条|栋|头|公斤|千瓦|瓦|gw|mw|kw|平方米|亩|天|分钟|小时|倍|"
                 "公里|年|月|次|项|套|件|斤|kg|km|亿元|万元")
_FIGURE = re.compile(
    rf"(?<![A-Za-z0-9_.])(\d[\d,]*(?:\.\d+)?)\s*({_FIG_ZH_UNITS}|percent|per cent|yuan|tonnes?|mu\b|minutes?|hours?|days?|"
    r"points?|times|square)?"
    r"|[一二两三四五六七八九十]+(?:座|家|条|倍|台|栋|年|成|次|辆)"
    r"|\b(?:half|halved|quarter|doubled?|doubling|two|three|four|five|six|seven|eight|nine|ten|hundred|thousand|million|billion)\b"
)
_TARGET_YEAR = re.compile(r"(?:\bby |到|至)(?:19|20)\d\d")
"""A target year (by 2027, 到2027年): a plan, not a result."""
_MONEY = re.compile(r"\d[\d,]*(?:\.\d+)?\s*(?:万亿|亿|万|千)?\s*(?:元|美元)"
                    r"|[一二两三四五六七八九十百千]+(?:万亿|亿|万)元"
                    r"|\b\d[\d,]*(?:\.\d+)?\s*(?:million |billion |thousand )?(?:yuan|dollars|rmb)\b")
"""An amount of money (1.2亿元, 3,000 yuan): wealth, unless its clause is about money spent or raised."""
_FROM_TO = re.compile(r"从[^，。；,;]{0,8}?\d[^，。；,;]{0,14}?(?:到|至)[^，。；,;]{0,4}?\d(?:[\d,.]*\d)?%?"
                      r"|\bfrom (?:about |around |some )?[\d.,]+\s*(?:%|percent|[a-z]+)? to (?:about |around )?\d(?:[\d,.]*\d)?%?")
"""A measured change, from one figure to another (从800元涨到3000元, from 70% to 95%): wealth (guide R7)."""
_SWITCH_ZH = re.compile(r"不再[^，。；]{0,20}[，,]?\s*而是")
_SWITCH_EN = re.compile(r"\b(?:moved|shifted|switched|switching|converted|converting|changed|turned)\b[^.;]{0,80}?"
                        r"\bfrom\b[^.;]{0,80}?\bto\b")
"""A switch of method: 不再…而是 (no longer … but), moved/converted … from … to …: disruption."""
_SENTENCE_END = re.compile(r"[。；;！？!?\n]|\.(?=\s|$)")


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
    """One matched cue: the criterion, signal or field, the cue, its context and its negation."""

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
    """The qualifier's result: verdict, confidence, reasons, scores, fields and evidence."""

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
    confidence: float = 0.5
    rule: str = ""
    signals: dict[str, tuple[Evidence, ...]] = field(default_factory=dict)
    concrete_sentences: int = 0
    vague_sentences: int = 0
    margin: int = 0
    """Evidence margin of the deciding rule (see :meth:`Qualifier._margin`); the confidence is a function of it."""

    @property
    def qualifies(self) -> bool:
        """True iff the verdict is *qualifies*."""
        return self.verdict is Verdict.QUALIFIES

    @property
    def scores(self) -> dict[str, float]:
        """Criterion scores, frontier field, concreteness and vagueness (each in [0, 1])."""
        return {**{k: v.score for k, v in self.criteria.items()}, "frontier": self.frontier_score,
                "concreteness": 1 - 0.5 ** self.concrete_sentences, "vagueness": 1 - 0.5 ** self.vague_sentences}

    @property
    def phrases(self) -> tuple[str, ...]:
        """The phrases the verdict rests on (affirmed or negated criterion cues and signals), in text order."""
        evs = [e for c in self.criteria.values() for e in c.evidence]
        evs += [e for k, v in self.signals.items() if k != "facts" for e in v]
        return tuple(dict.fromkeys(e.cue for e in sorted(evs, key=lambda e: e.start)))

    def evidence_table(self) -> pd.DataFrame:
        """Tidy evidence: ``target, cue, negated, negator, context, start``."""
        evs = [e for c in self.criteria.values() for e in c.evidence] + list(self.fields)
        evs += [e for v in self.signals.values() for e in v]
        rows = [(e.target, e.cue, e.negated, e.negator, e.context, e.start) for e in evs]
        return pd.DataFrame(rows, columns=["target", "cue", "negated", "negator", "context", "start"])

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        return {
            "verdict": self.verdict.value,
            "verdict_zh": self.verdict.label_zh,
            "confidence": round(self.confidence, 4),
            "rule": self.rule,
            "margin": self.margin,
            "reasons": [{"en": r.en, "zh": r.zh} for r in self.reasons],
            "scores": self.scores,
            "criteria": {k: {"status": v.status, "score": v.score,
                             "evidence": [{"cue": e.cue, "negated": e.negated, "negator": e.negator, "context": e.context}
                                          for e in v.evidence]}
                         for k, v in self.criteria.items()},
            "signals": {k: [e.cue for e in v] for k, v in self.signals.items()},
            "phrases": list(self.phrases),
            "sectors": list(self.sectors),
            "fields": [{"sectors": e.target, "term": e.cue, "negated": e.negated, "context": e.context} for e in self.fields],
            "innovation_types": list(self.innovation_types),
            "ignored": list(self.ignored),
            "n_tokens": self.n_tokens,
        }


def _load_cues() -> dict[str, Any]:
    text = resources.files("nqpf.innovation").joinpath("taxonomy", "qualifier_cues.yaml").read_text("utf-8")
    return dict(load_yaml(text, name="qualifier_cues.yaml"))


@functools.lru_cache(maxsize=1)
def _jieba() -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def _forms(spec: Mapping[str, Any] | None) -> list[str]:
    spec = spec or {}
    return [str(f) for f in (*spec.get("zh", []), *spec.get("en", []))]


class Qualifier:
    """Rule-based qualifier; see the module docstring for every rule.

    >>> q = Qualifier().qualify("基于人工智能的质检系统取代人工目检，降低成本40%，让患者更快拿到安全的药品。")
    >>> q.verdict.value, [e.cue for e in q.criteria["disruption"].evidence]
    ('qualifies', ['取代'])
    """

    def __init__(
        self,
        taxonomy: Taxonomy | None = None,
        cues: Mapping[str, Any] | None = None,
        *,
        min_tokens: int = 8,
        window: int = 4,
        calibration: Calibration | None = None,
    ) -> None:
        self.taxonomy = taxonomy or Taxonomy.default()
        self.calibration = calibration  # None: the fixed formula 1 - 0.5**(margin + 1)
        self.cues = dict(cues or _load_cues())
        self.min_tokens, self.window = min_tokens, window
        crit = self.cues["criteria"]
        harms = self.cues.get("harms") or {}
        cue_forms: dict[str, tuple[str, bool]] = {f: (name, False) for name in CRITERIA for f in _forms(crit[name])}
        for name in CRITERIA:
            cue_forms.update({f: (name, True) for f in _forms(harms.get(name))})
        self._cue_matcher = TermMatcher(cue_forms)
        self._signal_matchers = {k: TermMatcher(_forms(self.cues.get(k))) for k in SIGNALS}
        self._decrease = TermMatcher(_forms(self.cues.get("decrease")))
        self._modal = TermMatcher(_forms(self.cues.get("modal")))
        people = self.cues.get("people") or {}
        self._people_suffixes = tuple(str(x) for x in people.get("suffixes", []))
        self._people_exclude = frozenset(str(x) for x in people.get("exclude", []))
        self._relief = {normalize(f).rstrip("*") for f in _forms(self.cues.get("relief"))}
        self._both = {normalize(f).rstrip("*") for f in _forms(self.cues.get("both"))}
        self._spend = TermMatcher(_forms(self.cues.get("spending")))
        burdens = self.cues.get("burdens") or {}
        self._burdens = TermMatcher({f: name for name in CRITERIA for f in _forms(burdens.get(name))})
        neg = self.cues["negators"]
        self._negators = {normalize(str(n)) for n in (*neg.get("zh", []), *neg.get("en", []))}
        self._breaks = set(self.cues.get("clause_breaks", "，。；！？,.;!?\n"))
        self._exceptions = tuple(normalize(str(x)) for x in self.cues.get("negation_exceptions", []))
        self._aggregate = TermMatcher(_forms(self.cues.get("aggregate")))
        self._disclosure = TermMatcher(_forms(self.cues.get("disclosure")))
        self._structure = StructureReader(self.cues.get("structure") or {}, self._breaks)
        forms = self.taxonomy.forms()
        self._field_forms = {normalize(f): s for f, s in forms.items()}
        self._field_matcher = TermMatcher(list(self._field_forms))
        ign = self.cues["ignored"]
        self._ignored_forms = {normalize(f) for f in (*ign.get("zh", []), *ign.get("en", []))}
        # taxonomy forms join the ignore matcher so that e.g. "large language model" is kept whole
        self._ignore_matcher = TermMatcher([*self._ignored_forms, *self._field_forms])

    # -- public ----------------------------------------------------------------------
    def qualify_many(self, descriptions: Sequence[str | Mapping[str, Any]]) -> list[Qualification]:
        """:meth:`qualify` of each description, in order (the batch interface every qualifier shares)."""
        return [self.qualify(d) for d in descriptions]

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

        starts = {s: e for _, s, e in tokens}
        modal = tuple(m.start for m in self._modal.find(text) if (len(m.form) > 1 or starts.get(m.start) == m.end)
                      and not (m.form == "要" and self._structure.past_before(text, m.start)))  # 过去要: had to
        ends = [m.end() for m in _SENTENCE_END.finditer(text)]
        first_modal: dict[int, int] = {}
        for pos in modal:
            first_modal.setdefault(bisect.bisect_right(ends, pos), pos)

        def planned(pos: int) -> bool:  # after a modal word in its sentence: a plan, not a result
            return pos >= first_modal.get(bisect.bisect_right(ends, pos), len(text))

        evidence: dict[str, list[Evidence]] = {c: [] for c in CRITERIA}
        for m in self._cue_matcher.find(text):
            crit, harm = cast(tuple[str, bool], self._cue_matcher.payload[m.form])
            ev = self._evidence(crit, m, text, tokens, tok_at)
            relief = crit == "living" and m.form in self._relief
            if ev.negated and relief:  # 未发生伤亡事故, no accidents: for living standards
                ev = Evidence(crit, ev.cue, ev.context, ev.start)
            elif ev.negated and (planned(m.start) or self._disclosure_clause(text, m)):
                continue  # a negation inside a plan or trial, or about disclosure (no costs were published), says nothing
            elif harm:  # a stated harm is evidence against the criterion; a negated one is neutral; a decreasing one is for it
                if ev.negated:
                    continue
                if not self._decreasing(text, m):
                    ev = Evidence(crit, ev.cue, ev.context, ev.start, negated=True, negator="harm")
            evidence[crit].append(ev)
            if m.form in self._both and not ev.negated:  # money the people concerned gain: wealth and living (R8)
                evidence["living" if crit == "wealth" else "wealth"].append(ev)
        for rx, crit in ((_SWITCH_ZH, "disruption"), (_SWITCH_EN, "disruption"), (_FROM_TO, "wealth"), (_MONEY, "wealth")):
            for fm in rx.finditer(text):  # patterns: a switch of method; a measured change; an amount of money earned or saved
                if planned(fm.start()) or (crit == "wealth" and self._spending(text, fm.start(), fm.end())):
                    continue
                if not any(e.start <= fm.start() < e.start + len(e.cue) for e in evidence[crit]):
                    evidence[crit].append(Evidence(crit, fm.group(0).strip(), self._context(text, fm.start(), fm.end()),
                                                   fm.start()))
        for h in self._structure.find(text, starts, planned):  # disruption by structure: before/now, no longer, adoption
            if not any(e.start <= h.start < e.start + len(e.cue) or h.start <= e.start < h.end for e in evidence["disruption"]):
                evidence["disruption"].append(Evidence("disruption", h.phrase, self._context(text, h.start, h.end), h.start))
        for m in self._burdens.find(text):  # 排放降为零, scrap losses fell: evidence for the criterion
            crit = cast(str, self._burdens.payload[m.form])
            if self._decreasing(text, m) and not any(e.start <= m.start < e.start + len(e.cue) for e in evidence[crit]):
                ev = Evidence(crit, text[m.start : m.end], self._context(text, m.start, m.end), m.start)
                evidence[crit].append(ev)
                if m.form in self._both:  # a user's lower bill is wealth and living standards (R8)
                    evidence["wealth" if crit == "living" else "living"].append(ev)
        for h in self._structure.measured_changes(text, planned):  # 亩产提高约5%, 60% more scans: wealth (R7)
            lo, hi = self._structure.clause(text, h.start, h.end)  # only where the clause has no wealth cue yet
            if not self._spending(text, h.start, h.end) and not any(lo <= e.start < hi for e in evidence["wealth"]):
                evidence["wealth"].append(Evidence("wealth", h.phrase, self._context(text, h.start, h.end), h.start))
        covered = {p for e in evidence["living"] for p in range(e.start, e.start + len(e.cue))}
        for w, s, e in tokens:  # people named by their ending (渔民, 住户, 操作员): living standards
            if s not in covered and self._is_people(w):
                ev = self._evidence("living", Match(s, e, w), text, tokens, tok_at)
                if not ev.negated:  # 没有一户赔本: people under a negator are neutral, not a failed criterion
                    evidence["living"].append(ev)
        for c in CRITERIA:
            evidence[c].sort(key=lambda e: e.start)
        signals = {k: tuple(Evidence(k, text[m.start:m.end], self._context(text, m.start, m.end), m.start)
                            for m in mat.find(text) if len(m.form) > 1 or starts.get(m.start) == m.end)
                   for k, mat in self._signal_matchers.items()}  # a one-character cue (要, 拟) must be a whole word
        signals["vague"] += tuple(Evidence("vague", tm.group(0), self._context(text, tm.start(), tm.end()), tm.start())
                                  for tm in _TARGET_YEAR.finditer(text))
        for kind in ("expansion", "conventional"):  # a planned expansion or merger is a plan (guide R10), not a change
            signals[kind] = tuple(e for e in signals[kind] if not planned(e.start))
        signals["aggregate"] = tuple(Evidence("aggregate", text[m.start:m.end], self._context(text, m.start, m.end), m.start)
                                     for m in self._aggregate.find(text))
        signals["figures"] = tuple(Evidence("figures", fm.group(0).strip(), self._context(text, fm.start(), fm.end()), fm.start())
                                   for fm in _FIGURE.finditer(text) if not self._is_year(fm))
        concrete, vague = self._sentences(text, signals, modal)

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
        verdict, rule, reasons = self._verdict(criteria, bool(sectors), n_tokens, signals, concrete, vague)
        margin = self._margin(rule, criteria, bool(sectors), signals, concrete, vague)
        if self.calibration is None:  # the fixed formula
            conf = 1 - 0.5 ** (margin + 1)
        else:  # a Platt fit passed in (qualify_calibration.py)
            conf = self.calibration.probability(verdict.value, margin)
        return Qualification(verdict, tuple(reasons), criteria, frontier, tuple(fields), tuple(sectors), tuple(types),
                             tuple(ignored), n_tokens, text, conf, rule, signals, concrete, vague, margin)

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

    def _spending(self, text: str, start: int, end: int) -> bool:
        """Whether the clause around ``text[start:end]`` is about money spent or raised (投资, invested ...), not earned."""
        lo = max((text.rfind(b, 0, start) for b in self._breaks), default=-1) + 1
        his = [i for i in (text.find(b, end) for b in self._breaks) if i >= 0]
        return bool(self._spend.find(text[lo : min(his, default=len(text))]))

    def _disclosure_clause(self, text: str, m: Match) -> bool:
        """Whether the cue's clause is about disclosure (未公布, *were published*): a negation there is missing information."""
        lo, hi = self._structure.clause(text, m.start, m.end)
        return bool(self._disclosure.find(text[lo:hi]))

    def _is_people(self, word: str) -> bool:
        """A Chinese word for people by its ending (rule 3a): 2-4 characters, a listed ending, not excluded."""
        return (2 <= len(word) <= 4 and word.endswith(self._people_suffixes) and word not in self._people_exclude
                and all("\u4e00" <= ch <= "\u9fff" for ch in word))

    def _decreasing(self, text: str, m: Match) -> bool:
        """Whether a decrease word is within 12 characters of a harm, in its clause (污染天数减少, less pollution)."""
        lo = max((text.rfind(b, 0, m.start) for b in self._breaks), default=-1) + 1
        his = [i for i in (text.find(b, m.end) for b in self._breaks) if i >= 0]
        hi = min(his, default=len(text))
        clause = text[max(lo, m.start - 12) : m.start] + " " + text[m.end : min(hi, m.end + 12)]  # the phrase itself excluded
        return bool(self._decrease.find(clause))

    @staticmethod
    def _is_year(fm: re.Match[str]) -> bool:
        num, unit = fm.group(1), fm.group(2)
        return bool(num and re.fullmatch(r"(19|20)\d\d", num) and unit in (None, "年"))

    @staticmethod
    def _context(text: str, start: int, end: int) -> str:
        return text[max(0, start - 12) : min(len(text), end + 12)]

    @staticmethod
    def _sentences(text: str, signals: Mapping[str, tuple[Evidence, ...]], modal: tuple[int, ...]) -> tuple[int, int]:
        """Concrete and vague sentence counts (see rule 4); facts after a modal word in its sentence are not counted."""
        ends = [m.end() for m in _SENTENCE_END.finditer(text)]
        n = len(ends) + 1
        facts, vague = [0] * n, [0] * n
        first_modal: dict[int, int] = {}
        for pos in modal:
            first_modal.setdefault(bisect.bisect_right(ends, pos), pos)
        for kind in ("facts", "figures", "conventional"):
            for e in signals[kind]:
                i = bisect.bisect_right(ends, e.start)
                if e.start < first_modal.get(i, len(text)):
                    facts[i] += 1
        for i in first_modal:
            vague[i] += 1
        for e in signals["vague"]:
            vague[bisect.bisect_right(ends, e.start)] += 1
        concrete = sum(1 for f, v in zip(facts, vague, strict=True) if f > v)
        return concrete, sum(1 for f, v in zip(facts, vague, strict=True) if v > 0 and f <= v)

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
        return Evidence(target, text[m.start : m.end], self._context(text, m.start, m.end), m.start, negator is not None, negator)

    @staticmethod
    def _score(name: str, spec: Mapping[str, Any], evidence: list[Evidence]) -> CriterionResult:
        affirmed = [e for e in evidence if not e.negated]
        negated = [e for e in evidence if e.negated]
        if any(e.negator == "harm" for e in negated):  # a stated harm outweighs any number of affirmed cues
            status, score = "negated", 0.0
        elif affirmed and len(affirmed) > len(negated):
            status, score = "met", 1 - 0.5 ** len({e.cue for e in affirmed})
        elif negated:
            status, score = "negated", 0.0
        else:
            status, score = "absent", 0.0
        return CriterionResult(name, str(spec.get("name_en", name)), str(spec.get("name_zh", name)), score, status, tuple(evidence))

    def _verdict(
        self, criteria: dict[str, CriterionResult], frontier: bool, n_tokens: int,
        signals: Mapping[str, tuple[Evidence, ...]], concrete: int, vague: int,
    ) -> tuple[Verdict, str, list[Reason]]:
        if n_tokens < self.min_tokens:
            return Verdict.INSUFFICIENT_EVIDENCE, "too_short", [Reason(
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
            return Verdict.DOES_NOT_QUALIFY, "negated", reasons
        if concrete == 0 and (vague > 0 or not criteria["disruption"].met):
            vague_cues = "', '".join(dict.fromkeys(e.cue for e in signals["vague"])) or "-"
            return Verdict.INSUFFICIENT_EVIDENCE, "vague", [Reason(
                f"no concrete change or result is described: only plans, intentions or slogans ('{vague_cues}')",
                f"未描述具体的变化或成果，只有规划、意向或口号（“{vague_cues}”）")]
        d = criteria["disruption"]
        if not d.met:
            conv = "', '".join(dict.fromkeys(e.cue for e in signals["conventional"]))
            if conv:
                return Verdict.DOES_NOT_QUALIFY, "conventional", [Reason(
                    f"a conventional change: no new production method, only '{conv}'",
                    f"属于常规变化：没有新的生产方式，只有“{conv}”")]
            grow = "', '".join(dict.fromkeys(e.cue for e in signals["expansion"]))
            if grow and not signals["aggregate"]:
                return Verdict.DOES_NOT_QUALIFY, "expansion", [Reason(
                    f"a conventional change: building or adding with no new production method described ('{grow}')",
                    f"属于常规变化：新建或增加，但未描述新的生产方式（“{grow}”）")]
            return Verdict.INSUFFICIENT_EVIDENCE, "no_change", [Reason(
                "a result, event or input is described, but neither a change to how things are produced nor a "
                "conventional change: the nature of the change is not stated",
                "描述了结果、活动或投入，但既没有生产方式的改变，也没有常规变化：变化的性质未说明")]
        missing = [c for c in criteria.values() if not c.met]
        n_conv = len({e.cue for e in signals["conventional"]})
        if missing and n_conv >= len({e.cue for e in d.evidence if not e.negated}):
            conv = "', '".join(dict.fromkeys(e.cue for e in signals["conventional"]))
            return Verdict.DOES_NOT_QUALIFY, "conventional", [Reason(
                f"a conventional change outweighs the claimed new method: '{conv}'; not shown: "
                + ", ".join(c.name_en for c in missing),
                f"常规变化（“{conv}”）多于新方法的证据；缺少：" + "、".join(c.name_zh for c in missing))]
        if not missing:
            reasons = [Reason("all three criteria met; scale and ownership were not considered",
                              "三项标准均满足；未考虑规模与所有制")]
            if not frontier:
                reasons.append(Reason("the field was not recognised by the taxonomy (the verdict follows the three criteria)",
                                      "词表未识别出所属领域（认定依据三项标准）"))
            return Verdict.QUALIFIES, "qualifies", reasons
        reasons = [Reason(f"no evidence for: {c.name_en}", f"缺少证据：{c.name_zh}") for c in missing]
        return Verdict.INSUFFICIENT_EVIDENCE, "missing_criteria", reasons

    @staticmethod
    def _margin(
        rule: str, criteria: dict[str, CriterionResult], frontier: bool,
        signals: Mapping[str, tuple[Evidence, ...]], concrete: int, vague: int,
    ) -> int:
        """The evidence margin ``m >= 0`` of the deciding rule:

        * qualifies: distinct cues of the weakest criterion - 1, + 1 for a frontier field, + 1 for
          two or more concrete sentences, - 1 per distinct conventional cue, - 1 per vague sentence;
        * negated / harm: negated cues + 1 if a conventional cue is present;
        * conventional: distinct conventional cues - 1, + 1 for a figure, - 1 per vague sentence;
        * expansion: likewise with the distinct expansion cues;
        * no_change: 0; missing_criteria: 0; too_short: 1;
        * vague: vague sentences + distinct vague cues // 3 - 1.
        """
        n_conv = len({e.cue for e in signals["conventional"]})
        if rule == "qualifies":
            m = (min(len({e.cue for e in c.evidence if not e.negated}) for c in criteria.values()) - 1
                 + int(frontier) + int(concrete >= 2) - n_conv - vague)
        elif rule == "negated":
            m = sum(1 for c in criteria.values() for e in c.evidence if e.negated) - 1 + int(n_conv > 0)
        elif rule == "conventional":
            m = n_conv - 1 + int(bool(signals["figures"])) - vague
        elif rule == "expansion":
            m = len({e.cue for e in signals["expansion"]}) - 1 + int(bool(signals["figures"])) - vague
        elif rule == "vague":
            m = vague + len({e.cue for e in signals["vague"]}) // 3 - 1
        elif rule == "too_short":
            m = 1
        else:
            m = 0
        return max(m, 0)


@functools.lru_cache(maxsize=1)
def default_qualifier() -> Qualifier:
    """The qualifier with the shipped taxonomy and cues (built once)."""
    return Qualifier()


def qualify(description: str | Mapping[str, Any]) -> Qualification:
    """Apply the seed's test with the default rules; see :class:`Qualifier`."""
    return default_qualifier().qualify(description)

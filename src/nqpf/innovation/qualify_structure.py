"""Disruption read from the structure of a description rather than from a list of method words.

The labelling guide's criterion D (``benchmarks/data/qualifier_labelling_guide.md``, section 1): a
process, input, route or tool replaced by another, a manual step automated, a new way of
organising production. Writers who never saw the cue lexicon describe such a change in their own
words (*now sow seed from drones*, 过去靠人工…现在, 改在工厂预制, *no longer walk the tanks*), so
besides the lexicon the qualifier reads four structures that say *how the work is done changed*:

1. **before**: the old way is named (过去, 以前, 原先, 以往, *used to, previously, formerly*), not a
   period of time (过去一年, *in the past year*);
2. **now**: the present way is set against it (现在, 如今, *now, nowadays*);
3. **no longer**: the old way has stopped (不再, 不用再, 再也不用, *no longer, any more*);
4. **adoption**: a completed adoption of a technique (用上, 接入, 引入, 部署, *uses, with, via, by*)
   governed by a technique noun (机器人, 平台, 无人机, 传感, 在线, *robot, drone, platform, sensor,
   online, AI, software*) in the same clause;
5. **conversion** (English): an input turned into a product (*turns corn stalks into pellets*);
   the Chinese forms (做成, 制成, 加工成) are in the lexicon.

A marker counts only outside a plan (after a modal word in its sentence it is an intention) and
only when its clause does not say the old way stayed (沿用, 仍, 照旧, 还是, *same, as before,
still*): 饲养方式沿用原来的模式 and *kept running their furnaces as before* are conventional, not
a change. Markers are cues in the ``structure`` section of ``taxonomy/qualifier_cues.yaml``.
Each found structure is returned as evidence (its phrase and position) for the disruption
criterion, so a verdict still lists the phrases it rests on.

Two more structural readings live here: a **measured change** (a figure in a clause with a change
word: 亩产提高约5%, 多产原煤约1000吨, *60% more scans*, *water use is down two thirds*) is evidence
of wealth, as the guide's ruling R7 reads productivity with a figure; and a **past** marker before
要 (过去要三四个小时, 以前要雇8个人) makes 要 *had to*, not *must*, so it is no modal word.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from nqpf.innovation.matching import Match, TermMatcher

KINDS = ("before", "now", "no_longer")
"""Single-marker structures; ``adoption`` pairs an adoption verb with a technique noun."""


_CHANGE_FIGURE = re.compile(
    r"\d[\d,]*(?:\.\d+)?\s*(?:%|个百分点|倍|成|percent|per cent|times|(?:万|亿|千)?(?:元|吨|公斤|斤|千瓦时|度|立方米|方|小时|分钟|天|人|个|件|台|单))"
    r"|[一二两三四五六七八九十几]+(?:成|倍|分钟|小时|天|个月|人)|一半|三分之[一二]|四分之[一三]|五分之[一二三四]"
    r"|\b(?:half|halved|a third|two thirds|a quarter|a fifth|twice|double[ds]?|tripled|[a-z]+fold|"
    r"(?:two|three|four|five|six|seven|eight|nine|ten|a few|\d+(?:\.\d+)?)\s*(?:%|percent|per cent|times|hours?|minutes?|"
    r"days?|weeks?|months?|tonnes?|yuan|workers|people))"
)
"""A figure that can measure a change: a share, a multiple, an amount, a duration."""
_CONVERSION_EN = re.compile(r"\b(?:turns?|turned|turning|converts?|converted|converting|processes|processed|made)\b"
                            r"[^.;:]{1,60}?\binto\b")
"""An input turned into a product (*turns corn stalks into pellets*): a new input or route."""
_PERIOD_AFTER = re.compile(r"\s*(?:[一二两三四五六七八九十几数\d]+\s*)?(?:个)?(?:年|月|周|天|季度)"
                          r"|\s+(?:(?:few|two|three|four|five|ten|\d+)\s+)?(?:year|years|decade|decades|months?|weeks?)\b")
"""A time period after a *before* marker (过去一年, 过去五年, *in the past year*): a date, not the old way."""


@dataclass(frozen=True)
class StructureHit:
    """One structure found: its kind, the phrase (as in the text) and its position."""

    kind: str
    phrase: str
    start: int
    end: int


def _forms(spec: Mapping[str, Any] | None) -> list[str]:
    spec = spec or {}
    return [str(f) for f in (*spec.get("zh", []), *spec.get("en", []))]


class StructureReader:
    """Find the four disruption structures in a normalised text (see the module docstring)."""

    def __init__(self, spec: Mapping[str, Any], breaks: set[str]) -> None:
        self._markers = {k: TermMatcher(_forms(spec.get(k))) for k in KINDS}
        self._same = TermMatcher(_forms(spec.get("same")))
        self._adopt = TermMatcher(_forms(spec.get("adopt")))
        self._technique = TermMatcher(_forms(spec.get("technique")))
        self._change = TermMatcher(_forms(spec.get("change")))
        self._breaks = breaks

    def clause(self, text: str, start: int, end: int) -> tuple[int, int]:
        """Bounds ``(lo, hi)`` of the clause around ``text[start:end]`` (between clause breaks)."""
        lo = max((text.rfind(b, 0, start) for b in self._breaks), default=-1) + 1
        his = [i for i in (text.find(b, end) for b in self._breaks) if i >= 0]
        return lo, min(his, default=len(text))

    def _stays(self, text: str, m: Match) -> bool:
        """Whether the marker's clause says the old way stayed (沿用, 仍, *same, as before*)."""
        lo, hi = self.clause(text, m.start, m.end)
        return bool(self._same.find(text[lo:hi]))

    def find(self, text: str, token_ends: Mapping[int, int], planned: Callable[[int], bool]) -> list[StructureHit]:
        """Structures in ``text``: ``token_ends`` maps jieba token starts to ends (a Chinese marker
        must start and end on token boundaries, so 以前 in 前所未有 does not count);
        ``planned(pos)`` says whether a position is inside a plan."""
        ends = set(token_ends.values())

        def whole(m: Match) -> bool:
            return m.start in token_ends and m.end in ends

        hits: list[StructureHit] = []
        for kind, mat in self._markers.items():
            for m in mat.find(text):
                if kind == "before" and _PERIOD_AFTER.match(text, m.end):
                    continue  # 过去一年, in the past year: a period of time
                if whole(m) and not planned(m.start) and not self._stays(text, m):
                    hits.append(StructureHit(kind, text[m.start : m.end], m.start, m.end))
        techniques = [m for m in self._technique.find(text) if not planned(m.start)]
        for a in self._adopt.find(text):
            if not whole(a) or planned(a.start) or self._stays(text, a):
                continue
            _, hi = self.clause(text, a.start, a.end)
            t = next((t for t in techniques if a.end <= t.start < hi), None)
            if t is not None:
                hits.append(StructureHit("adoption", text[a.start : t.end], a.start, t.end))
        for cm in _CONVERSION_EN.finditer(text):
            if not planned(cm.start()):
                hits.append(StructureHit("conversion", cm.group(0), cm.start(), cm.end()))
        return sorted(hits, key=lambda h: h.start)

    def past_before(self, text: str, pos: int) -> bool:
        """Whether a *before* marker precedes ``pos`` in its clause (过去要…: 要 means *had to* there)."""
        lo, _ = self.clause(text, pos, pos)
        return bool(self._markers["before"].find(text[lo:pos]))

    def measured_changes(self, text: str, planned: Callable[[int], bool]) -> list[StructureHit]:
        """Figures in a clause with a change word (提高, 缩短, 多产, *more, down, cut*): a measured change (R7)."""
        hits: list[StructureHit] = []
        for fm in _CHANGE_FIGURE.finditer(text):
            if planned(fm.start()):
                continue
            lo, hi = self.clause(text, fm.start(), fm.end())
            if self._change.find(text[lo:hi]):
                hits.append(StructureHit("measured_change", fm.group(0).strip(), fm.start(), fm.end()))
        return hits

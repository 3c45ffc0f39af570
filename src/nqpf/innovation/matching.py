"""Text normalisation and exact multi-pattern counting with Aho-Corasick (pyahocorasick).

Counting rule (the one every count in nqpf.innovation follows):

1. **Normalise** the text: full-width ASCII forms (U+FF01–U+FF5E: ``ＡＩ``, ``５Ｇ``, ``＋``)
   folded to ASCII by NFKC (full-width comma, colon and semicolon are kept), lower case,
   zero-width characters removed, whitespace runs collapsed to one space, and spaces next to a
   CJK character or CJK punctuation removed (so ``"政府工作报\\n告"`` reads ``"政府工作报告"``).
2. **Match leftmost-longest, non-overlapping**: scanning left to right, at each position the
   longest form that starts there is taken and the scan resumes after it. ``生成式人工智能``
   counts once (for its own sector), not also as ``人工智能``.
3. Forms that begin (end) with an ASCII letter or digit must not be preceded (followed) by one:
   ``ai`` does not match inside ``said``. A form written with a trailing ``*`` is a prefix
   (``automat*`` matches ``automation``; the match then extends to the end of the word).

:func:`naive_count` applies the same rule with plain string scanning; tests check the matcher
against it. Text arrives as *pieces* (lines, segments, HTML text nodes) and is matched as a
stream (:meth:`TermMatcher.scan`), so a document is never held in memory as a whole.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

import ahocorasick

_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_FOLD = re.compile("[\uff01-\uff0b\uff0d-\uff19\uff1c-\uff5e]+")
"""Full-width ASCII forms folded to ASCII (NFKC), except full-width comma, colon, semicolon
(U+FF0C, U+FF1A, U+FF1B), which are frequent in Chinese text and never part of a term."""
_WS = re.compile(r"\s+")
_CJK = "\u2e80-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f"
_CJK_SPACE = re.compile(rf"(?<=[{_CJK}]) | (?=[{_CJK}])")
_CJK_CHAR = re.compile(rf"[{_CJK}]")


def _is_word(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _fold(m: re.Match[str]) -> str:
    return unicodedata.normalize("NFKC", m.group(0))


def normalize(text: str) -> str:
    """The normalised form every match and character count is taken on (see module doc)."""
    t = _FOLD.sub(_fold, text).lower()
    t = _ZERO_WIDTH.sub("", t)
    t = _WS.sub(" ", t)
    t = _CJK_SPACE.sub("", t)
    return t.strip()


def normalize_pieces(pieces: Iterable[str], batch: int = 1 << 16) -> Iterator[str]:
    """Normalise a stream of text pieces; ``"".join`` of the output equals
    ``normalize("\\n".join(pieces))`` (pieces are joined by whitespace).

    Pieces are normalised in batches of about ``batch`` characters (fewer, larger calls).
    """
    last = ""
    buf: list[str] = []
    size = 0
    for raw in pieces:
        buf.append(raw)
        size += len(raw)
        if size < batch:
            continue
        piece = normalize("\n".join(buf))
        buf.clear()
        size = 0
        if piece:
            if last and not (_CJK_CHAR.match(last) or _CJK_CHAR.match(piece[0])):
                piece = " " + piece
            last = piece[-1]
            yield piece
    piece = normalize("\n".join(buf))
    if piece:
        if last and not (_CJK_CHAR.match(last) or _CJK_CHAR.match(piece[0])):
            piece = " " + piece
        yield piece


def count_chars(text: str) -> int:
    """Characters counted for the per-10,000 denominator: non-space characters of normalised text."""
    return len(text) - text.count(" ")


@dataclass(frozen=True)
class Match:
    """One selected match: ``text[start:end]`` is ``form`` (or a word starting with a prefix form)."""

    start: int
    end: int
    form: str


class TermMatcher:
    """Aho-Corasick automaton over normalised forms, with leftmost-longest selection.

    ``forms`` maps each form (as written; it is normalised here) to a payload returned with
    counts, e.g. the sectors it counts for.
    """

    def __init__(self, forms: Mapping[str, object] | Iterable[str]) -> None:
        items = forms.items() if isinstance(forms, Mapping) else ((f, f) for f in forms)
        self.payload: dict[str, object] = {}
        self._prefix: set[str] = set()
        self._auto = ahocorasick.Automaton()
        for raw, value in items:
            prefix = raw.endswith("*")
            form = normalize(raw.rstrip("*"))
            if not form:
                continue
            if prefix:
                self._prefix.add(form)
            self.payload[form] = value
            self._auto.add_word(form, form)
        self.max_len = max((len(f) for f in self.payload), default=1)
        if self.payload:
            self._auto.make_automaton()

    def __len__(self) -> int:
        return len(self.payload)

    def _candidates(self, text: str, final: bool) -> list[tuple[int, int, str]]:
        """All boundary-valid matches ``(start, end, form)``, sorted leftmost-longest first."""
        out: list[tuple[int, int, str]] = []
        n = len(text)
        for end_idx, form in self._auto.iter(text):
            end = end_idx + 1
            start = end - len(form)
            if _is_word(form[0]) and start > 0 and _is_word(text[start - 1]):
                continue
            if form in self._prefix:
                while end < n and _is_word(text[end]):
                    end += 1
                if end == n and not final:
                    end = n + 1  # may continue in the next piece: defer
            elif _is_word(form[-1]) and end < n and _is_word(text[end]):
                continue
            out.append((start, end, form))
        out.sort(key=lambda m: (m[0], m[0] - m[1]))
        return out

    def find(self, text: str) -> list[Match]:
        """Leftmost-longest non-overlapping matches in already normalised ``text``."""
        out: list[Match] = []
        pos = 0
        for start, end, form in self._candidates(text, final=True):
            if start >= pos:
                out.append(Match(start, end, form))
                pos = end
        return out

    def count(self, text: str) -> Counter[str]:
        """Occurrences per form in already normalised ``text``."""
        return Counter(m.form for m in self.find(text)) if self.payload else Counter()

    def scan(self, pieces: Iterable[str], block: int = 1 << 18) -> StreamCount:
        """Count over a stream of **normalised** pieces (see :func:`normalize_pieces`).

        Text is buffered in blocks; matches that start within ``max_len`` of the end of a block
        are deferred to the next one, so results equal :meth:`count` on the joined text.
        """
        counts: Counter[str] = Counter()
        chars = 0
        buf = ""
        base = 0  # buf[:base] is context only (one char before the first unsettled position)
        for piece in pieces:
            chars += count_chars(piece)
            buf += piece
            if len(buf) - base >= block:
                buf, base = self._settle(buf, base, counts, final=False)
        if self.payload and len(buf) > base:
            self._settle(buf, base, counts, final=True)
        return StreamCount(counts, chars)

    def _settle(self, buf: str, base: int, counts: Counter[str], final: bool) -> tuple[str, int]:
        cutoff = len(buf) if final else len(buf) - self.max_len
        pos = base
        keep = -1
        for start, end, form in self._candidates(buf, final):
            if start < pos:
                continue
            if start >= cutoff or end > len(buf):
                keep = min(start, max(pos, cutoff))
                break
            counts[form] += 1
            pos = end
        if keep < 0:
            keep = max(pos, cutoff)
        if keep == 0:
            return buf, 0
        return buf[keep - 1 :], 1


@dataclass(frozen=True)
class StreamCount:
    """Counts per form and the character count of one streamed text."""

    counts: Counter[str]
    chars: int


def naive_count(text: str, forms: Iterable[str]) -> Counter[str]:
    """Reference count by plain scanning (slow): same normalisation and leftmost-longest rule.

    Used by tests and benchmarks as the direct count the matcher is checked against.
    """
    text = normalize(text)
    fs = sorted({normalize(f) for f in forms if normalize(f)}, key=len, reverse=True)
    out: Counter[str] = Counter()
    i = 0
    n = len(text)
    while i < n:
        for f in fs:
            if text.startswith(f, i):
                end = i + len(f)
                if _is_word(f[0]) and i > 0 and _is_word(text[i - 1]):
                    continue
                if _is_word(f[-1]) and end < n and _is_word(text[end]):
                    continue
                out[f] += 1
                i = end
                break
        else:
            i += 1
    return out

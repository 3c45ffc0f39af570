"""Exact counting: normalisation, leftmost-longest rule, word boundaries, streaming = whole text."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import pytest

from nqpf.innovation.exposure import form_sectors
from nqpf.innovation.matching import TermMatcher, naive_count, normalize, normalize_pieces
from nqpf.innovation.taxonomy import Taxonomy

SMALL = ("我们发展生成式人工智能和人工智能，推进人工智能+行动；AI技术与5G、５Ｇ融合。"
         "The said Artificial  Intelligence and generative AI plan, 6G and 5G-A.")


@pytest.fixture(scope="module")
def tax() -> Taxonomy:
    return Taxonomy.default()


@pytest.fixture(scope="module")
def matcher(tax: Taxonomy) -> TermMatcher:
    return TermMatcher(tax.forms())


def test_normalize() -> None:
    assert normalize("政府工作报\n告") == "政府工作报告"
    assert normalize("发展５Ｇ和ＡＩ\u200b技术") == "发展5g和ai技术"
    assert normalize("Artificial \n Intelligence") == "artificial intelligence"
    assert normalize("人工智能＋，数据") == "人工智能+，数据"  # full-width comma kept


def test_hand_count_on_a_small_document(matcher: TermMatcher, tax: Taxonomy) -> None:
    counts = matcher.count(normalize(SMALL))
    # counted by hand: 生成式人工智能 is one match (not also 人工智能); "said" does not contain "ai"
    assert counts == Counter({"5g": 3, "生成式人工智能": 1, "人工智能": 1, "人工智能+": 1, "ai技术": 1,
                              "artificial intelligence": 1, "generative ai": 1, "6g": 1})
    fs = form_sectors(tax)
    by_sector: Counter[str] = Counter()
    for f, n in counts.items():
        for s in fs[f]:
            by_sector[s] += n
    assert by_sector["sei_it"] == 6 and by_sector["fi_gen_ai"] == 3 and by_sector["dt_ai"] == 2 and by_sector["fi_6g"] == 1


def test_matcher_equals_naive_count(matcher: TermMatcher, tax: Taxonomy) -> None:
    assert matcher.count(normalize(SMALL)) == naive_count(SMALL, tax.forms())


def test_direct_count_on_real_policy_document(data_dir: Path, matcher: TermMatcher, tax: Taxonomy) -> None:
    path = next((data_dir / "text" / "policy_digital_pkulaw").glob("北京市*.txt"))
    text = path.read_text(encoding="utf-8")
    counts = matcher.count(normalize(text))
    assert counts == naive_count(text, tax.forms())
    flat = normalize(text)
    # forms that no longer form contains: the match count is the plain substring count
    for form in ("数据专区", "数字政府", "数据要素"):
        assert counts[form] == flat.count(form) > 0


def test_boundaries_and_prefix_forms() -> None:
    m = TermMatcher(["ai", "automat*", "5g"])
    assert [x.form for x in m.find(normalize("said AI automation automated 5G5G"))] == ["ai", "automat", "automat"]
    assert m.find("automation")[0].end == len("automation")


@pytest.mark.parametrize("block", [7, 64, 1000])
def test_streaming_equals_whole_text(matcher: TermMatcher, data_dir: Path, block: int) -> None:
    line = (data_dir / "text" / "gwr_national_wikisource" / "government_work_reports.jsonl").open(encoding="utf-8").readline()
    text = json.loads(line)["content"][:6000]
    rng = random.Random(block)
    cuts = sorted(rng.sample(range(1, len(text)), 40))
    pieces = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
    joined = "\n".join(pieces)
    assert "".join(normalize_pieces(pieces, batch=50)) == normalize(joined)
    sc = matcher.scan(normalize_pieces(pieces, batch=50), block=block)
    assert sc.counts == matcher.count(normalize(joined))
    assert sum(sc.counts.values()) > 10

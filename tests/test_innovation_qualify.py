"""The qualifier on the project's own test descriptions (Chinese and English), with evidence."""

from __future__ import annotations

import pytest

from nqpf.innovation.qualify import Qualifier, Verdict, qualify

ZH_QUALIFIES = ("一家民营企业研发基于人工智能的视觉质检系统，取代传统人工目检，生产效率提升40%、降低成本，"
                "让患者用上更安全、更实惠的药品。")
EN_QUALIFIES = ("A small private startup uses generative AI and digital twins to automate steel production, "
                "cutting costs and raising productivity, while reducing pollution for residents nearby.")
ZH_NEGATED = "该项目引入大数据平台，但并未改变传统生产方式，也没有降低成本，无法改善民生。"
EN_NEGATED = ("The project deploys quantum sensors in hospitals; it does not reduce costs and fails to improve "
              "the quality of life of patients.")
ZH_NO_DISRUPTION = ("公司扩大了传统燃煤锅炉的产能，增加了营业收入和利润，新建厂房两座，员工人数增加，年产值达到十亿元，"
                    "并计划继续扩大规模，进一步巩固市场份额，提高市场占有率和品牌影响力，保持行业地位，实现稳健经营和持续发展，为股东创造回报。")
ZH_MISSING_LIVING = "利用新材料石墨烯开发柔性生产线，实现数字化转型，提高效率，增加收入。"
EN_NO_FIELD = ("The workshop reorganised its shifts and automated packaging, cutting costs and improving the "
               "safety of workers on the line.")


@pytest.mark.parametrize(
    ("text", "verdict"),
    [
        (ZH_QUALIFIES, Verdict.QUALIFIES),
        (EN_QUALIFIES, Verdict.QUALIFIES),
        (ZH_NEGATED, Verdict.DOES_NOT_QUALIFY),
        (EN_NEGATED, Verdict.DOES_NOT_QUALIFY),
        (ZH_NO_DISRUPTION, Verdict.DOES_NOT_QUALIFY),
        (ZH_MISSING_LIVING, Verdict.INSUFFICIENT_EVIDENCE),
        (EN_NO_FIELD, Verdict.QUALIFIES),
        ("人工智能项目。", Verdict.INSUFFICIENT_EVIDENCE),
    ],
)
def test_verdicts(text: str, verdict: Verdict) -> None:
    assert qualify(text).verdict is verdict


def test_evidence_of_a_qualifying_description() -> None:
    q = qualify(ZH_QUALIFIES)
    cues = {k: [e.cue for e in c.evidence] for k, c in q.criteria.items()}
    assert cues == {"disruption": ["取代"], "wealth": ["生产效率", "降低成本"], "living": ["患者", "安全", "更实惠"]}
    assert q.scores == {"disruption": 0.5, "wealth": 0.75, "living": 0.875, "frontier": 0.5, "concreteness": 0.5, "vagueness": 0.0}
    assert q.sectors == ("sei_it", "de_technology", "dt_ai")
    assert [r.en for r in q.reasons] == ["all three criteria met; scale and ownership were not considered"]
    table = q.evidence_table()
    assert set(table["target"]) == {"disruption", "wealth", "living", "sei_it,de_technology,dt_ai", "facts", "figures"}
    en = qualify(EN_QUALIFIES)
    # a technique adopted (uses ... AI) is read from structure, beside the lexicon's cues
    assert [e.cue for e in en.criteria["disruption"].evidence] == ["uses generative ai", "digital twins", "automate"]
    assert en.sectors == ("fi_gen_ai",)


def test_negation_names_the_negator() -> None:
    q = qualify(ZH_NEGATED)
    assert {k: c.status for k, c in q.criteria.items()} == {"disruption": "negated", "wealth": "negated", "living": "negated"}
    assert [(e.cue, e.negator) for e in q.criteria["wealth"].evidence] == [("降低成本", "没有")]
    assert "没有" in q.reasons[1].zh and "降低成本" in q.reasons[1].en
    en = qualify(EN_NEGATED)
    assert [(e.cue, e.negator) for e in en.criteria["wealth"].evidence] == [("reduce costs", "not")]
    assert en.criteria["living"].status == "negated"


def test_words_that_only_look_negative_do_not_negate() -> None:
    q = qualify("工厂不断提高效率，不仅降低成本，还用无人化产线替代人工，依托工业互联网让居民生活质量提高。")
    assert all(not e.negated for c in q.criteria.values() for e in c.evidence)
    assert q.verdict is Verdict.QUALIFIES


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (ZH_QUALIFIES, ZH_QUALIFIES.replace("一家民营企业", "一家大型国有企业")),
        (ZH_QUALIFIES, ZH_QUALIFIES.replace("一家民营企业", "一家小微外资企业")),
        (EN_QUALIFIES, EN_QUALIFIES.replace("A small private startup", "A large state-owned multinational")),
        ("一家企业的" + ZH_NEGATED, "一家中小民营企业的" + ZH_NEGATED),
    ],
)
def test_scale_and_ownership_do_not_matter(a: str, b: str) -> None:
    qa, qb = qualify(a), qualify(b)
    assert qa.verdict is qb.verdict
    assert qa.scores == qb.scores
    assert qa.n_tokens == qb.n_tokens
    assert qb.ignored  # the words were seen and set aside


def test_large_language_model_is_a_field_not_a_scale_word() -> None:
    q = qualify("A large language model replaces manual drafting, cuts costs and improves the quality of life of patients.")
    assert "fi_gen_ai" in q.sectors and "large" not in q.ignored


def test_structured_fields_drop_ownership_and_size() -> None:
    fields = {
        "name": "智能质检",
        "field": "人工智能",
        "production": "用机器视觉取代传统人工目检",
        "wealth": "降低成本，提高效率",
        "living": "让患者用上更安全、更实惠的药品",
        "ownership": "国有",
        "size": "large",
    }
    q = qualify(fields)
    assert q.verdict is Verdict.QUALIFIES
    assert q.ignored == ("ownership: 国有", "size: large")
    q2 = qualify({**fields, "ownership": "民营", "size": "micro"})
    assert q2.scores == q.scores


def test_thresholds_are_parameters() -> None:
    strict = Qualifier(min_tokens=100)
    assert strict.qualify(ZH_QUALIFIES).verdict is Verdict.INSUFFICIENT_EVIDENCE


def test_not_only_is_not_a_negation() -> None:
    q = qualify("The robot line not only reduces costs but also automates welding and improves the safety of "
                "workers, using artificial intelligence.")
    assert [(e.cue, e.negated) for e in q.criteria["wealth"].evidence] == [("reduces costs", False)]
    assert q.verdict is Verdict.QUALIFIES


@pytest.mark.parametrize(
    ("text", "cue"),
    [
        ("该工厂利用大数据实现自动化焊接，降低成本，但造成严重污染。", "造成严重污染"),
        ("The plant causes pollution while using big data to automate welding and cut costs.", "causes pollution"),
    ],
)
def test_stated_harm_contradicts_a_criterion(text: str, cue: str) -> None:
    q = qualify(text)
    assert q.verdict is Verdict.DOES_NOT_QUALIFY
    living = q.criteria["living"]
    assert living.status == "negated" and [(e.cue, e.negator) for e in living.evidence] == [(cue, "harm")]
    assert q.reasons[0].en == f"criterion contradicted: Improves living standards ('{cue}')"


def test_negated_harm_is_neutral() -> None:
    q = qualify("该工厂利用大数据实现自动化焊接，降低成本，没有造成污染，方便居民出行。")
    assert q.verdict is Verdict.QUALIFIES
    assert [e.cue for e in q.criteria["living"].evidence] == ["居民", "出行"]
    en = qualify("The line no longer relies on manual welding: industrial robots cut costs and improve worker safety.")
    assert [(e.cue, e.negated) for e in en.criteria["disruption"].evidence] == [("no longer relies on manual", False)]
    assert en.verdict is Verdict.QUALIFIES
    zh = qualify("该产线不再依赖人工焊接，工业机器人降低成本，提升工人安全性。")
    assert [(e.cue, e.negated) for e in zh.criteria["disruption"].evidence] == [("不再依赖人工", False)]

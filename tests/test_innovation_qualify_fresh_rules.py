"""The rules added after the independent labeller's guide (benchmarks/data/qualifier_labelling_guide.md), each on a
hand-made sentence in both languages, with the phrases asserted. None of these sentences is from the fresh sets."""

from __future__ import annotations

import pytest

from nqpf.innovation.qualify import Verdict, qualify


def _cues(text: str, criterion: str) -> list[str]:
    return [e.cue for e in qualify(text).criteria[criterion].evidence if not e.negated]


def test_people_named_by_their_ending_are_living_standards() -> None:
    q = qualify("合作社改用烘干塔替代晾晒，每吨粮食损耗下降3%，渔民和住户受益，操作员不再搬运。")
    assert [e.cue for e in q.criteria["living"].evidence] == ["渔民", "住户", "操作员", "不再"]
    # excluded endings: an investor, an account, a rival are not the people whose lives improve
    assert _cues("投资者开立账户，竞争对手退出。", "living") == []


@pytest.mark.parametrize(
    ("text", "living"),
    [("井下改由远程操控，全年未发生伤亡事故，采矿成本下降。", ["事故"]),
     ("Mining is now remote-operated, there were no accidents this year and costs fell.", ["accidents"])],
)
def test_a_negated_harm_noun_is_for_living_standards(text: str, living: list[str]) -> None:
    q = qualify(text)
    assert _cues(text, "living") == living and q.criteria["living"].status == "met"
    assert q.verdict is Verdict.QUALIFIES


@pytest.mark.parametrize(
    ("text", "both"),
    [("机插秧替代人工抛秧，农户亩均增收300元。", "亩均增收"), ("Machine transplanting replaced hand work and farmers' incomes rose.", "incomes")],
)
def test_money_people_gain_is_wealth_and_living(text: str, both: str) -> None:
    assert both in _cues(text, "wealth") and both in _cues(text, "living")


def test_money_is_wealth_unless_spent_and_measured_changes_are_wealth() -> None:
    assert "6000万元" in _cues("改为模型自动设定参数，一年省下6000万元。", "wealth")
    assert _cues("公司投资6000万元建设新厂房。", "wealth") == []  # money spent is not wealth created
    assert _cues("The firm invested 60 million yuan in a plant.", "wealth") == []
    assert "60 million yuan" in _cues("Power use fell, worth some 60 million yuan a year.", "wealth")
    assert _cues("单程从120分钟缩短到15分钟。", "wealth") == ["从120分钟缩短到15", "缩短"]
    assert _cues("Detection went from 70% to 95%.", "wealth") == ["from 70% to 95%"]
    assert _cues("新增涉农贷款超过千亿元。", "wealth") == ["千亿元"]


@pytest.mark.parametrize(
    ("text", "cue"),
    [("全市垃圾不再进填埋场，而是焚烧发电，售电收入4亿元，周边居民的臭味投诉消失。", "不再进填埋场，而是"),
     ("The plant converted its kilns from coal to electric heating, cut fuel costs by 18% and residents breathe cleaner air.",
      "converted its kilns from coal to"),
     ("The line now runs on a model's prediction rather than on readings, cutting costs for patients.", "rather than")],
)
def test_switch_patterns_are_disruption(text: str, cue: str) -> None:
    q = qualify(text)
    assert cue in _cues(text, "disruption")
    assert q.verdict is Verdict.QUALIFIES


@pytest.mark.parametrize(
    ("text", "phrases"),
    [("景区新建停车场3处，日接待能力提升到5万人次。", ["新建"]),
     ("The courier doubled its fleet of diesel vans in the province, from 800 to 1,600.", ["doubled"]),
     ("商场在各楼层安装了600个人工智能摄像头，其他一切照旧。", ["安装"])],
)
def test_building_or_adding_without_a_new_method_is_conventional(text: str, phrases: list[str]) -> None:
    q = qualify(text)
    assert q.verdict is Verdict.DOES_NOT_QUALIFY and q.rule == "expansion"
    assert [e.cue for e in q.signals["expansion"]] == phrases
    assert all(p in q.reasons[0].en and p in q.reasons[0].zh for p in phrases)


@pytest.mark.parametrize(
    "text",
    ["成功举办发展大会，现场签约项目132个，总金额865亿元。",
     "The city signed cooperation agreements with 15 companies worth 42 billion yuan.",
     "Core digital-economy industries grew 12% and now account for 10.5% of the province's GDP.",
     "公司全年研发投入增长42%，达到2233万元，创历史新高。",
     "The sodium-ion line is in pilot production and its cost per cell is 20% lower."],
)
def test_events_inputs_statistics_and_pilots_are_insufficient(text: str) -> None:
    q = qualify(text)
    assert q.verdict is Verdict.INSUFFICIENT_EVIDENCE, (q.rule, q.reasons)
    assert q.rule in ("no_change", "vague", "missing_criteria")


@pytest.mark.parametrize(
    "text",
    ["工厂引入机器人替代人工焊接，成本下降20%，随后裁员300人。",
     "The plant automated welding and cut costs by 20%, and 300 workers were laid off."],
)
def test_layoffs_are_a_harm(text: str) -> None:
    q = qualify(text)
    assert q.verdict is Verdict.DOES_NOT_QUALIFY and q.rule == "negated"
    assert q.criteria["living"].status == "negated"

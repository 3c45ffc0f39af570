"""Disruption read from structure (before/now, no longer, technique adoption), measured changes as wealth and the
other rules added for writers 2 and 3, each on hand-made sentences in both languages with the phrases asserted.
None of these sentences is from an evaluation set."""

from __future__ import annotations

import pytest

from nqpf.innovation.qualify import Verdict, default_qualifier, qualify


def _cues(text: str, criterion: str) -> list[str]:
    return [e.cue for e in qualify(text).criteria[criterion].evidence if not e.negated]


@pytest.mark.parametrize(
    ("text", "phrases"),
    [  # the old way named and the present way set against it, in words no lexicon lists
        ("果园过去靠人背肩扛运果，现在山坡上架起单轨运输车，每亩省工三成，果农收入增加5000元。", ["过去", "现在"]),
        ("Apple growers used to carry crates down the slope on their backs; now a monorail hauls them, "
         "picking costs fell by a third and the growers' incomes rose.", ["used to", "now"]),
        # the old way stopped
        ("仓库不再靠人工抄写单据，每单成本降低30%，职工不用再加夜班。", ["不再", "不用再"]),
        ("The depot no longer keeps paper dockets; each order costs 30% less to handle and clerks no longer work nights.",
         ["no longer"]),
    ],
)
def test_before_now_and_no_longer_are_disruption(text: str, phrases: list[str]) -> None:
    q = qualify(text)
    assert list(dict.fromkeys(c for c in _cues(text, "disruption") if c in phrases)) == phrases
    assert q.verdict is Verdict.QUALIFIES, (q.rule, q.reasons)
    assert all(p in q.phrases for p in phrases)


@pytest.mark.parametrize(
    ("text", "phrase"),
    [("养殖场用上了投喂机器人，饲料浪费减少两成，饲养员每天少干三个小时。", "用上了投喂机器人"),
     ("The dairy milks its cows with robots, milk yield per cow is up 8% and herders have their nights free again.",
      "with robots")],
)
def test_a_technique_adopted_in_a_clause_is_disruption(text: str, phrase: str) -> None:
    assert phrase in _cues(text, "disruption")
    assert qualify(text).verdict is Verdict.QUALIFIES


@pytest.mark.parametrize(
    ("text", "stays"),
    [("牧场扩大存栏，挤奶方式还是沿用原来的办法，过去怎么养现在还怎么养，日产鲜奶增加20吨。", "沿用原来"),
     ("The mill kept its looms as before and now runs a third shift; output rose 20%.", "as before")],
)
def test_a_marker_in_a_clause_that_says_the_old_way_stayed_is_no_change(text: str, stays: str) -> None:
    q = qualify(text)
    assert q.verdict is Verdict.DOES_NOT_QUALIFY, (q.rule, q.reasons)
    assert stays in [e.cue for e in q.signals["conventional"]]


@pytest.mark.parametrize(
    ("text", "phrase"),
    [("The sawmill now turns its offcuts into wood pellets for village stoves; its pellet sales bring in 2 million yuan a year and "
      "families no longer burn coal.", "turns its offcuts into"),
     ("糖厂把甘蔗渣做成可降解餐盒，每吨多卖300元，周边农民不再焚烧蔗渣。", "做成"),
     ("The quarry stopped dumping spoil in the river and crushes it for road base, saving 2 million yuan; "
      "fishermen downstream have clear water again.", "stopped")],
)
def test_conversion_and_a_stopped_practice_are_disruption(text: str, phrase: str) -> None:
    assert phrase in _cues(text, "disruption")
    assert qualify(text).verdict is Verdict.QUALIFIES


@pytest.mark.parametrize(
    "text", ["过去一年，全省新建5G基站2万个，居民收入增长5%。", "过去五年，工业增加值年均增长7%。",
             "In the past year the city opened 20 new clinics and residents' incomes rose 5%."])
def test_a_period_of_time_is_not_the_old_way(text: str) -> None:
    assert _cues(text, "disruption") == []
    assert qualify(text).verdict is not Verdict.QUALIFIES


def test_a_chinese_marker_must_be_a_whole_word() -> None:
    # 以前 inside 前所未有 is no "before"
    hits = default_qualifier()._structure.find("产量达到前所未有的水平", {0: 2, 2: 4, 4: 6, 6: 7, 7: 9, 9: 11}, lambda _: False)
    assert hits == []


@pytest.mark.parametrize(
    ("text", "figure"),
    [("改用烘干塔后，每批烘干时间少了一半。", "一半"), ("改用滴灌后，亩产提高约5%。", "5%"),
     ("After the switch the same team handles 60% more scans.", "60%"),
     ("Since the change each officer serves three times as many clients.", "three times")],
)
def test_a_measured_change_is_wealth(text: str, figure: str) -> None:
    assert figure in _cues(text, "wealth")


def test_a_measured_change_is_not_wealth_in_a_plan_or_when_money_is_spent() -> None:
    assert "30%" not in _cues("工厂计划明年把日处理能力提高30%。", "wealth")
    assert _cues("The county invested 30% more in new roads.", "wealth") == []


@pytest.mark.parametrize(
    "text",
    ["去年全省新增光伏装机300万千瓦，海上风电项目建成投运。",
     "The province's output of electric buses doubled last year and exports passed 5 billion yuan."],
)
def test_building_stated_for_a_whole_region_is_an_aggregate_statistic(text: str) -> None:
    q = qualify(text)
    assert q.verdict is Verdict.INSUFFICIENT_EVIDENCE and q.rule == "no_change", (q.rule, q.reasons)
    assert q.signals["aggregate"]


@pytest.mark.parametrize(
    "text",
    ["集团拟通过并购同行扩大产能，预计明年完成。",
     "The group plans to acquire two rival mills next year to expand capacity."],
)
def test_a_planned_conventional_change_is_a_plan(text: str) -> None:
    q = qualify(text)
    assert q.verdict is Verdict.INSUFFICIENT_EVIDENCE and q.signals["conventional"] == ()


@pytest.mark.parametrize(
    ("text", "same"),
    [("航空公司新引进10架同型号客机，旅客运输量增长15%。", "同型号"),
     ("The airline added ten jets of the same model and carried 15% more passengers.", "same model")],
)
def test_more_of_the_same_model_is_conventional(text: str, same: str) -> None:
    q = qualify(text)
    assert q.verdict is Verdict.DOES_NOT_QUALIFY and same in [e.cue for e in q.signals["conventional"]]


def test_negations_about_disclosure_and_people_under_a_negator_are_neutral() -> None:
    q = qualify("A month-long drone trial flew 300 parcels to an island. No costs were published for it.")
    assert q.criteria["wealth"].status == "absent" and q.verdict is Verdict.INSUFFICIENT_EVIDENCE
    q = qualify("合作社改用订单收购后，没有一户社员亏本，户均增收3000元。")
    assert all(not e.negated for e in q.criteria["living"].evidence)


@pytest.mark.parametrize(
    ("text", "both"),
    [("空气源热泵替代了燃煤炉，居民取暖费降低了两成。", "取暖费"),
     ("Heat pumps replaced coal stoves and households' heating bills fell by a fifth.", "bills")],
)
def test_a_users_lower_bill_is_wealth_and_living(text: str, both: str) -> None:
    assert both in _cues(text, "wealth") and both in _cues(text, "living")
    assert qualify(text).verdict is Verdict.QUALIFIES


@pytest.mark.parametrize(
    ("text", "cue"),
    [("挤奶过去要凌晨四点起床手工完成，现在改由机器人挤奶，奶农每月多挣2000元，产奶量提高一成。", "过去"),
     ("Milking used to start at 4 a.m. by hand; now robots do it, output is up 10% and dairy farmers earn more.", "used to")],
)
def test_had_to_after_a_past_marker_is_no_plan(text: str, cue: str) -> None:
    q = qualify(text)
    assert cue in _cues(text, "disruption") and q.concrete_sentences >= 1
    assert q.verdict is Verdict.QUALIFIES

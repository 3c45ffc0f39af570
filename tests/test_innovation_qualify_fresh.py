"""The qualifier on the fresh sets written and labelled by an independent labeller who never saw the rules
(benchmarks/data/qualifier_fresh_{dev,test}.csv, guide: qualifier_labelling_guide.md).

The goal of issue 13 (accuracy >= 0.90 and recall >= 0.85 for every verdict) is NOT met on the fresh test part:
its final figure (rules tuned on the fresh dev part only, test part run twice: a first look and this final run) is
accuracy 0.740 (111 of 150), recall qualifies 0.42, does not qualify 0.84, insufficient evidence 0.96. These tests
guard the figure achieved, so that a change to the rules cannot make it worse unnoticed; they are not the goal.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from nqpf.innovation.evaluation import LABELS, EvalResult, evaluate, load_eval_set

DATA = Path(__file__).resolve().parents[1] / "benchmarks" / "data"
GOAL_ACCURACY, GOAL_RECALL = 0.90, 0.85
ACHIEVED_CORRECT = 111
"""Correct verdicts of the final run on the 150 rows of the fresh test part."""
ACHIEVED_RECALL = {"qualifies": 21, "does_not_qualify": 42, "insufficient_evidence": 48}
"""Correct verdicts per labelled class (of 50 each) in that run."""


@pytest.fixture(scope="module")
def fresh_test() -> pd.DataFrame:
    return load_eval_set(DATA / "qualifier_fresh_test.csv")


@pytest.fixture(scope="module")
def fresh_result(fresh_test: pd.DataFrame) -> EvalResult:
    return evaluate(fresh_test)


def test_fresh_sets_are_balanced_and_apart() -> None:
    dev, test = load_eval_set(DATA / "qualifier_fresh_dev.csv"), load_eval_set(DATA / "qualifier_fresh_test.csv")
    assert (len(dev), len(test)) == (90, 150)
    assert set(dev["split"]) == {"dev"} and set(test["split"]) == {"test"}
    assert not (set(dev["pair"]) & set(test["pair"])) - {""} and not set(dev["id"]) & set(test["id"])
    for part in (dev, test):
        counts = part.groupby(["label", "lang"]).size()
        assert len(counts) == 6 and counts.min() == counts.max()
    old = load_eval_set(DATA / "qualifier_eval.csv")
    assert not set(old["text"]) & (set(dev["text"]) | set(test["text"]))  # no overlap with the earlier set


def test_fresh_test_guards_the_figure_achieved(fresh_result: EvalResult) -> None:
    pred = fresh_result.predictions
    assert len(pred) == 150
    assert int(pred["correct"].sum()) >= ACHIEVED_CORRECT
    cm = fresh_result.confusion()
    for k in LABELS:
        assert int(cm.loc[k, k]) >= ACHIEVED_RECALL[k], (k, cm)
    # the goal itself is not met (docs/innovation.md says so); if it ever is, raise the guard to the goal
    met = fresh_result.accuracy >= GOAL_ACCURACY and (fresh_result.per_class()["recall"] >= GOAL_RECALL).all()
    assert not met or ACHIEVED_CORRECT >= GOAL_ACCURACY * 150, "goal reached: make this test guard the goal"


def test_fresh_test_reliability_rises_with_confidence(fresh_result: EvalResult) -> None:
    table = fresh_result.reliability()
    assert table["n"].sum() == 150
    filled = table[table["n"] >= 10]
    assert len(filled) >= 3
    assert (filled["mean_confidence"].diff().dropna() > 0).all()
    assert (filled["accuracy"].diff().dropna() > 0).all(), table  # 0.61 -> 0.92 -> 0.94 in the final run


def test_fresh_dev_accuracy(fresh_test: pd.DataFrame) -> None:
    res = evaluate(load_eval_set(DATA / "qualifier_fresh_dev.csv"))
    assert int(res.predictions["correct"].sum()) >= 87  # 0.967 after tuning on this part (0.678 at first look)

"""The qualifier on the sets written and labelled by writers who never saw the rules (benchmarks/data/README.md).

Writer 1: ``qualifier_fresh_dev.csv`` and ``qualifier_fresh_test.csv`` (guide: qualifier_labelling_guide.md); writers 2
and 3: ``qualifier_fresh2_dev_A.csv`` and ``qualifier_fresh2_dev_B.csv``. Every one of these files has now been used
for development (fresh_test after its second evaluation), so the figures guarded here are in-sample: they stop a change
to the rules from making them worse unnoticed. The out-of-sample figures are the first looks in the README and the
held-out test parts of writers 2 and 3, which only the lead evaluates.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from nqpf.innovation.evaluation import LABELS, EvalResult, evaluate, load_eval_set

DATA = Path(__file__).resolve().parents[1] / "benchmarks" / "data"
ACHIEVED = {
    "qualifier_fresh_dev.csv": {"qualifies": 28, "does_not_qualify": 30, "insufficient_evidence": 30},
    "qualifier_fresh_test.csv": {"qualifies": 47, "does_not_qualify": 49, "insufficient_evidence": 48},
    "qualifier_fresh2_dev_A.csv": {"qualifies": 21, "does_not_qualify": 24, "insufficient_evidence": 24},
    "qualifier_fresh2_dev_B.csv": {"qualifies": 24, "does_not_qualify": 24, "insufficient_evidence": 23},
}
"""Correct verdicts per labelled class on each file with the rules of this commit (development figures)."""


@pytest.fixture(scope="module")
def results() -> dict[str, EvalResult]:
    return {name: evaluate(load_eval_set(DATA / name)) for name in ACHIEVED}


def test_fresh_sets_are_balanced_and_apart() -> None:
    dev, test = load_eval_set(DATA / "qualifier_fresh_dev.csv"), load_eval_set(DATA / "qualifier_fresh_test.csv")
    assert (len(dev), len(test)) == (90, 150)
    assert set(dev["split"]) == {"dev"} and set(test["split"]) == {"test"}
    assert not (set(dev["pair"]) & set(test["pair"])) - {""} and not set(dev["id"]) & set(test["id"])
    for part in (dev, test):
        counts = part.groupby(["label", "lang"]).size()
        assert len(counts) == 6 and counts.min() == counts.max()
    old = load_eval_set(DATA / "qualifier_eval.csv")
    fresh: set[str] = set()
    for name in ACHIEVED:
        texts = set(load_eval_set(DATA / name)["text"])
        assert not texts & fresh and not texts & set(old["text"])  # no text in two sets
        fresh |= texts


@pytest.mark.parametrize("name", ["qualifier_fresh2_dev_A.csv", "qualifier_fresh2_dev_B.csv"])
def test_second_fresh_sets_are_balanced(name: str) -> None:
    a = load_eval_set(DATA / name)
    assert len(a) == 72 and set(a["split"]) == {"dev"}
    assert a.groupby("label").size().to_dict() == dict.fromkeys(LABELS, 24)
    assert a.groupby("lang").size().to_dict() == {"en": 36, "zh": 36}


@pytest.mark.parametrize("name", list(ACHIEVED))
def test_each_fresh_file_keeps_its_figures(results: dict[str, EvalResult], name: str) -> None:
    cm = results[name].confusion()
    for k in LABELS:
        assert int(cm.loc[k, k]) >= ACHIEVED[name][k], (name, k, cm)


def test_reliability_rises_with_confidence(results: dict[str, EvalResult]) -> None:
    pooled = EvalResult(pd.concat([r.predictions for r in results.values()], ignore_index=True))
    table = pooled.reliability()
    filled = table[table["n"] >= 10]
    assert len(filled) >= 3
    assert (filled["mean_confidence"].diff().dropna() > 0).all()
    assert (filled["accuracy"].diff().dropna() > 0).all(), table

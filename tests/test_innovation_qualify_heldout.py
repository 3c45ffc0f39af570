"""The qualifier on held-out test parts that nobody working on it ever saw (benchmarks/data/README.md, "Held-out").

Two sets, each evaluated once by the lead after a written pre-registration (the rules stay the default; the fitted
text model, ``--model fitted``, is reported beside them and does not change the default):

* ``qualifier_fresh2_test_A.csv`` / ``_B.csv`` (writers 2 and 3, whose dev parts were used for tuning): rules 188/216
  = 0.870, fitted 203/216 = 0.940;
* ``qualifier_fresh3_test_C.csv`` / ``_D.csv`` (writers 4 and 5, who wrote nothing else): rules 196/216 = 0.907,
  fitted 189/216 = 0.875.

The per-class counts of those evaluations are guarded, so a change that makes either worse on unseen text fails here;
the rules' accuracy on the second set meets the issue's goal (>= 0.90) and that is asserted. The recall goal (>= 0.85
on every class) is not met by either model on both sets (rules: qualifies 0.79 and 0.85; fitted: insufficient
evidence 0.875 and 0.75).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from nqpf.innovation.evaluation import LABELS, EvalResult, evaluate, load_eval_set
from nqpf.innovation.qualify_fitted import qualifier_for

DATA = Path(__file__).resolve().parents[1] / "benchmarks" / "data"
SETS = {
    "fresh2": ("qualifier_fresh2_test_A.csv", "qualifier_fresh2_test_B.csv"),
    "fresh3": ("qualifier_fresh3_test_C.csv", "qualifier_fresh3_test_D.csv"),
}
ACHIEVED = {
    ("fresh2", "rules"): {"qualifies": 57, "does_not_qualify": 67, "insufficient_evidence": 64},
    ("fresh2", "fitted"): {"qualifies": 72, "does_not_qualify": 68, "insufficient_evidence": 63},
    ("fresh3", "rules"): {"qualifies": 61, "does_not_qualify": 66, "insufficient_evidence": 69},
    ("fresh3", "fitted"): {"qualifies": 72, "does_not_qualify": 63, "insufficient_evidence": 54},
}
"""Correct verdicts per labelled class (72 rows each) at the one evaluation of each held-out set."""


@pytest.fixture(scope="module")
def heldout() -> dict[str, pd.DataFrame]:
    return {s: pd.concat([load_eval_set(DATA / f) for f in files], ignore_index=True) for s, files in SETS.items()}


@pytest.fixture(scope="module")
def results(heldout: dict[str, pd.DataFrame]) -> dict[tuple[str, str], EvalResult]:
    qualifiers = {m: qualifier_for(m) for m in ("rules", "fitted")}
    return {(s, m): evaluate(heldout[s], qualifiers[m]) for s, m in ACHIEVED}


def test_heldout_sets_are_balanced_and_apart(heldout: dict[str, pd.DataFrame]) -> None:
    held = set(sum(SETS.values(), ()))
    dev = pd.concat([load_eval_set(p) for p in DATA.glob("qualifier_*.csv") if p.name not in held and "blind" not in p.name])
    for part in heldout.values():
        assert len(part) == 216 and set(part["split"]) == {"test"}
        counts = part.groupby(["label", "lang"]).size()
        assert len(counts) == 6 and set(counts) == {36}
        assert not set(part["text"]) & set(dev["text"])
    assert not set(heldout["fresh2"]["text"]) & set(heldout["fresh3"]["text"])


@pytest.mark.parametrize("key", list(ACHIEVED), ids=["-".join(k) for k in ACHIEVED])
def test_heldout_figures_hold(results: dict[tuple[str, str], EvalResult], key: tuple[str, str]) -> None:
    cm = results[key].confusion()
    for k in LABELS:
        assert int(cm.loc[k, k]) >= ACHIEVED[key][k], (key, k, cm)


def test_rules_meet_the_accuracy_goal_on_the_unseen_writers(results: dict[tuple[str, str], EvalResult]) -> None:
    assert results[("fresh3", "rules")].accuracy >= 0.90


@pytest.mark.parametrize("model", ["rules", "fitted"])
def test_confidence_is_reliable_on_heldout_text(results: dict[tuple[str, str], EvalResult], model: str) -> None:
    pooled = EvalResult(pd.concat([results[(s, model)].predictions for s in SETS], ignore_index=True))
    table = pooled.reliability()
    filled = table[table["n"] >= 20]
    assert len(filled) >= 3
    assert (filled["accuracy"].diff().dropna() > 0).all(), table

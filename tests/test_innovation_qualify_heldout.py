"""The qualifier on held-out test parts that nobody working on it ever saw (benchmarks/data/README.md, "Held-out").

Three sets, each evaluated once by the lead after a written pre-registration:

* ``qualifier_fresh2_test_A.csv`` / ``_B.csv`` (writers 2 and 3, whose dev parts were used for tuning): rules 188/216
  = 0.870 (the fitted text model of that day: 203/216 = 0.940);
* ``qualifier_fresh3_test_C.csv`` / ``_D.csv`` (writers 4 and 5, who wrote nothing else): rules 196/216 = 0.907
  (fitted: 189/216 = 0.875);
* ``qualifier_fresh4_test_E/F/G.csv`` (writers 6, 7 and 8, who wrote nothing else), after fresh2 and fresh3 had become
  development data: **hybrid 306/324 = 0.944** (recall 0.954 / 0.963 / 0.917), rules 281/324 = 0.867, fitted
  300/324 = 0.926.

The hybrid (the default of the command line, batch mode and API) meets issue 13's goal on fresh4, the pre-registered
claim, and that is asserted. The per-class counts of every evaluation are guarded, so a change that makes a model
worse on text it never saw fails here. The fitted model's fresh2/fresh3 figures are not re-checked: the shipped model
has since been refit on those rows (they are in its ``fitted_on``); the rules are unchanged, so theirs still are.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from nqpf.innovation.evaluation import LABELS, EvalResult, evaluate, load_eval_set
from nqpf.innovation.qualify_fitted import DEFAULT_MODEL, load_model, qualifier_for

DATA = Path(__file__).resolve().parents[1] / "benchmarks" / "data"
SETS = {
    "fresh2": ("qualifier_fresh2_test_A.csv", "qualifier_fresh2_test_B.csv"),
    "fresh3": ("qualifier_fresh3_test_C.csv", "qualifier_fresh3_test_D.csv"),
    "fresh4": ("qualifier_fresh4_test_E.csv", "qualifier_fresh4_test_F.csv", "qualifier_fresh4_test_G.csv"),
}
ACHIEVED = {
    ("fresh2", "rules"): {"qualifies": 57, "does_not_qualify": 67, "insufficient_evidence": 64},
    ("fresh3", "rules"): {"qualifies": 61, "does_not_qualify": 66, "insufficient_evidence": 69},
    ("fresh4", "hybrid"): {"qualifies": 103, "does_not_qualify": 104, "insufficient_evidence": 99},
    ("fresh4", "rules"): {"qualifies": 80, "does_not_qualify": 102, "insufficient_evidence": 99},
    ("fresh4", "fitted"): {"qualifies": 106, "does_not_qualify": 104, "insufficient_evidence": 90},
}
"""Correct verdicts per labelled class (72 rows each in fresh2/fresh3, 108 in fresh4) at each set's one evaluation."""


@pytest.fixture(scope="module")
def heldout() -> dict[str, pd.DataFrame]:
    return {s: pd.concat([load_eval_set(DATA / f) for f in files], ignore_index=True) for s, files in SETS.items()}


@pytest.fixture(scope="module")
def results(heldout: dict[str, pd.DataFrame]) -> dict[tuple[str, str], EvalResult]:
    return {(s, m): evaluate(heldout[s], qualifier_for(m)) for s, m in ACHIEVED}


def test_heldout_sets_are_balanced_and_apart(heldout: dict[str, pd.DataFrame]) -> None:
    held = set(sum(SETS.values(), ()))
    dev = pd.concat([load_eval_set(p) for p in DATA.glob("qualifier_*.csv") if p.name not in held and "blind" not in p.name])
    for name, part in heldout.items():
        per_cell = 36 if name != "fresh4" else 54
        assert len(part) == 6 * per_cell and set(part["split"]) == {"test"}
        counts = part.groupby(["label", "lang"]).size()
        assert len(counts) == 6 and set(counts) == {per_cell}
        assert not set(part["text"]) & set(dev["text"])
    for a, b in (("fresh2", "fresh3"), ("fresh2", "fresh4"), ("fresh3", "fresh4")):
        assert not set(heldout[a]["text"]) & set(heldout[b]["text"])
    # the shipped model never saw fresh4 (fresh2 and fresh3 were added to its data after their evaluations)
    fitted_on = set(load_model().meta["fitted_on"])
    assert not fitted_on & set(SETS["fresh4"]) and set(SETS["fresh3"]) <= fitted_on


@pytest.mark.parametrize("key", list(ACHIEVED), ids=["-".join(k) for k in ACHIEVED])
def test_heldout_figures_hold(results: dict[tuple[str, str], EvalResult], key: tuple[str, str]) -> None:
    cm = results[key].confusion()
    for k in LABELS:
        assert int(cm.loc[k, k]) >= ACHIEVED[key][k], (key, k, cm)


def test_default_model_meets_the_goal_on_the_last_heldout_set(results: dict[tuple[str, str], EvalResult]) -> None:
    assert DEFAULT_MODEL == "hybrid"
    res = results[("fresh4", "hybrid")]
    recall = res.per_class()["recall"]
    assert res.accuracy >= 0.90 and (recall >= 0.85).all(), (res.accuracy, recall)
    assert res.accuracy > results[("fresh4", "rules")].accuracy and res.accuracy > results[("fresh4", "fitted")].accuracy


def test_rules_meet_the_accuracy_goal_on_the_unseen_writers(results: dict[tuple[str, str], EvalResult]) -> None:
    assert results[("fresh3", "rules")].accuracy >= 0.90


@pytest.mark.parametrize("model", ["hybrid", "rules", "fitted"])
def test_confidence_is_reliable_on_heldout_text(results: dict[tuple[str, str], EvalResult], model: str) -> None:
    table = results[("fresh4", model)].reliability()
    filled = table[table["n"] >= 20]
    assert len(filled) >= 3
    assert (filled["accuracy"].diff().dropna() > 0).all(), table

"""Fit the qualifier's confidence (Platt scaling on the evidence margin) and measure it leave-one-writer-out.

Run ``python benchmarks/fit_qualifier_calibration.py``. The rules are run with the fixed confidence to get
each description's verdict, margin and correctness on the sets of the independent writers 1-3 (benchmarks/data/README.md;
writer 0, the rules' author, is left out: the rules are right on all of his rows). Prints:

1. leave-one-writer-out: for each writer, the calibration fitted on the other writers and scored on this writer's rows
   (Brier score and expected calibration error), beside the fixed formula ``1 - 0.5**(m + 1)`` on the same rows;
2. the fit on all three writers: intercepts, slope and the table margin -> confidence per verdict.

The rows were used to tune the rules, so these figures are in-sample for the rules: the leave-one-writer-out scores
are optimistic about text nobody has read yet, and the fit is not shipped (the qualifier keeps the fixed formula; see
docs/innovation.md section 3 for the first looks it is checked against).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from nqpf.innovation.evaluation import evaluate, load_eval_set
from nqpf.innovation.qualify import Qualifier
from nqpf.innovation.qualify_calibration import MAX_MARGIN, brier, expected_calibration_error, fit

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "benchmarks" / "data"
WRITERS = {
    "writer 1": ["qualifier_fresh_dev.csv", "qualifier_fresh_test.csv"],
    "writer 2": ["qualifier_fresh2_dev_A.csv"],
    "writer 3": ["qualifier_fresh2_dev_B.csv"],
}


def predictions() -> pd.DataFrame:
    """Verdict, margin and correctness per row of every writer's files, with the fixed confidence."""
    q = Qualifier()
    parts = []
    for writer, files in WRITERS.items():
        data = pd.concat([load_eval_set(DATA / f) for f in files], ignore_index=True)
        parts.append(evaluate(data, q).predictions.assign(writer=writer))
    return pd.concat(parts, ignore_index=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.parse_args()
    pred = predictions()
    print("1. leave-one-writer-out (fit on the other writers, scored on this one)")
    rows = []
    for writer in WRITERS:
        train, test = pred[pred["writer"] != writer], pred[pred["writer"] == writer]
        cal = fit(train["predicted"].tolist(), train["margin"].tolist(), train["correct"].tolist())
        p_fit = [cal.probability(v, m) for v, m in zip(test["predicted"], test["margin"], strict=True)]
        rows.append({"writer": writer, "n": len(test), "accuracy": test["correct"].mean(),
                     "mean_fixed": test["confidence"].mean(), "mean_fitted": sum(p_fit) / len(p_fit),
                     "brier_fixed": brier(test["confidence"], test["correct"]), "brier_fitted": brier(p_fit, test["correct"]),
                     "ece_fixed": expected_calibration_error(test["confidence"], test["correct"]),
                     "ece_fitted": expected_calibration_error(p_fit, test["correct"])})
    print(pd.DataFrame(rows).set_index("writer").round(3).to_string())
    cal = fit(pred["predicted"].tolist(), pred["margin"].tolist(), pred["correct"].tolist())
    print(f"\n2. fit on all {len(pred)} rows: intercepts {({k: round(v, 3) for k, v in cal.intercepts.items()})}, "
          f"slope {cal.slope:.3f}")
    print(pd.DataFrame(cal.table(), index=pd.Index(range(MAX_MARGIN + 1), name="margin")).to_string())
    if cal.slope <= 0:
        raise SystemExit("the fitted slope is not positive: confidence would not rise with the evidence margin")


if __name__ == "__main__":
    main()

"""Evaluation of the qualifier on a labelled set: accuracy, per-class precision and recall,
confusion matrix and a reliability table of the confidence.

Metrics follow the usual definitions (e.g. Manning, Raghavan and Schütze 2008, *Introduction to
Information Retrieval*, ch. 8): precision of class k = correct k / predicted k, recall = correct
k / labelled k. The reliability table (DeGroot and Fienberg 1983; Niculescu-Mizil and Caruana
2005) bins descriptions by confidence and shows, per bin, the mean confidence and the share of
correct verdicts: a calibrated confidence has the two close, and a useful one rises with the bin.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pandas as pd

from nqpf.innovation.qualify import Qualification, Verdict, default_qualifier


class Qualifies(Protocol):
    """Anything with the qualifier's ``qualify`` (the rules, the fitted layer, the hybrid)."""

    def qualify(self, description: str) -> Qualification: ...


LABELS = tuple(v.value for v in Verdict)
EVAL_COLUMNS = ("id", "pair", "lang", "label", "field", "modelled_on", "split", "text")
CONFIDENCE_BINS = (0.0, 0.7, 0.85, 0.95, 1.0)
"""Bin edges of the reliability table (right-closed): the confidences 0.5, 0.75, 0.875, 0.9375+."""


def load_eval_set(path: str | Path) -> pd.DataFrame:
    """The labelled set: columns ``id, pair, lang, label, field, modelled_on, split, text``."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in EVAL_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"{path}: missing columns {missing}")
    bad = sorted(set(df["label"]) - set(LABELS))
    if bad:
        raise ValueError(f"{path}: unknown labels {bad}; known: {', '.join(LABELS)}")
    return df


@dataclass(frozen=True)
class EvalResult:
    """Predictions and metrics of one evaluation."""

    predictions: pd.DataFrame
    """``id, lang, field, label, predicted, confidence, rule, correct, margin``."""

    @property
    def accuracy(self) -> float:
        """Share of correct verdicts."""
        return float(self.predictions["correct"].mean())

    def confusion(self) -> pd.DataFrame:
        """Counts, labelled (rows) x predicted (columns), all three verdicts."""
        p = self.predictions
        return pd.crosstab(pd.Categorical(p["label"], LABELS), pd.Categorical(p["predicted"], LABELS),
                           rownames=["label"], colnames=["predicted"], dropna=False)

    def per_class(self) -> pd.DataFrame:
        """``precision, recall, support`` per verdict (precision is NaN if never predicted)."""
        cm = self.confusion().to_numpy()
        rows = []
        for i, k in enumerate(LABELS):
            tp = int(cm[i, i])
            pred, true = int(cm[:, i].sum()), int(cm[i].sum())
            rows.append((k, tp / pred if pred else float("nan"), tp / true if true else float("nan"), int(true)))
        return pd.DataFrame(rows, columns=["verdict", "precision", "recall", "support"]).set_index("verdict")

    def reliability(self, bins: tuple[float, ...] = CONFIDENCE_BINS) -> pd.DataFrame:
        """Per confidence bin: ``n, mean_confidence, accuracy``."""
        p = self.predictions
        cut = pd.cut(p["confidence"], list(bins), include_lowest=True)
        g = p.groupby(cut, observed=False)
        out = pd.DataFrame({"n": g.size(), "mean_confidence": g["confidence"].mean(), "accuracy": g["correct"].mean()})
        out.index = out.index.astype(str)
        out.index.name = "confidence"
        return out


def evaluate(data: pd.DataFrame, qualifier: Qualifies | None = None) -> EvalResult:
    """Qualify every row's ``text`` and compare with its ``label``."""
    q = qualifier or default_qualifier()
    rows = []
    for r in data.itertuples(index=False):
        res = q.qualify(str(r.text))
        rows.append((r.id, r.lang, r.field, r.label, res.verdict.value, res.confidence, res.rule,
                     res.verdict.value == r.label, res.margin))
    pred = pd.DataFrame(rows, columns=["id", "lang", "field", "label", "predicted", "confidence", "rule", "correct", "margin"])
    return EvalResult(pred)

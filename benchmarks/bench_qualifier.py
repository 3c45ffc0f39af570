"""Benchmark of the NQPF qualifier on the labelled evaluation set (benchmarks/data/qualifier_eval.csv).

Run ``python benchmarks/bench_qualifier.py [--data FILE] [--split test|all] [--repeat 5]
[--predictions OUT.csv]``. The fresh sets written by an independent labeller are
``--data benchmarks/data/qualifier_fresh_test.csv --split all`` (and ``qualifier_fresh_dev.csv``).
Prints, on the chosen part (default: the ``test`` part of ``qualifier_eval.csv``):

1. accuracy, per-class precision and recall, the confusion matrix;
2. the reliability table of the confidence (per bin: n, mean confidence, share correct);
3. accuracy on every part (``dev``, ``dev_b``, ``dev_c``, ``test``) and per language;
4. a baseline measured on the same rows in the same run: the majority class (every row gets the
   most frequent label of the other parts of the file, or of the part itself when the file has
   one part);
5. speed: descriptions per second, median of ``--repeat`` runs over the whole set.

See benchmarks/data/README.md for how the set was written, split and used (and which parts
were inspected before the rules were final).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import pandas as pd

from nqpf.innovation.evaluation import evaluate, load_eval_set
from nqpf.innovation.qualify import default_qualifier

DATA = Path(__file__).resolve().parent / "data" / "qualifier_eval.csv"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--split", default="test", help="part to report in detail (default: test)")
    ap.add_argument("--repeat", type=int, default=5, help="runs for the speed median")
    ap.add_argument("--predictions", type=Path, default=None, help="write the part's per-row verdicts to this CSV")
    args = ap.parse_args()
    pd.set_option("display.width", 160)
    data = load_eval_set(args.data)
    part = data if args.split == "all" else data[data["split"] == args.split]
    if part.empty:
        raise SystemExit(f"no rows with split == {args.split!r}; parts: {sorted(set(data['split']))}")
    q = default_qualifier()
    res = evaluate(part, q)
    if args.predictions is not None:
        res.predictions.to_csv(args.predictions, index=False)
    print(f"NQPF qualifier on the '{args.split}' part: {len(part)} descriptions "
          f"({part['lang'].value_counts().to_dict()}, {part['field'].nunique()} fields)")
    print(f"\n1. accuracy: {res.accuracy:.3f}  (goal >= 0.90; recall goal >= 0.85 per class)")
    print(res.per_class().round(3).to_string())
    print("\nconfusion matrix (rows: label, columns: verdict)")
    print(res.confusion().to_string())
    print("\n2. reliability of the confidence (1 - 0.5**(margin + 1))")
    print(res.reliability().round(3).to_string())
    full = evaluate(data, q)
    pred = full.predictions.assign(split=data["split"].to_numpy())
    print("\n3. accuracy by part and language")
    print(pred.pivot_table(index="split", columns="lang", values="correct", aggfunc="mean").round(3).to_string())
    dev = data[data["split"] != args.split] if args.split != "all" else data.iloc[:0]
    majority = dev["label"].mode().iloc[0] if not dev.empty else part["label"].mode().iloc[0]
    base = float((part["label"] == majority).mean())
    whose = "of the other parts" if not dev.empty else "of this part itself"
    print(f"\n4. baseline (majority class '{majority}' {whose}): accuracy {base:.3f}; "
          f"qualifier / baseline = {res.accuracy / base:.2f}x")
    times = []
    texts = data["text"].tolist()
    for _ in range(max(args.repeat, 1)):
        t0 = time.perf_counter()
        for t in texts:
            q.qualify(t)
        times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    print(f"\n5. speed: {len(texts)} descriptions in {med:.3f} s (median of {len(times)} runs) = "
          f"{len(texts) / med:.0f} descriptions/s on one core")


if __name__ == "__main__":
    main()

"""Benchmark of the NQPF qualifier on labelled evaluation sets (benchmarks/data/*.csv).

Run ``python benchmarks/bench_qualifier.py [--data FILE [FILE ...]] [--split test|all] [--repeat 5]
[--predictions OUT.csv] [--model rules|fitted|hybrid]``. Several files are concatenated (each keeps its ``split`` column) and
reported together and file by file; the held-out test parts of writers 2 and 3 are scored with
``--data A.csv B.csv --split all``. The fresh sets by writers who never saw the rules are
``qualifier_fresh_{dev,test}.csv`` (writer 1) and ``qualifier_fresh2_dev_{A,B}.csv`` (writers 2, 3);
the last held-out set is ``qualifier_fresh4_test_{E,F,G}.csv`` (writers 6–8), scored once per model
with ``--data E F G --split all --model hybrid`` (then ``rules``, ``fitted``).
``--model`` picks the qualifier (``nqpf.innovation.qualify_fitted.MODELS``; default: the hybrid, the
front ends' default). Prints, on the chosen part (default: the ``test`` rows of the fresh4 held-out
set, i.e. all 324; ``--data benchmarks/data/qualifier_eval.csv`` gives the original set's test part):

1. accuracy, per-class precision and recall, the confusion matrix, and with several files the
   accuracy and per-class recall of each file;
2. the reliability table of the confidence (per bin: n, mean confidence, share correct);
3. accuracy on every part (``dev``, ``dev_b``, ``dev_c``, ``test`` ...) and per language;
4. a baseline measured on the same rows in the same run: the majority class (every row gets the
   most frequent label of the other parts of the data, or of the part itself when it is all);
5. speed: descriptions per second, median of ``--repeat`` runs over all rows, one call per text and
   in batch mode (``qualify_rows``, which gives the fitted layer whole chunks).

See benchmarks/data/README.md for how the sets were written, split and used (and which parts
were inspected before the rules were final).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import NoReturn

import pandas as pd

from nqpf.innovation.batch import FIT_CHUNK, qualify_rows
from nqpf.innovation.evaluation import EVAL_COLUMNS, LABELS, EvalResult, evaluate, load_eval_set
from nqpf.innovation.qualify_fitted import DEFAULT_MODEL, MODELS, qualifier_for

DATA = [Path(__file__).resolve().parent / "data" / f"qualifier_fresh4_test_{w}.csv" for w in "EFG"]
"""The default: the last held-out set (writers 6-8), every row of which is a ``test`` row."""


def _fail(message: str) -> NoReturn:
    print(f"bench_qualifier: {message}", file=sys.stderr)
    raise SystemExit(2)


def load_files(paths: list[Path]) -> pd.DataFrame:
    """The files' rows, concatenated, with a ``file`` column (the file's name)."""
    return pd.concat([load_eval_set(p).assign(file=p.name) for p in paths], ignore_index=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, nargs="+", default=DATA,
                    help="one or more labelled CSV files (default: the fresh4 held-out set)")
    ap.add_argument("--split", default="test", help="part to report in detail (default: test; all: every row)")
    ap.add_argument("--repeat", type=int, default=5, help="runs for the speed median")
    ap.add_argument("--predictions", type=Path, default=None, help="write the part's per-row verdicts to this CSV")
    ap.add_argument("--model", choices=MODELS, default=DEFAULT_MODEL, help=f"the qualifier (default: {DEFAULT_MODEL})")
    args = ap.parse_args()
    pd.set_option("display.width", 160)
    missing = [str(p) for p in args.data if not p.is_file()]
    if missing:
        _fail(f"no such file: {', '.join(missing)} (give labelled CSV files with columns {', '.join(EVAL_COLUMNS)})")
    try:
        data = load_files(args.data)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        _fail(str(exc).splitlines()[0])
    part = data if args.split == "all" else data[data["split"] == args.split]
    if part.empty:
        _fail(f"no rows with split == {args.split!r}; parts: {sorted(set(data['split']))} (or --split all)")
    q = qualifier_for(args.model)
    res = evaluate(part, q)
    pred_part = res.predictions.assign(file=part["file"].to_numpy())
    if args.predictions is not None:
        pred_part.to_csv(args.predictions, index=False)
    print(f"NQPF qualifier ({args.model}) on the '{args.split}' part of {len(args.data)} file(s): {len(part)} descriptions "
          f"({part['lang'].value_counts().to_dict()}, {part['field'].nunique()} fields)")
    print(f"\n1. accuracy: {res.accuracy:.3f}  (goal >= 0.90; recall goal >= 0.85 per class)")
    print(res.per_class().round(3).to_string())
    print("\nconfusion matrix (rows: label, columns: verdict)")
    print(res.confusion().to_string())
    if len(args.data) > 1:
        print("\nper file: accuracy and recall per class")
        rows = []
        for name, g in pred_part.groupby("file", sort=False):
            r = EvalResult(g.drop(columns="file"))
            rec = r.per_class()["recall"]
            rows.append({"file": name, "n": len(g), "accuracy": r.accuracy, **{f"recall_{k}": rec[k] for k in LABELS}})
        print(pd.DataFrame(rows).set_index("file").round(3).to_string())
    how = "1 - 0.5**(margin + 1)" if args.model == "rules" else (
        "the model's probability" if args.model == "fitted" else "(p_rules + p_model) / 2 of the verdict")
    print(f"\n2. reliability of the confidence ({how})")
    print(res.reliability().round(3).to_string())
    full = evaluate(data, q)
    pred = full.predictions.assign(split=data["split"].to_numpy(), file=data["file"].to_numpy())
    print("\n3. accuracy by part and language")
    index = ["file", "split"] if len(args.data) > 1 else "split"
    print(pred.pivot_table(index=index, columns="lang", values="correct", aggfunc="mean").round(3).to_string())
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
          f"{len(texts) / med:.0f} descriptions/s on one core, one call per text")
    batch = []
    rows = [(i + 2, str(i), t) for i, t in enumerate(texts)]
    for _ in range(max(args.repeat, 1)):
        t0 = time.perf_counter()
        qualify_rows(iter(rows), [], q, {})  # a fresh cache: every text is scored
        batch.append(time.perf_counter() - t0)
    bmed = statistics.median(batch)
    print(f"   batch mode (qualify_rows; the fitted layer scores chunks of {FIT_CHUNK}): {len(texts) / bmed:.0f} "
          f"descriptions/s = {med / bmed:.2f}x one call per text (median of {len(batch)} runs)")


if __name__ == "__main__":
    main()

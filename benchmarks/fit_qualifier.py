"""Fit the qualifier's fitted layer and write ``src/nqpf/innovation/taxonomy/qualifier_model.json``.

Run ``python benchmarks/fit_qualifier.py [--kind both --C 10] [--out FILE]``.

Deterministic: the rules run on every development row of writers 0–5
(``nqpf.innovation.qualify_fitted.development_sets``), the model kind and ``C`` are chosen by
pooled leave-one-writer-out accuracy over all writers on the grid of ``qualifier_lowo.py`` (or
given with ``--kind``/``--C``), and the final model is fitted on all rows by L-BFGS from zero
(tolerance 1e-10). The JSON records the files' SHA-256, the rows per writer, a fingerprint of
the rules (SHA-256 of ``qualify.py`` and ``qualifier_cues.yaml``) and the selection table.
Refit whenever the rules or the development sets change (a test checks the shipped file).
"""

from __future__ import annotations

import argparse
import hashlib
from importlib import resources
from pathlib import Path

from nqpf.innovation.qualify_fitted import KINDS, development_sets, fit, label_index
from qualifier_lowo import DATA, GRID, choose_c, rules_outputs

OUT = Path(__file__).resolve().parents[1] / "src" / "nqpf" / "innovation" / "taxonomy" / "qualifier_model.json"


def rules_fingerprint() -> str:
    """SHA-256 of the rules' code and cue lexicon: the model's rule features depend on both."""
    pkg = resources.files("nqpf.innovation")
    h = hashlib.sha256()
    for part in (pkg.joinpath("qualify.py"), pkg.joinpath("taxonomy", "qualifier_cues.yaml")):
        h.update(part.read_bytes())
    return h.hexdigest()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kind", choices=KINDS, default=None, help="model kind (default: chosen by LOWO)")
    ap.add_argument("--C", dest="c", type=float, default=None, help="inverse L2 strength (default: chosen by LOWO)")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    data = development_sets(DATA)
    qs = rules_outputs(data["text"].tolist())
    y = label_index(data["label"].tolist())
    writers = data["writer"].to_numpy()
    selection: dict[str, dict[str, float]] = {}
    if args.kind is None or args.c is None:
        best = (-1.0, "", 0.0)
        for kind in ([args.kind] if args.kind else KINDS):
            c, acc = choose_c(qs, y, writers, sorted(set(writers.tolist())), kind, GRID)
            selection[kind] = {f"{k:g}": round(v, 6) for k, v in acc.items()}
            if acc[c] > best[0]:
                best = (acc[c], kind, c)
            print(f"{kind}: pooled LOWO accuracy by C: {selection[kind]}")
        kind, c = best[1], best[2]
    else:
        kind, c = args.kind, args.c
    meta = {
        "fitted_on": {src: {"writer": int(g["writer"].iloc[0]), "rows": len(g), "sha256": g["sha256"].iloc[0]}
                      for src, g in data.groupby("source", sort=False)},
        "rules_sha256": rules_fingerprint(),
        "selection_pooled_lowo_accuracy": selection,
        "regenerate": f"python benchmarks/fit_qualifier.py --kind {kind} --C {c:g}",
    }
    model = fit(qs, data["label"].tolist(), kind=kind, c=c, meta=meta)
    args.out.write_text(model.to_json(), encoding="utf-8")
    print(f"kind {kind}, C = {c:g}: {len(model.feature_names)} features, {len(qs)} rows; wrote {args.out}")


if __name__ == "__main__":
    from threadpoolctl import threadpool_limits  # a dev dependency (scikit-learn's)

    with threadpool_limits(1):  # L-BFGS-B's small BLAS calls run ~10x slower with threads on a shared machine
        main()

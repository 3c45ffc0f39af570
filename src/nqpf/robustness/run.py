"""One robustness run written to a folder: the function ``nqpf robustness`` and ``nqpf run --robustness N`` call."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from nqpf.robustness.sobol import output_named, sobol
from nqpf.robustness.spec import UncertaintySpec, default_spec
from nqpf.robustness.uncertainty import uncertainty

if TYPE_CHECKING:
    from nqpf.index.result import IndexResult

#: files of a robustness run, in the run folder
FILES = {"ranks": "rank_uncertainty.csv", "pairs": "rank_pairs.csv", "draws": "draws.csv",
         "sobol": "sobol.csv", "summary": "robustness.txt", "meta": "robustness.json",
         "rank_chart": "rank_uncertainty.html", "sobol_chart": "sobol.html"}


def run_robustness(
    result: IndexResult,
    n: int,
    seed: int,
    out_dir: str | Path,
    *,
    spec: UncertaintySpec | None = None,
    sobol_n: int | None = None,
    sobol_output: str = "mean_abs_rank_shift",
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = False,
    charts: bool = True,
) -> dict[str, Path]:
    """Uncertainty analysis (``n`` draws) and Sobol indices of ``result``, written to ``out_dir``.

    Writes ``rank_uncertainty.csv`` (per region, year, node), ``rank_pairs.csv`` (P(A above B)),
    ``draws.csv`` (every draw's parameters), ``sobol.csv``, ``robustness.txt`` (the summary),
    ``robustness.json`` (spec and settings) and, with ``charts``, two offline-viewable Plotly
    HTML charts. ``sobol_n`` base samples (default ``max(64, n // (F + 2))`` rounded to a power of
    two, so Sobol costs about as much as the Monte Carlo run). Returns ``{name: path}``.
    """
    spec = spec or default_spec(result)
    output_fn = output_named(result, sobol_output)  # a wrong output name fails before any work
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ua = uncertainty(result, spec, n=n, seed=seed, workers=workers, scheduler=scheduler, progress=progress)
    f = len(spec.factors)
    base = sobol_n or max(64, 1 << max(0, (n // (f + 2)).bit_length() - 1))
    sa = sobol(result, spec, n=base, output=output_fn, seed=seed, workers=workers, scheduler=scheduler,
               progress=progress)
    paths = {k: out / v for k, v in FILES.items()}
    ua.ranks.to_csv(paths["ranks"], index=False, float_format="%.10g")
    ua.pairs.to_csv(paths["pairs"], index=False, float_format="%.10g")
    ua.draws.to_csv(paths["draws"], index=False, float_format="%.10g")
    sa.to_tidy().to_csv(paths["sobol"], index=False, float_format="%.10g")
    paths["summary"].write_text(ua.summary + "\n\n" + sa.summary + "\n", encoding="utf-8")
    paths["meta"].write_text(json.dumps({
        "framework": result.framework.id, "draws": n, "seed": seed, "sobol_n": base, "sobol_output": sa.output,
        "factors": spec.describe(), "nominal_spec": result.spec}, indent=2, ensure_ascii=False, default=str),
        encoding="utf-8")
    if charts:
        ua.figure().write_html(paths["rank_chart"], include_plotlyjs=True, full_html=True)
        sa.figure().write_html(paths["sobol_chart"], include_plotlyjs=True, full_html=True)
    else:
        del paths["rank_chart"], paths["sobol_chart"]
    return paths

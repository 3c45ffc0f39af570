"""Where draws are evaluated: in this process, or on a Dask cluster (:mod:`nqpf.robustness.dask_backend`).

Work is cut into fixed blocks (:data:`nqpf.robustness.sampling.BLOCK` draws). A Monte Carlo
block draws its uniforms from its own ``SeedSequence`` child; a Sobol block carries its rows
of the Saltelli design. Blocks are put back in order, so the numbers are identical whatever
the backend and the number of workers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from nqpf.robustness.sampling import (
    BLOCK,
    Block,
    Evaluator,
    block_seeds,
    draw_parameters,
    run_block,
)
from nqpf.robustness.spec import UncertaintySpec

if TYPE_CHECKING:
    from nqpf.index.result import IndexResult

__all__ = ["Block", "evaluate", "evaluate_blocks", "run_block"]


def evaluate(
    result: IndexResult,
    spec: UncertaintySpec,
    blocks: Sequence[Block],
    *,
    nodes: Sequence[str],
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = False,
    label: str = "robustness / 稳健性",
) -> tuple[dict[str, np.ndarray], np.ndarray, int]:
    """Scores ``{node: (N, T, R)}``, the uniforms ``(N, dims)`` and the rebuild count of all blocks."""
    sizes = [b.shape[0] if isinstance(b, np.ndarray) else b[1] for b in blocks]
    evaluator = Evaluator(result, spec, nodes)
    outs: list[tuple[dict[str, np.ndarray], np.ndarray, int] | None] = [None] * len(blocks)
    bar = None
    if progress:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        bar.start()
        task = bar.add_task(label, total=sum(sizes))
    try:
        if workers is None and scheduler is None:
            for i, b in enumerate(blocks):
                outs[i] = run_block(evaluator, b)
                if bar is not None:
                    bar.advance(task, sizes[i])
        else:
            from nqpf.robustness.dask_backend import run_dask

            def done(i: int, out: tuple[dict[str, np.ndarray], np.ndarray, int]) -> None:
                outs[i] = out
                if bar is not None:
                    bar.advance(task, sizes[i])

            run_dask(evaluator, list(blocks), done, workers=workers or 2, scheduler=scheduler)
    finally:
        if bar is not None:
            bar.stop()
    got = [o for o in outs if o is not None]
    scores = {nd: np.concatenate([o[0][nd] for o in got], axis=0) for nd in nodes}
    u = np.concatenate([o[1] for o in got], axis=0)
    return scores, u, max(o[2] for o in got)


def evaluate_blocks(
    result: IndexResult,
    spec: UncertaintySpec,
    *,
    n: int,
    seed: int,
    nodes: Sequence[str],
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = False,
    block: int = BLOCK,
) -> tuple[dict[str, np.ndarray], pd.DataFrame, int]:
    """``n`` Monte Carlo draws: scores, the draws' parameters and the rebuild count."""
    scores, u, rebuilds = evaluate(result, spec, block_seeds(seed, n, block), nodes=nodes, workers=workers,
                                   scheduler=scheduler, progress=progress)
    return scores, draw_parameters(spec, u), rebuilds

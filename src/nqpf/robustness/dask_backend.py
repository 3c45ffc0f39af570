"""Dask backend: blocks of draws spread over the processes (or machines) of a Dask cluster.

The evaluator (the nominal construction and the uncertainty spec) is scattered once to every
worker; each worker caches the constructions it rebuilds. Without a ``scheduler`` address a
``LocalCluster`` of ``workers`` single-threaded processes is started and closed (as in
:mod:`nqpf.innovation.dask_backend`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from nqpf.errors import NqpfError
from nqpf.robustness.sampling import Evaluator, run_block


def _run(evaluator: Evaluator, block: Any) -> tuple[dict[str, np.ndarray], np.ndarray, int]:
    return run_block(evaluator, block)


def start_cluster(workers: int) -> Any:
    """A quiet ``distributed.Client`` on a ``LocalCluster`` of single-threaded worker processes."""
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                           silence_logs=logging.ERROR)
    return Client(cluster)


def run_dask(evaluator: Evaluator, blocks: Sequence[Any],
             done: Callable[[int, tuple[dict[str, np.ndarray], np.ndarray, int]], None], *,
             workers: int = 2, scheduler: str | None = None) -> None:
    """Evaluate ``blocks`` on a cluster; ``done(i, outcome)`` is called as each block finishes."""
    from distributed import Client, as_completed

    if workers < 1:
        raise NqpfError(f"--workers must be at least 1, got {workers}")
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError) as e:
            raise NqpfError(f"cannot reach the Dask scheduler at {scheduler!r}: {e}") from None
    else:
        client = start_cluster(workers)
    try:
        ev = client.scatter(evaluator, broadcast=True)
        futures = [client.submit(_run, ev, b, pure=False) for b in blocks]
        index = {f.key: i for i, f in enumerate(futures)}
        for fut in as_completed(futures):
            done(index[fut.key], fut.result())
    finally:
        cluster = client.cluster if scheduler is None else None
        client.close()
        if cluster is not None:
            cluster.close()

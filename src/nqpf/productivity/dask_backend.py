"""Dask backend for DEA: batches of linear programs mapped over worker processes.

Each task carries its reference technology and a chunk of evaluated units; a worker builds
one reusable HiGHS model per task (:class:`nqpf.productivity.dea.RadialLP`) and returns the
scores. Without a ``client`` a ``LocalCluster`` of ``workers`` single-threaded processes is
started and closed (as in :mod:`nqpf.innovation.dask_backend`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np


def start_cluster(workers: int) -> Any:
    """A quiet ``distributed.Client`` on a ``LocalCluster`` of single-threaded processes."""
    import logging

    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                           dashboard_address=":0", silence_logs=logging.ERROR)
    return Client(cluster)


def map_tasks(fn: Callable[[Any], np.ndarray], tasks: Sequence[Any], *, workers: int = 2,
              client: Any = None) -> list[np.ndarray]:
    """``[fn(t) for t in tasks]`` computed on a Dask cluster, results in task order."""
    own = client is None
    if own:
        client = start_cluster(workers)
    try:
        futures = client.map(fn, list(tasks), pure=False)
        return list(client.gather(futures))
    finally:
        if own:
            cluster = client.cluster
            client.close()
            cluster.close()

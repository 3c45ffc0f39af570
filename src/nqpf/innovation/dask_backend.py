"""Dask backend: corpus files spread over worker processes, each file streamed by its worker.

Files are grouped into size-balanced groups (largest first, each to the lightest group), by
default ``tasks_per_worker`` (2) groups per worker, so that each task is large enough to pay for
its scheduling (a task costs milliseconds; a group is megabytes of text). Only file paths travel
to the workers and only counts travel back, so the corpus is never held in memory as a whole.
The matcher is sent to each worker once (``client.scatter(..., broadcast=True)``), not with every
task.

:func:`cluster_client` gives a ``distributed.Client`` on a ``LocalCluster`` of single-threaded
worker processes and always closes it, waiting for the worker processes to exit, so no process
outlives the command. Pass an existing client to reuse a cluster across runs.
"""

from __future__ import annotations

import contextlib
import heapq
import logging
from collections.abc import Iterator, Sequence
from typing import Any

from nqpf.innovation.corpus import CorpusFile
from nqpf.innovation.exposure import FileOutcome, process_file
from nqpf.innovation.matching import TermMatcher


def balanced_groups(files: Sequence[CorpusFile], n: int) -> list[list[CorpusFile]]:
    """Split files into at most ``n`` groups of similar total size (greedy, largest first)."""
    n = max(1, min(n, len(files)))
    heap: list[tuple[int, int]] = [(0, i) for i in range(n)]
    groups: list[list[CorpusFile]] = [[] for _ in range(n)]
    for cf in sorted(files, key=lambda f: f.size, reverse=True):
        size, i = heapq.heappop(heap)
        groups[i].append(cf)
        heapq.heappush(heap, (size + max(cf.size, 1), i))
    return [g for g in groups if g]


def _process_group(group: list[CorpusFile], matcher: TermMatcher, tmx_lang: str) -> list[FileOutcome]:
    return [process_file(cf, matcher, tmx_lang=tmx_lang) for cf in group]


def start_cluster(workers: int) -> Any:
    """A quiet ``distributed.Client`` on a ``LocalCluster`` of single-threaded worker processes."""
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                           silence_logs=logging.ERROR)
    return Client(cluster)


def close_cluster(client: Any, timeout: float = 20.0) -> None:
    """Close a client and its ``LocalCluster``; wait until the worker processes have exited."""
    import psutil

    before = {p.pid for p in psutil.Process().children(recursive=True)}
    cluster = getattr(client, "cluster", None)
    try:
        client.close(timeout=timeout)
    finally:
        if cluster is not None:
            cluster.close(timeout=timeout)
    for p in psutil.Process().children(recursive=True):  # anything of the cluster still alive: stop it
        if p.pid in before:
            with contextlib.suppress(psutil.Error):
                p.wait(timeout=2)
            with contextlib.suppress(psutil.Error):
                if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                    p.terminate()
                    p.wait(timeout=5)


@contextlib.contextmanager
def cluster_client(workers: int, client: Any = None) -> Iterator[Any]:
    """``client`` if given (left open), else a new local cluster closed on exit."""
    if client is not None:
        yield client
        return
    own = start_cluster(workers)
    try:
        yield own
    finally:
        close_cluster(own)


def run_dask(
    files: Sequence[CorpusFile],
    matcher: TermMatcher,
    *,
    workers: int = 2,
    tmx_lang: str = "zh",
    progress: bool = False,
    client: Any = None,
    tasks_per_worker: int = 2,
) -> list[FileOutcome]:
    """Process files on a Dask cluster; outcomes in completion order."""
    if not files:
        return []
    with cluster_client(workers, client) as cl:
        from distributed import as_completed

        n_workers = len(cl.scheduler_info().get("workers", {})) or workers
        groups = balanced_groups(files, n_workers * tasks_per_worker)
        shared = cl.scatter(matcher, broadcast=True, hash=False)
        futures = [cl.submit(_process_group, g, shared, tmx_lang, pure=False) for g in groups]
        weights = {f.key: sum(cf.size for cf in g) for f, g in zip(futures, groups, strict=True)}
        outcomes: list[FileOutcome] = []
        if progress:
            from nqpf.innovation.progress import byte_progress

            with byte_progress() as bar:
                task = bar.add_task(f"exposure / 文本测度 (dask, {n_workers} workers)", total=sum(weights.values()))
                for fut in as_completed(futures):
                    outcomes.extend(fut.result())
                    bar.advance(task, weights.get(fut.key, 0))
        else:
            for fut in as_completed(futures):
                outcomes.extend(fut.result())
        return outcomes

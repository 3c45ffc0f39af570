"""Dask bag backend: corpus files spread over worker processes, each file streamed by its worker.

Files are grouped into size-balanced partitions (largest first, each to the lightest
partition); the bag maps :func:`nqpf.innovation.exposure.process_file` over them. Only file
paths travel to the workers and only counts travel back, so the corpus is never held in
memory as a whole. Without a ``client`` a ``LocalCluster`` of ``workers`` single-threaded
processes is started and closed.
"""

from __future__ import annotations

import heapq
import logging
from collections.abc import Sequence
from typing import Any

import dask.bag as db

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


def run_dask(
    files: Sequence[CorpusFile],
    matcher: TermMatcher,
    *,
    workers: int = 2,
    tmx_lang: str = "zh",
    progress: bool = False,
    client: Any = None,
    partitions_per_worker: int = 4,
) -> list[FileOutcome]:
    """Process files on a Dask cluster; outcomes in completion order."""
    if not files:
        return []
    own = client is None
    if own:
        client = start_cluster(workers)
    try:
        n_workers = len(client.scheduler_info().get("workers", {})) or workers
        groups = balanced_groups(files, n_workers * partitions_per_worker)
        bag = db.from_sequence(groups, npartitions=len(groups)).map(_process_group, matcher, tmx_lang).flatten()
        futures = client.compute(bag.to_delayed())
        weights = {f.key: sum(cf.size for cf in g) for f, g in zip(futures, groups, strict=True)}
        from distributed import as_completed

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
    finally:
        if own:
            cluster = client.cluster
            client.close()
            cluster.close()

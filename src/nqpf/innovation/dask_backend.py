"""Dask backend: corpus files spread over worker processes, each file streamed by its worker.

Where the time goes (profiled on the 33.6 MB corpus, one core): parsing 30%, normalising 37%,
matching 33%, about 0.12 s of CPU per MB; the matcher pickles to 0.18 MB and a file's counts to
about 7 kB per MB of text, so serialisation is negligible. The work is CPU-bound and
embarrassingly parallel; what costs a speed-up is (a) worker start-up and close (processes are
spawned, import nqpf, and end with a full interpreter shutdown), (b) CPU used by the command's own
process (scheduler, nannies, client) beside the workers, (c) a worker idling at the end while the
other finishes a large task, on a machine whose cores are shared. Hence:

* files are grouped into size-balanced groups (largest first, each to the lightest group) of
  about :data:`TASK_BYTES` (8 MB, about a second of CPU) and at least ``tasks_per_worker`` (4)
  groups per worker: each task pays for its scheduling (milliseconds) many times over, and the
  last tasks are small enough that no worker waits long for the other;
* only file paths travel to the workers and only counts travel back, straight from the workers,
  so the corpus is never held in memory as a whole; the matcher is sent to each worker once
  (``client.scatter(..., broadcast=True)``), not with every task; outcomes are put back in file
  order, so the results equal the local backend's row for row;
* :data:`QUIET_CONFIG` turns off the bookkeeping a short run does not need (work stealing, disk
  and GIL monitors) and slows the memory and host monitors;
* :func:`preload` runs a setup function once on every worker, now and on any worker that joins
  (a ``WorkerPlugin``): the batch qualifier loads jieba's dictionary there once per worker, and
  every cluster installs :func:`nqpf.innovation.fast_exit.freeze_at_exit`.

:func:`cluster_client` gives a ``distributed.Client`` on a ``LocalCluster`` of single-threaded
worker processes and always closes it (:func:`close_cluster`), waiting for its own worker
processes to exit, so no process outlives the command. Pass an existing client to reuse a
cluster across runs.
"""

from __future__ import annotations

import contextlib
import heapq
import logging
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

from nqpf.innovation.corpus import CorpusFile
from nqpf.innovation.fast_exit import freeze_at_exit
from nqpf.innovation.file_counts import FileOutcome, count_files
from nqpf.innovation.matching import TermMatcher
from nqpf.innovation.phases import Phases

TASK_BYTES = 8_000_000
"""Target bytes of corpus per Dask task (about one second of CPU at 8 MB/s)."""


def balanced_groups(files: Sequence[CorpusFile], n: int) -> list[list[CorpusFile]]:
    """Split files into at most ``n`` groups of similar total size (greedy, largest first)."""
    return [[files[i] for i in g] for g in _index_groups([cf.size for cf in files], n)]


def task_groups(files: Sequence[CorpusFile], workers: int, *, tasks_per_worker: int = 4,
                task_bytes: int = TASK_BYTES) -> list[list[CorpusFile]]:
    """Groups of about ``task_bytes`` each, and at least ``tasks_per_worker`` per worker."""
    return [[files[i] for i in g] for g in _task_index_groups([cf.size for cf in files], workers, tasks_per_worker, task_bytes)]


def _index_groups(sizes: Sequence[int], n: int) -> list[list[int]]:
    """Positions of ``sizes`` in at most ``n`` groups of similar total (greedy, largest first)."""
    n = max(1, min(n, len(sizes)))
    heap: list[tuple[int, int]] = [(0, i) for i in range(n)]
    groups: list[list[int]] = [[] for _ in range(n)]
    for pos in sorted(range(len(sizes)), key=lambda k: sizes[k], reverse=True):
        total, i = heapq.heappop(heap)
        groups[i].append(pos)
        heapq.heappush(heap, (total + max(sizes[pos], 1), i))
    return [g for g in groups if g]


def _task_index_groups(sizes: Sequence[int], workers: int, tasks_per_worker: int, task_bytes: int) -> list[list[int]]:
    total = sum(max(s, 1) for s in sizes)
    return _index_groups(sizes, max(workers * tasks_per_worker, -(-total // max(task_bytes, 1))))


class Preload(WorkerPlugin):
    """A ``WorkerPlugin`` that calls ``fn()`` once on each worker, at registration or when it starts."""

    def __init__(self, fn: Callable[[], object]) -> None:
        self.fn = fn

    def setup(self, worker: object) -> None:
        """Call ``fn`` on this worker."""
        self.fn()


def preload(client: Any, fn: Callable[[], object], name: str) -> None:
    """Run ``fn`` once on every worker of ``client`` now, and on every worker that joins later."""
    client.register_plugin(Preload(fn), name=name)


def worker_cpu_seconds(client: Any) -> dict[str, float]:
    """CPU seconds (user + system) each worker process has used so far, by worker address."""
    return dict(client.run(_cpu_seconds))


def _cpu_seconds() -> float:
    import psutil

    t = psutil.Process().cpu_times()
    return float(t.user + t.system)


QUIET_CONFIG: dict[str, object] = {
    "distributed.scheduler.work-stealing": False,  # tasks wait on the scheduler (queuing) until a worker is free
    "distributed.admin.system-monitor.disk": False,  # psutil disk counters every 0.5 s in every server: not needed
    "distributed.admin.system-monitor.gil.enabled": False,  # a 1 ms GIL poll, where gilknocker is installed
    "distributed.admin.system-monitor.interval": "2s",  # host metrics for dashboards, default 0.5 s per server
    "distributed.worker.memory.monitor-interval": "1s",  # each nanny polls its worker's memory, default 0.1 s
}
"""Dask settings for a short-lived local cluster: less bookkeeping in the client process, which
runs the scheduler and the nannies beside the command's own work."""


def start_cluster(workers: int) -> Any:
    """A quiet ``distributed.Client`` on a ``LocalCluster`` of single-threaded worker processes.

    The scheduler's HTTP endpoint listens on a free local port (no dashboard, no clash with
    another cluster on port 8787) and logs below ERROR are silenced.
    """
    import dask
    from distributed import Client, LocalCluster

    with dask.config.set(QUIET_CONFIG):
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address="127.0.0.1:0",
                               scheduler_kwargs={"dashboard": False}, silence_logs=logging.ERROR)
        client = Client(cluster, direct_to_workers=True)  # results come from the workers, not through the scheduler
    try:
        preload(client, freeze_at_exit, name="nqpf-freeze-at-exit")
    except BaseException:
        close_cluster(client)
        raise
    return client


def worker_pids(client: Any) -> list[int]:
    """Process ids of the worker processes of ``client``'s local cluster (empty if not local)."""
    cluster = getattr(client, "cluster", None)
    pids = []
    for nanny in getattr(cluster, "workers", {}).values():
        pid = getattr(nanny, "pid", None)
        if isinstance(pid, int):
            pids.append(pid)
    return pids


def close_cluster(client: Any, timeout: float = 10.0) -> None:
    """Close a client and its ``LocalCluster``, then wait for its worker processes to exit.

    Only this cluster's worker processes are waited for (and terminated, then killed, if one
    outlives the close): not multiprocessing's ``resource_tracker``, which ignores SIGTERM and
    exits with this process, nor the workers of another cluster that this process runs.
    """
    import psutil

    pids = worker_pids(client)
    cluster = getattr(client, "cluster", None)
    try:
        client.close(timeout=timeout)
    finally:
        if cluster is not None:
            cluster.close(timeout=timeout)
        procs = []
        for pid in pids:
            with contextlib.suppress(psutil.Error):
                procs.append(psutil.Process(pid))
        _, alive = psutil.wait_procs(procs, timeout=2)
        for sig in ("terminate", "kill"):
            for p in alive:
                with contextlib.suppress(psutil.Error):
                    getattr(p, sig)()
            _, alive = psutil.wait_procs(alive, timeout=2)


@contextlib.contextmanager
def cluster_client(workers: int, client: Any = None, phases: Phases | None = None) -> Iterator[Any]:
    """``client`` if given (left open), else a new local cluster closed on exit.

    ``phases`` records the seconds of ``start`` and ``close`` (see :mod:`nqpf.innovation.phases`).
    """
    if client is not None:
        yield client
        return
    phases = phases if phases is not None else Phases()
    with phases("start"):
        own = start_cluster(workers)
    try:
        yield own
    finally:
        with phases("close"):
            close_cluster(own)


def run_dask(
    files: Sequence[CorpusFile],
    matcher: TermMatcher,
    *,
    workers: int = 2,
    tmx_lang: str = "zh",
    progress: bool = False,
    client: Any = None,
    tasks_per_worker: int = 4,
    task_bytes: int = TASK_BYTES,
) -> list[FileOutcome]:
    """Process files on a Dask cluster; one outcome per file, in the order of ``files`` (as the
    local backend), whatever order the tasks finish in (see :func:`task_groups`)."""
    if not files:
        return []
    with cluster_client(workers, client) as cl:
        from distributed import as_completed

        n_workers = len(cl.scheduler_info().get("workers", {})) or workers
        sizes = [cf.size for cf in files]
        groups = _task_index_groups(sizes, n_workers, tasks_per_worker, task_bytes)
        shared = cl.scatter(matcher, broadcast=True, hash=False)
        futures = [cl.submit(count_files, [files[i] for i in g], shared, tmx_lang, pure=False) for g in groups]
        placed = {f.key: g for f, g in zip(futures, groups, strict=True)}
        slots: list[FileOutcome | None] = [None] * len(files)
        bar = None
        with contextlib.ExitStack() as stack:
            if progress:
                from nqpf.innovation.progress import byte_progress

                bar = stack.enter_context(byte_progress())
                task = bar.add_task(f"exposure / 文本测度 (dask, {n_workers} workers)", total=sum(sizes))
            for fut in as_completed(futures):
                group = placed[fut.key]
                for i, outcome in zip(group, fut.result(), strict=True):
                    slots[i] = outcome
                if bar is not None:
                    bar.advance(task, sum(sizes[i] for i in group))
        return [o for o in slots if o is not None]

"""The Dask backend with real worker processes: same counts as local, and no process left behind."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import psutil

from nqpf.innovation.exposure import measure_exposure


def _live_children() -> set[int]:
    out = set()
    for p in psutil.Process().children(recursive=True):
        try:
            if p.status() != psutil.STATUS_ZOMBIE and "resource_tracker" not in " ".join(p.cmdline()):
                out.add(p.pid)  # multiprocessing's resource tracker exits with this process; it is not a worker
        except psutil.Error:
            pass
    return out


def _mixed_real_corpus(root: Path, text: Path) -> None:
    """Every reader on real files: TMX, JSONL records, news Markdown, HTML and text annual reports,
    policy texts; and one bad file."""
    for name in ("GR2019.tmx", "GR2022.tmx"):
        shutil.copy(text / "gwr_national_tmx" / name, root)
    shutil.copy(text / "gwr_national_wikisource" / "cpc_congress_reports.jsonl", root)
    (root / "news").mkdir()
    for name in ("20220924", "20230909", "20240301", "20240803"):
        shutil.copy(text / "news_xwlb" / "news" / f"{name}.md", root / "news")
    reports = sorted((text / "annual_reports_finglm").iterdir())
    for p in [next(p for p in reports if p.suffix == ".html"), next(p for p in reports if p.suffix == ".txt")]:
        shutil.copy(p, root)
    for p in sorted((text / "policy_digital_pkulaw").glob("*.txt"))[:2]:
        shutil.copy(p, root)
    (root / "binary.txt").write_bytes(b"abc\x00\x01\x02" * 100)


def test_dask_outputs_equal_local_exactly_and_no_process_survives(tmp_path: Path, data_dir: Path) -> None:
    _mixed_real_corpus(tmp_path, data_dir / "text")
    before = _live_children()
    dask = measure_exposure(tmp_path, backend="dask", workers=2)
    assert _live_children() <= before, "a Dask process outlived measure_exposure"
    local = measure_exposure(tmp_path)
    assert dask.stats.workers == 2 and dask.stats.backend == "dask"
    assert {"start", "run", "close"} <= set(dask.phases.seconds) and "start" not in local.phases.seconds
    # the same tables, row for row in the same order (outcomes are put back in file order)
    assert len(local.document_counts) == 26 and local.documents["format"].nunique() == 6
    pd.testing.assert_frame_equal(dask.documents, local.documents)
    pd.testing.assert_frame_equal(dask.terms, local.terms)
    pd.testing.assert_frame_equal(dask.counts, local.counts)
    pd.testing.assert_frame_equal(dask.observations(), local.observations())
    assert [str(f) for f in dask.failures] == [str(f) for f in local.failures] and len(local.failures) == 1
    for attr in ("files", "documents", "bytes", "chars"):
        assert getattr(dask.stats, attr) == getattr(local.stats, attr), attr


def test_tasks_are_about_task_bytes_and_at_least_four_per_worker(data_dir: Path) -> None:
    from nqpf.innovation.corpus import discover
    from nqpf.innovation.dask_backend import TASK_BYTES, task_groups

    files = discover(data_dir / "text") * 9  # the real corpus repeated, as in the benchmark (about 300 MB)
    total = sum(f.size for f in files)
    assert total > 300e6
    for workers in (1, 2):
        groups = task_groups(files, workers)
        sizes = [sum(f.size for f in g) for g in groups]
        assert len(groups) == -(-total // TASK_BYTES) >= 4 * workers  # 38 tasks of about 8 MB each
        assert sum(len(g) for g in groups) == len(files)
        assert max(sizes) - min(sizes) <= max(f.size for f in files)  # greedy balance: within one file
    small = files[:3]
    assert len(task_groups(small, 2)) == 3  # never more groups than files


_CALLS: list[int] = []


def _note_call() -> None:
    _CALLS.append(1)


def test_preload_runs_once_per_worker() -> None:
    from distributed import Client

    from nqpf.innovation.dask_backend import preload

    _CALLS.clear()
    with Client(processes=False, n_workers=2, threads_per_worker=1, dashboard_address="127.0.0.1:0") as client:
        preload(client, _note_call, name="test-preload")
        assert len(_CALLS) == 2  # in-process workers share this module: one call each
        client.submit(sum, [1, 2]).result()
        assert len(_CALLS) == 2  # tasks do not repeat it


def test_closing_one_cluster_leaves_another_and_the_resource_tracker_alone() -> None:
    from nqpf.innovation.dask_backend import close_cluster, start_cluster, worker_pids

    first, second = start_cluster(1), start_cluster(1)
    try:
        mine, other = worker_pids(first), worker_pids(second)
        assert len(mine) == len(other) == 1 and mine != other
        close_cluster(first)
        assert not any(psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE for p in mine)
        assert psutil.Process(other[0]).is_running()  # the old close waited for and stopped every child: 21.6 s
        assert second.submit(sum, [1, 2]).result() == 3
        tracker = [p for p in psutil.Process().children() if "resource_tracker" in " ".join(p.cmdline())]
    finally:
        close_cluster(second)
    assert not any(psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE for p in other)
    assert all(p.is_running() for p in tracker)  # it ignores SIGTERM and exits with this process


def test_phases_line_round_trip() -> None:
    from nqpf.innovation.phases import Phases, parse

    ph = Phases()
    with ph("start"):
        pass
    ph.add("run", 1.25)
    ph.add("run", 0.5)
    assert list(ph.seconds) == ["start", "run"] and ph.seconds["run"] == 1.75
    assert parse(f"timings: {ph} at=12.5") == {"start": round(ph.seconds["start"], 3), "run": 1.75, "at": 12.5}

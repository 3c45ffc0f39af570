"""The Dask backend with real worker processes: same counts as local, and no process left behind."""

from __future__ import annotations

import shutil
from pathlib import Path

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


def test_dask_workers_count_like_local_and_exit(tmp_path: Path, data_dir: Path) -> None:
    for name in ("GR2019.tmx", "GR2022.tmx"):
        shutil.copy(data_dir / "text" / "gwr_national_tmx" / name, tmp_path)
    before = _live_children()
    dask = measure_exposure(tmp_path, backend="dask", workers=2)
    assert _live_children() <= before, "a Dask process outlived measure_exposure"
    local = measure_exposure(tmp_path)
    assert dask.stats.workers == 2 and dask.stats.backend == "dask"
    key = ["doc_id", "form"]
    assert dask.terms.sort_values(key, ignore_index=True).equals(local.terms.sort_values(key, ignore_index=True))
    assert dask.documents.sort_values("doc_id", ignore_index=True).equals(local.documents.sort_values("doc_id", ignore_index=True))

"""Served runs that follow the store: staleness, a background rebuild, and an atomic swap.

* :class:`Served` holds the generation of runs served now (a :class:`~nqpf.api.state.Catalog`).
  A generation is the folder the server started on (``home``) or a rebuilt copy
  ``home/_rebuilds/<job>/``; ``home/_rebuilds/current.json`` names the one to serve. Every request
  takes one generation for its whole life (:meth:`Served.current`), so a reader never mixes two
  runs, and a swap is one ``os.replace`` of that pointer plus one reference assignment. Each
  worker process checks the pointer's ``stat`` per request and follows it. On start, the pointer
  is followed only when it is newer than every run in ``home`` (a later ``nqpf run --out home``
  wins).
* :func:`start_rebuild` runs :func:`nqpf.rerun.rerun` (the main job, :func:`nqpf.services.run_job`,
  what ``nqpf run`` calls) in a background thread into ``_rebuilds/<job>.part/``, renames it to
  ``_rebuilds/<job>/`` when every framework is written, then swaps. A failed rebuild removes its
  partial folder, keeps the served run and records the error. One rebuild at a time across
  processes: an exclusive ``flock`` on ``_rebuilds/.lock`` (released when the job ends or its
  process dies); a second request gets :class:`RebuildBusy`.
* Job status lives in ``_rebuilds/jobs/<job>.json`` (written atomically at every step), so any
  worker can answer ``GET .../rebuild/{job}``.
* :meth:`Served.staleness` compares the served runs' inputs with the store
  (:func:`nqpf.rerun.changed_inputs`), cached per (store file signature, generation).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import shutil
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from nqpf.api.state import Catalog
from nqpf.errors import NqpfError

REBUILDS = "_rebuilds"
#: the banner text of a stale run, as the dashboard shows it
STALE_EN, STALE_ZH = "Data newer than the run: results not recomputed", "数据已更新，结果未重算"
FIX = ("POST /api/v1/admin/rebuild (token) rebuilds the served runs on the new data; or run `nqpf run` and restart "
       "/ 管理员可重算（POST /api/v1/admin/rebuild），或重新运行 nqpf run 并重启服务")


class RebuildBusy(NqpfError):
    """Another rebuild holds the lock (409)."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _write_json(path: Path, doc: dict[str, Any]) -> None:
    """Write ``doc`` so that readers see the old file or the new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def _sig(path: Path | None) -> tuple[int, int, int] | None:
    if path is None:
        return None
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


class Served:
    """The runs a server serves now, and their rebuilds (see the module docstring)."""

    def __init__(self, home: str | Path, store_path: str | Path | None = None) -> None:
        self.home = Path(home).expanduser()
        self.store_path = Path(store_path).expanduser() if store_path is not None else None
        self.folder = self.home / REBUILDS
        self.pointer = self.folder / "current.json"
        self._lock = threading.Lock()
        self._stale: dict[tuple[Any, ...], dict[str, Any]] = {}
        self._cat = self._load(first=True)
        self._pointer_sig = _sig(self.pointer)

    # -- the generation served -------------------------------------------------------------
    def _load(self, first: bool = False) -> Catalog:
        gen = self._generation(first)
        folder = self.folder / gen if gen else self.home
        return Catalog(folder, self.store_path, home=self.home, generation=gen)

    def _generation(self, first: bool) -> str:
        """The job id the pointer names ("" for ``home``), if its folder is whole."""
        try:
            doc = json.loads(self.pointer.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return ""
        gen = str(doc.get("generation", ""))
        folder = self.folder / gen
        if not gen or not any(folder.glob("*/run.json")):
            return ""
        if first:  # a run written into home after the rebuild (a new `nqpf run`) is newer: serve it
            home_runs = [p.stat().st_mtime for p in self.home.glob("*/run.json")]
            if home_runs and max(home_runs) > self.pointer.stat().st_mtime:
                return ""
        return gen

    def current(self) -> Catalog:
        """The generation to use for one request (follows a swap made by any process)."""
        sig = _sig(self.pointer)
        if sig != self._pointer_sig:
            with self._lock:
                if sig != self._pointer_sig:
                    self._cat = self._load()
                    self._pointer_sig = sig
        return self._cat

    def swap(self, generation: str) -> None:
        """Serve ``_rebuilds/<generation>/`` from now on (its folder is whole)."""
        with self._lock:
            _write_json(self.pointer, {"generation": generation, "at": _now()})
            self._cat = self._load()
            self._pointer_sig = _sig(self.pointer)

    # -- staleness ---------------------------------------------------------------------------
    def store_sig(self) -> tuple[Any, ...]:
        p = self.store_path
        return (_sig(p), _sig(p.with_name(p.name + ".wal"))) if p is not None else (None,)

    def staleness(self) -> dict[str, dict[str, int]]:
        """``{framework: {variable: cells changed}}`` of the served runs against the store now
        (empty without a store or when nothing changed); computed once per store change."""
        cat = self.current()
        store = cat.store()
        if store is None or not cat.ids:
            return {}
        key = (self.store_sig(), cat.generation, str(cat.run_dir))
        hit = self._stale.get(key)
        if hit is None:
            from nqpf.rerun import changed_inputs

            hit = changed_inputs([cat.run(f).folder for f in cat.ids], store)
            with self._lock:
                self._stale = {key: hit}
        return hit

    # -- jobs ----------------------------------------------------------------------------------
    def job_path(self, job: str) -> Path:
        return self.folder / "jobs" / f"{job}.json"

    def job(self, job: str) -> dict[str, Any] | None:
        """The job's recorded status; a job recorded as running whose lock nobody holds was
        interrupted (its process stopped) and says so."""
        try:
            doc: dict[str, Any] = json.loads(self.job_path(job).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if doc.get("status") == "running" and not self._lock_held():
            doc.update(status="interrupted", error="the server stopped during the rebuild; the served run is unchanged "
                                                   "/ 重算中断，仍提供原结果")
        return doc

    def _lock_held(self) -> bool:
        """Whether a rebuild holds the lock now (in this or another process)."""
        try:
            with open(self.folder / ".lock", "a+", encoding="utf-8") as fh:
                try:
                    fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    return True
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
                return False
        except OSError:
            return False

    def latest_job(self) -> dict[str, Any] | None:
        """The most recent rebuild job, if any (its status as recorded)."""
        jobs = sorted((self.folder / "jobs").glob("*.json"))
        return self.job(jobs[-1].stem) if jobs else None

    def _take_lock(self) -> IO[str]:
        self.folder.mkdir(parents=True, exist_ok=True)
        fh = open(self.folder / ".lock", "a+", encoding="utf-8")  # noqa: SIM115 -- held by the job's thread
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.close()
            running = self.latest_job()
            what = (f"job {running['job']} since {running['started_at']} ({running.get('step', '')})"
                    if running and running.get("status") == "running" else "another process")
            raise RebuildBusy(f"a rebuild is already running ({what}); wait for it to finish "
                              "(GET /api/v1/admin/rebuild/{job}) / 已有重算任务在运行") from None
        return fh


def start_rebuild(served: Served, run: Callable[..., Any] | None = None) -> dict[str, Any]:
    """Start rebuilding the served runs in a background thread; returns the job's first status.
    ``run(run_dir, store, out, ids, on_step)`` is :func:`nqpf.rerun.rerun` unless given.
    Raises :class:`RebuildBusy` when a rebuild is running (in any process)."""
    from nqpf.rerun import RerunError, recorded_options

    cat = served.current()
    if cat.store_path is None or cat.store() is None:
        raise RerunError("no store is served: start `nqpf serve --store FILE --allow-writes` to rebuild / 未指定数据库")
    if not cat.ids:
        raise RerunError("no run is served: build one with `nqpf run` first / 尚无运行结果")
    recorded_options(cat.run_dir, cat.ids)  # refuse what cannot be rebuilt before taking the lock
    fh = served._take_lock()
    for old in served.folder.glob("*.part"):  # left by a process killed mid-rebuild
        shutil.rmtree(old, ignore_errors=True)
    job = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(3)
    status = {"job": job, "status": "running", "step": "starting / 开始", "started_at": _now(), "finished_at": None,
              "frameworks": list(cat.ids), "from_generation": cat.generation or "home", "generation": None,
              "error": None, "log": []}
    _write_json(served.job_path(job), status)
    th = threading.Thread(target=_run_job, args=(served, cat, job, status, fh, run), name=f"nqpf-rebuild-{job}",
                          daemon=True)
    th.start()
    return dict(status)


def _run_job(served: Served, cat: Catalog, job: str, status: dict[str, Any], fh: IO[str],
             run: Callable[..., Any] | None) -> None:
    from nqpf.data.store import Store
    from nqpf.report.pages import RUN_PAGES
    from nqpf.rerun import rerun

    part = served.folder / f"{job}.part"
    t0 = time.perf_counter()

    def step(text: str) -> None:
        status["step"] = text.splitlines()[0][:200] if text else ""
        status["log"] = [*status["log"], f"{time.perf_counter() - t0:6.1f}s {status['step']}"][-50:]
        _write_json(served.job_path(job), status)

    try:
        assert cat.store_path is not None
        if run is None:
            rerun(cat.run_dir, Store(cat.store_path), part, list(cat.ids), step, pages=RUN_PAGES)
        else:
            run(cat.run_dir, Store(cat.store_path), part, list(cat.ids), step)
        missing = [f for f in cat.ids if not (part / f / "run.json").is_file() or not (part / f / "scores.parquet").is_file()]
        if missing:
            raise NqpfError(f"the rebuild did not write {', '.join(missing)}")
        os.replace(part, served.folder / job)
        served.swap(job)
        _prune(served, keep={job, cat.generation})
        status.update(status="done", step=f"done: serving the rebuilt run / 已完成 ({time.perf_counter() - t0:.1f}s)",
                      generation=job)
    except Exception as e:  # a failed rebuild keeps the old run and says why, in one line
        shutil.rmtree(part, ignore_errors=True)
        msg = str(e).splitlines()[0][:300] if str(e) else type(e).__name__
        if not isinstance(e, NqpfError):
            msg = f"{type(e).__name__}: {msg}"
        status.update(status="failed", step="failed; the served run is unchanged / 重算失败，仍提供原结果", error=msg)
    finally:
        status["finished_at"] = _now()
        with contextlib.suppress(OSError):
            _write_json(served.job_path(job), status)
        fh.close()  # releases the lock


def _prune(served: Served, keep: set[str]) -> None:
    """Remove rebuilt generations other than the new and the previous one (a request still
    reading the previous one finishes; requests last at most the service's time limit)."""
    for p in served.folder.iterdir():
        if p.is_dir() and p.name not in keep and p.name != "jobs" and not p.name.endswith(".part"):
            shutil.rmtree(p, ignore_errors=True)

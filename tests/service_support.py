"""Shared by the service tests: one real run folder per test session, and a live server.

The run is built once (``services.run_job`` on a temporary store importing the real
``../shared/data/panel`` and ``raw`` folders) and reused by every service test module.
"""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

FRAMEWORK = "nqpf-three-elements"
_BUILT: dict[str, Path] = {}
_LOCK = threading.Lock()


def service_run(data_dir: Path) -> tuple[Path, Path]:
    """``(run_dir, store_path)`` of the session's real run of :data:`FRAMEWORK` (built on first use)."""
    with _LOCK:
        if "run" not in _BUILT:
            from nqpf import services
            from nqpf.data.store import Store

            base = Path(tempfile.mkdtemp(prefix="nqpf-service-"))
            store = Store(base / "store.duckdb")
            # version 1.0: the published 2010-2019 index, whose numbers the tests pin
            services.run_job(store, frameworks=[f"{FRAMEWORK}@1.0"], spec={"years": "2010:2019"}, out=base / "run",
                             html=False, data=data_dir)
            _BUILT["run"], _BUILT["store"] = base / "run", store.path
        return _BUILT["run"], _BUILT["store"]


HQD = "hqd-four-channels"


def linked_run(data_dir: Path) -> tuple[Path, Path]:
    """``(run_dir, store_path)`` of a run holding :data:`FRAMEWORK` and :data:`HQD` (both 1.0,
    2010-2019) on the session's store: what the implied-HQD scenario answers need."""
    _, store_path = service_run(data_dir)
    with _LOCK:
        if "linked" not in _BUILT:
            from nqpf import services
            from nqpf.data.store import Store

            out = store_path.parent / "linked"
            services.run_job(Store(store_path), frameworks=[f"{FRAMEWORK}@1.0", f"{HQD}@1.0"],
                             spec={"years": "2010:2019"}, out=out, html=False, data=data_dir)
            _BUILT["linked"] = out
        return _BUILT["linked"], store_path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def live_server(app: object) -> Iterator[str]:
    """Serve ``app`` with uvicorn in a thread on a free loopback port; yields the base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))  # type: ignore[arg-type]
    th = threading.Thread(target=server.run, daemon=True)
    th.start()
    deadline = time.time() + 30
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        th.join(10)


ARTIFACTS = Path(os.environ.get("NQPF_TEST_ARTIFACTS", Path(__file__).parent / "artifacts"))


#: Debian's Chromium (CI apt-installs it, see .ci/run) and the flags it is started with
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright (the browser tests' ``browser``)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


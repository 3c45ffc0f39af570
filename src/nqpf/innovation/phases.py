"""Wall-clock seconds per phase of a run (discover, start-up, work, close ...), for profiling.

``NQPF_PROFILE=1`` makes ``nqpf innovation exposure`` print them on stderr as one line
(``timings: discover=0.05 start=1.42 ...``), which ``benchmarks/bench_innovation.py`` reads.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator

PROFILE_ENV = "NQPF_PROFILE"


def profiling() -> bool:
    """True when ``NQPF_PROFILE`` is set to anything but ``""`` or ``0``."""
    return os.environ.get(PROFILE_ENV, "") not in ("", "0")


class Phases:
    """Ordered ``phase -> seconds``; time a block with ``with phases("name"): ...``."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextlib.contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - t0)

    def add(self, name: str, seconds: float) -> None:
        """Add ``seconds`` to phase ``name`` (created at the end if new)."""
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds

    def __str__(self) -> str:
        return " ".join(f"{k}={v:.3f}" for k, v in self.seconds.items())


def parse(line: str) -> dict[str, float]:
    """The phases of a ``timings: a=1.0 b=2.0`` line (the inverse of ``str(Phases)``)."""
    body = line.split("timings:", 1)[-1].split()
    return {k: float(v) for k, v in (item.split("=", 1) for item in body)}

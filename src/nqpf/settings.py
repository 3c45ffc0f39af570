"""Where nqpf keeps things: the store file and the default data folder.

* Store: ``$NQPF_STORE`` or ``$XDG_DATA_HOME/nqpf/nqpf.duckdb`` (``~/.local/share/nqpf/``).
* Data folder for ``nqpf run``: ``$NQPF_DATA`` or ``../shared/data`` beside the checkout
  (looked for from the working directory upwards, then beside the installed source tree).
* User frameworks: ``$NQPF_FRAMEWORKS`` or ``$XDG_DATA_HOME/nqpf/frameworks/``.
"""

from __future__ import annotations

import os
from pathlib import Path


def default_store_path() -> Path:
    """The per-user DuckDB store file."""
    env = os.environ.get("NQPF_STORE")
    if env:
        return Path(env).expanduser()
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "nqpf" / "nqpf.duckdb"


def default_data_dir() -> Path | None:
    """The real-data folder (``../shared/data`` beside the checkout), or ``None``."""
    env = os.environ.get("NQPF_DATA")
    if env:
        return Path(env).expanduser()
    starts = [Path.cwd(), Path(__file__).resolve().parent]
    for start in starts:
        for d in [start, *start.parents]:
            cand = d.parent / "shared" / "data"
            if (cand / "panel" / "provinces.csv").is_file():
                return cand
            cand = d / "shared" / "data"
            if (cand / "panel" / "provinces.csv").is_file():
                return cand
    return None


def default_frameworks_dir() -> Path:
    """The user's frameworks folder: ``$NQPF_FRAMEWORKS`` or ``$XDG_DATA_HOME/nqpf/frameworks``.

    Frameworks saved there (``<id>.yaml``, e.g. by the web service's save-framework endpoint)
    load by id like the shipped ones (``nqpf run -f <id>``)."""
    env = os.environ.get("NQPF_FRAMEWORKS")
    if env:
        return Path(env).expanduser()
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "nqpf" / "frameworks"

"""What every command shares: the console, safe printing of data, and one-line errors (exit 2)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape as _markup_escape

console = Console()
err_console = Console(stderr=True)

#: exit code of a user's mistake (bad argument, bad file, unknown name)
USAGE_ERROR = 2


def escape(value: object) -> str:
    """``str(value)`` safe inside Rich markup: brackets escaped, control characters as ``\\xNN``."""
    s = str(value)
    if not s.isprintable():
        s = "".join(_code(ch) if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Co", "Cs") else ch for ch in s)
    return _markup_escape(s)


def _code(ch: str) -> str:
    return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"


def fail(message: str, code: int = USAGE_ERROR) -> NoReturn:
    """Print one line ``error / 错误: message`` and exit with ``code`` (2: a user's mistake)."""
    one_line = "; ".join(part.strip() for part in str(message).splitlines() if part.strip()).replace(":; ", ": ")
    console.print(f"[red]error / 错误:[/] {escape(one_line)}", soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def safe() -> Iterator[None]:
    """Turn nqpf's own errors (bad input, unknown names, bad files) into :func:`fail`."""
    from nqpf.errors import NqpfError

    try:
        yield
    except NqpfError as e:
        fail(str(e))
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError) as e:
        fail(f"{e.strerror or e}: {e.filename}" if getattr(e, "filename", None) else str(e))

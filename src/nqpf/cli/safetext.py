"""Text from data and paths made safe to print: no Rich markup, no terminal control codes.

Anything a user's files put on screen (variable ids, names, file names, cell texts) goes through
:func:`plain` (a :class:`rich.text.Text`, so ``[/x]`` is shown as written instead of being read
as markup) or :func:`clean` (a ``str`` with control characters shown as escapes, e.g. ESC as
``\\x1b``), so a hostile value can neither crash the display nor drive the terminal.
"""

from __future__ import annotations

import unicodedata

from rich.text import Text


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean(value: object) -> str:
    """``str(value)`` with control and bidi-format characters written as escapes."""
    s = str(value)
    if s.isprintable():
        return s
    return "".join(
        _escape(ch) if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Co", "Cs") else ch
        for ch in s
    )


def plain(value: object, style: str = "") -> Text:
    """A Rich :class:`Text` of :func:`clean` ``(value)``: printed literally, never as markup."""
    return Text(clean(value), style=style)

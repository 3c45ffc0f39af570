"""Year arguments, read one way everywhere: ``"2012:2019"``, ``"2015,2019"`` or a list."""

from __future__ import annotations

from typing import Any

from nqpf.errors import NqpfError


class YearsError(NqpfError):
    """A years argument that cannot be read."""


def parse_years(text: Any) -> list[int] | None:
    """Years from ``"2012:2019"`` (both ends included), ``"2015,2019"``, a list, or None.

    Raises :class:`YearsError` naming the accepted forms for anything else (``"2012-2019"``,
    ``"2019:2012"``, ``"abc"``).
    """
    if text is None or text == "" or text == []:
        return None
    forms = "write a range as 2012:2019 or a list as 2015,2017,2019"
    if isinstance(text, str):
        s = text.strip()
        try:
            if ":" in s:
                a, b = (int(v) for v in s.split(":", 1))
                if a > b:
                    raise YearsError(f"years {text!r} run backwards; {forms}")
                return list(range(a, b + 1))
            return sorted({int(v) for v in s.split(",")})
        except ValueError:
            raise YearsError(f"cannot read years {text!r}; {forms}") from None
    try:
        return sorted({int(y) for y in text})
    except (TypeError, ValueError):
        raise YearsError(f"cannot read years {text!r}; {forms}") from None

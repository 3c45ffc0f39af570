"""The numbers a report's sentences use, each with where it came from, so a test can check them.

Every number a template shows goes through :meth:`Facts.add`, which formats it and records
the table (path relative to the run folder), the rows (``where``: column -> value or list of
values), the column and how the rows give the number (``agg``):

* ``value``  -- the single row's value; ``mean`` -- the mean over the rows;
* ``year``   -- the number is a year present in the table (``value`` is that year);
* ``diff``   -- ``args[0] - args[1]`` of two other facts; ``ratio`` -- ``args[0] / args[1]``;
* ``pct``    -- ``100 * (args[1] / args[0] - 1)`` (a change in per cent);
* ``robust_count`` -- rows with ``rank_p95 - rank_p05 <= 3``; ``count`` -- rows.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["Fact", "Facts"]


@dataclass(frozen=True)
class Fact:
    """One number as shown (``text``) and its source."""

    key: str
    text: str
    value: float
    table: str
    column: str
    where: dict[str, Any] = field(default_factory=dict)
    agg: str = "value"
    args: tuple[str, ...] = ()
    digits: int | None = None


class Facts:
    """An ordered record of the facts a document used (:meth:`add` returns the text to show)."""

    def __init__(self) -> None:
        self.items: dict[str, Fact] = {}

    def add(self, key: str, value: float, *, table: str = "", column: str = "", where: dict[str, Any] | None = None,
            agg: str = "value", args: tuple[str, ...] = (), digits: int | None = 3, suffix: str = "") -> str:
        """Record ``value`` under ``key`` and return it formatted (``digits`` decimals; None: integer)."""
        text = (f"{value:.{digits}f}" if digits is not None else f"{round(value):d}") + suffix
        self.items[key] = Fact(key, text, float(value), table, column, dict(where or {}), agg, tuple(args), digits)
        return text

    def __getitem__(self, key: str) -> Fact:
        return self.items[key]

    def __len__(self) -> int:
        return len(self.items)

    def to_records(self) -> list[dict[str, Any]]:
        """Plain records (for a JSON file beside the document)."""
        return [asdict(f) for f in self.items.values()]

"""Errors raised at the boundary of nqpf, each naming what is at fault."""

from __future__ import annotations


class NqpfError(Exception):
    """Base class of every error nqpf raises on purpose."""


def location(file: str | None = None, line: object = None, cell: object = None, region: object = None,
             variable: object = None, *, file_label: str = "") -> list[str]:
    """The parts that locate a fault: ``["file x.csv", "line 7", "cell C7", "region 北京", ...]``.

    Empty parts are left out; a missing line (None, NaN, pandas NA) is too.
    """
    parts = [f"{file_label}{file}"] if file else []
    try:
        if line is not None and line == line:  # NaN != NaN; pd.NA raises in bool()
            parts.append(f"line {int(line)}")  # type: ignore[call-overload]
    except TypeError:
        pass
    if cell:
        parts.append(f"cell {cell}")
    if region:
        parts.append(f"region {region}")
    if variable:
        parts.append(f"variable {variable}")
    return parts


class ValidationError(NqpfError):
    """Input data that cannot be accepted.

    Carries where the fault is (file, line or cell, region, variable) so messages
    point the user at the exact place, and ``problems`` lists every fault found
    (validation reports them all, not only the first).
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        cell: str | None = None,
        region: str | None = None,
        variable: str | None = None,
        problems: list[str] | None = None,
    ) -> None:
        self.file = file
        self.line = line
        self.cell = cell
        self.region = region
        self.variable = variable
        self.problems = problems or [message]
        where = location(file, line, cell, region, variable, file_label="file ")
        prefix = f"[{', '.join(where)}] " if where else ""
        super().__init__(prefix + message)


class UnknownRegionError(ValidationError):
    """A region name or code that the registry does not know."""


class StoreError(NqpfError):
    """A problem with the embedded store (locked, corrupt, wrong schema)."""


class FrameworkError(NqpfError):
    """An indicator framework that cannot be loaded or evaluated."""

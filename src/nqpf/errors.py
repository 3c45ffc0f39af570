"""Errors raised at the boundary of nqpf, each naming what is at fault."""

from __future__ import annotations


class NqpfError(Exception):
    """Base class of every error nqpf raises on purpose."""


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
        where = []
        if file:
            where.append(f"file {file}")
        if line is not None:
            where.append(f"line {line}")
        if cell:
            where.append(f"cell {cell}")
        if region:
            where.append(f"region {region}")
        if variable:
            where.append(f"variable {variable}")
        prefix = f"[{', '.join(where)}] " if where else ""
        super().__init__(prefix + message)


class UnknownRegionError(ValidationError):
    """A region name or code that the registry does not know."""


class StoreError(NqpfError):
    """A problem with the embedded store (locked, corrupt, wrong schema)."""


class FrameworkError(NqpfError):
    """An indicator framework that cannot be loaded or evaluated."""

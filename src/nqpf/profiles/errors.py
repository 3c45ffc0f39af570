"""The error of the profiles package."""

from __future__ import annotations

from nqpf.errors import NqpfError


class ProfileError(NqpfError):
    """A profile that cannot be made (unknown province or year, a malformed table)."""

"""YAML loading that hostile input cannot use to exhaust memory or time.

``load_yaml`` refuses anchors/aliases (the "billion laughs" alias bomb: a 1 KB file that expands
to gigabytes) and texts above a size limit, and always uses the safe loader (no Python objects).
Shipped and user YAML (frameworks, specs, taxonomies, groupings, manifests) all go through it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from nqpf.errors import NqpfError

#: the C-accelerated safe loader where libyaml is present (the same rules as ``yaml.safe_load``)
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

#: default size limit of one YAML document, in bytes (the largest shipped file is ~40 KB)
MAX_YAML_BYTES = 8 * 1024 * 1024


class YamlError(NqpfError):
    """A YAML text that cannot be accepted (too large, aliases, or a syntax error)."""


def load_yaml(source: str | Path, *, name: str | None = None, max_bytes: int = MAX_YAML_BYTES) -> Any:
    """Parse YAML from a path or a text, refusing aliases and texts over ``max_bytes``.

    Parameters
    ----------
    source:
        A :class:`~pathlib.Path` to read (UTF-8), or the YAML text itself.
    name:
        How to name the input in errors (defaults to the path).
    max_bytes:
        Size limit in bytes; larger inputs are refused before parsing.
    """
    if isinstance(source, Path):
        label = name or str(source)
        try:
            size = source.stat().st_size
        except OSError as e:
            raise YamlError(f"cannot read {label}: {e.strerror or e}") from None
        if size > max_bytes:
            raise YamlError(f"{label} is {size:,} bytes; YAML inputs are limited to {max_bytes:,} bytes")
        try:
            text = source.read_text(encoding="utf-8")
        except UnicodeDecodeError as e:
            raise YamlError(f"{label} is not UTF-8 text (byte {e.start})") from None
    else:
        label = name or "YAML text"
        text = source
        if len(text.encode("utf-8", errors="replace")) > max_bytes:
            raise YamlError(f"{label} is larger than {max_bytes:,} bytes, the limit for YAML inputs")
    try:
        for event in yaml.parse(text, Loader=_LOADER):
            if isinstance(event, yaml.AliasEvent):
                mark = getattr(event, "start_mark", None)
                where = f" (line {mark.line + 1})" if mark is not None else ""
                raise YamlError(
                    f"{label}{where}: YAML aliases (*{event.anchor}) are not accepted; write the value out"
                )
        return yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise YamlError(f"{label}: YAML syntax error{where}: {problem}") from None

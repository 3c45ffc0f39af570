"""Hostile YAML: alias bombs and oversized texts are refused with a clear error, never expanded."""

from __future__ import annotations

from pathlib import Path

import pytest

from nqpf.frameworks import load_framework
from nqpf.frameworks.spec import FrameworkSpecError
from nqpf.safeyaml import YamlError, load_yaml

BOMB = "\n".join(
    ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]" for i in range(8)]
)


def test_plain_yaml_loads() -> None:
    assert load_yaml("a: 1\nb: [x, 2]") == {"a": 1, "b": ["x", 2]}


def test_alias_bomb_is_refused_with_line() -> None:
    with pytest.raises(YamlError, match=r"line 2\): YAML aliases \(\*a\) are not accepted"):
        load_yaml(BOMB)


def test_size_limit(tmp_path: Path) -> None:
    p = tmp_path / "big.yaml"
    p.write_text("x: " + "a" * 2000, encoding="utf-8")
    with pytest.raises(YamlError, match=r"big.yaml is 2,003 bytes; YAML inputs are limited to 1,000 bytes"):
        load_yaml(p, max_bytes=1000)


def test_syntax_error_names_line() -> None:
    with pytest.raises(YamlError, match=r"YAML text: YAML syntax error at line 2, column 1"):
        load_yaml("a: [1\n")


def test_framework_alias_bomb(tmp_path: Path) -> None:
    p = tmp_path / "bomb.yaml"
    p.write_text(BOMB, encoding="utf-8")
    with pytest.raises(FrameworkSpecError, match="aliases"):
        load_framework(p)

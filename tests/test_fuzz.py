"""Property-based fuzzing: the tidy importer, the NBS parser and the formula parser either
succeed or raise one clear error (ValidationError / FormulaError), never another exception.

Inputs are built from the real header and rows of the shipped data (region names, years,
variables) mixed with arbitrary text and bytes. The closing line of each test says how many
cases ran.
"""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nqpf.data.importers import read_file
from nqpf.data.importers.nbs import read_nbs
from nqpf.data.validate import validate_batches
from nqpf.errors import ValidationError
from nqpf.frameworks.formula import FormulaError, parse_formula

FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])
COUNT: dict[str, int] = {}

CELLS = st.one_of(
    st.sampled_from(["北京", "北京市", "Guangdong", "110000", "Atlantis", "", "-", "…", "NA",
                     "2020", "2020年", "1e308", "-1", "1,234.5", "１２３", "nan", "inf",
                     "population", "gdp", "%", "10k persons", '"', "a,b", "[/x]", "\x1b",
                     "地区", "指标：", "数据库：分省年度数据", "时间：最近20年"]),
    st.text(max_size=12),
    st.floats(allow_nan=True).map(repr),
    st.integers().map(str),
)
ROWS = st.lists(st.lists(CELLS, min_size=0, max_size=7), min_size=0, max_size=8)


def _csv(header: list[str], rows: list[list[str]]) -> str:
    return "\n".join(",".join(r) for r in [header, *rows]) + "\n"


_DIR = tempfile.TemporaryDirectory(prefix="nqpf_fuzz_")


def _write(data: bytes, suffix: str = ".csv") -> Path:
    """The fuzz input as a file (one reused file in one temporary folder)."""
    p = Path(_DIR.name) / f"f{suffix}"
    p.write_bytes(data)
    return p


def _import(p: Path, **kw: object) -> None:
    try:
        batches = read_file(p, **kw)  # type: ignore[arg-type]
        validate_batches(batches)
    except ValidationError:
        pass


@FUZZ
@given(header=st.sampled_from([
    ["region", "year", "variable", "value", "unit"],
    ["region_code", "region_zh", "region_en", "year", "variable", "value", "unit", "source"],
    ["region", "year", "gdp", "population"],
    ["region", "2019", "2020"],
]), rows=ROWS, enc=st.sampled_from(["utf-8", "gb18030", "utf-16"]))
def _fuzz_tidy(header: list[str], rows: list[list[str]], enc: str) -> None:
    COUNT["tidy"] = COUNT.get("tidy", 0) + 1
    text = _csv(header, rows)
    try:
        data = text.encode(enc)
    except UnicodeEncodeError:
        data = text.encode("utf-8")
    _import(_write(data), importer="tidy", variable="v" if "2019" in header else None)


@FUZZ
@given(data=st.binary(max_size=400))
def _fuzz_tidy_bytes(data: bytes) -> None:
    COUNT["bytes"] = COUNT.get("bytes", 0) + 1
    _import(_write(b"region,year,variable,value\n" + data), importer="tidy")


@FUZZ
@given(meta=st.lists(CELLS, max_size=4), head=st.lists(CELLS, max_size=6), rows=ROWS,
       foot=st.sampled_from(["", "注：\n", "数据来源：国家统计局\n"]))
def _fuzz_nbs(meta: list[str], head: list[str], rows: list[list[str]], foot: str) -> None:
    COUNT["nbs"] = COUNT.get("nbs", 0) + 1
    text = ("数据库：分省年度数据\n指标：地区生产总值(亿元)\n时间：最近20年\n"
            + "\n".join(meta) + ("\n" if meta else "")
            + ",".join(["地区", *head]) + "\n"
            + "\n".join(",".join(r) for r in rows) + "\n" + foot)
    p = _write(text.encode("utf-8"))
    with contextlib.suppress(ValidationError):
        validate_batches(read_nbs(p))


FORMULA_ATOMS = st.sampled_from(["gdp", "rd_expenditure", "1", "1e4", "0", "(", ")", "+", "-",
                                 "*", "/", "**", "log(", "lag(", "growth(", "diff(", ",", "2",
                                 "__import__", ".", "[", "]", "lambda", "'s'", "x if y else z",
                                 "@", "~", "not ", "==", " "])


@FUZZ
@given(parts=st.lists(FORMULA_ATOMS, max_size=40), tail=st.text(max_size=10),
       deep=st.integers(0, 3000))
def _fuzz_formula(parts: list[str], tail: str, deep: int) -> None:
    COUNT["formula"] = COUNT.get("formula", 0) + 1
    text = "".join(parts) + tail
    if deep % 7 == 0:
        text = "-" * deep + text
    elif deep % 7 == 1:
        text = "(" * (deep // 2) + text + ")" * (deep // 2)
    with contextlib.suppress(FormulaError):
        parse_formula(text)


@pytest.mark.parametrize("name,fuzz", [("tidy", _fuzz_tidy), ("bytes", _fuzz_tidy_bytes),
                                       ("nbs", _fuzz_nbs), ("formula", _fuzz_formula)])
def test_fuzz(name: str, fuzz: object, capsys: pytest.CaptureFixture[str]) -> None:
    COUNT[name] = 0
    fuzz()  # type: ignore[operator]
    assert COUNT[name] >= 60
    with capsys.disabled():
        print(f"\nfuzz {name}: {COUNT[name]} cases, each a success or a clear error")

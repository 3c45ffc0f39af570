"""Indicator formulas: a small, safe arithmetic language over panel variables.

A formula is a Python-syntax expression parsed with :mod:`ast` and checked against an
allow-list before anything is evaluated (nothing is ever passed to ``eval``):

* numbers (``100``, ``1e4``), names (panel variables or other indicators' ids);
* ``+ - * / **``, unary ``-`` and ``+``, parentheses;
* ``log(x)`` (natural log), ``sqrt(x)``, ``abs(x)``;
* time functions along the year axis: ``lag(x)`` / ``lag(x, k)`` (value ``k`` years
  earlier, ``k`` a positive integer literal), ``diff(x)`` (``x_t - x_{t-1}``) and
  ``growth(x)`` (year-on-year growth in %, ``100 * (x_t / x_{t-1} - 1)``).

Evaluation is vectorised over ``years x regions`` matrices. Time functions look up the
calendar year ``t - k`` on the year axis, so a gap year gives NaN (never a two-year change),
and the axis may skip years. Any non-finite result (division by zero, ``log(0)``, overflow)
becomes NaN.

>>> import numpy as np
>>> f = parse_formula("growth(x)")
>>> evaluate_formula(f, {"x": np.array([[100.0], [110.0], [121.0]])}, [2010, 2011, 2013])
array([[nan],
       [10.],
       [nan]])
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from nqpf.errors import FrameworkError

__all__ = ["FUNCTIONS", "Formula", "FormulaError", "evaluate_formula", "parse_formula"]

MAX_FORMULA_LENGTH = 2000
#: deepest nesting of operators, calls and parentheses a formula may have (the shipped
#: frameworks use at most 6; parsing and evaluating recurse once per level)
MAX_FORMULA_DEPTH = 200
MAX_LAG = 50

#: allowed functions: name -> (min args, max args, meaning)
FUNCTIONS: dict[str, tuple[int, int, str]] = {
    "log": (1, 1, "natural logarithm"),
    "sqrt": (1, 1, "square root"),
    "abs": (1, 1, "absolute value"),
    "growth": (1, 1, "year-on-year growth in %: 100 * (x_t / x_(t-1) - 1)"),
    "diff": (1, 1, "first difference: x_t - x_(t-1)"),
    "lag": (1, 2, "value k years earlier (k a positive integer literal, default 1)"),
}

_BINOPS: dict[type[ast.operator], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.Pow: "**",
}


class FormulaError(FrameworkError):
    """A formula that cannot be parsed or uses a construct outside the language."""


@dataclass(frozen=True)
class Formula:
    """A checked formula: its text, syntax tree, the names it reads and its year look-back."""

    text: str
    tree: ast.Expression
    names: frozenset[str]
    functions: frozenset[str]
    lookback: int
    """Years of history the formula needs before the evaluated year (0 = none)."""

    def __str__(self) -> str:
        return self.text


def _describe(node: ast.AST) -> str:
    try:
        return ast.unparse(node)
    except Exception:  # pragma: no cover - unparse handles every parsed node
        return type(node).__name__


def _fail(text: str, message: str, node: ast.AST | None = None) -> FormulaError:
    col = getattr(node, "col_offset", None)
    at = f" at column {col + 1}" if isinstance(col, int) else ""
    return FormulaError(f"formula {text!r}: {message}{at}")


def parse_formula(text: str) -> Formula:
    """Parse and check a formula; :class:`FormulaError` says what is wrong and where.

    Rejects anything but numbers, names, ``+ - * / **``, unary signs and calls of
    :data:`FUNCTIONS` (no attributes, subscripts, comparisons, lambdas, keyword arguments,
    strings, dunder names ...).
    """
    if not isinstance(text, str):
        raise FormulaError(f"formula must be a text expression, got {type(text).__name__} {text!r}")
    src = text.strip()
    if not src:
        raise FormulaError("formula is empty")
    if len(src) > MAX_FORMULA_LENGTH:
        raise FormulaError(
            f"formula is {len(src)} characters long; formulas are limited to "
            f"{MAX_FORMULA_LENGTH} (split it into indicators)"
        )
    depth = _text_depth(src)
    if depth > MAX_FORMULA_DEPTH:
        raise _too_deep(src, depth)
    try:
        tree = ast.parse(src, mode="eval")
    except SyntaxError as exc:
        col = f" at column {exc.offset}" if exc.offset else ""
        raise FormulaError(f"formula {_short(src)!r}: syntax error{col} ({exc.msg})") from None
    except (RecursionError, MemoryError):
        raise _too_deep(src, depth) from None
    depth = _tree_depth(tree)
    if depth > MAX_FORMULA_DEPTH:
        raise _too_deep(src, depth)

    names: set[str] = set()
    funcs: set[str] = set()

    def check(node: ast.AST) -> int:
        """Validate ``node``; return its look-back in years."""
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, int | float):
                raise _fail(src, f"only numbers are allowed as constants, not {node.value!r}", node)
            return 0
        if isinstance(node, ast.Name):
            if node.id.startswith("__"):
                raise _fail(src, f"forbidden name {node.id!r}", node)
            names.add(node.id)
            return 0
        if isinstance(node, ast.BinOp):
            if type(node.op) not in _BINOPS:
                raise _fail(src, f"operator {type(node.op).__name__} is not allowed (use + - * / **)", node)
            return max(check(node.left), check(node.right))
        if isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, ast.USub | ast.UAdd):
                raise _fail(src, f"unary operator {type(node.op).__name__} is not allowed", node)
            return check(node.operand)
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name):
                raise _fail(src, f"forbidden call {_describe(node.func)!r} (only {', '.join(FUNCTIONS)})", node)
            fname = node.func.id
            if fname not in FUNCTIONS:
                raise _fail(src, f"unknown function {fname!r} (allowed: {', '.join(FUNCTIONS)})", node)
            if node.keywords:
                raise _fail(src, f"{fname}() takes no keyword arguments", node)
            lo, hi, _ = FUNCTIONS[fname]
            if any(isinstance(a, ast.Starred) for a in node.args):
                raise _fail(src, f"{fname}() takes no *arguments", node)
            if not lo <= len(node.args) <= hi:
                want = str(lo) if lo == hi else f"{lo} or {hi}"
                raise _fail(src, f"{fname}() takes {want} argument(s), got {len(node.args)}", node)
            funcs.add(fname)
            inner = check(node.args[0])
            if fname == "lag":
                k = _lag_k(src, node)
                return inner + k
            if fname in ("growth", "diff"):
                return inner + 1
            return inner
        raise _fail(src, f"forbidden construct {type(node).__name__} ({_describe(node)!r})", node)

    lookback = check(tree.body)
    return Formula(src, tree, frozenset(names), frozenset(funcs), lookback)


def _short(src: str, n: int = 60) -> str:
    return src if len(src) <= n else src[: n - 3] + "..."


def _too_deep(src: str, depth: int) -> FormulaError:
    return FormulaError(
        f"formula {_short(src)!r} is nested {depth} levels deep; formulas are limited to "
        f"{MAX_FORMULA_DEPTH} levels of operators, calls and parentheses"
    )


def _text_depth(src: str) -> int:
    """An upper bound of the nesting a parse would build: open parentheses plus runs of
    sign characters (``---x`` nests three unary minus), counted without parsing."""
    depth = best = run = 0
    for ch in src:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        if ch in "+-~":
            run += 1
        elif not ch.isspace():
            run = 0
        best = max(best, depth + run)
    return best


def _tree_depth(tree: ast.AST) -> int:
    """Depth of an expression tree (iterative: never recurses)."""
    best = 0
    stack = [(tree, 0)]
    while stack:
        node, d = stack.pop()
        best = max(best, d)
        stack.extend((c, d + isinstance(c, ast.expr)) for c in ast.iter_child_nodes(node))
    return best


def _lag_k(src: str, node: ast.Call) -> int:
    if len(node.args) == 1:
        return 1
    k = node.args[1]
    if not (isinstance(k, ast.Constant) and isinstance(k.value, int) and not isinstance(k.value, bool)):
        raise _fail(src, "lag(x, k): k must be a positive integer literal", k)
    if not 1 <= k.value <= MAX_LAG:
        raise _fail(src, f"lag(x, k): k must be between 1 and {MAX_LAG}, got {k.value}", k)
    return int(k.value)


def _finite(a: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(a), a, np.nan)


def _shift(x: np.ndarray, k: int, years: np.ndarray) -> np.ndarray:
    """``x`` at calendar year ``t - k`` for every ``t`` on the axis; NaN where that year is absent."""
    x = np.asarray(x, dtype=float)
    if x.ndim < 2:  # a constant: it has the same value every year
        return x
    pos = np.searchsorted(years, years - k)
    pos_c = np.minimum(pos, len(years) - 1)
    ok = (pos < len(years)) & (years[pos_c] == years - k)
    out = np.full(x.shape, np.nan)
    out[ok] = x[pos_c[ok]]
    return out


def evaluate_formula(
    formula: Formula | str,
    data: Mapping[str, np.ndarray] | Callable[[str], np.ndarray],
    years: Sequence[int],
) -> np.ndarray:
    """Evaluate a formula on ``years x regions`` matrices.

    Parameters
    ----------
    formula:
        A :class:`Formula` or its text (parsed and checked first).
    data:
        The ``(T, R)`` float matrix of every name the formula reads, as a mapping or a
        function ``name -> matrix``.
    years:
        The calendar years of axis 0, strictly increasing (gaps allowed).

    Returns
    -------
    numpy.ndarray
        ``(T, R)`` float matrix (``(T, 1)`` for a formula of constants only); NaN where an
        input is NaN, a time function reaches a year absent from the axis, or a result is
        not finite (e.g. a zero denominator).
    """
    f = parse_formula(formula) if isinstance(formula, str) else formula
    yrs = np.asarray([int(y) for y in years], dtype=np.int64)
    if yrs.size > 1 and not np.all(np.diff(yrs) > 0):
        raise FormulaError(f"formula {f.text!r}: the year axis must be strictly increasing")
    get = data if callable(data) else data.__getitem__

    def ev(node: ast.AST) -> np.ndarray:
        if isinstance(node, ast.Constant):
            assert isinstance(node.value, int | float)  # checked by parse_formula
            return np.asarray(float(node.value))
        if isinstance(node, ast.Name):
            try:
                arr = np.asarray(get(node.id), dtype=float)
            except KeyError:
                raise FormulaError(f"formula {f.text!r}: no data for name {node.id!r}") from None
            if arr.ndim != 2 or arr.shape[0] != len(yrs):
                raise FormulaError(
                    f"formula {f.text!r}: data for {node.id!r} has shape {arr.shape}, "
                    f"expected ({len(yrs)}, regions)"
                )
            return arr
        if isinstance(node, ast.UnaryOp):
            v = ev(node.operand)
            return -v if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.BinOp):
            a, b = ev(node.left), ev(node.right)
            op = type(node.op)
            if op is ast.Add:
                return a + b
            if op is ast.Sub:
                return a - b
            if op is ast.Mult:
                return _finite(a * b)
            if op is ast.Div:
                return _finite(np.divide(a, b))
            return _finite(np.power(a, b))
        if isinstance(node, ast.Call):
            assert isinstance(node.func, ast.Name)
            name = node.func.id
            x = ev(node.args[0])
            if name == "log":
                return _finite(np.log(x))
            if name == "sqrt":
                return _finite(np.sqrt(x))
            if name == "abs":
                return np.abs(x)
            if name == "lag":
                return _shift(x, _lag_k(f.text, node), yrs)
            prev = _shift(x, 1, yrs)
            if name == "diff":
                return x - prev
            return _finite(100.0 * (np.divide(x, prev) - 1.0))  # growth
        raise FormulaError(f"formula {f.text!r}: cannot evaluate {_describe(node)!r}")  # pragma: no cover

    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out = _finite(np.asarray(ev(f.tree.body), dtype=float))
    if out.ndim < 2:
        out = np.full((len(yrs), 1), float(out))
    return out

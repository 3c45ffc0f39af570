"""The formula language: parsing, the allow-list, vectorised evaluation and time functions."""

from __future__ import annotations

import numpy as np
import pytest

from nqpf.errors import FrameworkError
from nqpf.frameworks.formula import FormulaError, evaluate_formula, parse_formula

YEARS = [2010, 2011, 2012, 2013]


def col(*values: float) -> np.ndarray:
    """A (T, 1) matrix."""
    return np.array(values, dtype=float)[:, None]


def test_parse_collects_names_functions_and_lookback() -> None:
    f = parse_formula(" rd_expenditure / gdp / 100 ")
    assert f.text == "rd_expenditure / gdp / 100"
    assert f.names == {"rd_expenditure", "gdp"}
    assert f.lookback == 0
    g = parse_formula("growth(lag(x, 2)) + diff(y) * log(z)")
    assert g.names == {"x", "y", "z"}
    assert g.functions == {"growth", "lag", "diff", "log"}
    assert g.lookback == 3


def test_arithmetic_is_elementwise_and_vectorised() -> None:
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    b = np.array([[2.0, 4.0], [6.0, 8.0]])
    out = evaluate_formula("(a + b) * 2 - a ** 2 / b + -a", {"a": a, "b": b}, [2020, 2021])
    expected = (a + b) * 2 - a**2 / b + -a
    np.testing.assert_allclose(out, expected)
    np.testing.assert_allclose(
        evaluate_formula("sqrt(abs(-a)) + log(b)", {"a": a, "b": b}, [1, 2]), np.sqrt(a) + np.log(b)
    )


def test_division_by_zero_and_bad_domains_give_nan() -> None:
    x = col(1.0, 0.0, -1.0, 4.0)
    zero = col(0.0, 0.0, 2.0, 2.0)
    out = evaluate_formula("x / z", {"x": x, "z": zero}, YEARS)
    assert np.isnan(out[0, 0]) and np.isnan(out[1, 0])  # 1/0 and 0/0
    assert out[2, 0] == -0.5 and out[3, 0] == 2.0
    lg = evaluate_formula("log(x)", {"x": x}, YEARS)
    assert np.isnan(lg[1, 0]) and np.isnan(lg[2, 0]) and lg[0, 0] == 0.0
    assert np.isnan(evaluate_formula("sqrt(x)", {"x": x}, YEARS)[2, 0])
    assert np.isnan(evaluate_formula("x ** 1000 * 10.0 ** 400", {"x": x}, YEARS)[3, 0])  # overflow


def test_missing_input_propagates_nan() -> None:
    x = col(1.0, np.nan, 3.0, 4.0)
    out = evaluate_formula("x * 2", {"x": x}, YEARS)
    assert np.isnan(out[1, 0]) and out[2, 0] == 6.0


def test_growth_lag_diff_on_consecutive_years() -> None:
    x = col(100.0, 110.0, 121.0, 0.0)
    np.testing.assert_allclose(
        evaluate_formula("growth(x)", {"x": x}, YEARS)[:, 0], [np.nan, 10.0, 10.0, -100.0]
    )
    np.testing.assert_allclose(
        evaluate_formula("diff(x)", {"x": x}, YEARS)[:, 0], [np.nan, 10.0, 11.0, -121.0]
    )
    np.testing.assert_allclose(
        evaluate_formula("lag(x)", {"x": x}, YEARS)[:, 0], [np.nan, 100.0, 110.0, 121.0]
    )
    np.testing.assert_allclose(
        evaluate_formula("lag(x, 2)", {"x": x}, YEARS)[:, 0], [np.nan, np.nan, 100.0, 110.0]
    )
    # growth from a zero base is NaN, not inf
    y = col(0.0, 5.0, 5.0, 5.0)
    assert np.isnan(evaluate_formula("growth(y)", {"y": y}, YEARS)[1, 0])


def test_time_functions_respect_a_skipped_year_on_the_axis() -> None:
    years = [2015, 2016, 2018, 2019]  # 2017 absent from the axis
    x = col(100.0, 110.0, 130.0, 143.0)
    g = evaluate_formula("growth(x)", {"x": x}, years)[:, 0]
    assert np.isnan(g[0])
    assert g[1] == pytest.approx(10.0)
    assert np.isnan(g[2])  # 2018 vs 2017: absent, never the two-year change 2016->2018
    assert g[3] == pytest.approx(10.0)
    lag2 = evaluate_formula("lag(x, 2)", {"x": x}, years)[:, 0]
    assert np.isnan(lag2[0]) and np.isnan(lag2[1])
    assert lag2[2] == 110.0  # 2018 <- 2016
    assert np.isnan(lag2[3])  # 2019 <- 2017 absent
    assert np.isnan(evaluate_formula("diff(x)", {"x": x}, years)[2, 0])


def test_time_functions_respect_a_missing_value_year() -> None:
    x = col(100.0, np.nan, 121.0, 133.1)
    g = evaluate_formula("growth(x)", {"x": x}, YEARS)[:, 0]
    assert np.isnan(g[1]) and np.isnan(g[2])
    assert g[3] == pytest.approx(10.0)


def test_constant_formula_broadcasts_over_years() -> None:
    out = evaluate_formula("2 * 3", {}, YEARS)
    assert out.shape == (4, 1) and np.all(out == 6.0)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("gdp /", "syntax error"),
        ("(gdp", "syntax error"),
        ("", "empty"),
        ("gdp.real", "forbidden construct Attribute"),
        ("gdp[0]", "forbidden construct Subscript"),
        ("__import__('os').system('ls')", "forbidden call"),
        ("__import__", "forbidden name"),
        ("exp(gdp)", "unknown function 'exp'"),
        ("eval('1')", "unknown function 'eval'"),
        ("(lambda: 1)()", "forbidden call"),
        ("lambda x: x", "forbidden construct Lambda"),
        ("gdp > 1", "forbidden construct Compare"),
        ("gdp if gdp else 0", "forbidden construct IfExp"),
        ("gdp // 2", "operator FloorDiv"),
        ("gdp % 2", "operator Mod"),
        ("~gdp", "unary operator Invert"),
        ("'gdp'", "only numbers"),
        ("True * gdp", "only numbers"),
        ("log(gdp, 10)", "takes 1 argument"),
        ("log(x=gdp)", "keyword"),
        ("lag(gdp, k)", "positive integer literal"),
        ("lag(gdp, 0)", "between 1 and"),
        ("lag(gdp, 1.5)", "positive integer literal"),
        ("[gdp]", "forbidden construct List"),
        ("gdp; 1", "syntax error"),
    ],
)
def test_forbidden_constructs_are_rejected(text: str, fragment: str) -> None:
    with pytest.raises(FormulaError) as info:
        parse_formula(text)
    assert fragment in str(info.value)
    assert isinstance(info.value, FrameworkError)


def test_error_names_the_column() -> None:
    with pytest.raises(FormulaError, match=r"'a \+ b\.c'.*column 5"):
        parse_formula("a + b.c")


def test_missing_data_and_bad_axis_raise() -> None:
    with pytest.raises(FormulaError, match="no data for name 'y'"):
        evaluate_formula("x + y", {"x": col(1, 2, 3, 4)}, YEARS)
    with pytest.raises(FormulaError, match="strictly increasing"):
        evaluate_formula("x", {"x": col(1, 2, 3, 4)}, [2010, 2012, 2011, 2013])
    with pytest.raises(FormulaError, match="shape"):
        evaluate_formula("x", {"x": col(1, 2)}, YEARS)

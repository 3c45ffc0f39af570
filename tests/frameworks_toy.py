"""The hand-worked toy frameworks and panels shared by the engine, scenario and obstacle tests.

Test fixtures, not statistics: three regions, one or two years, three variables, so every
score can be worked by hand in the tests that use them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from nqpf.frameworks import Framework, load_framework
from nqpf.index.build import build_index
from nqpf.index.result import IndexResult
from nqpf.panel import Panel

REGIONS = ["110000", "120000", "130000"]

_TEMPLATE = """
id: toy
name_en: Toy index
name_zh: 玩具指数
version: "0.1"
description: a test fixture
root:
  id: idx
  name_en: Toy index
  name_zh: 玩具指数
  children:
    - id: d1
      name_en: {d1_en}
      name_zh: {d1_zh}
      children:
        - {{id: i_a, name_en: A, name_zh: 甲, formula: a, unit: {a_unit}, direction: 1, rationale: r, reference: ref}}
        - {{id: i_b, name_en: B, name_zh: 乙, formula: b, unit: u, direction: -1, rationale: r, reference: ref}}
    - id: d2
      name_en: {d2_en}
      name_zh: {d2_zh}
      children:
        - {{id: {third}, unit: u, direction: 1, rationale: r, reference: ref}}
"""

#: two dimensions: d1 = a (benefit) and b (cost), d2 = c / a
TOY = _TEMPLATE.format(d1_en="Dimension one", d1_zh="维度一", d2_en="Dimension two", d2_zh="维度二", a_unit="u",
                       third="i_ca, name_en: C per A, name_zh: 丙比甲, formula: c / a")

#: the values of :data:`TOY`'s variables, ``{variable: {year: [one value per region of REGIONS]}}``
TOY_VALUES = {
    "a": {2020: [1, 2, 3], 2021: [2, 4, 5]},
    "b": {2020: [10, 20, 30], 2021: [10, 10, 40]},
    "c": {2020: [2, 2, 6], 2021: [4, 4, 10]},
}

#: the what-if toy: d1 = a (in %, benefit) and b (cost), d2 = c; one year
SCENARIO_TOY = _TEMPLATE.format(d1_en="One", d1_zh="一", d2_en="Two", d2_zh="二", a_unit='"%"',
                                third="i_c, name_en: C, name_zh: 丙, formula: c")

SCENARIO_VALUES = {"a": {2020: [10, 20, 50]}, "b": {2020: [1, 2, 3]}, "c": {2020: [0, 5, 10]}}

#: no imputation, no treatment, equal weights: the settings the hand-worked numbers assume
PLAIN: dict[str, Any] = {"imputation": "none", "treatment": "none", "weighting": "equal", "regions": REGIONS}


def toy_framework(folder: Path, text: str = TOY) -> Framework:
    """The framework of ``text`` (YAML), written to ``folder/toy.yaml`` and loaded as users' files are."""
    path = folder / "toy.yaml"
    path.write_text(text, encoding="utf-8")
    return load_framework(path)


def toy_panel(values: Mapping[str, Mapping[int, Sequence[float]]] = TOY_VALUES,
              regions: Sequence[str] = REGIONS) -> Panel:
    """A panel of ``values`` (``{variable: {year: [one value per region]}}``)."""
    rows = [{"region_code": r, "year": y, "variable": v, "value": float(vals[i])}
            for v, by_year in values.items() for y, vals in by_year.items() for i, r in enumerate(regions)]
    return Panel(pd.DataFrame(rows))


def toy_index(folder: Path, text: str = TOY, values: Mapping[str, Mapping[int, Sequence[float]]] = TOY_VALUES,
              **changes: Any) -> IndexResult:
    """The toy index built with :data:`PLAIN` settings over the years of ``values`` (``changes`` on top)."""
    years = sorted({y for by_year in values.values() for y in by_year})
    return build_index(toy_framework(folder, text), toy_panel(values), {**PLAIN, "years": years}, **changes)

"""Indicator frameworks: shipped and user-written YAML trees of index -> dimensions -> indicators.

>>> from nqpf.frameworks import list_frameworks, load_framework
>>> "nqpf-three-elements" in list_frameworks()
True
>>> fw = load_framework("nqpf-three-elements")
>>> fw.indicators[0].id
'avg_years_schooling'
>>> load_framework("nqpf-three-elements@1.0").version   # an earlier version, as published
'1.0'

See ``docs/frameworks.md`` for the schema, the formula language and the shipped frameworks.
"""

from nqpf.frameworks.formula import Formula, FormulaError, evaluate_formula, parse_formula
from nqpf.frameworks.spec import (
    SHIPPED_DIR,
    Framework,
    FrameworkSpecError,
    Indicator,
    Node,
    framework_from_dict,
    list_frameworks,
    list_versions,
    load_framework,
)

__all__ = [
    "SHIPPED_DIR",
    "Formula",
    "FormulaError",
    "Framework",
    "FrameworkSpecError",
    "Indicator",
    "Node",
    "evaluate_formula",
    "framework_from_dict",
    "list_frameworks",
    "list_versions",
    "load_framework",
    "parse_formula",
]

"""Publication tables: one column per regression, coefficient with stars over its standard
error in parentheses, then N and within R²; written as LaTeX (booktabs) and Excel."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from nqpf.linkage.fe import FEResults, stars


def publication_table(results: Mapping[str, FEResults], digits: int = 3) -> pd.DataFrame:
    """Rows: each term (estimate row, then '(se)' row), N, R² within; columns: the regressions."""
    terms: list[str] = []
    for r in results.values():
        terms += [t for t in r.params.index if t not in terms]
    rows: dict[str, dict[str, str]] = {}
    for t in terms:
        rows[t] = {}
        rows[f"{t} (se)"] = {}
        for name, r in results.items():
            if t in r.params.index:
                rows[t][name] = f"{r.params[t]:.{digits}f}{stars(float(r.pvalues[t]))}"
                rows[f"{t} (se)"][name] = f"({r.std_errors[t]:.{digits}f})"
    rows["N"] = {name: str(r.nobs) for name, r in results.items()}
    rows["R2 within"] = {name: f"{r.rsquared_within:.{digits}f}" for name, r in results.items()}
    rows["Region FE / Year FE"] = dict.fromkeys(results, "Yes / Yes")
    out = pd.DataFrame(rows).T.reindex(columns=list(results)).fillna("")
    out.index = [i if not i.endswith(" (se)") else "" for i in out.index]
    return out


def to_latex(table: pd.DataFrame, path: str | Path, caption: str = "") -> Path:
    """booktabs LaTeX with a note on stars and clustered SEs."""
    p = Path(path)
    body = table.to_latex(escape=True, column_format="l" + "c" * table.shape[1])
    note = ("\\\\[2pt]\\footnotesize Standard errors clustered by region in parentheses. "
            "*** p<0.01, ** p<0.05, * p<0.1.\n")
    text = "\\begin{table}[htbp]\\centering\n" + (f"\\caption{{{caption}}}\n" if caption else "") + body + note + "\\end{table}\n"
    p.write_text(text, encoding="utf-8")
    return p


def to_excel(tables: Mapping[str, pd.DataFrame], path: str | Path) -> Path:
    """One sheet per table (sheet names cut to 31 characters)."""
    p = Path(path)
    with pd.ExcelWriter(p, engine="openpyxl") as xw:
        for name, t in tables.items():
            t.to_excel(xw, sheet_name=name[:31])
    return p

"""LaTeX tables of a run in the forms journals use (booktabs), compile-free but valid.

``write_latex_tables(run_dir, folder)`` writes, for every framework of the run folder:

* ``<fw>_descriptives.tex`` (and ``.csv``): N, mean, SD (n - 1), min and max of every indicator's
  observed values (imputed cells left out) in its own unit, with its direction;
* ``<fw>_weights.tex``: each dimension's and indicator's weight within its parent and its
  effective weight in the index (``weights.csv``);
* ``<fw>_index.tex``: the index by region for selected years (``scores.csv``), with the last
  year's rank;
* ``<fw>_dagum.tex`` and ``<fw>_dagum_groups.tex``: the Dagum (1997) decomposition by year
  (Gini, within, net between, transvariation and their shares) and the within-group and
  between-pair Ginis (``regional/dagum_*.csv``), when the run has them;
* ``<fw>_convergence.tex``: sigma trend and beta convergence (``regional/convergence.csv``);

and at job level, for every linkage table with ``estimate, std_error, p_value`` columns
(``linkage/fe_main.csv``, ``linkage/robustness.csv``, the columns of
:meth:`nqpf.linkage.fe.FEResults.to_tidy`), ``linkage_<stem>.tex``: one column per dependent
variable, the coefficient with stars (*** p < 0.01, ** p < 0.05, * p < 0.1) over its standard
error in parentheses, then N. Finally ``tables.tex``, a document that inputs them all
(packages: booktabs). ``lang="zh"`` writes the same tables with Chinese captions, headers,
notes and names (labels from :mod:`nqpf.report.publication.text`, the HTML report's source; names
of indicators, nodes, provinces and region groups from the run), each file opening with a comment
that it needs XeLaTeX with ``ctex``/``xeCJK``, and ``tables.tex`` on ``ctexart``. Every number is
the run's CSV value rounded to the printed decimals;
text is escaped (``& % $ # _ { } ~ ^ \\``). :func:`latex_problems` checks a file's structure
(balanced braces and environments, cells per row) without TeX.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nqpf.report.run_tables import ReportTablesError, framework_folders

__all__ = ["fmt_number", "latex_problems", "stars", "tex_escape", "write_latex_tables"]

_ESCAPES = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
            "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
_ESC_RE = re.compile("|".join(re.escape(k) for k in _ESCAPES))
NOTE_STARS = "*** $p<0.01$, ** $p<0.05$, * $p<0.1$."


def tex_escape(text: Any) -> str:
    """``text`` with LaTeX's special characters escaped."""
    return _ESC_RE.sub(lambda m: _ESCAPES[m.group(0)], str(text))


def stars(p: float) -> str:
    """*** p < 0.01, ** p < 0.05, * p < 0.1 (nothing otherwise or for a missing p)."""
    if p is None or not math.isfinite(p):
        return ""
    return "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.1 else ""


def fmt_number(x: Any, decimals: int) -> str:
    """``x`` to ``decimals`` places, minus as ``$-$``; empty for a missing value."""
    try:
        v = float(x)
    except (TypeError, ValueError):
        return ""
    if not math.isfinite(v):
        return ""
    s = f"{v:.{decimals}f}"
    if s.startswith("-"):
        s = "$-$" + s[1:] if float(s) != 0 else s[1:]
    return s


def _decimals(values: Sequence[float]) -> int:
    """Decimals for a row of statistics of one magnitude (about four significant digits)."""
    finite = [abs(v) for v in values if v is not None and math.isfinite(v)]
    big = max(finite) if finite else 0.0
    return 4 if big < 0.1 else 3 if big < 10 else 2 if big < 1000 else 1


def _table(caption: str, label: str, colspec: str, head: list[str], body: list[list[str]],
           note: str = "", mid: Sequence[int] = ()) -> str:
    """A booktabs table: header row, body rows (a ``\\midrule`` before the rows in ``mid``)."""
    lines = ["\\begin{table}[htbp]", "\\centering", "\\small", f"\\caption{{{caption}}}", f"\\label{{{label}}}",
             f"\\begin{{tabular}}{{{colspec}}}", "\\toprule", " & ".join(head) + " \\\\", "\\midrule"]
    for i, row in enumerate(body):
        if i in mid:
            lines.append("\\midrule")
        lines.append(" & ".join(row) + " \\\\")
    lines += ["\\bottomrule", "\\end{tabular}"]
    if note:
        lines += ["\\par\\smallskip", f"{{\\footnotesize {note}\\par}}"]
    lines.append("\\end{table}")
    return "\n".join(lines) + "\n"


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in r.items()} for r in df.to_dict("records")]


def _t(key: str, lang: str, **values: Any) -> str:
    """A label of the report's bilingual text table, always formatted (``{{`` -> ``{``)."""
    from nqpf.report.publication.text import LANGS, T

    return T[key][LANGS.index(lang)].format(**values)


def _text_keys() -> dict[str, tuple[str, str]]:
    from nqpf.report.publication.text import T

    return T


def _term(term: str, lang: str) -> str:
    """A regression term in ``lang`` (``W·x``: the spatial lag of ``x``); unknown terms as they are."""
    if lang == "en":
        return term
    lag, base = ("W·", term[2:]) if term.startswith("W·") else ("", term)
    return lag + _t(f"tex_term_{base}", lang) if f"tex_term_{base}" in _text_keys() else term


def _label(*parts: str) -> str:
    return "tab:" + "-".join(re.sub(r"[^A-Za-z0-9]+", "-", p).strip("-") for p in parts)


# -- per framework --------------------------------------------------------------------------
def descriptives(result: Any) -> pd.DataFrame:
    """Indicator statistics over observed region-years (imputed cells left out): ``indicator,
    name_en, name_zh, unit, direction, n, mean, sd (n - 1), min, max`` in the indicator's unit."""
    inds = {i.id: i for i in result.framework.indicators}
    raw = np.asarray(result.raw, dtype=float)
    rows = []
    for k, ind in enumerate(result.indicators):
        v = raw[:, :, k].ravel()
        v = v[np.isfinite(v)]
        spec = inds.get(ind)
        rows.append({"indicator": ind, "name_en": spec.name_en if spec else ind,
                     "name_zh": (spec.name_zh or spec.name_en) if spec else ind, "unit": spec.unit if spec else "",
                     "direction": int(spec.direction) if spec else 1, "n": int(v.size),
                     "mean": float(v.mean()) if v.size else np.nan,
                     "sd": float(v.std(ddof=1)) if v.size > 1 else np.nan,
                     "min": float(v.min()) if v.size else np.nan, "max": float(v.max()) if v.size else np.nan})
    return pd.DataFrame(rows)


def _descriptives_tex(fid: str, name: str, d: pd.DataFrame, years: str, lang: str = "en") -> str:
    body = []
    for r in _records(d):
        dec = _decimals([r["mean"], r["sd"], r["min"], r["max"]])
        body.append([tex_escape(r[f"name_{lang}"]), tex_escape(r["unit"]), "+" if r["direction"] > 0 else "$-$",
                     str(r["n"]), *(fmt_number(r[c], dec) for c in ("mean", "sd", "min", "max"))])
    head = [_t("indicator", lang), _t("unit", lang),
            *(_t(f"tex_{k}", lang) for k in ("dir", "n", "mean", "sd", "min", "max"))]
    return _table(_t("tex_desc_caption", lang, name=tex_escape(name), years=years),
                  _label(fid, "descriptives"), "p{5cm}p{2.8cm}crrrrr", head, body, _t("tex_desc_note", lang))


def _weights_tex(fid: str, name: str, tree: pd.DataFrame, w: pd.DataFrame, lang: str = "en") -> str:
    wt = w.set_index("node")
    body = []
    for r in _records(tree):
        if r["node"] not in wt.index:
            continue
        row = wt.loc[r["node"]]
        indent = "\\quad " * max(int(r["level"]) - 1, 0)
        label = r["name_zh"] if lang == "zh" and r.get("name_zh") else r["name_en"]
        body.append([indent + tex_escape(label), tex_escape(row["method"]), fmt_number(row["weight"], 3),
                     fmt_number(row["effective_weight"], 3)])
    return _table(_t("tex_weights_caption", lang, name=tex_escape(name)), _label(fid, "weights"), "p{8cm}lrr",
                  [_t("tex_dim_ind", lang), _t("how", lang), _t("weight", lang), _t("tex_eff_weight", lang)], body,
                  _t("tex_weights_note", lang))


def _years_shown(years: list[int], n: int = 5) -> list[int]:
    if len(years) <= n:
        return years
    idx = sorted({round(i) for i in np.linspace(0, len(years) - 1, n)})
    return [years[i] for i in idx]


def _index_tex(fid: str, name: str, scores: pd.DataFrame, root: str, years: list[int] | None,
               lang: str = "en") -> str:
    s = scores[scores["node"] == root]
    all_years = sorted(int(y) for y in s["year"].unique())
    shown = list(years) if years else _years_shown(all_years)
    missing = [y for y in shown if y not in all_years]
    if missing:
        raise ReportTablesError(f"{fid} covers {all_years[0]}-{all_years[-1]}, not {', '.join(map(str, missing))}; "
                                "choose years in that range")
    wide = s.pivot(index="region_code", columns="year", values="score")
    last = all_years[-1]
    rank = s[s["year"] == last].set_index("region_code")["rank"]
    names = s.drop_duplicates("region_code").set_index("region_code")[f"region_{lang}"]
    body = [[tex_escape(names[c]), *(fmt_number(wide.loc[c, y], 3) for y in shown),
             str(int(rank[c])) if pd.notna(rank.get(c)) else ""] for c in sorted(wide.index)]
    which = _t("tex_all_years", lang) if len(shown) == len(all_years) else \
        _t("tex_some_years", lang, y0=all_years[0], y1=all_years[-1], years=", ".join(map(str, shown)))
    return _table(_t("tex_index_caption", lang, name=tex_escape(name)), _label(fid, "index"),
                  "l" + "r" * (len(shown) + 1),
                  [_t("tex_region", lang), *(str(y) for y in shown), _t("tex_rank_year", lang, year=last)], body,
                  _t("tex_index_note", lang, which=which))


def _dagum_tex(fid: str, name: str, o: pd.DataFrame, lang: str = "en") -> str:
    body = [[str(int(r["year"])), *(fmt_number(r[c], 4) for c in ("gini", "within", "net_between", "transvariation")),
             *(fmt_number(r[f"{c}_share"], 1) for c in ("within", "net_between", "transvariation"))]
            for r in _records(o)]
    head = [_t("year", lang), "$G$", "$G_w$", "$G_{nb}$", "$G_t$", "$G_w$ (\\%)", "$G_{nb}$ (\\%)", "$G_t$ (\\%)"]
    return _table(_t("tex_dagum_caption", lang, name=tex_escape(name)), _label(fid, "dagum"),
                  "lrrrrrrr", head, body, _t("tex_dagum_note", lang))


def _dagum_groups_tex(fid: str, name: str, w: pd.DataFrame, b: pd.DataFrame, lang: str = "en") -> str:
    groups = list(dict.fromkeys(w["group"]))
    gcol = f"group_{lang}" if f"group_{lang}" in w.columns else "group_en"
    gname = dict(zip(w["group"], w[gcol], strict=False))
    pairs = list(dict.fromkeys(zip(b["group_a"], b["group_b"], strict=True)))
    wi = w.set_index(["year", "group"])["gini"]
    bi = b.set_index(["year", "group_a", "group_b"])["gini"]
    years = sorted(set(w["year"]) | set(b["year"]))
    body = [[str(int(y)), *(fmt_number(wi.get((y, g), np.nan), 4) for g in groups),
             *(fmt_number(bi.get((y, a, c), np.nan), 4) for a, c in pairs)] for y in years]
    head = [_t("year", lang), *(tex_escape(gname.get(g, g)) for g in groups),
            *(f"{tex_escape(gname.get(a, a))}--{tex_escape(gname.get(c, c))}" for a, c in pairs)]
    spec = "l" + "r" * (len(groups) + len(pairs))
    top = (f" & \\multicolumn{{{len(groups)}}}{{c}}{{{_t('tex_within', lang)}}} & "
           f"\\multicolumn{{{len(pairs)}}}{{c}}{{{_t('tex_between', lang)}}} \\\\")
    text = _table(_t("tex_dagum_groups_caption", lang, name=tex_escape(name)), _label(fid, "dagum-groups"),
                  spec, head, body, _t("tex_dagum_groups_note", lang))
    rule = (f"\\cmidrule(lr){{2-{1 + len(groups)}}}\\cmidrule(lr){{{2 + len(groups)}-{1 + len(groups) + len(pairs)}}}")
    return text.replace("\\toprule\n", "\\toprule\n" + top + "\n" + rule + "\n", 1).replace("\\small", "\\footnotesize", 1)


def _convergence_tex(fid: str, name: str, c: pd.DataFrame, lang: str = "en") -> str:
    body = []
    for r in _records(c):
        if str(r["test"]).startswith("beta"):
            kind = str(r["test"])[5:]
            kind = _t(f"tex_{kind}", lang) if kind in ("absolute", "conditional") else kind
            body.append([f"$\\beta$ ({tex_escape(kind)})", fmt_number(r["coef"], 4) + stars(float(r["p"])),
                         f"({fmt_number(r['se'], 4)})", fmt_number(r["p"], 3), fmt_number(r["half_life"], 2),
                         str(int(r["nobs"]))])
        else:
            m = str(r["measure"])
            what = _t(f"tex_{m}", lang) if m in ("sd_log", "cv") else m
            body.append([_t("tex_sigma_trend", lang, what=tex_escape(what)), fmt_number(r["coef"], 4) + stars(float(r["p"])),
                         "", fmt_number(r["p"], 3), "", str(int(r["nobs"]))])
    head = [_t("tex_test", lang), _t("tex_coef", lang), _t("tex_se", lang), "$p$", _t("tex_half_life", lang),
            _t("tex_n", lang)]
    return _table(_t("tex_conv_caption", lang, name=tex_escape(name)), _label(fid, "convergence"), "lrrrrr",
                  head, body, _t("tex_conv_note", lang, stars=_t("tex_stars", lang)))


# -- regressions --------------------------------------------------------------------------
REGRESSION_COLUMNS = ("estimate", "std_error", "p_value")
REGRESSION_CAPTIONS = {
    "fe_main": "NQPF and high-quality development: two-way fixed effects",
    "robustness": "Robustness of the NQPF coefficient (each row a separate regression)",
}


def regression_tex(d: pd.DataFrame, caption: str, label: str, names: dict[str, str] | None = None,
                   lang: str = "en") -> str | None:
    """A regression table from a tidy coefficient table (``dependent`` or ``model``, a row key
    ``term`` or ``check``, ``estimate, std_error, p_value`` and optionally ``nobs``); None if
    the table does not have those columns."""
    if not set(REGRESSION_COLUMNS) <= set(d.columns) or len(d) == 0:
        return None
    colkey = next((c for c in ("dependent", "model") if c in d.columns), None)
    rowkey = next((c for c in ("term", "check", "mediator") if c in d.columns and c != colkey), None)
    if rowkey is None:
        return None
    d = d.assign(**{colkey: d[colkey].astype(str)} if colkey else {"_model": "(1)"})
    colkey = colkey or "_model"
    cols = list(dict.fromkeys(d[colkey]))
    rows = list(dict.fromkeys(d[rowkey].astype(str)))
    idx = {(str(r[rowkey]), str(r[colkey])): r for r in d.to_dict("records")}
    body: list[list[str]] = []
    for term in rows:
        shown = _term(term, lang)
        est, se = [tex_escape(shown)], [""]
        for c in cols:
            r = idx.get((term, c))
            if r is None:
                est.append("")
                se.append("")
                continue
            est.append(fmt_number(r["estimate"], 3) + stars(float(r["p_value"])))
            se.append(f"({fmt_number(r['std_error'], 3)})")
        body += [est, se]
    mid = []
    if "nobs" in d.columns:
        n = d.groupby(colkey, sort=False)["nobs"].agg(lambda s: s.iloc[0] if s.nunique() == 1 else np.nan)
        if n.notna().all():
            mid = [len(body)]
            body.append(["N", *(str(int(n[c])) for c in cols)])
    head = ["", *(f"({i}) {tex_escape((names or {}).get(c, c))}" for i, c in enumerate(cols, start=1))]
    return _table(caption, label, "l" + "c" * len(cols), head, body,
                  _t("tex_reg_note", lang, stars=_t("tex_stars", lang)), mid=mid)


# -- structure check ----------------------------------------------------------------------
def _tabulars(text: str) -> list[tuple[str, str]]:
    """(column spec, body) of every tabular; the spec is read with balanced braces (``p{5cm}``)."""
    out = []
    for m in re.finditer(r"\\begin\{tabular\}\{", text):
        i, depth = m.end(), 1
        while i < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        end = text.find("\\end{tabular}", i)
        out.append((text[m.end():i - 1], text[i:end if end >= 0 else len(text)]))
    return out


def latex_problems(text: str) -> list[str]:
    """Structural faults of a LaTeX fragment: unbalanced braces, unmatched environments, rows of
    a tabular whose cell count differs from its column spec, unescaped special characters in
    cells. Empty when the fragment is well formed."""
    problems = []
    clean = re.sub(r"\\[\\{}&%$#_]", "", text)  # escaped characters and row ends
    depth = 0
    for ch in clean:
        depth += ch == "{"
        depth -= ch == "}"
        if depth < 0:
            problems.append("a } closes nothing")
            depth = 0
    if depth:
        problems.append(f"{depth} unclosed {{")
    stack: list[str] = []
    for m in re.finditer(r"\\(begin|end)\{([^}]*)\}", text):
        if m.group(1) == "begin":
            stack.append(m.group(2))
        elif not stack or stack.pop() != m.group(2):
            problems.append(f"\\end{{{m.group(2)}}} does not match")
    problems += [f"\\begin{{{e}}} not closed" for e in stack]
    for spec, inner in _tabulars(text):
        ncol = len(re.findall(r"[lcrp]", re.sub(r"\{[^}]*\}", "", spec)))
        for line in inner.split("\n"):
            line = line.strip()
            if not line.endswith("\\\\"):
                continue
            cells = re.sub(r"\\&", "", line)
            span = sum(int(k) - 1 for k in re.findall(r"\\multicolumn\{(\d+)\}", cells))
            if cells.count("&") + 1 + span != ncol:
                problems.append(f"row with {cells.count('&') + 1 + span} cells in a {ncol}-column tabular: {line[:60]}")
            body = re.sub(r"\\[A-Za-z]+|\\[\\{}&%$#_]|\$[^$]*\$", "", line)
            for ch in "%#_":
                if ch in body:
                    problems.append(f"unescaped {ch} in: {line[:60]}")
    if (text.count("$") - text.count("\\$")) % 2:
        problems.append("an odd number of $")
    return problems


# -- the writer -----------------------------------------------------------------------------
PREAMBLE = ("\\documentclass{article}\n\\usepackage[margin=2cm]{geometry}\n\\usepackage{booktabs}\n"
            "\\usepackage[T1]{fontenc}\n\\begin{document}\n")
#: the Chinese tables' document: XeLaTeX with ctex (which loads xeCJK and a CJK font)
PREAMBLE_ZH = ("% Chinese tables: compile with XeLaTeX (xelatex tables.tex); ctexart loads xeCJK and a CJK font.\n"
               "% 中文表格：请用 XeLaTeX 编译（xelatex tables.tex）；ctexart 文档类会加载 xeCJK 及中文字体。\n"
               "% Without ctex: \\documentclass{article} with \\usepackage{xeCJK} and \\setCJKmainfont{Noto Serif CJK SC}.\n"
               "\\documentclass[UTF8]{ctexart}\n\\usepackage[margin=2cm]{geometry}\n\\usepackage{booktabs}\n"
               "\\begin{document}\n")
#: the languages of the tables
TEX_LANGS = ("en", "zh")


def write_latex_tables(run_dir: Path, folder: Path, years: Sequence[int] | None = None, lang: str = "en") -> list[Path]:
    """Write the LaTeX tables of the run folder ``run_dir`` into ``folder`` (see the module
    docstring); ``years``: the years of the index table (default: up to five, first and last
    included); ``lang``: ``en`` or ``zh`` (Chinese captions, headers, notes and names; XeLaTeX).
    Returns the paths written, ``tables.tex`` last."""
    from nqpf.runs import RunError, load_run

    if lang not in TEX_LANGS:
        raise ReportTablesError(f"unknown language {lang!r} for the LaTeX tables: use en or zh")
    run_dir, folder = Path(run_dir), Path(folder)
    fws = framework_folders(run_dir)
    if folder.exists() and not folder.is_dir():
        raise ReportTablesError(f"{folder} is a file; give a folder for the LaTeX tables")
    folder.mkdir(parents=True, exist_ok=True)
    texts: dict[str, str] = {}
    csvs: dict[str, pd.DataFrame] = {}
    for fw in fws:
        fid = fw.name
        try:
            res = load_run(fw)
        except RunError as e:
            raise ReportTablesError(str(e)) from None
        name = (res.name_zh or res.name_en) if lang == "zh" else res.name_en
        span = f"{res.years[0]}--{res.years[-1]}"
        d = descriptives(res)
        csvs[f"{fid}_descriptives"] = d
        texts[f"{fid}_descriptives"] = _descriptives_tex(fid, name, d, span, lang)
        texts[f"{fid}_weights"] = _weights_tex(fid, name, res.tree(), pd.read_csv(fw / "weights.csv"), lang)
        scores = pd.read_csv(fw / "scores.csv", dtype={"region_code": str})
        texts[f"{fid}_index"] = _index_tex(fid, name, scores, res.framework.root.id, list(years) if years else None,
                                           lang)
        reg = fw / "regional"
        if (reg / "dagum_overall.csv").is_file():
            texts[f"{fid}_dagum"] = _dagum_tex(fid, name, pd.read_csv(reg / "dagum_overall.csv"), lang)
        if (reg / "dagum_within.csv").is_file() and (reg / "dagum_between.csv").is_file():
            texts[f"{fid}_dagum_groups"] = _dagum_groups_tex(fid, name, pd.read_csv(reg / "dagum_within.csv"),
                                                             pd.read_csv(reg / "dagum_between.csv"), lang)
        if (reg / "convergence.csv").is_file():
            texts[f"{fid}_convergence"] = _convergence_tex(fid, name, pd.read_csv(reg / "convergence.csv"), lang)
    link = run_dir / "linkage"
    if link.is_dir():
        from nqpf.linkage.analysis import CHANNEL_NAMES

        names = {k: v[TEX_LANGS.index(lang)] for k, v in CHANNEL_NAMES.items()}
        for p in sorted(link.glob("*.csv")):
            caption = (_t(f"tex_reg_{p.stem}", lang) if f"tex_reg_{p.stem}" in _text_keys()
                       else _t("tex_reg_other", lang, stem=tex_escape(p.stem.replace("_", " "))))
            tex = regression_tex(pd.read_csv(p), caption, _label("linkage", p.stem), names, lang)
            if tex is not None:
                texts[f"linkage_{p.stem}"] = tex
    paths = []
    for stem, text in texts.items():
        bad = latex_problems(text)
        if bad:  # a bug of ours, never the user's: say which table and what
            raise ReportTablesError(f"LaTeX table {stem} is malformed: {'; '.join(bad[:3])}")
        p = folder / f"{stem}.tex"
        p.write_text((_t("tex_needs", lang) + "\n" if lang == "zh" else "") + text, encoding="utf-8")
        paths.append(p)
    for stem, df in csvs.items():
        p = folder / f"{stem}.csv"
        df.to_csv(p, index=False, float_format="%.10g")
        paths.append(p)
    main = folder / "tables.tex"
    main.write_text((PREAMBLE_ZH if lang == "zh" else PREAMBLE) + "".join(f"\\input{{{stem}}}\n\\clearpage\n" for stem in texts) + "\\end{document}\n",
                    encoding="utf-8")
    paths.append(main)
    return paths

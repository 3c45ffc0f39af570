"""The tables of a run folder: found by globbing, described in English and Chinese, read typed.

A run folder is what ``nqpf run --out DIR`` writes: ``DIR/<framework>/`` (scores, weights,
coherence, imputed cells, ``robustness/``, ``regional/``, ``profiles/``) and job-level folders
(``DIR/productivity/``, ``DIR/linkage/``). :func:`run_tables` lists every CSV there, so tables
that later analyses add are picked up without a change here; :data:`DESCRIPTIONS` says what the
known ones are (others get a generic line naming their folder).

:func:`read_table` reads a CSV with every cell typed the same way for Excel and LaTeX: a column
is numeric when every non-empty cell parses as a number (integers stay integers), text
otherwise; code columns (``*code*``, ``region_a``, ``region_b``) always stay text, so
``110000`` is never a number and a number read back equals ``float`` of its CSV text exactly.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from nqpf.errors import NqpfError

__all__ = ["DESCRIPTIONS", "ReportTablesError", "RunTable", "framework_folders", "read_table", "run_meta",
           "run_tables"]


class ReportTablesError(NqpfError):
    """A run folder the workbook or LaTeX writer cannot use."""


#: file stem -> (what it is in English, in Chinese, units)
DESCRIPTIONS: dict[str, tuple[str, str, str]] = {
    "scores": ("Scores and ranks of every node (index, dimensions, indicators) by region and year",
               "各节点（指数、维度、指标）分地区分年份得分与排名",
               "score: normalised scale of the spec (min-max: 0-1, higher is better); rank 1 = best"),
    "weights": ("Weights: each child's weight within its parent and its effective weight in the index",
                "权重：子项在上级中的权重及其在指数中的有效权重", "share (each parent's children sum to 1)"),
    "imputed": ("Every imputed cell, value in the indicator's unit, method and the years it is filled from",
                "全部插补单元格（指标原单位）、方法及来源年份", "indicator unit (column unit)"),
    "missing": ("Cells still missing after imputation (aggregation reweights the rest)", "插补后仍缺失的单元格", "-"),
    "real_share": ("Share of real (observed, not imputed) indicator cells per year", "各年份真实观测值占比",
                   "share 0-1; cells"),
    "treatment": ("Outlier treatment: skewness and kurtosis before and after, values winsorised",
                  "异常值处理：处理前后偏度与峰度、缩尾个数", "-"),
    "screened_out": ("Indicators screened out for low coverage", "因覆盖率不足被剔除的指标", "-"),
    "ahp_consistency": ("AHP consistency ratios", "层次分析法一致性比率", "-"),
    "panel_catalog": ("Panel variables the framework reads: names, units, sources", "所用面板变量：名称、单位、来源", "-"),
    "coherence_correlations": ("Correlations between all nodes (pooled region-years)", "各节点相关系数（混合样本）",
                               "Pearson and Spearman r"),
    "coherence_to_parent": ("Correlation of each node with its parent and with the index", "各节点与上级及指数的相关",
                            "r"),
    "coherence_cronbach": ("Cronbach's alpha of each aggregate's children", "各汇总节点的 Cronbach α", "alpha"),
    "coherence_pca": ("First principal component of each aggregate's children", "各汇总节点子项的第一主成分",
                      "eigenvalue; share 0-1"),
    "coherence_flags": ("Coherence flags: collinear or negatively correlated siblings", "一致性警示：共线或负相关",
                        "r"),
    "rank_uncertainty": ("Rank uncertainty over the Monte Carlo draws: median rank and 5-95% interval",
                         "蒙特卡洛排名不确定性：中位排名及 5%-95% 区间", "rank (1 = best); score"),
    "sobol": ("Sobol sensitivity indices of each construction choice (S1 first order, ST total)",
              "各构建选择的 Sobol 敏感性指数", "share of variance 0-1"),
    "rank_pairs": ("Probability that region a ranks above region b over the draws", "地区 a 排名高于 b 的概率",
                   "probability 0-1"),
    "draws": ("Parameters of every Monte Carlo draw", "每次蒙特卡洛抽样的参数", "weight factors (x nominal)"),
    "dagum_overall": ("Dagum Gini decomposition by year: Gini, within, net between, transvariation, shares and "
                      "95% bootstrap bounds (NBS four regions)", "Dagum 基尼系数分解（四大区域）：总体、组内、组间净差异、超变密度及贡献率",
                      "Gini 0-1; *_share %"),
    "dagum_within": ("Dagum Gini within each region group by year", "各区域组内基尼系数", "Gini 0-1"),
    "dagum_between": ("Dagum Gini between each pair of region groups and relative affluence D", "区域间基尼系数及相对经济富裕度 D",
                      "Gini 0-1; D 0-1"),
    "inequality": ("Gini, CV, Theil T and L with within/between split by year", "基尼系数、变异系数、泰尔指数（组内/组间）",
                   "index values; between_share_t %"),
    "inequality_groups": ("Theil T and L of each region group by year", "各区域泰尔指数", "index values"),
    "sigma": ("sigma convergence: sd of ln score and CV by year", "σ收敛：对数得分标准差与变异系数", "sd of ln y; CV"),
    "convergence": ("sigma trend and absolute beta convergence (two-way FE, SE clustered by region), speed, half-life",
                    "σ收敛趋势与绝对β收敛（双向固定效应，地区聚类标准误）、收敛速度与半衰期",
                    "coef per year; speed per year; half-life years"),
    "beta": ("beta convergence regression: every coefficient, speed and half-life", "β收敛回归系数", "coef; years"),
    "moran": ("Global Moran's I and Geary's C by year (999 permutations)", "全局莫兰指数与吉尔里系数（999 次置换）",
              "I; E[I]; z; p"),
    "lisa": ("Local Moran (LISA) in the latest year: quadrant, pseudo p, cluster", "局部莫兰指数（最新年份）：象限、p 值、聚类",
             "I_i; p"),
    "density": ("Kernel density of the index by year (Gaussian, Silverman bandwidth)", "指数核密度（高斯核）",
                "density per score unit"),
    "density_moments": ("Mean, median, sd, skew, peaks and mode of the index by year", "指数分布特征", "score units"),
    "obstacles_indicators": ("Obstacle degree of every indicator by region and year", "各指标分地区分年份障碍度",
                             "obstacle %; rank 1 = largest"),
    "obstacles_dimensions": ("Obstacle degree of every dimension by region and year", "各维度分地区分年份障碍度",
                             "obstacle %; rank 1 = largest"),
    "obstacles_top": ("The three largest obstacles of each region in the latest year", "各地区最新年份前三障碍因子",
                      "obstacle %"),
    "obstacles_mean": ("Mean obstacle degree of each indicator over regions, latest year", "最新年份各指标平均障碍度",
                       "obstacle %"),
    "coupling": ("Coupling coordination with the HQD index: U of each system, C, T, D and class",
                 "与高质量发展指数的耦合协调度：C、T、D 及等级", "0-1"),
    "notes": ("Notes: analyses not computed and every choice the analyses made", "说明：未计算的分析及所作处理", "-"),
    "fe_main": ("Two-way FE of HQD and its channels on NQPF: estimate, clustered SE, p", "双向固定效应回归：系数、聚类标准误、p 值",
                "coefficient; SE; p"),
    "fe_coefficients": ("Two-way FE of HQD and its channels on NQPF and controls: estimate, clustered SE, t, p, 95% CI, "
                        "N, within R2", "双向固定效应回归：系数、聚类标准误、t、p、95% 区间、样本量、组内 R²",
                        "coefficient; SE; p"),
    "sdm_effects": ("Spatial Durbin model: direct, indirect (spillover) and total effects of NQPF, simulated SE",
                    "空间杜宾模型：新质生产力的直接、间接（溢出）与总效应", "coefficient; SE; p"),
    "sdm_coefficients": ("Spatial Durbin model coefficients: rho, beta, theta (W x NQPF)", "空间杜宾模型系数：ρ、β、θ",
                         "coefficient; SE; p"),
    "nqpf_coefficients": ("The NQPF coefficient per dependent variable with 95% interval", "各因变量的新质生产力系数及 95% 区间",
                          "coefficient"),
    "mediation": ("Mediation through each channel (Baron-Kenny, Sobel test)", "中介效应（逐步法与 Sobel 检验）", "coefficient; p"),
    "threshold": ("Hansen panel threshold regression", "Hansen 面板门槛回归", "-"),
}

#: job-level folders whose tables are not per framework
JOB_FOLDERS = ("productivity", "linkage")
#: order of a framework's subfolders in listings (others follow by name)
SUBFOLDER_ORDER = ("regional", "robustness", "profiles")
#: text columns even when every value is digits
_TEXT = re.compile(r"(code|^region_a$|^region_b$|^id$|_id$)", re.IGNORECASE)
_INT = re.compile(r"^[+-]?\d+$")


@dataclass(frozen=True)
class RunTable:
    """One CSV of a run: ``path``, ``framework`` (id, or '' at job level), ``folder`` ('' for the
    framework's own tables, else ``robustness``, ``regional``, ``profiles``, ``linkage`` ...), ``stem``."""

    path: Path
    framework: str
    folder: str
    stem: str

    @property
    def description(self) -> tuple[str, str, str]:
        """(English, Chinese, units) of the table."""
        if self.folder == "linkage" and self.stem == "robustness":
            return ("Robustness of the NQPF coefficient: lags, winsorising, municipalities dropped, other builds",
                    "新质生产力系数稳健性检验", "coefficient; SE; p")
        where = "/".join(p for p in (self.framework, self.folder) if p)
        return DESCRIPTIONS.get(self.stem, (f"Table {self.stem} written by the {self.folder or 'index'} step ({where})",
                                            f"{where} 中的表 {self.stem}", "see docs"))

    @property
    def relpath(self) -> str:
        """Path inside the run folder."""
        return "/".join(p for p in (self.framework, self.folder, f"{self.stem}.csv") if p)


def framework_folders(run_dir: Path) -> list[Path]:
    """Framework subfolders of a run folder (those with ``scores.csv``), sorted by name."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise ReportTablesError(f"run folder {run_dir} not found; give the folder written by `nqpf run --out DIR`")
    found = sorted(p.parent for p in run_dir.glob("*/scores.csv"))
    if not found:
        hint = " (this is one framework's folder: give its parent)" if (run_dir / "scores.csv").is_file() else ""
        raise ReportTablesError(f"{run_dir} holds no framework folder with scores.csv{hint}; give the folder "
                                "written by `nqpf run --out DIR`")
    return found


def run_tables(run_dir: Path) -> list[RunTable]:
    """Every CSV of the run: per framework (own tables, then each subfolder), then job-level folders."""
    run_dir = Path(run_dir)
    out: list[RunTable] = []
    for fw in framework_folders(run_dir):
        for p in sorted(fw.glob("*.csv"), key=_order):
            out.append(RunTable(p, fw.name, "", p.stem))
        subs = sorted((d for d in fw.iterdir() if d.is_dir() and not d.name.startswith((".", "_"))),
                      key=lambda d: (SUBFOLDER_ORDER.index(d.name) if d.name in SUBFOLDER_ORDER else 99, d.name))
        for sub in subs:
            for p in sorted(sub.glob("*.csv"), key=_order):
                out.append(RunTable(p, fw.name, sub.name, p.stem))
    for sub in sorted(d for d in run_dir.iterdir()
                      if d.is_dir() and not d.name.startswith((".", "_")) and not (d / "scores.csv").is_file()):
        for p in sorted(sub.glob("*.csv")):
            out.append(RunTable(p, "", sub.name, p.stem))
    return out


def _order(p: Path) -> tuple[int, str]:
    keys = list(DESCRIPTIONS)
    return (keys.index(p.stem) if p.stem in keys else len(keys), p.stem)


def _cell(text: str, numeric: bool) -> Any:
    if text == "":
        return None
    if not numeric:
        return text
    return int(text) if _INT.match(text) else float(text)


def _is_number(text: str) -> bool:
    """A finite number (NaN and infinities are not numbers Excel can hold: such a column stays text)."""
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def read_table(path: Path) -> pd.DataFrame:
    """A CSV as an object DataFrame of typed cells (int, float, str or None for empty)."""
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as e:
        raise ReportTablesError(f"cannot read {path}: {e}") from None
    out = {}
    for col in raw.columns:
        vals = raw[col].tolist()
        numeric = not _TEXT.search(str(col)) and all(v == "" or _is_number(v) for v in vals) and any(vals)
        out[col] = [_cell(v, numeric) for v in vals]
    return pd.DataFrame(out, columns=raw.columns, dtype=object)


def run_meta(framework_folder: Path) -> dict[str, Any]:
    """The framework's ``spec.json`` (spec, hashes, versions), or {} when absent."""
    p = Path(framework_folder) / "spec.json"
    if not p.is_file():
        return {}
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise ReportTablesError(f"cannot read {p}: {e}") from None
    return doc if isinstance(doc, dict) else {}

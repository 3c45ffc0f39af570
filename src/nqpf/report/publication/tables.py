"""Where the report finds each table of a run folder: every file name in one place.

A run folder (``nqpf run --out DIR``) holds one folder per framework (``DIR/<framework_id>/``)
and, at job level, the productivity and linkage analyses (``DIR/productivity/``,
``DIR/linkage/``). The report reads the tables listed here when they exist and lists the
absent ones in its "not in this run" section, so a later analysis plugs in by writing its
CSV files under these names (adjust the names here, nowhere else).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FRAMEWORK_TABLES", "JOB_TABLES", "OPTIONAL_SECTIONS", "TableRef"]


@dataclass(frozen=True)
class TableRef:
    """One table of a run: its key, its path relative to the framework (or job) folder, titles."""

    key: str
    path: str
    title_en: str
    title_zh: str


#: tables of every framework run (written by ``nqpf.runs.write_run``)
FRAMEWORK_TABLES: tuple[TableRef, ...] = (
    TableRef("scores", "scores.csv", "Scores and ranks", "得分与排名"),
    TableRef("weights", "weights.csv", "Weights", "权重"),
    TableRef("imputed", "imputed.csv", "Imputed cells", "插补单元格"),
    TableRef("missing", "missing.csv", "Missing cells", "缺失单元格"),
    TableRef("real_share", "real_share.csv", "Real data per year", "各年真实数据占比"),
    TableRef("screened_out", "screened_out.csv", "Indicators screened out", "筛除的指标"),
    TableRef("treatment", "treatment.csv", "Outlier treatment", "异常值处理"),
    TableRef("catalog", "panel_catalog.csv", "Variables and sources", "变量与来源"),
)

#: optional analysis tables per report section, relative to the framework folder
OPTIONAL_SECTIONS: dict[str, tuple[TableRef, ...]] = {
    "robustness": (
        TableRef("rank_uncertainty", "robustness/rank_uncertainty.csv", "Rank uncertainty", "排名不确定性"),
        TableRef("sobol", "robustness/sobol.csv", "Sobol sensitivity indices", "Sobol 敏感性指数"),
    ),
    "disparity": (
        TableRef("dagum_overall", "regional/dagum_overall.csv", "Dagum Gini decomposition", "Dagum 基尼系数分解"),
        TableRef("inequality", "regional/inequality.csv", "Theil indices and CV", "泰尔指数与变异系数"),
    ),
    "convergence": (
        TableRef("sigma", "regional/sigma.csv", "Sigma convergence", "σ 收敛"),
        TableRef("beta", "regional/beta.csv", "Beta convergence", "β 收敛"),
        TableRef("clubs", "regional/clubs.csv", "Convergence clubs (Phillips-Sul)", "俱乐部收敛"),
    ),
    "spatial": (
        TableRef("moran", "regional/moran.csv", "Global Moran's I", "全局莫兰指数"),
        TableRef("lisa", "regional/lisa.csv", "Local Moran (LISA), latest year", "局部莫兰指数（最新年份）"),
    ),
    "profiles": (
        TableRef("narratives", "profiles/narratives.csv", "Province narratives", "省份叙述"),
        TableRef("strengths", "profiles/strengths.csv", "Strengths", "优势"),
        TableRef("weaknesses", "profiles/weaknesses.csv", "Weaknesses", "短板"),
    ),
    "investor": (
        TableRef("investor_matrix", "profiles/investor_matrix.csv", "Investor opportunity matrix", "投资机会矩阵"),
    ),
}

#: job-level analysis tables, relative to the job folder
JOB_TABLES: dict[str, tuple[TableRef, ...]] = {
    "productivity": (
        TableRef("tfp_growth_accounting", "productivity/tfp_growth_accounting.csv", "TFP by growth accounting",
                 "增长核算全要素生产率"),
        TableRef("malmquist", "productivity/malmquist.csv", "Malmquist productivity index", "Malmquist 生产率指数"),
        TableRef("efficiency", "productivity/efficiency.csv", "DEA efficiency", "DEA 效率"),
        TableRef("tfp_national", "productivity/tfp_national.csv", "National TFP growth", "全国全要素生产率增长"),
    ),
    "linkage": (
        TableRef("fe_coefficients", "linkage/fe_coefficients.csv", "NQPF coefficients (two-way FE)",
                 "新质生产力系数（双向固定效应）"),
        TableRef("sdm_effects", "linkage/sdm_effects.csv", "Spatial Durbin model: direct, indirect and total effects",
                 "空间杜宾模型：直接、间接与总效应"),
        TableRef("mediation", "linkage/mediation.csv", "Mediation", "中介效应"),
        TableRef("linkage_robustness", "linkage/robustness.csv", "Robustness checks", "稳健性检验"),
    ),
}

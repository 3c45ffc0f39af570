"""Statistical coherence of a composite index: the JRC audit's first step.

Before a composite index is trusted, its indicators and aggregates should hang together
(OECD/JRC *Handbook on Constructing Composite Indicators*, 2008, step 4 "multivariate
analysis" and step 9 "links to other indicators"; Saisana, Saltelli and Tarantola 2005,
*J. R. Stat. Soc. A* 168(2); the JRC COIN tool and COINr's ``get_corr``, ``get_cronbach``
and ``get_PCA``). :func:`coherence` computes, pooled over every region-year:

* Pearson and Spearman correlations between every pair of nodes of the framework tree
  (indicators, dimensions and the index), within and across levels;
* each node's correlation with its parent and with the index;
* Cronbach's alpha of the children of every non-leaf node (Cronbach 1951);
* a principal component analysis of the children's correlation matrix (first eigenvalue,
  its variance share, Kaiser's count of eigenvalues above 1);
* flags for collinear siblings (``r > collinear``, candidates for double counting) and
  negatively correlated siblings (``r < negative``, trade-offs that an average hides), plus
  nodes negatively correlated with their own parent (``negative_parent``).

Missing values: correlations use pairwise deletion (every pair uses the rows where both are
present, ``n`` reports how many); alpha and PCA use listwise deletion within each non-leaf
node (rows where all its children are present).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from nqpf.errors import ValidationError

__all__ = ["CoherenceResult", "coherence", "cronbach_alpha", "pca_summary", "wide_values"]


@dataclass
class CoherenceResult:
    """Results of :func:`coherence`, one table per statistic.

    Attributes
    ----------
    correlations:
        One row per unordered pair of nodes: ``node_a, node_b, level_a, level_b, parent_a,
        parent_b, pearson, spearman, n, within`` (``within``: same parent).
    to_parent:
        ``node, parent, r_parent, r_index``: Pearson r with the parent and with the index.
    cronbach:
        Per non-leaf node: ``node, n_children, n_obs, alpha``.
    pca:
        Per non-leaf node: ``node, n_children, n_obs, eigenvalue_1, share_1, n_eigen_gt_1``.
    flags:
        ``node_a, node_b, kind, r, message_en, message_zh``; kind is ``collinear``,
        ``negative`` (siblings) or ``negative_parent`` (node_b is node_a's parent).
    """

    correlations: pd.DataFrame
    to_parent: pd.DataFrame
    cronbach: pd.DataFrame
    pca: pd.DataFrame
    flags: pd.DataFrame
    collinear: float = 0.92
    negative: float = -0.4

    def summary(self) -> str:
        """A short bilingual text summary."""
        lines = [
            "Statistical coherence / 统计一致性",
            f"  node pairs / 节点对: {len(self.correlations)}",
            "  Cronbach's alpha and PC1 share per aggregate / 各汇总节点的 Cronbach α 与第一主成分方差占比:",
        ]
        merged = self.cronbach.merge(self.pca[["node", "share_1", "n_eigen_gt_1"]], on="node")
        for row in merged.itertuples(index=False):
            lines.append(
                f"    {row.node}: K={row.n_children}, alpha={row.alpha:.3f}, "
                f"PC1={row.share_1:.1%}, eigenvalues>1={row.n_eigen_gt_1}"
            )
        lines.append(
            f"  flags / 警示 (collinear r>{self.collinear}, negative r<{self.negative}): {len(self.flags)}"
        )
        for row in self.flags.itertuples(index=False):
            lines.append(f"    - {row.message_en} / {row.message_zh}")
        return "\n".join(lines)


def cronbach_alpha(items: np.ndarray) -> float:
    """Cronbach's alpha of an ``observations x items`` matrix (Cronbach 1951).

    ``alpha = K/(K-1) * (1 - sum_i var(x_i) / var(sum_i x_i))``, sample variances
    (ddof=1; the ratio does not depend on ddof). Rows with a NaN are dropped (listwise).
    NaN when there are fewer than two items or two complete rows, or the total is constant.
    """
    x = np.asarray(items, dtype=float)
    x = x[~np.isnan(x).any(axis=1)]
    n, k = x.shape
    if k < 2 or n < 2:
        return float("nan")
    total_var = x.sum(axis=1).var(ddof=1)
    if total_var == 0:
        return float("nan")
    return float(k / (k - 1) * (1.0 - x.var(axis=0, ddof=1).sum() / total_var))


def pca_summary(items: np.ndarray) -> tuple[float, float, int]:
    """First eigenvalue, its variance share and the count of eigenvalues > 1.

    PCA of the correlation matrix of an ``observations x items`` matrix (listwise deletion),
    as in the JRC/OECD Handbook (2008, step 4): ``share_1 = lambda_1 / K``. NaNs when fewer
    than two items or three complete rows, or an item is constant.
    """
    x = np.asarray(items, dtype=float)
    x = x[~np.isnan(x).any(axis=1)]
    n, k = x.shape
    if k < 2 or n < 3 or np.any(x.std(axis=0) == 0):
        return float("nan"), float("nan"), 0
    eig = np.linalg.eigvalsh(np.corrcoef(x, rowvar=False))
    return float(eig[-1]), float(eig[-1] / k), int((eig > 1.0).sum())


def _parent_map(tree: pd.DataFrame) -> tuple[dict[str, str | None], dict[str, int], str]:
    need = {"node", "parent", "level"}
    if not need <= set(tree.columns):
        raise ValidationError(f"tree lacks columns {sorted(need - set(tree.columns))}")
    parent: dict[str, str | None] = {}
    level: dict[str, int] = {}
    for node, p, lev in zip(tree["node"].tolist(), tree["parent"].tolist(), tree["level"].tolist(), strict=True):
        missing = p is None or (isinstance(p, float) and np.isnan(p)) or p == ""
        parent[str(node)] = None if missing else str(p)
        level[str(node)] = int(lev)
    roots = [n for n, p in parent.items() if p is None]
    if len(roots) != 1:
        raise ValidationError(f"the tree must have exactly one root, found {roots}")
    return parent, level, roots[0]


def wide_values(scores: pd.DataFrame, framework: str | None = None) -> pd.DataFrame:
    """Pivot the engine's tidy ``scores`` to the wide input of :func:`coherence`.

    Rows ``(region_code, year)``, one column per node (its ``score``).
    """
    s = scores if framework is None else scores[scores["framework"] == framework]
    return s.pivot_table(index=["region_code", "year"], columns="node", values="score", aggfunc="first")


def coherence(
    values: pd.DataFrame,
    tree: pd.DataFrame,
    *,
    collinear: float = 0.92,
    negative: float = -0.4,
) -> CoherenceResult:
    """Correlations, Cronbach's alpha, PCA and flags for one framework tree.

    Parameters
    ----------
    values:
        Wide table, one row per region-year (pooled), one column per node of ``tree``:
        the normalised indicators and the aggregated dimension and index scores (see
        :func:`wide_values`). Tree nodes absent from ``values`` are left out.
    tree:
        ``node, parent, level`` (root: parent ``None``/``""``, level 0).
    collinear, negative:
        Thresholds on Pearson r between siblings (JRC/COINr practice: 0.92 and -0.4).
    """
    parent, level, root = _parent_map(tree)
    nodes = [n for n in tree["node"].astype(str) if n in values.columns]
    if len(nodes) < 2:
        raise ValidationError("values share fewer than two columns with the tree's nodes")
    x = values[nodes].astype(float)
    mask = x.notna().to_numpy().astype(float)
    counts = mask.T @ mask
    pear = x.corr(method="pearson", min_periods=3).to_numpy()
    spear = x.corr(method="spearman", min_periods=3).to_numpy()

    ia, ib = np.triu_indices(len(nodes), k=1)
    na = [nodes[i] for i in ia]
    nb = [nodes[i] for i in ib]
    correlations = pd.DataFrame(
        {
            "node_a": na,
            "node_b": nb,
            "level_a": [level[n] for n in na],
            "level_b": [level[n] for n in nb],
            "parent_a": [parent[n] for n in na],
            "parent_b": [parent[n] for n in nb],
            "pearson": pear[ia, ib],
            "spearman": spear[ia, ib],
            "n": counts[ia, ib].astype(int),
        }
    )
    correlations["within"] = [
        pa is not None and pa == pb for pa, pb in zip(correlations["parent_a"], correlations["parent_b"], strict=True)
    ]

    pos = {n: i for i, n in enumerate(nodes)}
    rows = []
    for n in nodes:
        p = parent[n]
        if p is None:
            continue
        rows.append(
            {
                "node": n,
                "parent": p,
                "r_parent": pear[pos[n], pos[p]] if p in pos else np.nan,
                "r_index": pear[pos[n], pos[root]] if root in pos else np.nan,
            }
        )
    to_parent = pd.DataFrame(rows, columns=["node", "parent", "r_parent", "r_index"])

    children: dict[str, list[str]] = {}
    for n in nodes:
        p = parent[n]
        if p is not None:
            children.setdefault(p, []).append(n)
    cr_rows, pca_rows = [], []
    for n in [m for m in tree["node"].astype(str) if m in children]:
        kids = children[n]
        arr = x[kids].to_numpy()
        n_obs = int((~np.isnan(arr).any(axis=1)).sum())
        cr_rows.append({"node": n, "n_children": len(kids), "n_obs": n_obs, "alpha": cronbach_alpha(arr)})
        ev1, share, n_gt = pca_summary(arr)
        pca_rows.append(
            {"node": n, "n_children": len(kids), "n_obs": n_obs, "eigenvalue_1": ev1, "share_1": share, "n_eigen_gt_1": n_gt}
        )
    cronbach = pd.DataFrame(cr_rows, columns=["node", "n_children", "n_obs", "alpha"])
    pca = pd.DataFrame(
        pca_rows, columns=["node", "n_children", "n_obs", "eigenvalue_1", "share_1", "n_eigen_gt_1"]
    )

    flag_rows = []
    sib = correlations[correlations["within"]]
    for a, b, pa, r in zip(sib["node_a"], sib["node_b"], sib["parent_a"], sib["pearson"].astype(float), strict=True):
        if r > collinear:
            flag_rows.append(
                (a, b, "collinear", r,
                 f"{a} and {b} (under {pa}) are collinear: r = {r:.3f} > {collinear}",
                 f"{a} 与 {b}（同属 {pa}）高度共线：r = {r:.3f} > {collinear}")
            )
        elif r < negative:
            flag_rows.append(
                (a, b, "negative", r,
                 f"{a} and {b} (under {pa}) are negatively correlated: r = {r:.3f} < {negative}",
                 f"{a} 与 {b}（同属 {pa}）显著负相关：r = {r:.3f} < {negative}")
            )
    for n, p, r in zip(to_parent["node"], to_parent["parent"], to_parent["r_parent"].astype(float), strict=True):
        if r < 0:
            flag_rows.append(
                (n, p, "negative_parent", r,
                 f"{n} is negatively correlated with its parent {p}: r = {r:.3f}",
                 f"{n} 与其上级 {p} 负相关：r = {r:.3f}")
            )
    flags = pd.DataFrame(flag_rows, columns=["node_a", "node_b", "kind", "r", "message_en", "message_zh"])
    return CoherenceResult(correlations, to_parent, cronbach, pca, flags, collinear, negative)

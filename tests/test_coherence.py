"""Coherence statistics against hand-worked cases, numpy, scipy and pandas, on real data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from conftest import INNOV, STRUCT
from nqpf.index.coherence import coherence, cronbach_alpha, pca_summary, wide_values


def _tree() -> pd.DataFrame:
    rows = [
        ("nqpf", None, 0, "index"),
        ("innov", "nqpf", 1, "dimension"),
        ("struct", "nqpf", 1, "dimension"),
    ]
    rows += [(v, "innov", 2, "indicator") for v in INNOV] + [
        (v, "struct", 2, "indicator") for v in STRUCT
    ]
    return pd.DataFrame(rows, columns=["node", "parent", "level", "kind"])


@pytest.fixture(scope="module")
def values(toy_index_values: pd.DataFrame) -> pd.DataFrame:
    return toy_index_values.copy()


def test_real_fixture_shape(values: pd.DataFrame) -> None:
    assert values.shape == (31 * 8, 9)
    assert values.notna().all().all()


def test_cronbach_hand_worked() -> None:
    # a = 1,2,3 and b = 1,3,2: var a = var b = 1, total 2,5,5 has var 3 -> alpha = 2 * (1 - 2/3)
    x = np.array([[1.0, 1.0], [2.0, 3.0], [3.0, 2.0]])
    assert cronbach_alpha(x) == pytest.approx(2 / 3)
    # identical items: perfect reliability; one item or one row: undefined
    assert cronbach_alpha(np.array([[1.0, 1.0], [2.0, 2.0], [4.0, 4.0]])) == pytest.approx(1.0)
    assert np.isnan(cronbach_alpha(np.array([[1.0], [2.0]])))
    assert np.isnan(cronbach_alpha(np.array([[1.0, 2.0]])))
    # a row with NaN is dropped (listwise)
    assert cronbach_alpha(np.vstack([x, [np.nan, 9.0]])) == pytest.approx(2 / 3)


def test_pca_hand_worked() -> None:
    # r(a, b) = 0.5, so the eigenvalues are 1.5 and 0.5
    x = np.array([[1.0, 1.0], [2.0, 3.0], [3.0, 2.0]])
    ev1, share, n_gt = pca_summary(x)
    assert ev1 == pytest.approx(1.5)
    assert share == pytest.approx(0.75)
    assert n_gt == 1


def test_against_peers(values: pd.DataFrame) -> None:
    res = coherence(values, _tree())
    arr = values[INNOV].to_numpy()
    cov = np.cov(arr, rowvar=False)
    k = len(INNOV)
    alpha_cov = k / (k - 1) * (1 - np.trace(cov) / cov.sum())
    got = res.cronbach.set_index("node")
    assert got.loc["innov", "alpha"] == pytest.approx(alpha_cov, rel=1e-12)
    assert got.loc["innov", "n_children"] == 3
    assert got.loc["nqpf", "n_children"] == 2
    # standardised items: alpha equals K r / (1 + (K - 1) r) with r the mean inter-item correlation
    z = (arr - arr.mean(0)) / arr.std(0, ddof=1)
    c = np.corrcoef(arr, rowvar=False)
    rbar = c[np.triu_indices(k, 1)].mean()
    assert cronbach_alpha(z) == pytest.approx(k * rbar / (1 + (k - 1) * rbar), rel=1e-12)

    eig = np.linalg.eigh(np.corrcoef(values[STRUCT].to_numpy(), rowvar=False))[0]
    p = res.pca.set_index("node")
    assert p.loc["struct", "eigenvalue_1"] == pytest.approx(eig[-1], rel=1e-12)
    assert p.loc["struct", "share_1"] == pytest.approx(eig[-1] / 3, rel=1e-12)
    assert p.loc["struct", "n_eigen_gt_1"] == int((eig > 1).sum())

    pair = res.correlations.set_index(["node_a", "node_b"]).loc[
        ("patents_granted_invention", "rd_expenditure")
    ]
    a, b = values["patents_granted_invention"], values["rd_expenditure"]
    assert pair["pearson"] == pytest.approx(stats.pearsonr(a, b)[0], rel=1e-10)
    assert pair["spearman"] == pytest.approx(stats.spearmanr(a, b)[0], rel=1e-10)
    assert pair["n"] == 248
    assert bool(pair["within"]) is True
    # 9 nodes -> 36 unordered pairs
    assert len(res.correlations) == 36
    across = res.correlations.set_index(["node_a", "node_b"]).loc[("innov", "rd_intensity")]
    assert bool(across["within"]) is False
    assert (across["level_a"], across["level_b"]) == (1, 2)

    tp = res.to_parent.set_index("node")
    assert tp.loc["rd_intensity", "parent"] == "innov"
    assert tp.loc["rd_intensity", "r_parent"] == pytest.approx(
        np.corrcoef(values["rd_intensity"], values["innov"])[0, 1]
    )
    assert tp.loc["innov", "r_index"] == pytest.approx(tp.loc["innov", "r_parent"])
    assert "nqpf" not in tp.index


def test_flags_on_real_data(values: pd.DataFrame) -> None:
    res = coherence(values, _tree())
    f = res.flags.set_index(["node_a", "node_b"])
    # invention patents and R&D expenditure move together (r ~ 0.95); industry vs services shares trade off (r ~ -0.82)
    assert f.loc[("patents_granted_invention", "rd_expenditure"), "kind"] == "collinear"
    assert f.loc[("patents_granted_invention", "rd_expenditure"), "r"] > 0.92
    assert f.loc[("tertiary_share", "secondary_share"), "kind"] == "negative"
    assert f.loc[("tertiary_share", "secondary_share"), "r"] < -0.8
    assert f.loc[("secondary_share", "struct"), "kind"] == "negative_parent"
    assert set(res.flags["kind"]) == {"collinear", "negative", "negative_parent"}
    assert len(res.flags) == 3
    assert all("共线" in m or "负相关" in m for m in res.flags["message_zh"])
    # a higher threshold removes the collinear flag
    assert "collinear" not in set(coherence(values, _tree(), collinear=0.99).flags["kind"])
    text = res.summary()
    assert "Cronbach" in text and "统计一致性" in text and "rd_expenditure" in text


def test_missing_values(values: pd.DataFrame) -> None:
    v = values.copy()
    v.iloc[:10, v.columns.get_loc("rd_intensity")] = np.nan
    res = coherence(v, _tree())
    pair = res.correlations.set_index(["node_a", "node_b"]).loc[
        ("rd_intensity", "patents_granted_invention")
    ]
    ok = v["rd_intensity"].notna()
    assert pair["n"] == 238
    assert pair["pearson"] == pytest.approx(
        stats.pearsonr(v.loc[ok, "rd_intensity"], v.loc[ok, "patents_granted_invention"])[0],
        rel=1e-10,
    )
    cr = res.cronbach.set_index("node")
    assert cr.loc["innov", "n_obs"] == 238
    assert cr.loc["struct", "n_obs"] == 248
    assert cr.loc["innov", "alpha"] == pytest.approx(cronbach_alpha(v.loc[ok, INNOV].to_numpy()))


def test_wide_values_roundtrip(values: pd.DataFrame) -> None:
    long = values.reset_index().melt(
        id_vars=["region_code", "year"], var_name="node", value_name="score"
    )
    long["framework"] = "demo"
    w = wide_values(long, "demo")
    assert w.shape == values.shape
    assert w.loc[("110000", 2015), "innov"] == pytest.approx(values.loc[("110000", 2015), "innov"])


def test_bad_tree(values: pd.DataFrame) -> None:
    from nqpf.errors import ValidationError

    t = _tree()
    t.loc[1, "parent"] = None
    with pytest.raises(ValidationError, match="one root"):
        coherence(values, t)

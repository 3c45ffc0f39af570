"""Spatial weights (islands), Moran's I, Geary's C, LISA and Gi*: by hand and against esda."""

from __future__ import annotations

import warnings

import esda
import numpy as np
import pytest

from bundle import V1_FRAMEWORKS
from nqpf.regional import (
    GetisOrdGStar,
    GlobalAutocorrelation,
    LocalMoran,
    RegionalError,
    SpatialWeights,
)
from nqpf.regional.spatial import geary_c, moran_i, permutation_p


@pytest.fixture(scope="module")
def queen() -> SpatialWeights:
    return SpatialWeights.queen()


def test_queen_weights_and_hainan(queen: SpatialWeights) -> None:
    pos = {r: i for i, r in enumerate(queen.regions)}
    m = queen.matrix
    assert queen.n == 31 and np.allclose(m, m.T) and np.all(np.diag(m) == 0)
    nb = {r: {queen.regions[j] for j in np.nonzero(m[pos[r]])[0]} for r in queen.regions}
    assert nb["110000"] == {"120000", "130000"}                      # Beijing: Tianjin, Hebei
    assert nb["310000"] == {"320000", "330000"}                      # Shanghai: Jiangsu, Zhejiang
    assert {"450000", "350000", "430000", "360000", "460000"} == nb["440000"]
    assert nb["460000"] == {"440000"}                                # Hainan linked to Guangdong
    assert queen.links_added == [("460000", "440000", "default island link (Qiongzhou Strait)")]
    assert queen.islands == [] and "460000" in queen.notes[0]
    kept = SpatialWeights.queen(islands="keep")
    assert kept.islands == ["460000"] and "no neighbour" in kept.notes[0]
    assert kept.matrix.sum() == m.sum() - 2
    # a subset that strands a region links it to its nearest region, and says so
    sub = queen.subset([r for r in queen.regions if r != "440000"])
    assert ("460000", "450000", "nearest region by centroid distance") in sub.links_added
    assert sub.islands == []


def test_queen_matches_libpysal(queen: SpatialWeights) -> None:
    from libpysal.weights import Queen

    from nqpf.geo import province_geometries

    geoms = province_geometries()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        peer = Queen.from_iterable([geoms[r] for r in queen.regions], ids=queen.regions)
    kept = SpatialWeights.queen(islands="keep")
    for i, r in enumerate(kept.regions):
        assert {kept.regions[j] for j in np.nonzero(kept.matrix[i])[0]} == set(peer.neighbors[r]), r
    assert peer.islands == ["460000"]


def test_knn_and_distance_weights(queen: SpatialWeights) -> None:
    knn = SpatialWeights.knn(4)
    assert (knn.matrix.sum(axis=1) == 4).all()
    pos = {r: i for i, r in enumerate(knn.regions)}
    assert knn.matrix[pos["110000"], pos["120000"]] == 1  # Tianjin is among Beijing's 4 nearest
    dist = SpatialWeights.distance()
    d_bj_tj = 1 / dist.matrix[pos["110000"], pos["120000"]]
    assert 90 < d_bj_tj < 140  # km between the two centroids
    np.testing.assert_allclose(dist.row_standardised().sum(axis=1), 1.0)
    with pytest.raises(RegionalError, match="k must be"):
        SpatialWeights.knn(31)
    with pytest.raises(RegionalError, match="no polygon"):
        SpatialWeights.queen(["110000", "100000"])
    with pytest.raises(RegionalError, match="unknown weights"):
        SpatialWeights.make("rook")


def test_hand_worked_moran_geary() -> None:
    # four regions on a line 1-2-3-4, y = 1..4, row-standardised
    w = np.array([[0, 1, 0, 0], [.5, 0, .5, 0], [0, .5, 0, .5], [0, 0, 1, 0]])
    y = np.array([1.0, 2.0, 3.0, 4.0])
    # z = (-1.5, -.5, .5, 1.5), sum z^2 = 5, Wz = (-.5, -.5, .5, .5), z'Wz = 2, S0 = 4
    assert float(moran_i(y, w)) == pytest.approx(0.4)           # (4 / 4) * 2 / 5
    assert float(geary_c(y, w)) == pytest.approx(0.3)           # 3 * 4 / (2 * 4 * 5)
    sims = np.array([[0.1], [0.5], [0.9], [0.5]])
    assert permutation_p(np.array([0.9]), sims)[0] == pytest.approx((1 + 1) / 5)  # one sim >= 0.9
    assert permutation_p(np.array([0.5]), sims)[0] == pytest.approx((3 + 1) / 5)  # ties count as extreme


@pytest.mark.parametrize("kind", ["queen", "knn"])
def test_global_against_esda(v1_results, kind: str) -> None:
    res = v1_results["nqpf-three-elements@1.0"]
    w = SpatialWeights.make(kind, res.regions)
    g = GlobalAutocorrelation(res, w, permutations=9999, seed=2)
    lw = w.to_libpysal("r")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for t in (0, len(res.years) - 1):
            y = res.index[t]
            m = esda.Moran(y, lw, permutations=9999)
            c = esda.Geary(y, lw, permutations=9999)
            row = g.table.iloc[t]
            assert row["moran_i"] == pytest.approx(m.I, abs=1e-12)
            assert row["z_norm"] == pytest.approx(m.z_norm, abs=1e-9)
            assert row["p_norm"] == pytest.approx(m.p_norm, abs=1e-9)
            assert row["geary_c"] == pytest.approx(c.C, abs=1e-12)
            assert abs(row["p_sim"] - m.p_sim) < 0.01 and abs(row["geary_p_sim"] - c.p_sim) < 0.01


def naive_lisa_p(y: np.ndarray, w: np.ndarray, permutations: int) -> np.ndarray:
    """Conditional permutation p-values of local Moran, region by region with its own draws."""
    rng = np.random.default_rng(11)
    z = (y - y.mean()) / y.std()
    n = y.size
    p = np.empty(n)
    for i in range(n):
        others = np.delete(np.arange(n), i)
        nb = np.nonzero(w[i])[0]
        obs = z[i] * (w[i, nb] @ z[nb])
        draws = rng.permuted(np.tile(others, (permutations, 1)), axis=1)[:, :nb.size]
        sims = z[i] * (z[draws] @ w[i, nb])
        tol = 1e-12 * max(abs(obs), 1.0)
        p[i] = (min((sims >= obs - tol).sum(), (sims <= obs + tol).sum()) + 1) / (permutations + 1)
    return p


def test_lisa_and_gstar_against_esda(v1_results, queen: SpatialWeights) -> None:
    res = v1_results["nqpf-three-elements@1.0"]
    year = res.years[-1]
    lisa = LocalMoran(res, queen, permutations=9999, years=[year], seed=4)
    y = res.index[-1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # permutations=0: esda's conditional randomisation is numba-compiled, minutes on a loaded
        # 2-core machine; its p-values are checked in benchmarks/bench_regional.py and below
        # against a plain loop over the same null
        peer = esda.Moran_Local(y, queen.to_libpysal("r"), permutations=0)
        gpeer = esda.G_Local(y, queen.to_libpysal("b"), transform="B", star=True, permutations=0)
    np.testing.assert_allclose(lisa.table["local_i"], peer.Is, atol=1e-12)
    quad = lisa.table["quadrant"].map({"HH": 1, "LH": 2, "LL": 3, "HL": 4}).to_numpy()
    assert (quad == peer.q).all()
    assert np.abs(lisa.table["p_sim"].to_numpy() - naive_lisa_p(y, queen.row_standardised(), 20000)).max() < 0.025
    gs = GetisOrdGStar(res, queen)
    last = gs.table[gs.table["year"] == year]
    np.testing.assert_allclose(last["g_star"], gpeer.Gs, atol=1e-12)
    np.testing.assert_allclose(last["z"], gpeer.Zs, atol=1e-9)
    # real: Shanghai and Zhejiang form a high-high cluster, the far west low-low; Beijing is a hot spot
    cl = lisa.table.set_index("region_code")["cluster"]
    assert cl["310000"] == "HH" and cl["330000"] == "HH"
    assert cl["630000"] == "LL" and cl["650000"] == "LL"
    spot = last.set_index("region_code")["spot"]
    assert spot["110000"].startswith("hot") and spot["650000"].startswith("cold")


def test_islands_never_give_silent_nan(v1_results) -> None:
    res = v1_results["hqd-four-channels@1.0"]
    linked = LocalMoran(res, permutations=199)
    assert linked.table[["local_i", "p_sim"]].notna().all().all()
    assert any("460000 linked to 440000" in n for n in linked.notes)
    kept = LocalMoran(res, SpatialWeights.queen(islands="keep"), permutations=199)
    hn = kept.table[kept.table["region_code"] == "460000"]
    assert (hn["quadrant"] == "island").all() and hn["local_i"].isna().all() and (hn["cluster"] == "ns").all()
    assert any("460000 has no neighbour" in n for n in kept.notes)
    assert kept.table.loc[kept.table["region_code"] != "460000", "local_i"].notna().all()
    g = GlobalAutocorrelation(res, SpatialWeights.queen(islands="keep"), permutations=99)
    assert g.table["moran_i"].notna().all()


@pytest.mark.parametrize("fid", V1_FRAMEWORKS)
def test_real_positive_spatial_autocorrelation(v1_results, fid: str) -> None:
    g = GlobalAutocorrelation(v1_results[fid], permutations=999, seed=0)
    t = g.table
    assert len(t) == len(v1_results[fid].years)
    assert ((t["moran_i"] > 0.2) & (t["p_sim"] < 0.05) & (t["p_norm"] < 0.05)).all(), t
    assert (t["geary_c"] < 1).all()
    assert "Moran's I" in g.summary

"""Monte Carlo uncertainty on the real panel: draws equal single rebuilds, statistics, reproducibility, specs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nqpf.index.build import build_index
from nqpf.panel import Panel
from nqpf.robustness import UncertaintySpec, UncertaintySpecError, compare, uncertainty
from nqpf.robustness.sampling import Evaluator, block_uniforms, draw_parameters
from nqpf.robustness.uncertainty import pair_probabilities, rank_statistics

FW = "nqpf-three-elements@1.0"


@pytest.fixture(scope="module")
def nominal(panel: Panel):  # type: ignore[no-untyped-def]
    return build_index(FW, panel)


def _spec(res, noise: float = 0.25) -> UncertaintySpec:  # type: ignore[no-untyped-def]
    return UncertaintySpec.from_dict({"factors": [
        {"step": "normalisation", "choices": ["minmax", "rank"]},
        {"step": "aggregation", "choices": ["arithmetic", "geometric"]},
        {"step": "exclusion", "mode": "one_at_a_time"},
        {"step": "weight_noise", "range": noise},
    ]}, res)


def test_rank_statistics_hand_worked() -> None:
    # 4 draws, 1 year, 3 regions; nominal ranks [1, 2, 3]
    s = np.array([[[3.0, 2.0, 1.0]], [[1.0, 2.0, 3.0]], [[3.0, 1.0, 2.0]], [[3.0, 2.0, 1.0]]])
    stats, ranks = rank_statistics(s, np.array([[3.0, 2.0, 1.0]]), np.array([[1.0, 2.0, 3.0]]))
    np.testing.assert_array_equal(ranks[:, 0, 0], [1, 3, 1, 1])
    assert stats["median_rank"][0].tolist() == [1.0, 2.0, 2.5]  # region 3: ranks 3, 1, 2, 3
    assert stats["mean_rank"][0].tolist() == [1.5, 2.25, 2.25]
    assert stats["rank_p95"][0, 0] == pytest.approx(1 + 0.85 * 2)  # type-7: 1, 1, 1, 3 at h = 2.85
    assert stats["top5_share"][0].tolist() == [1.0, 1.0, 1.0]
    p = pair_probabilities(ranks)
    assert p[0, 0, 1] == 0.75 and p[0, 1, 0] == 0.25 and p[0, 1, 2] == 0.5


def test_every_draw_equals_a_single_rebuild(nominal) -> None:  # type: ignore[no-untyped-def]
    spec = _spec(nominal, noise=0.0)  # without noise each draw is a plain spec: check against build_index
    u = block_uniforms(7, 40, spec.dims)[0]
    ev = Evaluator(nominal, spec)
    got = ev.evaluate(u)[nominal.framework.root.id]
    params = draw_parameters(spec, u)
    checked = 0
    for i in (0, 5, 11, 23, 37):
        row = params.iloc[i]
        excl = [x for x in str(row["excluded"]).split(";") if x and x != "nan"]
        ref = build_index(nominal.framework, nominal.panel, nominal.spec, normalisation=row["normalisation"],
                          aggregation=row["aggregation"], exclude=excl)
        np.testing.assert_allclose(got[i], ref.index, rtol=1e-9, atol=1e-12)
        checked += bool(excl)
    assert checked >= 2  # draws with an indicator left out were among those checked
    assert ev.rebuilds == len({(a, b) for a, b in zip(params["normalisation"], params["aggregation"], strict=True)})


def test_weight_noise_equals_user_weights(nominal) -> None:  # type: ignore[no-untyped-def]
    res = nominal.regenerate(weighting="equal")
    spec = UncertaintySpec.from_dict({"factors": [{"step": "weight_noise", "range": 0.25}]}, res)
    u = block_uniforms(3, 4, spec.dims)[0]
    got = Evaluator(res, spec).evaluate(u)[res.framework.root.id]
    params = draw_parameters(spec, u)
    i = 2
    by_node = {}
    for n in res.stages["weight"].params["nodes"]:
        kids = res.node_children(n)
        w = np.array([params.iloc[i][f"w:{n}/{c}"] for c in kids]) * res.node_weights(n)
        by_node[n] = {"weighting": {"method": "user", "weights": dict(zip(kids, (w / w.sum()).tolist(), strict=True))}}
    ref = res.regenerate(by_node=by_node)
    np.testing.assert_allclose(got[i], ref.index, rtol=1e-9)


def test_uncertainty_on_the_real_panel(nominal) -> None:  # type: ignore[no-untyped-def]
    ua = uncertainty(nominal, _spec(nominal), n=2000, seed=11)
    last = ua.latest()
    assert len(last) == 31 and len(ua.draws) == 2000
    assert (last["rank_p05"] <= last["median_rank"]).all() and (last["median_rank"] <= last["rank_p95"]).all()
    assert (last["score_p05"] <= last["score_p95"]).all()
    top = last.iloc[0]
    assert top["region_code"] in {"110000", "310000"} and top["top5_share"] > 0.9  # Beijing or Shanghai lead
    # P(A above B) + P(B above A) = 1 where ranks never tie
    p = ua.pairs[ua.pairs["year"] == last["year"].iloc[0]].set_index(["region_a", "region_b"])["p_above"]
    assert p[("110000", "650000")] + p[("650000", "110000")] == pytest.approx(1.0)
    assert set(ua.draws.columns) >= {"draw", "normalisation", "aggregation", "excluded"}
    assert "robust" in ua.summary and "Beijing" in ua.summary


def test_same_seed_same_bytes_local_and_dask(nominal, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import pickle
    import time

    from distributed import Client

    spec = _spec(nominal)

    def run(**kw) -> bytes:  # type: ignore[no-untyped-def]
        ua = uncertainty(nominal, spec, n=2500, seed=5, **kw)  # three blocks of draws
        p = tmp_path / "out.csv"
        pd.concat([ua.ranks, ua.pairs, ua.draws], axis=1).to_csv(p, index=False)
        return p.read_bytes()

    local = run()
    # an in-process cluster keeps the test quick (worker processes are exercised by the benchmark);
    # what travels to a process must survive pickling, checked directly
    ev = Evaluator(nominal, spec)
    u = block_uniforms(5, 50, spec.dims)[0]
    twin = pickle.loads(pickle.dumps(ev))
    np.testing.assert_array_equal(twin.evaluate(u)[nominal.framework.root.id], ev.evaluate(u)[nominal.framework.root.id])
    client = Client(processes=False, n_workers=2, threads_per_worker=1, dashboard_address=":0")
    try:
        addr = client.scheduler.address
        two = run(scheduler=addr)
        client.cluster.scale(1)
        t0 = time.time()
        while len(client.scheduler_info()["workers"]) != 1 and time.time() - t0 < 60:
            time.sleep(0.2)
        assert len(client.scheduler_info()["workers"]) == 1
        one = run(scheduler=addr)
    finally:
        cluster = client.cluster
        client.close()
        cluster.close()
    assert local == one == two
    other = uncertainty(nominal, spec, n=300, seed=6)
    assert not other.draws.equals(uncertainty(nominal, spec, n=300, seed=5).draws)


@pytest.mark.parametrize(("factor", "message"), [
    ({"step": "weigting", "choices": ["equal"]}, "not a step of the construction"),
    ({"step": "weighting", "choices": []}, "non-empty list"),
    ({"step": "weighting", "choices": ["equal", "magic"]}, "'magic' is invalid"),
    ({"step": "weight_noise", "range": 1.0}, "range must be in [0, 1)"),
    ({"step": "weight_noise", "range": -0.1}, "range must be in [0, 1)"),
    ({"step": "exclusion", "indicators": ["gdp_per_capita_x"]}, "not indicators of the construction"),
    ({"step": "exclusion", "mode": "random", "p": 0}, "p must be in (0, 1)"),
    ({"step": "imputation.nonsense", "choices": [1]}, "not a step of the construction"),
    ({"step": "framework", "choices": ["no-such-framework"]}, "cannot load framework"),
])
def test_invalid_specs_are_errors(nominal, factor, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UncertaintySpecError, match=None) as e:
        UncertaintySpec.from_dict({"factors": [factor]}, nominal)
    assert message in str(e.value)


def test_compare_constructions(nominal) -> None:  # type: ignore[no-untyped-def]
    from scipy import stats

    b = nominal.regenerate(aggregation="geometric")
    c = compare(nominal, b, label_a="arithmetic", label_b="geometric")
    y = nominal.years[-1]
    row = c.correlations.set_index("year").loc[y]
    sa, sb = nominal.index[-1], b.index[-1]
    assert row["spearman"] == pytest.approx(stats.spearmanr(sa, sb).statistic)
    assert row["kendall"] == pytest.approx(stats.kendalltau(sa, sb).statistic)
    t = c.table[c.table["year"] == y].set_index("region_code")
    assert (t["shift"] == t["rank_b"] - t["rank_a"]).all()
    assert (t["rank_a"].to_numpy() == nominal.ranks[nominal.framework.root.id][-1]).all()
    same = compare(nominal, nominal)
    assert (same.correlations["spearman"] == 1).all() and (same.table["shift"] == 0).all()
    assert len(c.figure().data) == 1


def test_fast_rank_statistics_equal_numpy() -> None:
    rng = np.random.default_rng(0)
    s = rng.random((501, 3, 31)).round(2)  # rounding makes ties
    s[5, 0, 3] = np.nan
    from nqpf.index.steps import rank_desc
    from nqpf.robustness.uncertainty import ranks_of_draws

    ranks = rank_desc(s)
    np.testing.assert_array_equal(ranks_of_draws(s), ranks)
    stats, _ = rank_statistics(s, s[0], ranks[0])
    np.testing.assert_allclose(stats["median_rank"], np.nanpercentile(ranks, 50, axis=0))
    np.testing.assert_allclose(stats["rank_p05"], np.nanpercentile(ranks, 5, axis=0))
    np.testing.assert_allclose(stats["rank_p95"], np.nanpercentile(ranks, 95, axis=0))
    np.testing.assert_allclose(stats["mean_rank"], np.nanmean(ranks, axis=0))
    np.testing.assert_allclose(stats["top10_share"], (ranks <= 10).sum(axis=0) / (~np.isnan(ranks)).sum(axis=0))
    p = pair_probabilities(ranks)
    np.testing.assert_allclose(p[1, 2, 7], np.mean(ranks[:, 1, 2] < ranks[:, 1, 7]))


def test_framework_and_parameter_factors(nominal) -> None:  # type: ignore[no-untyped-def]
    spec = UncertaintySpec.from_dict({"factors": [
        {"step": "framework", "choices": [FW, "nqpf-technology-economy-industry@1.0"]},
        {"step": "imputation.max_extrapolation", "choices": [0, 2]},
    ]}, nominal)
    u = np.array([[0.1, 0.1], [0.9, 0.9], [0.9, 0.2]])
    got = Evaluator(nominal, spec).evaluate(u)[nominal.framework.root.id]
    params = draw_parameters(spec, u)
    assert list(params["framework"]) == [FW, "nqpf-technology-economy-industry@1.0", "nqpf-technology-economy-industry@1.0"]
    assert list(params["imputation.max_extrapolation"]) == ["0", "2", "0"]
    own = build_index(FW, nominal.panel, nominal.spec, imputation={"max_extrapolation": 0})
    np.testing.assert_allclose(got[0], own.index, rtol=1e-12)
    tei = build_index("nqpf-technology-economy-industry@1.0", nominal.panel, nominal.spec,
                      imputation={"max_extrapolation": 0})
    ti = [tei.years.index(y) for y in nominal.years]
    np.testing.assert_allclose(got[2], tei.index[ti], rtol=1e-12)
    assert not np.allclose(got[1], got[2])


def test_one_indicator_left_under_critic_carries_the_weight(nominal) -> None:  # type: ignore[no-untyped-def]
    # a random exclusion can leave one indicator in a dimension; CRITIC needs two, so it gets weight 1
    res = nominal.regenerate(weighting="critic")
    kids = res.node_children("laborers")
    mask = np.array([[n in kids[1:] for n in res.indicators]])
    got = res.evaluate_variants(exclude=mask)[res.framework.root.id]
    ref = build_index(FW, nominal.panel, res.spec, exclude=kids[1:],
                      by_node={"laborers": {"weighting": {"method": "equal"}}})
    np.testing.assert_allclose(got[0], ref.index, rtol=1e-9)

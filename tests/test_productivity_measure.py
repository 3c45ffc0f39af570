"""The whole productivity run on the real panel: plausibility of every table, flags, charts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from nqpf.errors import ValidationError
from nqpf.productivity.charts import (
    coefficient_figure,
    efficiency_trend_figure,
    tfp_map_data,
    tfp_trend_figure,
)
from nqpf.productivity.measure import measure
from productivity_data import real_panel


@pytest.fixture(scope="module")
def run():
    return measure(real_panel(), 2015, 2019)


def test_efficiency_in_unit_interval_outside_super_efficiency(run) -> None:
    e = run.efficiency
    assert set(e["model"]) == {"ccr", "bcc", "ccr_super", "sbm_green"}
    plain = e[e["model"] != "ccr_super"]
    assert (plain["status"] == "optimal").all()
    assert (plain["efficiency"] > 0).all() and (plain["efficiency"] <= 1 + 1e-9).all()
    wide = e.pivot_table(index=["region_code", "year"], columns="model", values="efficiency")
    assert (wide["bcc"] >= wide["ccr"] - 1e-9).all()  # VRS frontier envelops the CRS one
    assert (wide["ccr_super"] >= wide["ccr"] - 1e-9).all() and (wide["ccr_super"] > 1).any()
    tibet = e[e["region_code"] == "540000"]
    assert set(tibet["year"]) <= {2017}  # Tibet has an energy total for 2017 only, left out otherwise ...
    assert any("540000 left out" in f for f in run.flags)  # ... and said so


def test_malmquist_on_real_panel(run) -> None:
    m = run.malmquist
    assert list(m.index.index) == [2016, 2017, 2018, 2019]
    np.testing.assert_allclose(m.index, m.efficiency_change * m.technical_change, rtol=1e-12)
    gm = np.exp(np.log(m.index).mean(axis=1))
    assert gm.between(0.9, 1.15).all()  # a province's productivity moves by a few % a year
    tidy = run.tables()
    assert {"capital_stock", "tfp_growth_accounting", "efficiency", "malmquist", "malmquist_luenberger"} <= set(tidy)
    assert (tidy["capital_stock"]["capital_stock"] > 0).all()


def test_charts(run) -> None:
    data = tfp_map_data(run)
    assert len(data) == 30 and (data > 0).all()
    f = tfp_trend_figure(run)
    assert isinstance(f, go.Figure) and len(f.data) == 3
    assert len(efficiency_trend_figure(run).data) == 4
    coef = pd.DataFrame({"name_en": ["HQD", "Growth"], "name_zh": ["高质量发展", "增长"], "estimate": [0.5, 0.2],
                         "std_error": [0.1, 0.1], "stars": ["***", "*"], "ci_low": [0.3, 0.0], "ci_high": [0.7, 0.4]})
    cf = coefficient_figure(coef)
    assert list(cf.data[0].y) == ["Growth 增长", "HQD 高质量发展"]


def test_bad_years_are_named() -> None:
    with pytest.raises(ValidationError, match="end year"):
        measure(real_panel(), 2019, 2015)
    with pytest.raises(ValidationError, match="choose start/end"):
        measure(real_panel(), 2011, 2030)

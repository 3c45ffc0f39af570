"""The Panel API on the real curated panel: selection, long/wide/dense views, coverage."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nqpf.errors import UnknownRegionError, ValidationError
from nqpf.panel import Panel


@pytest.fixture(scope="module")
def raw(data_dir: Path) -> pd.DataFrame:
    return pd.read_csv(data_dir / "panel" / "provinces.csv", dtype={"region_code": str})


@pytest.fixture(scope="module")
def panel(raw: pd.DataFrame, data_dir: Path) -> Panel:
    return Panel(raw, pd.read_csv(data_dir / "panel" / "variables.csv"))


def test_axes_and_catalog(panel: Panel, raw: pd.DataFrame) -> None:
    assert len(panel) == len(raw) == 19823
    assert len(panel.variables) == 53 and len(panel.regions) == 31
    assert panel.years[0] == 2010 and panel.years[-1] == 2024
    assert panel.unit("gdp") == "100 million yuan"
    assert set(panel.catalog["variable"]) == set(panel.variables)


def test_select_by_alias(panel: Panel, raw: pd.DataFrame) -> None:
    sub = panel.select(["gdp", "population"], regions=["广东省", "Beijing", "Nei Mongol"], years=range(2015, 2021))
    assert sub.regions == ["110000", "150000", "440000"]
    assert sub.years == list(range(2015, 2021))
    assert len(sub) == 2 * 3 * 6
    want = raw[(raw.region_code == "440000") & (raw.year == 2020) & (raw.variable == "gdp")]["value"].item()
    got = sub.observations.query("region_code == '440000' and year == 2020 and variable == 'gdp'")["value"].item()
    assert got == want == 113708.9
    with pytest.raises(ValidationError, match="gpd"):
        panel.select(["gpd"])
    with pytest.raises(UnknownRegionError, match="Atlantis"):
        panel.select(regions=["Atlantis"])


def test_dense_array_matches_long(panel: Panel, raw: pd.DataFrame) -> None:
    arr = panel.to_array(["gdp", "life_expectancy"], years=[2019, 2020])
    assert arr.values.shape == (2, 31, 2)
    gd = arr.regions.index("440000")
    assert arr.get("gdp")[1, gd] == 113708.9
    # life expectancy exists only in census years: 2019 is missing (NaN, not zero)
    assert np.isnan(arr.get("life_expectancy")[0]).all()
    le = raw[(raw.variable == "life_expectancy") & (raw.year == 2020)].set_index("region_code")["value"]
    np.testing.assert_array_equal(arr.get("life_expectancy")[1], le.reindex(arr.regions).to_numpy())


def test_wide_long_and_coverage(panel: Panel, raw: pd.DataFrame) -> None:
    wide = panel.to_wide("rd_intensity")
    assert wide.loc[2020, "110000"] == 6.44
    assert wide.index.min() == 2011  # rd_intensity starts 2011
    long = panel.select(["gdp"], regions=["北京"], years=[2024]).to_long(names=True)
    assert long.iloc[0][["region_en", "region_zh", "unit"]].tolist() == ["Beijing", "北京", "100 million yuan"]
    cov = panel.coverage()
    assert cov.loc["co2_emissions", 2019] == 30  # no Tibet in CEADs
    assert cov.loc["gdp", 2024] == 31


def test_combine_with_text_exposure(panel: Panel, data_dir: Path) -> None:
    """Text-exposure indicators join the statistics and feed a user framework."""
    from nqpf.innovation import measure_exposure

    policies = data_dir / "text" / "policy_digital_pkulaw"
    exposure = measure_exposure(policies, progress=False).to_panel()
    both = panel.combine(exposure)
    assert set(both.variables) == set(panel.variables) | set(exposure.variables)
    assert len(both) == len(panel) + len(exposure)
    # Anhui's 2021 industrial-internet policy is in the corpus: its exposure is in the combined panel
    anhui = both.select(regions=["安徽"], years=[2021]).observations
    assert anhui["variable"].str.startswith("text_exposure").any()
    with pytest.raises(ValidationError, match="both panels"):
        panel.combine(panel.select(["gdp"]))

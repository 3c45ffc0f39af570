"""R data importer: the real techme .rda files and small .rds/.rda fixtures written by the tests.

The curated panel (panel/provinces.csv, national.csv) was compiled from the same techme files
by the data bundle's own code; its variables.csv notes name the techme dataset and code of
each variable, which gives an independent check of ids, labels and values.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rdata

from nqpf.data.importers import read_file
from nqpf.data.importers.rdata import techme_errata
from nqpf.data.validate import validate_batches
from nqpf.errors import ValidationError
from nqpf.regions import REGISTRY

PROVINCES = {r.code for r in REGISTRY.provinces()}
DATASETS = ["IndustryOperation", "IndustryRD", "MarketPull", "MarketPush", "PublicBudget", "RDActivity",
            "RDIntense", "RDLaborHour", "RDPaperInternational", "RDPatentAuthority", "RDPatentValid", "RDSource"]


@pytest.fixture(scope="module")
def techme(data_dir: Path) -> dict[str, pd.DataFrame]:
    out = {}
    for name in DATASETS:
        (batch,) = read_file(data_dir / "raw" / "techme" / f"{name}.rda")
        assert batch.provenance.importer == "rdata" and batch.provenance.sheet == name
        out[name] = batch
    return out


@pytest.fixture(scope="module")
def curated(data_dir: Path) -> pd.DataFrame:
    frames = [pd.read_csv(data_dir / "panel" / f, dtype={"region_code": str}) for f in ("provinces.csv", "national.csv")]
    return pd.concat(frames, ignore_index=True)


def _codes(data_dir: Path) -> list[tuple[str, str, str]]:
    """(variable, techme dataset, code) from the variables.csv notes of techme variables."""
    cat = pd.read_csv(data_dir / "panel" / "variables.csv")
    out = []
    for rec in cat.itertuples():
        if not str(rec.source).startswith("techme"):
            continue
        m = re.search(r"techme dataset (\w+) \(code (\w+)\)", rec.notes) or re.search(r"techme (\w+) \((v\d\w+)\)", rec.notes)
        assert m, rec.variable
        out.append((rec.variable, *m.groups()))
    return out


def test_every_dataset(techme) -> None:  # type: ignore[no-untyped-def]
    for name, batch in techme.items():
        obs = batch.observations
        assert obs["variable"].str.startswith("techme_v").all(), name
        # 31 provinces and the nation, every label resolved, no unparseable value
        assert set(obs["region_code"]) == PROVINCES | {"100000"}, name
        assert (obs["raw"] == "").all() and (obs["problem"] == "").all(), name
        assert set(batch.variables["variable"]) == set(obs["variable"])
        assert (batch.variables["source"] == "techme").all()
    validate_batches(list(techme.values()))  # the real files pass validation together


def test_reproduces_curated_panel(techme, curated: pd.DataFrame, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    checks = _codes(data_dir)
    assert len(checks) == 22
    for variable, dataset, code in checks:
        obs = techme[dataset].observations
        # the panel covers 2010 on (MarketPush/Pull also hold 2000 and 2005)
        obs = obs[(obs["variable"] == f"techme_{code}") & obs["value"].notna() & (obs["year"] >= 2010)]
        p = curated[(curated["variable"] == variable) & (curated["source"].str.startswith("techme"))]
        m = p.merge(obs, on=["region_code", "year"], how="outer", suffixes=("_panel", "_techme"), indicator=True)
        if variable == "budget_expenditure_total":
            m = m[m["year"] <= 2023]  # 2024 comes from another source
        # every techme value of a province-year appears in the panel and vice versa (national
        # rows: the panel keeps only some variables' national rows)
        prov = m[m["region_code"] != "100000"]
        assert (prov["_merge"] == "both").all(), (variable, prov[prov["_merge"] != "both"].head())
        both = m[m["_merge"] == "both"]
        np.testing.assert_array_equal(both["value_techme"].to_numpy(), both["value_panel"].to_numpy())


def test_rd_expenditure_spot(techme) -> None:  # type: ignore[no-untyped-def]
    obs = techme["RDActivity"].observations.set_index(["region_code", "year", "variable"])["value"]
    # national R&D expenditure 2023: 3,357.1 billion yuan = 333,570,688 (10k yuan)
    assert obs[("100000", 2023, "techme_v4_zh_nbzc_hj")] == 333570688.0
    cat = techme["RDActivity"].variables.set_index("variable")
    assert cat.loc["techme_v4_zh_nbzc_hj", "unit"] == "10k yuan"
    assert cat.loc["techme_v4_zh_nbzc_hj", "name_zh"] == "综合：内部支出：合计"


def test_errata_labels(techme) -> None:  # type: ignore[no-untyped-def]
    valid = techme["RDPatentValid"]
    obs = valid.observations
    # 浙汀 (2014) is Zhejiang, 四藏 (2014) Tibet, 江四 (2015) Jiangxi
    zj = obs[(obs["region_raw"] == "浙汀") & (obs["variable"] == "techme_v4_cg_zlsyx_hj")]
    assert list(zj["region_code"]) == ["330000"] and list(zj["year"]) == [2014] and list(zj["value"]) == [597051.0]
    assert set(obs.loc[obs["region_raw"] == "四藏", "region_code"]) == {"540000"}
    assert set(obs.loc[obs["region_raw"] == "江四", "region_code"]) == {"360000"}
    # the 尔部地区 subtotal rows are dropped (4 variables x 1 year) and noted
    assert "尔部地区" not in set(obs["region_raw"])
    assert len(obs) == 1796 - 4
    assert valid.variables["notes"].str.contains("dropped 1 regional subtotal rows \\(尔部地区 2014\\)").all()
    # spaced 2010 labels and 内蒙占 (RDLaborHour 2013)
    lab = techme["RDLaborHour"].observations
    assert set(lab.loc[lab["region_raw"] == "北   京", "region_code"]) == {"110000"}
    assert set(lab.loc[lab["region_raw"] == "内蒙占", "region_code"]) == {"150000"}
    auth = techme["RDPatentAuthority"].observations
    assert set(auth.loc[auth["region_raw"] == "山两", "region_code"]) == {"140000"}
    assert set(auth.loc[auth["region_raw"] == "两藏", "region_code"]) == {"540000"}


def test_errata_table_is_consistent() -> None:
    table = techme_errata()
    for rec in table.itertuples():
        assert REGISTRY.lookup(rec.label) is None, rec.label  # only labels the registry cannot read
        if rec.action == "region":
            assert REGISTRY.lookup(rec.meaning) is not None, rec.meaning
        else:
            assert rec.action == "aggregate" and rec.meaning.endswith("地区")


def test_unit_errata_and_label_fix(techme) -> None:  # type: ignore[no-untyped-def]
    rd = techme["IndustryRD"]
    cat = rd.variables.set_index("variable")
    assert cat.loc["techme_v4_cy_qyzl_fms", "unit"] == "pieces"
    assert "corrected to 件 in 160 rows" in cat.loc["techme_v4_cy_qyzl_fms", "notes"]
    assert cat.loc["techme_v4_cy_RDhd_yfjgs", "unit"] == "units"
    obs = rd.observations
    assert set(obs.loc[obs["variable"] == "techme_v4_cy_qyzl_fms", "unit"]) == {"pieces"}
    valid = techme["RDPatentValid"].variables.set_index("variable")
    assert valid.loc["techme_v4_cg_zlsyx_fm", "name_zh"] == "成果：有效专利：发明"


def _frame(labels: list[str], values: list[float]) -> pd.DataFrame:
    n = len(labels)
    cols = {"province": labels, "year": ["2020"] * n, "chn_block4": ["合计"] * n,
            "units": ["万元"] * n, "variables": ["v4_test_x"] * n}
    df = pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in cols.items()})
    df["value"] = values
    return df


def test_rds_fixture_with_unknown_label(tmp_path: Path) -> None:
    path = tmp_path / "Tiny.rds"
    rdata.write_rds(path, _frame(["北   京", "江两", "东部地区", "火星", "全国"], [1.0, 2.0, 3.0, 4.0, np.nan]))
    (batch,) = read_file(path)
    obs = batch.observations
    assert list(obs["region_code"]) == ["110000", "360000", "", "100000"]  # 东部地区 dropped
    assert obs["region_raw"].iloc[2] == "火星"
    assert np.isnan(obs["value"].iloc[3])
    cat = batch.variables.iloc[0]
    assert (cat["variable"], cat["unit"]) == ("techme_v4_test_x", "10k yuan")
    assert "dropped 1 regional subtotal rows (东部地区 2020)" in cat["notes"]
    with pytest.raises(ValidationError) as err:
        validate_batches([batch])
    assert any("火星" in p and "unknown region" in p for p in err.value.problems)


def test_rda_with_several_frames_and_mapping(tmp_path: Path) -> None:
    path = tmp_path / "two.rda"
    other = pd.DataFrame({"region": pd.Series(["Beijing"], dtype=object), "year": [2020],
                          "variable": pd.Series(["v"], dtype=object), "value": [1.0]})
    rdata.write_rda(path, {"A": _frame(["上海"], [5.0]), "B": _frame(["天津"], [6.0])})
    batches = read_file(path)
    assert [b.provenance.sheet for b in batches] == ["A", "B"]
    path2 = tmp_path / "tidy.rds"
    rdata.write_rds(path2, other)
    with pytest.raises(ValidationError, match="not in the techme long layout"):
        read_file(path2)
    (b,) = read_file(path2, mapping={"region": "region"})
    assert list(b.observations["region_code"]) == ["110000"]


def test_varslist_is_a_catalog(data_dir: Path) -> None:
    with pytest.raises(ValidationError, match="label catalog"):
        read_file(data_dir / "raw" / "techme" / "varsList.rda")


def test_not_r_data(tmp_path: Path) -> None:
    path = tmp_path / "fake.rda"
    path.write_bytes(b"not an R file at all")
    with pytest.raises(ValidationError) as err:
        read_file(path)
    assert str(path) in str(err.value)

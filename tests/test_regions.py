from pathlib import Path

import pytest

from nqpf.errors import UnknownRegionError
from nqpf.regions import REGISTRY, normalize_name


@pytest.mark.parametrize(
    "name,code",
    [
        ("北京市", "110000"), ("北京", "110000"), ("Beijing", "110000"), ("北   京", "110000"),
        ("内蒙古自治区", "150000"), ("Nei Mongol", "150000"), ("Inner Mongolia", "150000"),
        ("广西壮族自治区", "450000"), ("Guangxi Zhuang Autonomous Region", "450000"),
        ("西藏", "540000"), ("Xizang", "540000"), ("Tibet", "540000"),
        ("陕西省", "610000"), ("Shaanxi", "610000"), ("山西", "140000"), ("Shanxi", "140000"),
        ("新疆维吾尔自治区", "650000"), ("Xinjiang Uyghur", "650000"), ("宁夏回族自治区", "640000"),
        ("全国", "100000"), ("650000", "650000"), ("GUANGDONG", "440000"), ("Guangdong Province", "440000"),
    ],
)
def test_aliases_resolve(name: str, code: str) -> None:
    assert REGISTRY.resolve(name).code == code


def test_registry_shape() -> None:
    provs = REGISTRY.provinces()
    assert len(provs) == 31
    assert provs[0].code == "110000" and provs[-1].code == "650000"
    assert normalize_name("Ｂｅｉｊｉｎｇ") == "beijing"


def test_groupings_partition_the_provinces() -> None:
    codes = {r.code for r in REGISTRY.provinces()}
    for grouping, sizes in {"nbs4": {"east": 10, "central": 6, "west": 12, "northeast": 3},
                            "belt3": {"east": 12, "central": 9, "west": 10}}.items():
        groups = REGISTRY.groups(grouping)
        assert {k: len(g.codes) for k, g in groups.items()} == sizes
        members = [c for g in groups.values() for c in g.codes]
        assert sorted(members) == sorted(codes)
    assert REGISTRY.group_of("150000", "nbs4").key == "west"
    assert REGISTRY.group_of("150000", "belt3").key == "central"


def test_unknown_region_suggests_closest() -> None:
    with pytest.raises(UnknownRegionError) as e:
        REGISTRY.resolve("Guangdon", file="x.csv", line=7)
    msg = str(e.value)
    assert "Guangdon" in msg and "Guangdong" in msg and "x.csv" in msg and "line 7" in msg
    with pytest.raises(UnknownRegionError) as e2:
        REGISTRY.codes(["北京", "Atlantis", "Hubay"])
    assert "Atlantis" in str(e2.value) and "Hubei" in str(e2.value)


def test_user_groups_from_csv_and_yaml(tmp_path: Path) -> None:
    csv = tmp_path / "yrd.csv"
    csv.write_text("region,group,group_zh\n上海市,yrd,长三角\nJiangsu,yrd,长三角\n浙江,yrd,长三角\n安徽省,yrd,长三角\n", encoding="utf-8")
    name = REGISTRY.load_groups(csv)
    assert REGISTRY.groups(name)["yrd"].codes == ("310000", "320000", "330000", "340000")
    yml = tmp_path / "jjj.yaml"
    yml.write_text("name: jjj\ngroups:\n  jjj: {name_en: Jing-Jin-Ji, name_zh: 京津冀, regions: [北京, Tianjin, 河北省]}\n", encoding="utf-8")
    assert REGISTRY.groups(REGISTRY.load_groups(yml))["jjj"].name_zh == "京津冀"
    bad = tmp_path / "bad.csv"
    bad.write_text("region,group\nGotham,x\n", encoding="utf-8")
    with pytest.raises(UnknownRegionError, match=r"bad\.csv.*line 2|line 2.*bad\.csv"):
        REGISTRY.load_groups(bad)


def test_location_parts_skip_missing() -> None:
    import math

    import pandas as pd

    from nqpf.errors import location

    assert location("a.csv", 7.0, "C7", "北京", "gdp") == ["a.csv", "line 7", "cell C7", "region 北京", "variable gdp"]
    assert location("a.csv", math.nan, "", "", "gdp", file_label="file ") == ["file a.csv", "variable gdp"]
    assert location(None, pd.NA) == []

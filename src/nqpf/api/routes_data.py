"""Data routes: regions and groupings, variables with coverage and provenance, map geometry."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from nqpf.api.profiles import resolve_region
from nqpf.api.routes_index import Cat
from nqpf.api.state import Catalog, NotFound
from nqpf.api.tables import Page, json_bytes, table_response
from nqpf.regions import REGISTRY

router = APIRouter(prefix="/api/v1", tags=["data"])

VariableP = Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9_]+$", description="variable id")]


@router.get("/regions", summary="The 31 provinces with names and groups / 省份")
def regions(page: Annotated[Page, Depends()]) -> Response:
    rows = []
    for r in REGISTRY.provinces():
        g4, g3 = REGISTRY.group_of(r.code, "nbs4"), REGISTRY.group_of(r.code, "belt3")
        rows.append({"region_code": r.code, "name_en": r.name_en, "name_zh": r.name_zh,
                     "nbs4": g4.key if g4 else None, "belt3": g3.key if g3 else None})
    return table_response(pd.DataFrame(rows), page, "regions")


@router.get("/groupings", summary="Groupings of provinces (NBS four regions, three belts) / 区域划分")
def groupings(page: Annotated[Page, Depends()]) -> Response:
    rows = [{"grouping": gname, "group": k, "name_en": g.name_en, "name_zh": g.name_zh,
             "regions": ",".join(g.codes), "n": len(g.codes)}
            for gname in REGISTRY.groupings() for k, g in REGISTRY.groups(gname).items()]
    return table_response(pd.DataFrame(rows), page, "groupings")


def _store_or_runs(cat: Catalog) -> tuple[pd.DataFrame, str]:
    """Variable coverage from the store, or from the runs' panels when no store is given."""
    st = cat.store()
    if st is not None:
        return st.coverage(), "store"
    frames = []
    for fid in cat.ids:
        folder = cat.run(fid).folder
        obs = pd.read_parquet(folder / "panel.parquet")
        catg = pd.read_csv(folder / "panel_catalog.csv", dtype=str, keep_default_na=False)
        sub = obs[obs["region_code"].astype(str) != "100000"]
        g = sub.groupby("variable")
        stats = pd.DataFrame({"provinces_covered": g["region_code"].nunique(), "n_obs": g.size(),
                              "first_year": g["year"].min(), "last_year": g["year"].max()}).reset_index()
        frames.append(catg[["variable", "name_en", "name_zh", "unit", "source"]].merge(stats, on="variable"))
    if not frames:
        return pd.DataFrame(columns=["variable"]), "runs"
    return pd.concat(frames).drop_duplicates("variable").sort_values("variable").reset_index(drop=True), "runs"


@router.get("/variables", summary="Variables with their coverage and source / 变量及覆盖")
def variables(cat: Cat, page: Annotated[Page, Depends()],
              q: Annotated[str | None, Query(max_length=64, description="filter by id or name")] = None) -> Response:
    df, origin = _store_or_runs(cat)
    if q:
        m = pd.Series(False, index=df.index)
        for c in ("variable", "name_en", "name_zh"):
            if c in df.columns:
                m |= df[c].astype(str).str.contains(q, case=False, regex=False)
        df = df[m]
    return table_response(df, page, "variables", {"from": origin})


@router.get("/variables/{variable}/provenance", summary="Every stored vintage of one cell / 数据来源")
def provenance(variable: VariableP, cat: Cat, page: Annotated[Page, Depends()],
               region: Annotated[str, Query(max_length=64)], year: Annotated[int, Query(ge=1900, le=2200)]) -> Response:
    st = cat.store()
    if st is None:
        raise NotFound("no store is served (start with --store) so cell provenance is not available")
    code = resolve_region(region)
    if variable not in set(st.catalog()["variable"]):
        raise NotFound(f"unknown variable {variable!r} (see /api/v1/variables)")
    df = st.provenance(variable, code, year)
    if "imported_at" in df.columns:
        df["imported_at"] = df["imported_at"].astype(str)
    return table_response(df, page, f"provenance_{variable}_{code}_{year}")


@lru_cache(maxsize=1)
def _geo() -> bytes:
    from shapely.geometry import shape

    from nqpf.report.maps import boundary_lines, other_geojson, province_geojson

    gj, other = province_geojson(), other_geojson()
    points: dict[str, Any] = {}
    for f in gj["features"]:
        p = shape(f["geometry"]).representative_point()
        points[f["id"]] = [round(p.x, 3), round(p.y, 3)]
    lon, lat = boundary_lines()
    return json_bytes({"provinces": gj, "other": other, "label_points": points, "lines": {"lon": lon, "lat": lat}})


@router.get("/geo", summary="Province polygons, label points and boundary lines for the map / 地图几何")
def geo() -> Response:
    return Response(_geo(), media_type="application/json", headers={"Cache-Control": "public, max-age=86400"})

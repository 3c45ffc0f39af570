"""Index routes: frameworks, scores, ranks (with uncertainty), profiles, comparisons, analyses,
the opportunity matrix, the method record and scenarios on the frozen scale."""

from __future__ import annotations

from collections import OrderedDict
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from nqpf.api.analyses import VIEWS, opportunity_matrix, rank_uncertainty
from nqpf.api.profiles import compare, profile, resolve_region
from nqpf.api.state import BadRequest, Catalog, NotFound
from nqpf.api.tables import Page, json_bytes, records, table_response

router = APIRouter(prefix="/api/v1", tags=["index"])

FrameworkId = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", description="framework id")]
NodeQ = Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9_.-]+$", description="node id (default: the index)")]
YearQ = Annotated[int | None, Query(ge=1900, le=2200, description="year (default: the latest)")]
RegionQ = Annotated[str | None, Query(max_length=64, description="province code or name")]


def catalog(request: Request) -> Catalog:
    """The runs served now: one generation for the whole request, even if a rebuild swaps in a
    new one meanwhile (:class:`nqpf.api.rebuild.Served`)."""
    cat: Catalog = request.app.state.served.current()
    return cat


Cat = Annotated[Catalog, Depends(catalog)]


def response_cache(cat: Catalog) -> FastCache:
    """The response cache of ``cat``'s generation (made on first use; dropped with the generation)."""
    if cat.cache is None:
        cat.cache = FastCache()
    cache: FastCache = cat.cache
    return cache


class FastCache:
    """A small LRU of response bodies for the hot read-only routes (runs never change while served)."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self.data: OrderedDict[tuple[Any, ...], tuple[bytes, str, dict[str, str]]] = OrderedDict()

    def get(self, key: tuple[Any, ...]) -> Response | None:
        hit = self.data.get(key)
        if hit is None:
            return None
        self.data.move_to_end(key)
        return Response(hit[0], media_type=hit[1], headers=hit[2])

    def put(self, key: tuple[Any, ...], resp: Response) -> Response:
        headers = {k: v for k, v in resp.headers.items() if k in {"content-disposition", "x-total-count"}}
        self.data[key] = (bytes(resp.body), resp.media_type or "application/json", headers)
        if len(self.data) > self.size:
            self.data.popitem(last=False)
        return resp



@router.get("/frameworks", summary="Frameworks with a run, their versions and years / 指标体系")
def frameworks(cat: Cat, page: Annotated[Page, Depends()]) -> Response:
    rows = []
    for fid in cat.ids:
        run = cat.run(fid)
        m = run.meta
        rows.append({"framework": fid, "version": m.get("framework_version"), "name_en": m.get("name_en"),
                     "name_zh": m.get("name_zh"), "first_year": run.years[0], "latest_year": run.years[-1],
                     "regions": m.get("regions"), "indicators": len(m.get("indicators") or []),
                     "dimensions": len(run.dims), "spec_hash": m.get("spec_hash"), "data_hash": m.get("data_hash")})
    return table_response(pd.DataFrame(rows), page, "frameworks")


@router.get("/frameworks/{framework}", summary="One framework: tree, years, spec and notes / 指标体系详情")
def framework_detail(framework: FrameworkId, cat: Cat) -> Response:
    run = cat.run(framework)
    m = run.meta
    body = {"framework": framework, "version": m.get("framework_version"), "name_en": m.get("name_en"),
            "name_zh": m.get("name_zh"), "years": run.years, "root": run.root, "dimensions": run.dims,
            "tree": records(run.tree), "spec": m.get("spec"), "notes": m.get("notes", []),
            "screened_out": m.get("screened_out", []), "imputed_cells": m.get("imputed_cells"),
            "missing_cells": m.get("missing_cells"), "spec_hash": m.get("spec_hash"), "data_hash": m.get("data_hash"),
            "created_at": m.get("created_at"), "nqpf_version": m.get("nqpf_version"),
            "analyses": [v.name for v in VIEWS.values()]}
    return Response(json_bytes(body), media_type="application/json")


@router.get("/frameworks/{framework}/scores", summary="Index scores by node, year and region / 指数得分")
def scores(framework: FrameworkId, cat: Cat, request: Request, page: Annotated[Page, Depends()], node: NodeQ = None,
           year: YearQ = None, region: RegionQ = None,
           all_years: Annotated[bool, Query(description="every year (ignores year)")] = False) -> Response:
    key = ("scores", framework, node, year, region, all_years, page.limit, page.offset, page.format)
    cache = response_cache(cat)
    hit = cache.get(key)
    if hit is not None:
        return hit
    run = cat.run(framework)
    nd = run.check_node(node)
    if all_years:
        df = run.scores[run.scores["node"] == nd]
    else:
        df = run.by_node_year[(nd, run.check_year(year))]
    if region is not None:
        df = df[df["region_code"] == resolve_region(region)]
    meta = {"framework": framework, "node": nd, "year": None if all_years else run.check_year(year)}
    return cache.put(key, table_response(df, page, f"scores_{framework}_{nd}", meta))


@router.get("/frameworks/{framework}/ranks", summary="Ranks with their uncertainty when analysed / 排名及其不确定性")
def ranks(framework: FrameworkId, cat: Cat, page: Annotated[Page, Depends()], node: NodeQ = None,
          year: YearQ = None) -> Response:
    run = cat.run(framework)
    nd, yr = run.check_node(node), run.check_year(year)
    df = run.by_node_year[(nd, yr)][["region_code", "region_en", "region_zh", "year", "node", "score", "rank"]].copy()
    unc = rank_uncertainty(run)
    have = False
    if unc is not None:
        u = unc[(unc["node"].astype(str) == nd) & (unc["year"].astype(int) == yr)]
        if len(u):
            have = True
            u = u.drop_duplicates("region_code")[["region_code", "rank_median", "rank_p05", "rank_p95"]]
            df = df.merge(u, on="region_code", how="left")
    if not have:
        for c in ("rank_median", "rank_p05", "rank_p95"):
            df[c] = None
    note = ("rank interval: 5-95% over the uncertainty analysis's variants" if have else
            "no uncertainty analysis in this run (robustness/*.csv absent) / 本次运行无不确定性分析")
    return table_response(df, page, f"ranks_{framework}_{nd}_{yr}",
                          {"framework": framework, "node": nd, "year": yr, "uncertainty": have, "note": note})


@router.get("/frameworks/{framework}/profiles/{region}", summary="A province profile / 省份画像")
def profile_route(framework: FrameworkId, cat: Cat, request: Request,
                  region: Annotated[str, Path(max_length=64, description="province code or name")],
                  year: YearQ = None) -> Response:
    cache = response_cache(cat)
    key = ("profile", framework, region, year)
    hit = cache.get(key)
    if hit is not None:
        return hit
    p = profile(cat.run(framework), region, year)
    return cache.put(key, Response(json_bytes(p.to_dict()), media_type="application/json"))


ProfileTable = Literal["dims", "trend", "strengths", "weaknesses", "peers"]


@router.get("/frameworks/{framework}/profiles/{region}/tables/{table}",
            summary="One table of a province profile, for download / 省份画像表格")
def profile_table(framework: FrameworkId, cat: Cat, page: Annotated[Page, Depends()],
                  region: Annotated[str, Path(max_length=64, description="province code or name")],
                  table: Annotated[ProfileTable, Path(description="dims, trend, strengths, weaknesses or peers")],
                  year: YearQ = None) -> Response:
    p = profile(cat.run(framework), region, year)
    df: pd.DataFrame = getattr(p, table)
    return table_response(df, page, f"profile_{framework}_{p.region_code}_{p.year}_{table}",
                          {"framework": framework, "region_code": p.region_code, "year": p.year, "table": table})


@router.get("/frameworks/{framework}/compare", summary="Compare 2-4 provinces / 省份对比")
def compare_route(framework: FrameworkId, cat: Cat, page: Annotated[Page, Depends()],
                  regions: Annotated[str, Query(max_length=300, description="2-4 codes or names, comma-separated")],
                  year: YearQ = None) -> Response:
    parts = [r.strip() for r in regions.split(",") if r.strip()]
    df = compare(cat.run(framework), parts, year)
    return table_response(df, page, f"compare_{framework}")


@router.get("/frameworks/{framework}/opportunity", summary="Investor opportunity matrix: level vs momentum / 机会矩阵")
def opportunity(framework: FrameworkId, cat: Cat, page: Annotated[Page, Depends()], node: NodeQ = None) -> Response:
    run = cat.run(framework)
    nd = run.check_node(node)
    df = opportunity_matrix(run.scores, nd)
    return table_response(df, page, f"opportunity_{framework}_{nd}",
                          {"node": nd, "median_level": df.attrs["median_level"],
                           "median_change": df.attrs["median_change"]})


@router.get("/frameworks/{framework}/analyses", summary="Analyses available for a run / 可用分析")
def analyses(framework: FrameworkId, cat: Cat) -> Response:
    run = cat.run(framework)
    out = []
    for v in VIEWS.values():
        df = v.load(run)
        out.append({"name": v.name, "title_en": v.title_en, "title_zh": v.title_zh, "chart": v.chart,
                    "x": v.x, "y": v.y, "series": v.series, "available": df is not None and len(df) > 0,
                    "rows": 0 if df is None else len(df), "description_en": v.description_en,
                    "description_zh": v.description_zh})
    return Response(json_bytes({"framework": framework, "items": out}), media_type="application/json")


@router.get("/frameworks/{framework}/analyses/{name}", summary="One analysis table / 分析结果表")
def analysis(framework: FrameworkId, cat: Cat, page: Annotated[Page, Depends()],
             name: Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9_-]+$")],
             node: NodeQ = None) -> Response:
    run = cat.run(framework)
    if name not in VIEWS:
        raise NotFound(f"no analysis {name!r}; known: {', '.join(VIEWS)}")
    df = VIEWS[name].load(run)
    if df is None:
        raise NotFound(f"the run {framework} holds no {name} results (run that analysis first)")
    if node is not None and "node" in df.columns:
        df = df[df["node"].astype(str) == run.check_node(node)]
    return table_response(df, page, f"{name}_{framework}")


@router.get("/frameworks/{framework}/indicators", summary="Indicators: formula, unit, direction, rationale / 指标说明")
def indicators(framework: FrameworkId, cat: Cat, page: Annotated[Page, Depends()]) -> Response:
    run = cat.run(framework)
    rows: list[dict[str, Any]] = []

    def walk(n: dict[str, Any], dim: str) -> None:
        for c in n.get("children") or []:
            if "formula" in c:
                rows.append({"indicator": c["id"], "dimension": dim, "name_en": c.get("name_en"),
                             "name_zh": c.get("name_zh"), "formula": c.get("formula"), "unit": c.get("unit"),
                             "direction": c.get("direction"), "rationale": c.get("rationale", ""),
                             "reference": c.get("reference", "")})
            else:
                walk(c, dim or c["id"])

    for d in run.framework_doc["root"].get("children") or []:
        if "formula" in d:
            walk({"children": [d]}, run.root)
        else:
            walk(d, d["id"])
    return table_response(pd.DataFrame(rows), page, f"indicators_{framework}")


class Change(BaseModel):
    """One changed cell of the panel."""

    region: str = Field(max_length=64, description="province code or name")
    year: int = Field(ge=1900, le=2200)
    variable: str = Field(max_length=64, pattern=r"^[A-Za-z0-9_]+$")
    value: float = Field(allow_inf_nan=False)


class Scenario(BaseModel):
    """Changed panel values to score on the run's frozen scale."""

    changes: list[Change] = Field(min_length=1, max_length=5000)
    out_of_range: Literal["clip", "extrapolate"] = "clip"
    node: str | None = Field(None, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")


@router.post("/frameworks/{framework}/scenario",
             summary="Scores recomputed on the frozen scale for changed data / 情景:冻结标度重算")
def scenario(framework: FrameworkId, body: Scenario, cat: Cat) -> Response:
    run = cat.run(framework)
    result = cat.result(framework)
    nd = run.check_node(body.node)
    used = set(result.panel.observations["variable"].unique())
    bad = sorted({c.variable for c in body.changes} - used)
    if bad:
        raise BadRequest(f"variables {bad[:5]} are not read by {framework}; it reads {', '.join(sorted(used))}")
    changes = pd.DataFrame([{"region_code": resolve_region(c.region), "year": c.year, "variable": c.variable,
                             "value": c.value} for c in body.changes])
    sc = result.score(changes, out_of_range=body.out_of_range)
    ch = sc.change(result, nd)
    moved = ch[ch["score_change"].abs() > 1e-12]
    return Response(json_bytes({
        "framework": framework, "node": nd, "out_of_range_mode": body.out_of_range,
        "changed_regions": sorted(moved["region_code"].unique().tolist()),
        "changes": records(moved.sort_values(["year", "region_code"])),
        "out_of_range": records(sc.out_of_range), "notes": list(sc.notes),
    }), media_type="application/json")

"""The dashboard's pages: small HTML shells in English or Chinese; ``static/app.js`` fills them
from the API. Every asset is served from here: Plotly's JavaScript from the plotly package, no
CDN, no web fonts (the system's CJK fonts are named in ``app.css``)."""

from __future__ import annotations

from functools import lru_cache
from html import escape
from importlib import resources
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from nqpf.api.state import Catalog, NotFound

router = APIRouter(include_in_schema=False)

Lang = Literal["en", "zh"]

#: page id -> (path, English title, Chinese title)
PAGES: dict[str, tuple[str, str, str]] = {
    "map": ("/", "Map and ranking", "地图与排名"),
    "profile": ("/profile", "Province profile", "省份画像"),
    "compare": ("/compare", "Compare provinces", "省份对比"),
    "scenario": ("/scenario", "Scenarios", "情景模拟"),
    "disparity": ("/disparity", "Regional disparity", "区域差距"),
    "opportunity": ("/opportunity", "Opportunity matrix", "机会矩阵"),
    "analyses": ("/analyses", "Analyses", "分析"),
    "qualifier": ("/qualifier", "Innovation qualifier", "创新认定"),
    "sources": ("/sources", "Sources", "数据来源"),
    "method": ("/method", "Method", "方法说明"),
}

_STATIC = {"app.js": "text/javascript; charset=utf-8", "app.css": "text/css; charset=utf-8"}


@lru_cache(maxsize=1)
def plotly_js() -> bytes:
    """Plotly's JavaScript bundle from the installed plotly package (no CDN)."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs().encode("utf-8")


@lru_cache(maxsize=8)
def _static(name: str) -> bytes:
    return resources.files("nqpf.api").joinpath("static", name).read_bytes()


@router.get("/static/plotly.min.js")
def plotly_route() -> Response:
    return Response(plotly_js(), media_type="text/javascript; charset=utf-8",
                    headers={"Cache-Control": "public, max-age=86400"})


_EMPTY_TOPOLOGY = (b'{"type":"Topology","arcs":[],"objects":{' + b",".join(
    b'"%s":{"type":"GeometryCollection","geometries":[]}' % k
    for k in (b"coastlines", b"land", b"ocean", b"lakes", b"rivers", b"countries", b"subunits")) + b"}}")


@router.get("/static/topojson/{name}")
def topojson_route(name: Annotated[str, Path(pattern=r"^[a-z-]+_(110|50)m\.json$")]) -> Response:
    """An empty base map for plotly.js (it would fetch its world outline from a CDN): the
    dashboard draws its own province polygons and boundary lines."""
    return Response(_EMPTY_TOPOLOGY, media_type="application/json", headers={"Cache-Control": "public, max-age=86400"})


@router.get("/static/{name}")
def static_route(name: Annotated[str, Path(max_length=32)]) -> Response:
    if name not in _STATIC:
        raise NotFound(f"no static file {name!r}")
    return Response(_static(name), media_type=_STATIC[name], headers={"Cache-Control": "no-cache"})


@router.get("/favicon.ico")
def favicon() -> Response:
    return Response(status_code=204)


def render(page: str, request: Request, lang: Lang) -> HTMLResponse:
    """The shell of ``page``: header, navigation, language switch, an empty ``main`` for app.js."""
    cat: Catalog = request.app.state.served.current()
    zh = lang == "zh"
    title = PAGES[page][2 if zh else 1]
    nav = "".join(
        f'<a href="{p}?lang={lang}" class="{"on" if k == page else ""}" data-nav="{k}">{escape(zh_t if zh else en_t)}</a>'
        for k, (p, en_t, zh_t) in PAGES.items())
    other = "en" if zh else "zh"
    switch_url = str(request.url.include_query_params(lang=other).path) + "?" + str(
        request.url.include_query_params(lang=other).query)
    fws = ",".join(cat.ids)
    brand = "新质生产力省域监测" if zh else "New Quality Productive Forces monitor"
    html = f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} · nqpf</title>
<link rel="stylesheet" href="/static/app.css">
<script src="/static/plotly.min.js" defer></script>
<script src="/static/app.js" defer></script>
</head>
<body data-page="{page}" data-lang="{lang}" data-frameworks="{escape(fws)}">
<header><div class="brand">{escape(brand)}</div>
<a id="lang-switch" class="lang" href="{escape(switch_url)}">{"English" if zh else "中文"}</a></header>
<nav>{nav}</nav>
<div id="state-banner" class="banner" role="status" hidden></div>
<main id="main"><h1>{escape(title)}</h1><div id="controls" class="controls"></div><div id="content"></div></main>
<footer>{"数据：国家统计局等公开来源，详见" if zh else "Data: NBS and other public sources, see"}
<a href="/sources?lang={lang}">{"数据来源" if zh else "Sources"}</a> ·
<a href="/method?lang={lang}">{"方法说明" if zh else "Method"}</a> · <a href="/api/docs">API</a></footer>
</body></html>"""
    return HTMLResponse(html, headers={"Cache-Control": "no-cache"})


def _page(name: str) -> None:
    path = PAGES[name][0]

    @router.get(path, response_class=HTMLResponse, name=f"page_{name}")
    def handler(request: Request, lang: Annotated[Lang, Query()] = "en") -> HTMLResponse:
        return render(name, request, lang)


for _name in PAGES:
    _page(_name)

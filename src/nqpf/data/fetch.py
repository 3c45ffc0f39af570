"""Public sources: the source manifest and fetchers for the NBS and World Bank APIs.

The manifest (``sources.yaml`` beside this module) lists every public source nqpf knows:
the two APIs it can fetch from (``kind: api``) with the series it knows, and, as documentation
only (``kind: reference``), the sources the bundled real data comes from.

Fetchers turn API answers into :class:`~nqpf.data.batch.ImportBatch` lists, one batch per HTTP
response, so the store imports them like files:

* :func:`fetch_nbs`: the NBS ``easyquery`` endpoint of data.stats.gov.cn (``dbcode=fsnd``,
  annual by province). Variables are named ``nbs_api_<code>`` (``nbs_api_A020101``).
* :func:`fetch_worldbank`: the World Bank Indicators API v2, national series for China
  (region ``100000``). Variables are named ``wb_<code>`` with dots as underscores
  (``wb_NY_GDP_MKTP_CN``); one batch per page, following ``pages``.

``Provenance.source_file`` is the request URL (without NBS's cache-busting ``k1``),
``sha256`` hashes the raw response bytes and ``importer`` is ``fetch:nbs`` or
``fetch:worldbank``. Missing values (NBS ``hasdata: false``, World Bank ``null``) are NaN,
never zero. Raw responses can be saved to a cache folder and replayed offline.
Only the standard library (:mod:`urllib`) is used for HTTP.
"""

from __future__ import annotations

import difflib
import hashlib
import http.client
import json
import math
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from nqpf.data.batch import BATCH_COLUMNS, VARIABLE_COLUMNS, ImportBatch, Provenance
from nqpf.data.importers.common import normalize_unit
from nqpf.errors import NqpfError, ValidationError
from nqpf.regions import NATIONAL_CODE, REGISTRY
from nqpf.safeyaml import load_yaml

MANIFEST_PATH = Path(__file__).with_name("sources.yaml")
NBS_BASE_URL = "https://data.stats.gov.cn/easyquery.htm"
WB_BASE_URL = "https://api.worldbank.org/v2"
USER_AGENT = "nqpf/0.1 (open statistics fetcher; Python urllib)"
KINDS = ("api", "reference")
FETCHERS = ("nbs", "worldbank")

#: World Bank ISO3 country -> (ISO2 id the API also uses, region code in the registry)
WB_COUNTRY_REGION: dict[str, tuple[str, str]] = {"CHN": ("CN", NATIONAL_CODE)}


# -- errors --------------------------------------------------------------------------------------
class FetchError(NqpfError):
    """A fetch that failed; names the URL, source, series and region at fault."""

    def __init__(
        self,
        message: str,
        *,
        url: str | None = None,
        source: str | None = None,
        series: str | None = None,
        region: str | None = None,
        status: int | None = None,
        problems: list[str] | None = None,
    ) -> None:
        self.url = url
        self.source = source
        self.series = series
        self.region = region
        self.status = status
        self.problems = problems or [message]
        where = [f"{k} {v}" for k, v in (("source", source), ("series", series),
                                         ("region", region), ("url", url)) if v]
        super().__init__((f"[{', '.join(where)}] " if where else "") + message)


class UnknownSourceError(FetchError):
    """A source id the manifest does not list."""


class UnknownSeriesError(FetchError):
    """A series id or code a source does not list."""


class ManifestError(ValidationError):
    """A source manifest that cannot be loaded; ``problems`` lists every fault."""


def _suggest(key: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(key.lower(), [k.lower() for k in known], n=3, cutoff=0.5)
    by_lower = {k.lower(): k for k in known}
    return f"; did you mean {', '.join(by_lower[c] for c in close)}?" if close else ""


# -- manifest ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Series:
    """One fetchable series of an API source: manifest id, API code, names and unit."""

    id: str
    code: str
    name_en: str = ""
    name_zh: str = ""
    unit: str = ""
    unit_zh: str = ""
    related: str = ""
    notes: str = ""

    @classmethod
    def adhoc(cls, code: str) -> Series:
        """A series not in the manifest, fetched by its API code (names come from the answer)."""
        return cls(id=code, code=code)


@dataclass(frozen=True)
class Source:
    """One public source of the manifest (``kind`` ``api`` or ``reference``)."""

    id: str
    kind: str
    name_en: str
    name_zh: str
    publisher: str
    homepage: str
    terms: str
    covers: str
    base_url: str = ""
    fetcher: str = ""
    database: str = ""
    country: str = ""
    repo: str = ""
    commit: str = ""
    series: tuple[Series, ...] = field(default=())

    def get_series(self, key: str) -> Series:
        """The series with this manifest id or API code (code case-insensitive)."""
        for s in self.series:
            if key == s.id or key.upper() == s.code.upper():
                return s
        known = [s.id for s in self.series] + [s.code for s in self.series]
        if not self.series:
            raise UnknownSeriesError(
                f"source {self.id!r} is documentation only and has no fetchable series",
                source=self.id, series=key)
        raise UnknownSeriesError(
            f"unknown series {key!r} of source {self.id!r}{_suggest(key, known)} "
            f"(known: {', '.join(f'{s.id} ({s.code})' for s in self.series)}; "
            "to fetch a code the manifest does not list, pass it as an ad-hoc code)",
            source=self.id, series=key)


@dataclass(frozen=True)
class Manifest:
    """The loaded source manifest: sources by id, in file order."""

    sources: dict[str, Source]
    path: str = ""

    def source(self, source_id: str) -> Source:
        """The source with this id; :class:`UnknownSourceError` naming close ids otherwise."""
        try:
            return self.sources[source_id]
        except KeyError:
            raise UnknownSourceError(
                f"unknown source {source_id!r}{_suggest(source_id, self.sources)} "
                f"(known: {', '.join(self.sources)})", source=source_id) from None

    def by_kind(self, kind: str) -> list[Source]:
        """Sources of one kind (``api`` or ``reference``)."""
        return [s for s in self.sources.values() if s.kind == kind]

    def series(self, source_id: str, key: str) -> tuple[Source, Series]:
        """Resolve ``source_id`` and a series id or code in one call."""
        src = self.source(source_id)
        return src, src.get_series(key)


_SOURCE_REQUIRED = ("id", "kind", "name_en", "name_zh", "publisher", "homepage", "terms", "covers")
_SERIES_REQUIRED = ("id", "code", "name_en", "name_zh", "unit")


def _text(v: Any) -> str:
    return "" if v is None else str(v).strip()


def parse_manifest(doc: Any, path: str = "<manifest>") -> Manifest:
    """Validate a manifest document (parsed YAML); one :class:`ManifestError` lists every fault."""
    problems: list[str] = []
    if not isinstance(doc, Mapping) or not isinstance(doc.get("sources"), list):
        raise ManifestError("a manifest needs a top-level 'sources' list", file=path)
    sources: dict[str, Source] = {}
    for i, raw in enumerate(doc["sources"], start=1):
        if not isinstance(raw, Mapping):
            problems.append(f"sources[{i}] is not a mapping")
            continue
        sid = _text(raw.get("id")) or f"sources[{i}]"
        missing = [k for k in _SOURCE_REQUIRED if not _text(raw.get(k))]
        if missing:
            problems.append(f"source {sid}: missing {', '.join(missing)}")
        if sid in sources:
            problems.append(f"source {sid}: duplicate id")
        kind = _text(raw.get("kind"))
        if kind and kind not in KINDS:
            problems.append(f"source {sid}: kind {kind!r} is not one of {', '.join(KINDS)}")
        fetcher = _text(raw.get("fetcher"))
        series: list[Series] = []
        if kind == "api":
            if fetcher not in FETCHERS:
                problems.append(f"source {sid}: fetcher {fetcher!r} is not one of {', '.join(FETCHERS)}")
            if not _text(raw.get("base_url")).startswith(("http://", "https://")):
                problems.append(f"source {sid}: base_url must be an http(s) URL")
            raw_series = raw.get("series") or []
            if not isinstance(raw_series, list) or not raw_series:
                problems.append(f"source {sid}: an api source needs a non-empty 'series' list")
                raw_series = []
            seen: set[str] = set()
            for j, rs in enumerate(raw_series, start=1):
                if not isinstance(rs, Mapping):
                    problems.append(f"source {sid}: series[{j}] is not a mapping")
                    continue
                s_id = _text(rs.get("id")) or f"series[{j}]"
                miss = [k for k in _SERIES_REQUIRED if not _text(rs.get(k))]
                if miss:
                    problems.append(f"source {sid} series {s_id}: missing {', '.join(miss)}")
                for key in (s_id, _text(rs.get("code")).upper()):
                    if key and key in seen:
                        problems.append(f"source {sid} series {s_id}: duplicate id or code {key!r}")
                    seen.add(key)
                series.append(Series(**{k: _text(rs.get(k)) for k in (
                    "id", "code", "name_en", "name_zh", "unit", "unit_zh", "related", "notes")}
                    | {"id": s_id}))
        elif raw.get("series"):
            problems.append(f"source {sid}: only api sources list series")
        sources[sid] = Source(
            id=sid, kind=kind,
            **{k: _text(raw.get(k)) for k in (
                "name_en", "name_zh", "publisher", "homepage", "terms", "covers", "base_url",
                "database", "country", "repo", "commit")},
            fetcher=fetcher, series=tuple(series))
    if problems:
        raise ManifestError(
            f"{len(problems)} problem(s) in the source manifest: {'; '.join(problems)}",
            file=path, problems=problems)
    return Manifest(sources, path)


def load_manifest(path: str | Path | None = None) -> Manifest:
    """Load and validate a manifest (default: the one shipped with nqpf)."""
    if path is None:
        return _default_manifest()
    return _load(Path(path))


def _load(p: Path) -> Manifest:
    try:
        doc = load_yaml(p)
    except OSError as exc:
        raise ManifestError(f"cannot read the source manifest: {exc}", file=str(p)) from exc
    except yaml.YAMLError as exc:
        raise ManifestError(f"the source manifest is not valid YAML: {exc}", file=str(p)) from exc
    return parse_manifest(doc, str(p))


@lru_cache(maxsize=1)
def _default_manifest() -> Manifest:
    return _load(MANIFEST_PATH)


def variable_id(source: str, code: str) -> str:
    """The store variable of a fetched series: ``nbs_api_A020101``, ``wb_NY_GDP_MKTP_CN``."""
    slug = re.sub(r"[^0-9A-Za-z]+", "_", code).strip("_")
    if source == "nbs":
        return f"nbs_api_{slug}"
    if source == "worldbank":
        return f"wb_{slug}"
    return f"{source}_{slug}"


def parse_years(spec: str | None) -> tuple[int, int] | None:
    """``"2010:2023"``, ``"2010-2023"`` or ``"2022"`` -> ``(first, last)``; ``None`` stays ``None``."""
    if spec is None or not str(spec).strip():
        return None
    m = re.fullmatch(r"\s*(\d{4})\s*(?:[:\-]\s*(\d{4})\s*)?", str(spec))
    if not m:
        raise ValidationError(f"years must look like 2010:2023 or 2022, got {spec!r}")
    first, last = int(m.group(1)), int(m.group(2) or m.group(1))
    if first > last or first < 1900 or last > 2100:
        raise ValidationError(f"years {spec!r}: need 1900 <= first <= last <= 2100")
    return first, last


# -- HTTP ----------------------------------------------------------------------------------------
@dataclass
class FetchOptions:
    """How to talk to an API: timeout, retries with exponential backoff, cache, offline replay.

    ``retries`` counts extra attempts after the first; the wait before retry *n* is
    ``backoff * 2**(n-1)`` seconds. Only connection errors, timeouts, HTTP 429 and 5xx are
    retried. With ``cache_dir`` every raw answer is saved there; ``offline`` replays answers
    from the cache and never touches the network.
    """

    timeout: float = 30.0
    retries: int = 3
    backoff: float = 1.0
    cache_dir: Path | None = None
    offline: bool = False
    user_agent: str = USER_AGENT
    headers: dict[str, str] = field(default_factory=dict)
    sleep: Callable[[float], None] = time.sleep


def cache_path(cache_dir: Path, url: str, label: str = "") -> Path:
    """Where the raw answer for ``url`` is cached: ``<label>-<sha256(url)[:16]>.json``."""
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]
    slug = re.sub(r"[^0-9A-Za-z._-]+", "_", label).strip("_")
    return Path(cache_dir) / f"{slug + '-' if slug else ''}{digest}.json"


def http_get(
    url: str,
    options: FetchOptions | None = None,
    *,
    request_url: str | None = None,
    label: str = "",
    source: str | None = None,
    series: str | None = None,
) -> bytes:
    """GET ``request_url`` (default ``url``) and return the body; ``url`` names it in errors and cache.

    Raises :class:`FetchError` naming the URL on HTTP errors, timeouts and exhausted retries.
    """
    opts = options or FetchOptions()
    cached = cache_path(opts.cache_dir, url, label) if opts.cache_dir else None
    if opts.offline:
        if cached is None or not cached.is_file():
            raise FetchError(
                f"offline: no cached answer{f' at {cached}' if cached else ' (no cache folder given)'}"
                " / 离线模式：缓存中没有该请求的结果", url=url, source=source, series=series)
        return cached.read_bytes()
    headers = {"User-Agent": opts.user_agent, "Accept": "application/json, */*;q=0.5", **opts.headers}
    attempts = max(0, int(opts.retries)) + 1
    last = ""
    for attempt in range(1, attempts + 1):
        status: int | None = None
        try:
            req = urllib.request.Request(request_url or url, headers=headers, method="GET")
            with urllib.request.urlopen(req, timeout=opts.timeout) as resp:
                body: bytes = resp.read()
            break
        except urllib.error.HTTPError as exc:
            status = exc.code
            snippet = exc.read()[:200].decode("utf-8", "replace").strip()
            last = f"HTTP {exc.code} {exc.reason}" + (f": {snippet}" if snippet else "")
            if exc.code != 429 and exc.code < 500:
                raise FetchError(f"{last} / 请求失败", url=url, source=source, series=series,
                                 status=exc.code) from exc
        except (urllib.error.URLError, TimeoutError, ConnectionError,
                http.client.HTTPException) as exc:
            reason = getattr(exc, "reason", exc)
            last = f"{type(reason).__name__}: {reason}"
        if attempt == attempts:
            raise FetchError(f"gave up after {attempts} attempt(s): {last} / 多次尝试后仍失败",
                             url=url, source=source, series=series, status=status)
        opts.sleep(opts.backoff * 2 ** (attempt - 1))
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_bytes(body)
        cached.with_suffix(".url").write_text(url + "\n", encoding="utf-8")
    return body


def _load_json(raw: bytes, url: str, source: str, series: str) -> Any:
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        head = raw[:80].decode("utf-8", "replace").strip()
        hint = " (an HTML page: the site may have served a challenge or error page)" \
            if head.lstrip().startswith("<") else ""
        raise FetchError(f"the answer is not valid JSON ({exc}){hint}; it starts {head!r} "
                         "/ 返回内容不是有效的 JSON", url=url, source=source, series=series) from exc


def _frames(rows: list[dict[str, Any]], variable: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    obs = pd.DataFrame(rows, columns=BATCH_COLUMNS)
    obs = obs.astype({"year": "int64", "value": "float64", "line": "int64"})
    var = pd.DataFrame([variable], columns=VARIABLE_COLUMNS)
    return obs, var


def _provenance(url: str, raw: bytes, importer: str, sheet: str) -> Provenance:
    return Provenance(source_file=url, sha256=hashlib.sha256(raw).hexdigest(), importer=importer,
                      sheet=sheet, imported_at=datetime.now(UTC))


# -- NBS easyquery -------------------------------------------------------------------------------
def nbs_url(code: str, years: tuple[int, int] | None = None, *, base_url: str = NBS_BASE_URL,
            dbcode: str = "fsnd", k1: int | None = None) -> str:
    """The easyquery ``QueryData`` URL for one indicator, all provinces (rows) by year (columns).

    ``years`` ``None`` asks for ``LAST20``; ``k1`` (a millisecond timestamp, the site's cache
    buster) is appended only when given.
    """
    sj = "LAST20" if years is None else f"{years[0]}-{years[1]}"
    params: list[tuple[str, str]] = [
        ("m", "QueryData"), ("dbcode", dbcode), ("rowcode", "reg"), ("colcode", "sj"),
        ("wds", json.dumps([{"wdcode": "zb", "valuecode": code}], separators=(",", ":"))),
        ("dfwds", json.dumps([{"wdcode": "sj", "valuecode": sj}], separators=(",", ":"))),
    ]
    if k1 is not None:
        params.append(("k1", str(k1)))
    return f"{base_url}?{urllib.parse.urlencode(params)}"


def _nbs_value(data: Any) -> float | None:
    """The published value of one datanode, NaN when ``hasdata`` is false; None if unreadable."""
    if not isinstance(data, Mapping):
        return None
    if not data.get("hasdata"):
        return math.nan
    strdata = _text(data.get("strdata")).replace(",", "")
    for cand in (strdata, data.get("data")):
        try:
            if cand not in ("", None):
                return float(cand)
        except (TypeError, ValueError):
            continue
    return None


def parse_nbs(raw: bytes, *, url: str, series: Series, years: tuple[int, int] | None = None,
              dbcode: str = "fsnd") -> ImportBatch:
    """Parse one easyquery ``QueryData`` answer into an :class:`ImportBatch`.

    The value is the published ``strdata`` (falling back to ``data``); ``hasdata: false`` is
    missing (NaN), never zero. Regions map through :data:`REGISTRY` by code, then by name.
    Raises :class:`FetchError` naming the URL, series and region on any unexpected shape.
    """
    src, ser = "nbs", series.code
    doc = _load_json(raw, url, src, ser)
    if not isinstance(doc, Mapping) or "returncode" not in doc:
        raise FetchError("unexpected answer: expected an object with 'returncode' and 'returndata'",
                         url=url, source=src, series=ser)
    if doc.get("returncode") != 200:
        raise FetchError(f"NBS returned code {doc.get('returncode')!r}: "
                         f"{str(doc.get('returndata'))[:200]} / 国家统计局接口返回错误",
                         url=url, source=src, series=ser)
    rd = doc.get("returndata")
    if not isinstance(rd, Mapping) or not isinstance(rd.get("datanodes"), list) \
            or not isinstance(rd.get("wdnodes"), list):
        raise FetchError("unexpected answer: returndata needs 'datanodes' and 'wdnodes' lists",
                         url=url, source=src, series=ser)
    wd: dict[str, dict[str, Mapping[str, Any]]] = {}
    for w in rd["wdnodes"]:
        if isinstance(w, Mapping):
            wd[_text(w.get("wdcode"))] = {_text(n.get("code")): n for n in w.get("nodes") or []
                                          if isinstance(n, Mapping)}
    zb = wd.get("zb", {}).get(series.code) or {}
    unit_zh = _text(zb.get("unit"))
    if series.unit_zh and unit_zh and unit_zh != series.unit_zh:
        raise FetchError(f"NBS reports unit {unit_zh!r} for {series.code} "
                         f"({_text(zb.get('cname'))}), the manifest expects {series.unit_zh!r}; "
                         "check the indicator code / 单位与清单不符", url=url, source=src, series=ser)
    rows: list[dict[str, Any]] = []
    raw_regions: dict[str, str] = {}
    problems: list[str] = []
    bad_regions: list[str] = []
    seen: dict[tuple[str, int], float] = {}
    var = variable_id(src, series.code)
    for i, node in enumerate(rd["datanodes"], start=1):
        if not isinstance(node, Mapping):
            problems.append(f"datanode {i} is not an object")
            continue
        wds = {_text(w.get("wdcode")): _text(w.get("valuecode"))
               for w in node.get("wds") or [] if isinstance(w, Mapping)}
        cell = _text(node.get("code")) or f"datanode {i}"
        if wds.get("zb") != series.code:
            problems.append(f"{cell}: indicator {wds.get('zb')!r}, asked for {series.code!r}")
            continue
        reg, sj = wds.get("reg", ""), wds.get("sj", "")
        if not re.fullmatch(r"\d{4}", sj):
            problems.append(f"{cell}: time {sj!r} is not an annual year")
            continue
        year = int(sj)
        if years is not None and not years[0] <= year <= years[1]:
            continue
        label = _text(wd.get("reg", {}).get(reg, {}).get("cname")) or reg
        region = REGISTRY.lookup(reg) if reg else None
        if region is None and label:
            region = REGISTRY.lookup(label)
        if region is None:
            bad_regions.append(f"{reg or '?'} ({label})" if label != reg else reg or "?")
            continue
        raw_regions[label] = region.code
        value = _nbs_value(node.get("data"))
        if value is None:
            problems.append(f"{cell}: unreadable value {node.get('data')!r}")
            continue
        key = (region.code, year)
        if key in seen:
            same = (math.isnan(seen[key]) and math.isnan(value)) or seen[key] == value
            if not same:
                problems.append(f"{cell}: region {region.code} year {year} appears twice "
                                f"with different values ({seen[key]} and {value})")
            continue
        seen[key] = value
        rows.append({"region_code": region.code, "year": year, "variable": var,
                     "value": value, "line": i, "cell": cell})
    if bad_regions:
        raise FetchError(f"unknown NBS region code(s): {', '.join(sorted(set(bad_regions)))} "
                         "/ 无法识别的地区代码", url=url, source=src, series=ser,
                         region=bad_regions[0], problems=bad_regions)
    if problems:
        raise FetchError(f"{len(problems)} problem(s) in the NBS answer: {'; '.join(problems[:5])}",
                         url=url, source=src, series=ser, problems=problems)
    cname = _text(zb.get("cname"))
    notes = (f"NBS data.stats.gov.cn {dbcode} indicator {series.code}"
             + (f" ({_text(zb.get('name')) or cname})" if cname else "")
             + f"; fetched {datetime.now(UTC):%Y-%m-%d} from {url}"
             + (f". {series.notes}" if series.notes else ""))
    variable = {"variable": var, "name_en": series.name_en or cname, "name_zh": series.name_zh or cname,
                "unit": series.unit or normalize_unit(unit_zh), "source": src, "notes": notes}
    obs, vars_ = _frames(rows, variable)
    return ImportBatch(obs, vars_, _provenance(url, raw, "fetch:nbs", f"{dbcode}:{series.code}"),
                       raw_regions)


def fetch_nbs(series: Series | str, years: tuple[int, int] | None = None, *,
              base_url: str = NBS_BASE_URL, dbcode: str = "fsnd",
              options: FetchOptions | None = None) -> list[ImportBatch]:
    """Fetch one NBS indicator for all provinces; one request, one batch.

    ``series`` is a manifest :class:`Series` or a bare indicator code (``"A020101"``).
    """
    ser = Series.adhoc(series) if isinstance(series, str) else series
    if not re.fullmatch(r"[A-Z][0-9A-Z]{1,15}", ser.code):
        raise UnknownSeriesError(f"{ser.code!r} does not look like an NBS indicator code (A020101)",
                                 source="nbs", series=ser.code)
    url = nbs_url(ser.code, years, base_url=base_url, dbcode=dbcode)
    request_url = nbs_url(ser.code, years, base_url=base_url, dbcode=dbcode,
                          k1=int(time.time() * 1000))
    opts = options or FetchOptions()
    # the site's own pages send a Referer to easyquery; keep any the caller set
    opts = replace(opts, headers={"Referer": f"{base_url}?cn=E0103", **opts.headers})
    raw = http_get(url, opts, request_url=request_url, label=f"nbs-{dbcode}-{ser.code}",
                   source="nbs", series=ser.code)
    return [parse_nbs(raw, url=url, series=ser, years=years, dbcode=dbcode)]


# -- World Bank Indicators API v2 ----------------------------------------------------------------
def worldbank_url(code: str, years: tuple[int, int] | None = None, *, base_url: str = WB_BASE_URL,
                  country: str = "CHN", per_page: int = 1000, page: int = 1) -> str:
    """``{base}/country/{country}/indicator/{code}?format=json&per_page=..&date=Y0:Y1&page=N``."""
    params: list[tuple[str, str]] = [("format", "json"), ("per_page", str(per_page))]
    if years is not None:
        params.append(("date", f"{years[0]}:{years[1]}"))
    params.append(("page", str(page)))
    path = f"{base_url.rstrip('/')}/country/{urllib.parse.quote(country)}/indicator/{urllib.parse.quote(code)}"
    return f"{path}?{urllib.parse.urlencode(params, safe=':')}"


def parse_worldbank(raw: bytes, *, url: str, series: Series, country: str = "CHN",
                    page: int = 1) -> tuple[ImportBatch | None, int]:
    """Parse one page of a v2 JSON answer -> ``(batch or None if the page is empty, pages)``.

    ``value: null`` is missing (NaN). An error answer (``[{"message": [...]}]``) raises
    :class:`FetchError` with the API's id, key and text.
    """
    src, ser = "worldbank", series.code
    doc = _load_json(raw, url, src, ser)
    if isinstance(doc, list) and doc and isinstance(doc[0], Mapping) and "message" in doc[0]:
        msgs = doc[0].get("message") or []
        text = "; ".join(f"{_text(m.get('id'))} {_text(m.get('key'))}: {_text(m.get('value'))}"
                         for m in msgs if isinstance(m, Mapping)) or str(msgs)
        raise FetchError(f"World Bank API error: {text} / 世界银行接口返回错误",
                         url=url, source=src, series=ser)
    if not (isinstance(doc, list) and len(doc) == 2 and isinstance(doc[0], Mapping)
            and (doc[1] is None or isinstance(doc[1], list))):
        raise FetchError("unexpected answer: expected [page metadata, list of observations]",
                         url=url, source=src, series=ser)
    meta, records = doc[0], doc[1] or []
    try:
        pages = int(meta.get("pages") or 0)
        got_page = int(meta.get("page") or 0)
    except (TypeError, ValueError):
        raise FetchError(f"unexpected page metadata {dict(meta)!r}", url=url, source=src,
                         series=ser) from None
    if records and got_page != page:
        raise FetchError(f"asked for page {page}, the API answered page {got_page}",
                         url=url, source=src, series=ser)
    known = WB_COUNTRY_REGION.get(country.upper())
    if known is None:
        raise FetchError(f"country {country!r} has no region in the registry "
                         f"(supported: {', '.join(WB_COUNTRY_REGION)})", url=url, source=src,
                         series=ser, region=country)
    region_code = known[1]
    var = variable_id(src, series.code)
    rows: list[dict[str, Any]] = []
    problems: list[str] = []
    name = ""
    unit = ""
    seen: set[int] = set()
    for i, rec in enumerate(records, start=1):
        cell = f"page {page} item {i}"
        if not isinstance(rec, Mapping):
            problems.append(f"{cell}: not an object")
            continue
        ind = rec.get("indicator") or {}
        if _text(ind.get("id")).upper() != series.code.upper():
            problems.append(f"{cell}: indicator {ind.get('id')!r}, asked for {series.code!r}")
            continue
        iso3 = _text(rec.get("countryiso3code")).upper()
        iso2 = _text((rec.get("country") or {}).get("id")).upper()
        if (iso3 or iso2) and not (iso3 == country.upper() or (not iso3 and iso2 == known[0])):
            problems.append(f"{cell}: country {iso3 or iso2!r}, asked for {country!r}")
            continue
        date = _text(rec.get("date"))
        if not re.fullmatch(r"\d{4}", date):
            problems.append(f"{cell}: date {date!r} is not an annual year")
            continue
        v = rec.get("value")
        try:
            value = math.nan if v is None or v == "" else float(v)
        except (TypeError, ValueError):
            problems.append(f"{cell}: unreadable value {v!r}")
            continue
        if int(date) in seen:
            problems.append(f"{cell}: year {date} appears twice")
            continue
        seen.add(int(date))
        name = name or _text(ind.get("value"))
        unit = unit or _text(rec.get("unit"))
        rows.append({"region_code": region_code, "year": int(date), "variable": var,
                     "value": value, "line": i, "cell": cell})
    if problems:
        raise FetchError(f"{len(problems)} problem(s) in the World Bank answer: "
                         f"{'; '.join(problems[:5])}", url=url, source=src, series=ser,
                         region=region_code, problems=problems)
    if not rows:
        return None, pages
    notes = (f"World Bank WDI indicator {series.code}" + (f" ({name})" if name else "")
             + f", country {country}"
             + (f", last updated {meta.get('lastupdated')}" if meta.get("lastupdated") else "")
             + f"; fetched {datetime.now(UTC):%Y-%m-%d} from {url}"
             + (f". {series.notes}" if series.notes else ""))
    variable = {"variable": var, "name_en": series.name_en or name, "name_zh": series.name_zh or name,
                "unit": series.unit or unit, "source": src, "notes": notes}
    obs, vars_ = _frames(rows, variable)
    return ImportBatch(obs, vars_, _provenance(url, raw, "fetch:worldbank",
                                               f"{country}:{series.code}:page{page}"),
                       {country: region_code}), pages


def fetch_worldbank(series: Series | str, years: tuple[int, int] | None = None, *,
                    base_url: str = WB_BASE_URL, country: str = "CHN", per_page: int = 1000,
                    options: FetchOptions | None = None, max_pages: int = 100) -> list[ImportBatch]:
    """Fetch one indicator for ``country`` (China -> region 100000), following ``pages``."""
    ser = Series.adhoc(series) if isinstance(series, str) else series
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._]{1,63}", ser.code):
        raise UnknownSeriesError(f"{ser.code!r} does not look like a World Bank indicator code "
                                 "(NY.GDP.MKTP.CN)", source="worldbank", series=ser.code)
    batches: list[ImportBatch] = []
    page, pages = 1, 1
    while page <= pages:
        url = worldbank_url(ser.code, years, base_url=base_url, country=country,
                            per_page=per_page, page=page)
        raw = http_get(url, options, label=f"wb-{country}-{ser.code}-p{page}",
                       source="worldbank", series=ser.code)
        batch, pages = parse_worldbank(raw, url=url, series=ser, country=country, page=page)
        if pages > max_pages:
            raise FetchError(f"the API reports {pages} pages, more than max_pages={max_pages}",
                             url=url, source="worldbank", series=ser.code)
        if batch is not None:
            batches.append(batch)
        page += 1
    return batches


# -- one entry point -----------------------------------------------------------------------------
def fetch(source_id: str, series: str, years: tuple[int, int] | str | None = None, *,
          base_url: str | None = None, options: FetchOptions | None = None,
          manifest: Manifest | None = None, adhoc: bool = False) -> list[ImportBatch]:
    """Fetch ``series`` (manifest id or API code) of manifest source ``source_id``.

    With ``adhoc=True`` a code the manifest does not list is fetched as is (names and unit
    then come from the API's answer). ``base_url`` overrides the manifest's (tests, mirrors).
    """
    man = manifest or load_manifest()
    src = man.source(source_id)
    if src.kind != "api":
        raise UnknownSourceError(
            f"source {src.id!r} is documentation only (kind {src.kind}); fetchable sources: "
            f"{', '.join(s.id for s in man.by_kind('api'))}", source=src.id)
    yrs = parse_years(years) if isinstance(years, str) else years
    try:
        ser = src.get_series(series)
    except UnknownSeriesError:
        if not adhoc:
            raise
        ser = Series.adhoc(series)
    base = base_url or src.base_url
    if src.fetcher == "nbs":
        return fetch_nbs(ser, yrs, base_url=base, dbcode=src.database or "fsnd", options=options)
    if src.fetcher == "worldbank":
        return fetch_worldbank(ser, yrs, base_url=base, country=src.country or "CHN",
                               options=options)
    raise UnknownSourceError(f"no fetcher {src.fetcher!r}", source=src.id)  # pragma: no cover


__all__ = [
    "MANIFEST_PATH", "NBS_BASE_URL", "WB_BASE_URL", "FetchError", "FetchOptions", "Manifest",
    "ManifestError", "Series", "Source", "UnknownSeriesError", "UnknownSourceError", "cache_path",
    "fetch", "fetch_nbs", "fetch_worldbank", "http_get", "load_manifest", "nbs_url",
    "parse_manifest", "parse_nbs", "parse_worldbank", "parse_years", "variable_id",
    "worldbank_url",
]

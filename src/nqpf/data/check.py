"""Data checks before an index is built: what a careful statistician asks about a panel.

Each check is one small function over the long observations (``region_code, year, variable,
value``; provinces only), vectorised with pandas group operations, and returns flags in one
table (:data:`FLAG_COLUMNS`): the kind, the region, the variable, the years, the two values
compared, a score and a sentence of evidence. :func:`check_panel` / :func:`check_store` run
them all and return a :class:`CheckResult` (``flags``, ``summary``, ``to_csv``, ``to_html``).

Kinds / 类型
    ``jump``            a province's year-on-year change far from the other provinces' change
                        in the same years (level break or jump within a series); the robust
                        comparison with the cross-province median follows the outlier screening
                        of the OECD/JRC *Handbook on Constructing Composite Indicators* (2008,
                        step 3) on log changes.
    ``level_break``     most provinces move together in one year pair, far more than in the
                        series' other years (a re-based or re-defined series).
    ``unit_change``     a change by a factor close to a power of ten (10, 100, 1,000, 10,000):
                        a value written in another unit.
    ``outlier``         a province far from the others in the same year: modified z-score of
                        the log value above 3.5 (Iglewicz & Hoaglin 1993, *How to Detect and
                        Handle Outliers*, ASQC), one flag per province and direction.
    ``gap``             years missing inside a province's observed span.
    ``missing_region``  a province with no value in any year while others have values.
    ``mixed_vintage``   the latest values of one series come from more than one import
                        (file): years taken from each are named (store only).
    ``mixed_source``    the catalog names more than one source for one series.

Thresholds are parameters of :func:`check_panel` (``jump_ratio`` 1.5, ``jump_excess`` 1.4,
``outlier_z`` 3.5, ``break_factor`` 3.0); every flag states the numbers it rests on.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from nqpf.errors import ValidationError
from nqpf.regions import REGISTRY

if TYPE_CHECKING:
    from nqpf.data.store import Store
    from nqpf.panel import Panel

__all__ = [
    "FLAG_COLUMNS",
    "KINDS",
    "CheckResult",
    "check_panel",
    "check_store",
    "gaps",
    "jumps",
    "level_breaks",
    "mixed_sources",
    "mixed_vintages",
    "outliers",
    "unit_changes",
]

FLAG_COLUMNS = ["kind", "region_code", "region_en", "region_zh", "variable", "year_from", "year_to",
                "value_from", "value_to", "score", "evidence"]
"""Columns of :attr:`CheckResult.flags`; ``region_code`` is empty for a flag on a whole series."""

KINDS: dict[str, str] = {
    "jump": "jump within a series / 序列内跳变",
    "level_break": "level break across provinces / 全序列水平断点",
    "unit_change": "possible unit change / 疑似单位变化",
    "outlier": "outlier across provinces / 省际离群值",
    "gap": "gap inside a series / 序列内缺失",
    "missing_region": "province never observed / 省份无数据",
    "mixed_vintage": "mixed vintages in one series / 同一序列混合版本",
    "mixed_source": "mixed sources in one series / 同一序列混合来源",
}
"""Flag kinds with their English and Chinese labels, in report order."""

_INDEX_UNIT = ("previous year = 100", "= 100", "=100", "= 1")


def _rows(df: pd.DataFrame) -> Iterator[Any]:
    """Rows as named tuples, typed loosely (pandas-stubs types each field as any scalar)."""
    return iter(df.itertuples())


def _top(df: pd.DataFrame, col: str) -> Any:
    """The row with the largest absolute ``col``."""
    return next(_rows(df.iloc[[int(np.argmax(np.abs(df[col].to_numpy(dtype=float))))]]))


def _fmt(v: float) -> str:
    if v is None or not np.isfinite(v):
        return ""
    return f"{v:,.4g}" if abs(v) < 1000 else f"{v:,.0f}"


def _pct(ratio: float) -> str:
    return f"x{ratio:,.1f}" if ratio >= 3 else f"{(ratio - 1) * 100:+.0f}%"


def _provinces(obs: pd.DataFrame) -> pd.DataFrame:
    need = {"region_code", "year", "variable", "value"}
    if not need <= set(obs.columns):
        raise ValidationError(f"observations need columns {', '.join(sorted(need))}; got {', '.join(obs.columns)}")
    codes = {r.code for r in REGISTRY.provinces()}
    out = obs[obs["region_code"].astype(str).isin(codes)].copy()
    out["region_code"] = out["region_code"].astype(str)
    out["year"] = out["year"].astype(int)
    out["value"] = out["value"].astype(float)
    return out.sort_values(["variable", "region_code", "year"]).reset_index(drop=True)


def _flags(rows: pd.DataFrame | list[dict[str, Any]]) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    if df.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64" if c in ("value_from", "value_to", "score") else
                                          ("int64" if c in ("year_from", "year_to") else "object"))
                             for c in FLAG_COLUMNS})
    for c in FLAG_COLUMNS:
        if c not in df:
            df[c] = np.nan if c in ("value_from", "value_to", "score") else ""
    names = {r.code: (r.name_en, r.name_zh) for r in REGISTRY.provinces()}
    code = df["region_code"].fillna("").astype(str)
    df["region_code"] = code
    df["region_en"] = [names.get(c, ("", ""))[0] if c else "all provinces" for c in code]
    df["region_zh"] = [names.get(c, ("", ""))[1] if c else "全部省份" for c in code]
    df["year_from"] = df["year_from"].astype("int64")
    df["year_to"] = df["year_to"].astype("int64")
    return df[FLAG_COLUMNS]


def _steps(obs: pd.DataFrame, units: dict[str, str] | None) -> pd.DataFrame:
    """Consecutive-year log changes of positive level series: one row per (variable, region, year)."""
    d = obs[obs["value"] > 0]
    if units:
        skip = {v for v, u in units.items() if any(s in str(u) for s in _INDEX_UNIT)}
        d = d[~d["variable"].isin(skip)]
    prev = d.groupby(["variable", "region_code"], sort=False)[["year", "value"]].shift(1)
    st = d.assign(year_prev=prev["year"], value_prev=prev["value"])
    st = st[st["year"] - st["year_prev"] == 1].copy()
    st["lr"] = np.log(st["value"] / st["value_prev"])
    st["med_lr"] = st.groupby(["variable", "year"])["lr"].transform("median")
    st["n_pair"] = st.groupby(["variable", "year"])["lr"].transform("size")
    return st


# ------------------------------------------------------------------------------- checks
def jumps(obs: pd.DataFrame, units: dict[str, str] | None = None, *, ratio: float = 1.5,
          excess: float = 1.4, min_regions: int = 10) -> pd.DataFrame:
    """Year-on-year jumps of one province (level breaks within its series).

    A change from year t-1 to t is flagged when it is at least ``ratio`` (either way, so
    +50% or -33% at 1.5) and differs from the median change of the other provinces in the same
    year pair by a factor of at least ``excess`` (1.4). Index series (``previous year = 100``)
    are skipped; values must be positive. ``score`` is the excess as a log ratio.
    """
    st = _steps(_provinces(obs), units)
    st = st.assign(ex=st["lr"] - np.where(st["n_pair"] >= min_regions, st["med_lr"], 0.0))
    hit = st[(st["lr"].abs() >= np.log(ratio)) & (st["ex"].abs() >= np.log(excess))]
    rows = [{
        "kind": "jump", "region_code": r.region_code, "variable": r.variable,
        "year_from": int(r.year_prev), "year_to": int(r.year), "value_from": r.value_prev, "value_to": r.value,
        "score": abs(r.ex),
        "evidence": (f"{_fmt(r.value_prev)} -> {_fmt(r.value)} ({_pct(np.exp(r.lr))}) while the median province "
                     f"changed {_pct(np.exp(r.med_lr))} ({int(r.n_pair)} provinces)"),
    } for r in _rows(hit)]
    return _flags(rows)


def level_breaks(obs: pd.DataFrame, units: dict[str, str] | None = None, *, factor: float = 3.0,
                 min_change: float = 0.05, min_regions: int = 20) -> pd.DataFrame:
    """Year pairs in which most provinces move together, far more than in other years.

    For each (variable, year pair) the median absolute log change across provinces is compared
    with the median of the same statistic over the series' other year pairs: a pair is flagged
    when it is ``factor`` (3) times that usual change and at least ``min_change`` (5%).
    """
    st = _steps(_provinces(obs), units)
    st = st[st["n_pair"] >= min_regions]
    g = st.assign(alr=st["lr"].abs()).groupby(["variable", "year"])
    per = g.agg(med_abs=("alr", "median"), med=("lr", "median"), n=("lr", "size"),
                year_prev=("year_prev", "first")).reset_index()
    rows = []
    for var, block in per.groupby("variable", sort=True):
        if len(block) < 3:
            continue
        vals = block["med_abs"].to_numpy()
        for i, r in enumerate(_rows(block)):
            usual = float(np.median(np.delete(vals, i)))
            if r.med_abs >= max(factor * usual, np.log(1 + min_change)):
                sub = st[(st["variable"] == var) & (st["year"] == r.year)]
                big = _top(sub, "lr")
                name = REGISTRY.get(big.region_code).name_en
                rows.append({
                    "kind": "level_break", "region_code": "", "variable": var, "year_from": int(r.year_prev),
                    "year_to": int(r.year), "score": float(r.med_abs / usual) if usual > 0 else np.inf,
                    "evidence": (f"median province changed {_pct(np.exp(r.med))} (median |change| "
                                 f"{_pct(np.exp(r.med_abs))} against {_pct(np.exp(usual))} in other years, "
                                 f"{int(r.n)} provinces); largest {name} {_pct(np.exp(big.lr))}"),
                })
    return _flags(rows)


def unit_changes(obs: pd.DataFrame, units: dict[str, str] | None = None, *, tolerance: float = 0.05) -> pd.DataFrame:
    """Changes by a factor within ``tolerance`` of 10, 100, 1,000 or 10,000 (or their inverses),
    relative to the median province's change in the same years."""
    st = _steps(_provinces(obs), units)
    st = st.assign(ex=st["lr"] - np.where(st["n_pair"] >= 10, st["med_lr"], 0.0))
    k = np.round(st["ex"] / np.log(10))
    near = (k.abs() >= 1) & ((st["ex"] - k * np.log(10)).abs() <= np.log(1 + tolerance))
    rows = [{
        "kind": "unit_change", "region_code": r.region_code, "variable": r.variable,
        "year_from": int(r.year_prev), "year_to": int(r.year), "value_from": r.value_prev, "value_to": r.value,
        "score": abs(float(r.ex)),
        "evidence": (f"{_fmt(r.value_prev)} -> {_fmt(r.value)}: a factor of {np.exp(r.lr):,.4g}, "
                     f"{np.exp(r.ex):,.4g} times the median province's change, close to 10^{round(r.ex / np.log(10))}"),
    } for r in _rows(st[near])]
    return _flags(rows)


def outliers(obs: pd.DataFrame, units: dict[str, str] | None = None, *, z: float = 3.5,
             min_regions: int = 10) -> pd.DataFrame:
    """Provinces far from the others in the same year, one flag per province and direction.

    Modified z-score ``0.6745 (x - median) / MAD`` (Iglewicz & Hoaglin 1993) of the log value
    (of the value itself when a series has zero or negative values), across provinces, per
    variable and year; flagged above ``z`` (3.5). Years are collapsed into one flag that names
    the first and last flagged year and the largest score.
    """
    d = _provinces(obs)
    pos = d.groupby("variable")["value"].transform("min") > 0
    x = np.where(pos, np.log(d["value"].where(pos, 1.0)), d["value"])
    d = d.assign(x=x)
    g = d.groupby(["variable", "year"])["x"]
    med = g.transform("median")
    mad = (d["x"] - med).abs().groupby([d["variable"], d["year"]]).transform("median")
    n = g.transform("size")
    with np.errstate(divide="ignore", invalid="ignore"):
        mz = np.where(mad > 0, 0.6745 * (d["x"] - med) / mad, 0.0)
    d = d.assign(mz=mz, med=np.where(pos, np.exp(med), med), n=n)
    hit = d[(np.abs(d["mz"]) > z) & (d["n"] >= min_regions)]
    hit = hit.assign(sign=np.sign(hit["mz"]), amz=np.abs(hit["mz"]))
    keys = ["variable", "region_code", "sign"]
    span = hit.groupby(keys).agg(first=("year", "min"), last=("year", "max"), n_hit=("year", "size"))
    top = hit.sort_values("amz", ascending=False).drop_duplicates(keys).set_index(keys)
    top = top.join(span).join(d.groupby(["variable", "region_code"]).size().rename("n_obs"), on=["variable", "region_code"])
    rows = [{
        "kind": "outlier", "region_code": code, "variable": var, "year_from": int(r.first), "year_to": int(r.last),
        "value_to": r.value, "score": float(r.amz),
        "evidence": (f"{'high' if sign > 0 else 'low'} in {int(r.n_hit)} of {int(r.n_obs)} years; max modified z "
                     f"{r.mz:+.1f} in {int(r.year)}: {_fmt(r.value)} against the median province {_fmt(r.med)}"),
    } for (var, code, sign), r in zip(top.index, _rows(top), strict=True)]
    return _flags(rows)


def gaps(obs: pd.DataFrame) -> pd.DataFrame:
    """Years missing inside a province's observed span, and provinces never observed."""
    d = _provinces(obs)
    rows: list[dict[str, Any]] = []
    prev = d.groupby(["variable", "region_code"])["year"].shift(1)
    d = d.assign(prev=prev)  # assign before filtering: an empty frame would adopt the index
    holes = d[d["year"] - d["prev"] > 1]
    per_year = d.groupby(["variable", "year"]).size()
    for r in _rows(holes):
        n_missing = int(r.year - r.prev - 1)
        inside = [(r.variable, y) for y in range(int(r.prev) + 1, int(r.year))]
        others = int(max((per_year.get(k, 0) for k in inside), default=0))
        rows.append({
            "kind": "gap", "region_code": r.region_code, "variable": r.variable,
            "year_from": int(r.prev) + 1, "year_to": int(r.year) - 1, "score": float(n_missing),
            "evidence": (f"no value for {n_missing} year{'s' if n_missing > 1 else ''} between {int(r.prev)} and "
                         f"{int(r.year)}; up to {others} other provinces have values in those years"),
        })
    all_codes = [r.code for r in REGISTRY.provinces()]
    for var, b in d.groupby("variable"):
        present = set(b["region_code"])
        if len(present) < len(all_codes) // 2:
            continue  # a series for a few provinces only is not a gap of the others
        for code in all_codes:
            if code not in present:
                rows.append({
                    "kind": "missing_region", "region_code": code, "variable": var,
                    "year_from": int(b["year"].min()), "year_to": int(b["year"].max()), "score": float(b["year"].nunique()),
                    "evidence": f"no value in any year; {len(present)} provinces have values {int(b['year'].min())}-{int(b['year'].max())}",
                })
    return _flags(rows)


def mixed_vintages(obs: pd.DataFrame, imports: pd.DataFrame) -> pd.DataFrame:
    """Series whose latest values come from more than one import (file).

    ``obs`` carries ``import_id`` (as :meth:`Store.observations` returns it) and ``imports``
    maps ``import_id`` to ``source_file``; the flag names the years taken from each file.
    """
    if "import_id" not in obs.columns:
        raise ValidationError("mixed_vintages needs observations with an import_id column (Store.observations)")
    d = _provinces(obs.assign(import_id=obs["import_id"]))
    files = imports.set_index("import_id")["source_file"].astype(str).map(lambda p: Path(p).name)
    rows = []
    for var, b in d.groupby("variable"):
        ids = b["import_id"].unique()
        if len(ids) < 2:
            continue
        parts = []
        for iid, bi in sorted(b.groupby("import_id"), key=lambda kv: kv[1]["year"].min()):
            ys = sorted(bi["year"].unique())
            parts.append(f"{ys[0]}-{ys[-1]} ({len(bi)} values) from {files.get(iid, f'import {iid}')}")
        rows.append({
            "kind": "mixed_vintage", "region_code": "", "variable": var,
            "year_from": int(b["year"].min()), "year_to": int(b["year"].max()), "score": float(len(ids)),
            "evidence": f"latest values come from {len(ids)} imports: " + "; ".join(parts),
        })
    return _flags(rows)


def mixed_sources(obs: pd.DataFrame, catalog: pd.DataFrame) -> pd.DataFrame:
    """Series whose catalog entry names more than one source (``a;b``)."""
    d = _provinces(obs)
    rows = []
    for r in _rows(catalog):
        srcs = [s.strip() for s in str(getattr(r, "source", "") or "").split(";") if s.strip()]
        b = d[d["variable"] == r.variable]
        if len(srcs) > 1 and len(b):
            rows.append({
                "kind": "mixed_source", "region_code": "", "variable": r.variable,
                "year_from": int(b["year"].min()), "year_to": int(b["year"].max()), "score": float(len(srcs)),
                "evidence": f"the catalog names {len(srcs)} sources: {', '.join(srcs)}",
            })
    return _flags(rows)


# ------------------------------------------------------------------------------- result
@dataclass
class CheckResult:
    """All flags of a data check: ``flags`` (one row per flag, :data:`FLAG_COLUMNS`)."""

    flags: pd.DataFrame
    variables: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.flags)

    @property
    def summary(self) -> pd.DataFrame:
        """Flags per kind (``kind, label, n_flags, n_variables``), in :data:`KINDS` order."""
        f = self.flags
        rows = [{"kind": k, "label": lab, "n_flags": int((f["kind"] == k).sum()),
                 "n_variables": int(f.loc[f["kind"] == k, "variable"].nunique())} for k, lab in KINDS.items()]
        return pd.DataFrame(rows)

    def of(self, kind: str | None = None, variable: str | None = None, region: str | None = None) -> pd.DataFrame:
        """The flags of one kind, variable and/or region (any alias)."""
        f = self.flags
        if kind is not None:
            f = f[f["kind"] == kind]
        if variable is not None:
            f = f[f["variable"] == variable]
        if region is not None:
            f = f[f["region_code"] == REGISTRY.codes([region])[0]]
        return f.reset_index(drop=True)

    def to_csv(self, path: str | Path) -> Path:
        """Write the flags table (UTF-8 CSV) and return the path."""
        p = Path(path)
        self.flags.to_csv(p, index=False, encoding="utf-8")
        return p

    def to_html(self, path: str | Path, title: str = "Data check / 数据检查") -> Path:
        """A self-contained HTML page: the summary, then every flag grouped by kind."""
        p = Path(path)
        p.write_text(_html(self, title), encoding="utf-8")
        return p


def _html(res: CheckResult, title: str) -> str:
    esc = html.escape
    css = ("body{font-family:system-ui,'Noto Sans CJK SC',sans-serif;margin:2em;color:#222}"
           "table{border-collapse:collapse;margin:1em 0;font-size:13px}"
           "th,td{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}"
           "th{background:#f2f2f2}td.n{text-align:right}h2{margin-top:1.6em}")
    head = {"region_en": "region / 地区", "region_zh": "地区", "variable": "variable / 变量",
            "years": "years / 年份", "value_from": "from / 起值", "value_to": "to / 止值",
            "score": "score / 分值", "evidence": "evidence / 依据"}
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{esc(title)}</title>"
             f"<style>{css}</style></head><body><h1>{esc(title)}</h1>",
             f"<p>{len(res)} flags on {len(res.variables)} variables / 共 {len(res)} 条标记，"
             f"涉及 {len(res.variables)} 个变量. Thresholds / 阈值: {esc(', '.join(f'{k}={v}' for k, v in res.params.items()))}</p>",
             "<table><tr><th>kind / 类型</th><th>flags / 标记数</th><th>variables / 变量数</th></tr>"]
    for r in _rows(res.summary):
        parts.append(f"<tr><td><a href='#{r.kind}'>{esc(r.label)}</a></td><td class='n'>{r.n_flags}</td>"
                     f"<td class='n'>{r.n_variables}</td></tr>")
    parts.append("</table>")
    for kind, label in KINDS.items():
        f = res.flags[res.flags["kind"] == kind].sort_values(["variable", "region_code", "year_from"])
        if f.empty:
            continue
        parts.append(f"<h2 id='{kind}'>{esc(label)} ({len(f)})</h2><table><tr>"
                     + "".join(f"<th>{esc(h)}</th>" for h in head.values()) + "</tr>")
        for r in _rows(f):
            years = str(r.year_from) if r.year_from == r.year_to else f"{r.year_from}-{r.year_to}"
            cells = [esc(r.region_en), esc(r.region_zh), esc(r.variable), years,
                     _fmt(r.value_from), _fmt(r.value_to), f"{r.score:,.2f}" if np.isfinite(r.score) else "", esc(r.evidence)]
            parts.append("<tr>" + "".join(f"<td{' class=n' if i in (3, 4, 5, 6) else ''}>{c}</td>"
                                          for i, c in enumerate(cells)) + "</tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "".join(parts)


# ------------------------------------------------------------------------------ entry points
def check_panel(
    obs: pd.DataFrame,
    catalog: pd.DataFrame | None = None,
    imports: pd.DataFrame | None = None,
    *,
    variables: Sequence[str] | None = None,
    kinds: Iterable[str] | None = None,
    jump_ratio: float = 1.5,
    jump_excess: float = 1.4,
    outlier_z: float = 3.5,
    break_factor: float = 3.0,
) -> CheckResult:
    """Run every check on long observations (provinces only; other regions are ignored).

    ``catalog`` (``variable, unit, source``) lets index series be skipped and mixed sources be
    found; ``imports`` with an ``import_id`` column in ``obs`` adds the mixed-vintage check.
    ``variables`` and ``kinds`` restrict the checks; unknown names raise a ValidationError.
    """
    kinds = list(KINDS) if kinds is None else list(kinds)
    bad = [k for k in kinds if k not in KINDS]
    if bad:
        raise ValidationError(f"unknown check kind {', '.join(map(repr, bad))}; use one of {', '.join(KINDS)}")
    if variables is not None:
        have = set(obs["variable"])
        missing = [v for v in variables if v not in have]
        if missing:
            raise ValidationError(f"unknown variable {', '.join(map(repr, missing))}: not in the data "
                                  f"(see `nqpf data list`)")
        obs = obs[obs["variable"].isin(list(variables))]
    units = dict(zip(catalog["variable"], catalog["unit"].astype(str), strict=True)) if catalog is not None else None
    parts = []
    if "jump" in kinds:
        parts.append(jumps(obs, units, ratio=jump_ratio, excess=jump_excess))
    if "level_break" in kinds:
        parts.append(level_breaks(obs, units, factor=break_factor))
    if "unit_change" in kinds:
        parts.append(unit_changes(obs, units))
    if "outlier" in kinds:
        parts.append(outliers(obs, units, z=outlier_z))
    if "gap" in kinds or "missing_region" in kinds:
        g = gaps(obs)
        parts.append(g[g["kind"].isin(kinds)])
    if "mixed_vintage" in kinds and imports is not None and "import_id" in obs.columns:
        parts.append(mixed_vintages(obs, imports))
    if "mixed_source" in kinds and catalog is not None and "source" in catalog.columns:
        cat = catalog if variables is None else catalog[catalog["variable"].isin(list(variables))]
        parts.append(mixed_sources(obs, cat))
    parts = [p for p in parts if not p.empty]
    flags = pd.concat(parts, ignore_index=True) if parts else _flags([])
    order = {k: i for i, k in enumerate(KINDS)}
    flags = flags.sort_values(["kind", "variable", "region_code", "year_from"],
                              key=lambda s: s.map(order) if s.name == "kind" else s).reset_index(drop=True)
    params = {"jump_ratio": jump_ratio, "jump_excess": jump_excess, "outlier_z": outlier_z, "break_factor": break_factor}
    return CheckResult(flags=flags, variables=sorted(set(_provinces(obs)["variable"])), params=params)


def check_store(store: Store, **kw: Any) -> CheckResult:
    """:func:`check_panel` on the latest vintage of every stored value, with its imports."""
    return check_panel(store.observations(), store.catalog(), store.imports(), **kw)


def check_frame(panel: Panel, **kw: Any) -> CheckResult:
    """:func:`check_panel` on a :class:`~nqpf.panel.Panel` (no vintage information)."""
    return check_panel(panel.observations, panel.catalog, **kw)

"""The investor view: a province x sector opportunity matrix for NQPF sectors.

Components, each a 0-1 score across the provinces (min-max of each item, direction-aware, then
the mean of the component's items; JRC/OECD Handbook 2008, §1.5 and §1.6):

* ``strength`` -- the province's strength in the sector's own statistics where the data hold
  them (software, embedded software, IT services, software products and information security
  revenue: NBS digital-economy series); the other sectors have no sector series in the data, so
  general statistics stand in and are labelled ``(proxy)`` (column ``proxy``);
* ``policy`` -- the sector's weight in the province's own government work report: text
  exposure per 10,000 characters (:mod:`nqpf.innovation`), mean of the reports given (2025, 2026);
* ``innovation`` (R&D intensity, invention patents per resident), ``market`` (GRP, population),
  ``income`` (GRP per resident, urban disposable income), ``digital`` (internet penetration,
  broadband ports per resident), ``openness`` (trade / GRP, FDI per resident) and ``momentum``
  (nominal GRP growth over the last three years) -- the same for every sector.

The opportunity score is the weighted sum of the components (weights changeable, default
:data:`DEFAULT_WEIGHTS`). Every item is shown with its value, unit, year and source. The rank
uncertainty of the matrix: Monte Carlo draws of ±25% multiplicative weight noise and
one-at-a-time exclusion of a component, all draws in one batched product, and the 5th, 50th
and 95th percentile ranks per sector (Saisana, Saltelli & Tarantola 2005, *JRSS A* 168(2),
uncertainty analysis of composite indicators; the factors of :mod:`nqpf.robustness`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from nqpf.errors import NqpfError
from nqpf.panel import Panel

#: an item: (id, English, Chinese, numerator, denominator or None, scale, unit, direction, proxy);
#: ``proxy`` is True for a general statistic standing in where the data hold no series of the sector
Item = tuple[str, str, str, str, str | None, float, str, int, bool]

RD_INTENSITY: Item = ("rd_to_gdp", "R&D expenditure / GRP", "R&D经费/地区生产总值", "rd_expenditure", "gdp", 0.01,
                      "% of GRP", 1, False)
PATENTS: Item = ("invention_patents_per_10k", "Invention patents granted per 10k residents", "每万人发明专利授权",
                 "patents_granted_invention", "population", 1.0, "pieces per 10k residents", 1, False)
# sector statistics (NBS digital-economy series, extension/nbs_tongjimodule.csv; 10k yuan / 100 million yuan)
SOFTWARE: Item = ("software_revenue_to_gdp", "Software business revenue / GRP", "软件业务收入/地区生产总值",
                  "software_revenue", "gdp", 0.01, "% of GRP", 1, False)
EMBEDDED: Item = ("embedded_software_to_gdp", "Embedded-system software revenue / GRP", "嵌入式系统软件收入/地区生产总值",
                  "embedded_software_revenue", "gdp", 0.01, "% of GRP", 1, False)
IT_SERVICES: Item = ("it_services_to_gdp", "IT services revenue (incl. data processing, cloud) / GRP",
                     "信息技术服务收入/地区生产总值", "it_services_revenue", "gdp", 0.01, "% of GRP", 1, False)
SOFTWARE_PRODUCTS: Item = ("software_products_to_gdp", "Software product revenue / GRP", "软件产品收入/地区生产总值",
                           "software_product_revenue", "gdp", 0.01, "% of GRP", 1, False)
INFOSEC: Item = ("information_security_to_gdp", "Information security revenue / GRP", "信息安全收入/地区生产总值",
                 "information_security_revenue", "gdp", 0.01, "% of GRP", 1, False)
# general statistics standing in for sectors the data do not cover (labelled "(proxy)")
HITECH: Item = ("hitech_revenue_to_gdp", "High-tech manufacturing revenue / GRP", "高技术产业营业收入/地区生产总值",
                "hitech_revenue", "gdp", 100.0, "% of GRP", 1, True)
RESEARCHERS: Item = ("researchers_per_10k", "R&D researchers per 10k residents", "每万人R&D研究人员",
                     "rd_researchers_fte", "population", 1.0, "person-years per 10k residents", 1, True)
PATENTS_PROXY: Item = (*PATENTS[:8], True)
HITECH_FIRMS: Item = ("hitech_firms_per_million", "High-tech enterprises per million residents",
                      "每百万人高技术企业数", "hitech_enterprises", "population", 100.0, "per million residents", 1, True)
INDUSTRY: Item = ("secondary_share", "Industry share of GRP", "第二产业占比", "secondary_share", None, 1.0, "%", 1, True)
MANUFACTURING_JOBS: Item = ("manufacturing_job_share", "Manufacturing share of urban-unit employment",
                            "制造业占城镇单位就业比重", "employed_urban_units_manufacturing", "employed_urban_units",
                            100.0, "%", 1, True)
POWER: Item = ("power_generation_per_resident", "Electricity generation per resident (all sources)",
               "人均发电量（全部电源）", "power_generation", "population", 1e4, "kWh per resident", 1, True)
ENERGY: Item = ("energy_intensity", "Energy use per 10k yuan of GRP (lower is better)", "万元地区生产总值能耗（越低越好）",
                "energy_intensity", None, 1.0, "tce per 10k yuan", -1, True)
CO2_INTENSITY: Item = ("co2_per_gdp", "CO2 per GRP (lower is better)", "单位地区生产总值二氧化碳排放（越低越好）",
                       "co2_emissions", "gdp", 1e4, "t CO2 per million yuan", -1, True)

#: NQPF sectors: key -> (English, Chinese, taxonomy sectors for the text exposure, strength items).
#: Real sector series exist for the two digital sectors; the others use labelled proxies.
SECTORS: dict[str, tuple[str, str, tuple[str, ...], tuple[Item, ...]]] = {
    "next_gen_it": ("Next-generation IT", "新一代信息技术", ("sei_it",), (SOFTWARE, EMBEDDED)),
    "ai_big_data": ("AI and big data", "人工智能与大数据", ("dt_ai", "dt_bigdata", "fi_gen_ai"),
                    (IT_SERVICES, SOFTWARE_PRODUCTS, INFOSEC)),
    "biomedicine": ("Biomedicine", "生物医药", ("sei_bio",), (HITECH, RESEARCHERS)),
    "new_materials": ("New materials", "新材料", ("sei_materials",), (PATENTS_PROXY, INDUSTRY)),
    "new_energy_vehicles": ("New energy and vehicles", "新能源与新能源汽车", ("sei_energy", "sei_nev"),
                            (POWER, HITECH)),
    "high_end_equipment": ("High-end equipment", "高端装备", ("sei_equipment",), (MANUFACTURING_JOBS, HITECH_FIRMS)),
    "green_environmental": ("Green and environmental industries", "绿色环保产业", ("sei_green",),
                            (ENERGY, CO2_INTENSITY)),
}

#: components common to every sector
COMMON: dict[str, tuple[str, str, tuple[Item, ...]]] = {
    "innovation": ("Innovation capacity", "创新能力", (RD_INTENSITY, PATENTS)),
    "market": ("Market size", "市场规模", (("gdp", "GRP", "地区生产总值", "gdp", None, 1.0, "100 million yuan", 1, False),
                                          ("population", "Resident population", "常住人口", "population", None, 1.0,
                                           "10k persons", 1, False))),
    "income": ("Income", "收入水平", (("gdp_per_resident", "GRP per resident", "人均地区生产总值", "gdp", "population",
                                        1e4, "yuan", 1, False),
                                       ("disposable_income_urban", "Urban disposable income per capita",
                                        "城镇居民人均可支配收入", "disposable_income_urban", None, 1.0, "yuan", 1, False))),
    "digital": ("Digital infrastructure", "数字基础设施", (
        ("internet_penetration", "Internet penetration", "互联网普及率", "internet_penetration", None, 1.0, "%", 1, False),
        ("broadband_ports_per_resident", "Broadband ports per resident", "人均宽带接入端口", "broadband_ports",
         "population", 1.0, "ports per resident", 1, False))),
    "openness": ("Openness", "开放程度", (("trade_to_gdp", "Trade / GRP", "进出口总额/地区生产总值", "trade_total_cny",
                                           "gdp", 100.0, "% of GRP", 1, False),
                                          ("fdi_per_capita_usd", "FDI used per resident", "人均实际利用外资",
                                           "fdi_per_capita_usd", None, 1.0, "USD", 1, False))),
}
COMPONENTS = ("strength", "policy", "innovation", "market", "income", "digital", "openness", "momentum")
COMPONENT_NAMES = {"strength": ("Sector strength", "产业基础"), "policy": ("Policy emphasis (work report)", "政策重视（政府工作报告）"),
                   "momentum": ("Momentum (GRP growth)", "增长势头"),
                   **{k: (v[0], v[1]) for k, v in COMMON.items()}}
DEFAULT_WEIGHTS = {"strength": 0.25, "policy": 0.15, "innovation": 0.15, "market": 0.15, "income": 0.1,
                   "digital": 0.05, "openness": 0.1, "momentum": 0.05}


class InvestorError(NqpfError):
    """Investor-view input that cannot be used (unknown sector or component, bad weights)."""


@dataclass
class InvestorView:
    """The opportunity matrix and everything behind it.

    ``matrix`` (regions x sectors, 0-1), ``ranks`` (1 = best per sector), ``scores`` (tidy
    ``region_code, sector, component, score``), ``items`` (tidy ``region_code, sector,
    component, item, name_en, name_zh, value, unit, year, source, normalised``; sector ``*`` for
    common components), ``weights``, ``uncertainty`` (``region_code, sector, rank, rank_p05,
    rank_median, rank_p95``), ``notes``.
    """

    matrix: pd.DataFrame
    ranks: pd.DataFrame
    scores: pd.DataFrame
    items: pd.DataFrame
    weights: dict[str, float]
    uncertainty: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    draws: pd.DataFrame = field(default_factory=pd.DataFrame)

    def to_tidy(self) -> pd.DataFrame:
        """``region_code, sector, opportunity, rank, rank_p05, rank_median, rank_p95``."""
        m = self.matrix.reset_index().melt(id_vars="region_code", var_name="sector", value_name="opportunity")
        return m.merge(self.uncertainty, on=["region_code", "sector"], how="left")

    def top(self, sector: str, n: int = 5) -> pd.DataFrame:
        """The ``n`` best provinces for one sector."""
        if sector not in self.matrix.columns:
            raise InvestorError(f"unknown sector {sector!r}; sectors: {', '.join(self.matrix.columns)}")
        t = self.to_tidy()
        return t[t["sector"] == sector].sort_values("rank").head(n).reset_index(drop=True)


def sector_text_exposure(corpus: str | Path) -> pd.DataFrame:
    """Text exposure per taxonomy sector of a corpus with region_code and year fields (e.g. the
    provincial government work reports): tidy ``region_code, year, variable, value`` (per 10,000
    characters). One small function, so another exposure measure can be swapped in."""
    from nqpf.innovation import measure_exposure

    return measure_exposure(corpus).observations(schemes=False)


def _minmax(x: np.ndarray, direction: int) -> np.ndarray:
    lo, hi = np.nanmin(x), np.nanmax(x)
    z = (x - lo) / (hi - lo) if hi > lo else np.zeros_like(x)
    return z if direction > 0 else 1 - z


class _Data:
    """The panel variables the view needs, as one dense array (years x regions x variables)."""

    def __init__(self, panel: Panel, regions: list[str], year: int | None) -> None:
        wanted = {v for it in _all_items() for v in (it[3], it[4]) if v} | {"gdp"}
        self.variables = sorted(wanted & set(panel.variables))
        arr = panel.to_array(self.variables, regions=regions)
        keep = [i for i, y in enumerate(arr.years) if year is None or y <= year]
        self.years = [arr.years[i] for i in keep]
        self.values = arr.values[keep]
        self.regions = regions
        cat = panel.catalog
        self.sources = dict(zip(cat["variable"], cat["source"].astype(str), strict=True)) if "source" in cat else {}

    def get(self, v: str) -> np.ndarray:
        return self.values[:, :, self.variables.index(v)]

    def item(self, it: Item) -> tuple[np.ndarray, int]:
        """The item's values in the latest year with at least 80% of the regions covered."""
        num, den, scale = it[3], it[4], it[5]
        x = self.get(num) * scale
        if den:
            x = x / self.get(den)
        counts = np.sum(np.isfinite(x), axis=1)
        ok = np.nonzero(counts >= 0.8 * len(self.regions))[0]
        if not len(ok):
            raise InvestorError(f"item {it[0]} has no year with 80% of the provinces covered")
        return x[ok[-1]], self.years[ok[-1]]


def _all_items() -> list[Item]:
    return [it for c in COMMON.values() for it in c[2]] + [it for s in SECTORS.values() for it in s[3]]


def _items_frame(data: _Data, items: Sequence[Item], component: str, sector: str, notes: list[str]) -> pd.DataFrame:
    frames = []
    for it in items:
        iid, en, zh, num, den, _, unit, direction, proxy = it
        need = [num] + ([den] if den else [])
        missing = [v for v in need if v not in data.variables]
        if missing:
            note = f"{component}: item {iid} left out, variable(s) {', '.join(missing)} not in the panel"
            if note not in notes:
                notes.append(note)
            continue
        v, yr = data.item(it)
        src = ", ".join(dict.fromkeys(data.sources.get(x, "") for x in need))
        frames.append(pd.DataFrame({"region_code": data.regions, "sector": sector, "component": component,
                                    "item": iid, "name_en": en + (" (proxy)" if proxy else ""),
                                    "name_zh": zh + ("（代理指标）" if proxy else ""), "value": v, "unit": unit,
                                    "year": str(yr), "source": src, "proxy": proxy,
                                    "variables": "/".join(need), "normalised": _minmax(v, direction)}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _momentum(data: _Data) -> pd.DataFrame:
    if "gdp" not in data.variables:
        raise InvestorError("the panel has no gdp; import the provincial statistics first (nqpf data import)")
    gdp, yrs, regions = data.get("gdp"), data.years, data.regions
    ok = [i for i in range(len(yrs)) if np.sum(np.isfinite(gdp[i])) >= 0.8 * len(regions)]
    t1 = ok[-1]
    t0 = max(i for i in ok if yrs[i] <= yrs[t1] - 3) if any(yrs[i] <= yrs[t1] - 3 for i in ok) else ok[0]
    n = yrs[t1] - yrs[t0]
    v = 100 * ((gdp[t1] / gdp[t0]) ** (1 / max(n, 1)) - 1)
    src = data.sources.get("gdp", "")
    return pd.DataFrame({"region_code": regions, "sector": "*", "component": "momentum", "item": "gdp_growth",
                         "name_en": f"Nominal GRP growth per year {yrs[t0]}-{yrs[t1]}",
                         "name_zh": f"{yrs[t0]}-{yrs[t1]}年名义地区生产总值年均增长", "value": v, "unit": "% per year",
                         "year": f"{yrs[t0]}-{yrs[t1]}", "source": str(src), "proxy": False, "variables": "gdp",
                         "normalised": _minmax(v, 1)})


def check_weights(weights: Mapping[str, float] | None) -> tuple[dict[str, float], list[str]]:
    """Component weights: known names, non-negative, not all zero; rescaled to sum 1 (noted)."""
    w = dict(DEFAULT_WEIGHTS) if weights is None else {str(k): float(v) for k, v in weights.items()}
    unknown = set(w) - set(COMPONENTS)
    if unknown:
        raise InvestorError(f"unknown component(s) {', '.join(sorted(unknown))}; components: {', '.join(COMPONENTS)}")
    if any(not np.isfinite(v) or v < 0 for v in w.values()):
        raise InvestorError("component weights must be finite and non-negative")
    w = {c: w.get(c, 0.0) for c in COMPONENTS}
    tot = sum(w.values())
    if tot <= 0:
        raise InvestorError("at least one component weight must be positive")
    notes = [] if abs(tot - 1) < 1e-9 else [f"component weights rescaled to sum 1 (they summed to {tot:g})"]
    return {c: v / tot for c, v in w.items()}, notes


def investor_view(panel: Panel, exposure: pd.DataFrame, *, regions: Sequence[str] | None = None,
                  sectors: Sequence[str] | None = None, weights: Mapping[str, float] | None = None,
                  year: int | None = None, draws: int = 1000, noise: float = 0.25, exclusion: bool = True,
                  seed: int = 0) -> InvestorView:
    """The opportunity matrix from a panel and a tidy text-exposure table
    (:func:`sector_text_exposure`). ``year`` caps the statistics' year (default: latest).
    Rank intervals: ``draws`` Monte Carlo draws of weight noise (``noise``) and one-at-a-time
    component exclusion (``exclusion``), see :func:`weight_draws`."""
    from nqpf.regions import REGISTRY

    regs = list(regions) if regions is not None else [r.code for r in REGISTRY.provinces()]
    secs = list(sectors) if sectors is not None else list(SECTORS)
    bad = [s for s in secs if s not in SECTORS]
    if bad:
        raise InvestorError(f"unknown sector(s) {', '.join(bad)}; sectors: {', '.join(SECTORS)}")
    w, notes = check_weights(weights)
    data = _Data(panel, regs, year)
    frames = []
    for comp, (_, _, items) in COMMON.items():
        frames.append(_items_frame(data, items, comp, "*", notes))
    frames.append(_momentum(data))
    ex = exposure.copy()
    ex["region_code"] = ex["region_code"].astype(str)
    ex_years = sorted({int(y) for y in ex["year"]})
    for s in secs:
        en, zh, text_ids, items = SECTORS[s]
        frames.append(_items_frame(data, items, "strength", s, notes))
        wanted = [f"text_exposure_{t}" for t in text_ids]
        sub = ex[ex["variable"].isin(wanted)]
        per = sub.groupby(["region_code", "year"])["value"].sum().groupby("region_code").mean()
        v = per.reindex(regs).to_numpy(dtype=float)
        if np.isnan(v).any():
            miss = [r for r, x in zip(regs, v, strict=True) if np.isnan(x)]
            notes.append(f"policy ({s}): no work report for {', '.join(miss)}; their policy score is left out")
        frames.append(pd.DataFrame({"region_code": regs, "sector": s, "component": "policy",
                                    "item": "+".join(text_ids), "name_en": f"Work-report exposure: {en}",
                                    "name_zh": f"政府工作报告文本测度：{zh}", "value": v,
                                    "unit": "matches per 10,000 characters",
                                    "year": "-".join(map(str, [ex_years[0], ex_years[-1]])) if ex_years else "",
                                    "source": "provincial government work reports (text/gwr_provincial), "
                                              "nqpf.innovation taxonomy", "proxy": False,
                                    "variables": "+".join(wanted), "normalised": _minmax(v, 1)}))
    items_df = pd.concat([f for f in frames if len(f)], ignore_index=True)
    gaps = items_df[items_df["value"].isna() & (items_df["component"] != "policy")]
    for (comp_name, item), g in gaps.groupby(["component", "item"], sort=False):
        note = (f"{comp_name}: {item} has no value for {', '.join(sorted(set(g['region_code'])))}; "
                "their component is the mean of its other items")
        if note not in notes:
            notes.append(note)
    cs = items_df.groupby(["region_code", "sector", "component"], sort=False)["normalised"].mean().reset_index()
    cs = cs.rename(columns={"normalised": "score"})
    meta = items_df.groupby(["sector", "component"], sort=False).agg(
        items=("item", lambda x: "; ".join(dict.fromkeys(x))),
        sources=("source", lambda x: "; ".join(dict.fromkeys(x))),
        years=("year", lambda x: "; ".join(dict.fromkeys(x))), proxy=("proxy", "any")).reset_index()
    cs = cs.merge(meta, on=["sector", "component"], how="left")
    common = cs[cs["sector"] == "*"]
    rows = [common.assign(sector=s) for s in secs]
    full = pd.concat([cs[cs["sector"] != "*"], *rows], ignore_index=True)
    cube = np.full((len(regs), len(secs), len(COMPONENTS)), np.nan)
    ri = pd.Index(regs).get_indexer(pd.Index(full["region_code"]))
    si = pd.Index(secs).get_indexer(pd.Index(full["sector"]))
    ci = pd.Index(list(COMPONENTS)).get_indexer(pd.Index(full["component"]))
    cube[ri, si, ci] = full["score"].to_numpy()
    wv = np.array([w[c] for c in COMPONENTS])
    absent = [c for k, c in enumerate(COMPONENTS) if wv[k] > 0 and np.isnan(cube[:, :, k]).all()]
    if absent:
        notes.append(f"component(s) {', '.join(absent)} have no data; the others are reweighted")
    for j, sec in enumerate(secs):  # a province without any item of a component: the others are reweighted
        for k, comp in enumerate(COMPONENTS):
            gone = [regs[i] for i in np.nonzero(np.isnan(cube[:, j, k]))[0]] if wv[k] > 0 and comp not in absent else []
            if len(gone) == len(regs):
                notes.append(f"{comp} ({sec}): no item in the data for any province; the other components are "
                             "reweighted")
            elif gone:
                notes.append(f"{comp} ({sec}): no item for {', '.join(gone)}; their opportunity reweights the "
                             "other components")
    opp = _weighted(cube, wv[None, :])[0]
    ranks = _ranks(opp)
    wd, excluded = weight_draws(wv, draws, noise=noise, exclusion=exclusion, seed=seed)
    sims = _weighted(cube, wd)                       # (draws, R, S): one batched product over the draw axis
    sim_ranks = _ranks(sims)
    p05, p50, p95 = np.nanpercentile(sim_ranks, [5, 50, 95], axis=0)
    unc = pd.DataFrame({"region_code": np.repeat(regs, len(secs)), "sector": np.tile(secs, len(regs)),
                        "rank": ranks.reshape(-1), "rank_p05": p05.reshape(-1), "rank_median": p50.reshape(-1),
                        "rank_p95": p95.reshape(-1)})
    n_ex = int(np.sum(excluded >= 0))
    notes.append(f"rank intervals: {draws} draws (seed {seed}), weights x U(1-{noise:g}, 1+{noise:g})"
                 + (f", one component left out in {n_ex} draws (one at a time)" if exclusion else "")
                 + "; 5th-95th percentile of the ranks")
    idx = pd.Index(regs, name="region_code")
    return InvestorView(matrix=pd.DataFrame(opp, index=idx, columns=secs),
                        ranks=pd.DataFrame(ranks, index=idx, columns=secs), scores=full, items=items_df,
                        weights=w, uncertainty=unc, notes=notes,
                        draws=pd.DataFrame({"draw": np.arange(draws),
                                            "excluded": [COMPONENTS[k] if k >= 0 else "" for k in excluded],
                                            **{f"w_{c}": wd[:, k] for k, c in enumerate(COMPONENTS)}}))


def weight_draws(wv: np.ndarray, draws: int, *, noise: float = 0.25, exclusion: bool = True,
                 seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(draws, C)`` component weights and the component each draw leaves out (-1: none).

    The factors of the robustness analysis (:mod:`nqpf.robustness.spec`; Saisana, Saltelli &
    Tarantola 2005): multiplicative noise ``1 + U(-noise, noise)`` on every positive weight and,
    with ``exclusion``, one-at-a-time exclusion (levels: none, then each positive-weight
    component, equally likely). Weights are renormalised to sum 1 in every draw."""
    from nqpf.robustness.spec import Exclusion, WeightNoise

    if draws < 1 or not 0 <= noise < 1:
        raise InvestorError(f"draws must be >= 1 and 0 <= noise < 1, got draws={draws}, noise={noise}")
    rng = np.random.default_rng(seed)
    pos = np.nonzero(wv > 0)[0]
    factors = WeightNoise(range=noise).factors(rng.random((draws, len(wv))))
    wd = wv[None, :] * factors
    excluded = np.full(draws, -1)
    if exclusion and len(pos) > 1:
        mask = Exclusion(mode="one_at_a_time", indicators=tuple(map(str, pos))).mask(rng.random((draws, 1)))
        hit = mask.any(axis=1)
        excluded[hit] = pos[np.argmax(mask[hit], axis=1)]
        wd[hit, excluded[hit]] = 0.0
    return wd / wd.sum(axis=1, keepdims=True), excluded


def _weighted(cube: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted mean of components (last axis of ``cube``, (R, S, C)) for each weight row of
    ``w`` (D, C), skipping missing components and reweighting: (D, R, S)."""
    ok = np.isfinite(cube)
    x = np.where(ok, cube, 0.0)
    num = np.einsum("rsc,dc->drs", x, w)
    den = np.einsum("rsc,dc->drs", ok.astype(float), w)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)


def _ranks(a: np.ndarray) -> np.ndarray:
    """Ranks over the regions axis (-2), 1 = best."""
    from nqpf.index.result import ranks_of

    return np.swapaxes(ranks_of(np.swapaxes(a, -1, -2)), -1, -2)

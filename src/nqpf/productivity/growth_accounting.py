"""TFP by growth accounting: the Solow (1957) residual.

    g_A = g_Y - α g_K - (1 - α) g_L

with g the log growth rates of real GDP Y, capital stock K (perpetual inventory) and labour L,
and α the capital share, set by the user or estimated under constant returns from the
two-way fixed-effects regression ln(Y/L) = α ln(K/L) + μ_i + λ_t + e (a standard
production-function estimate; see e.g. 张军 2002 and Hsieh and Klenow 2009 on α for China).

Real GDP: nominal GDP of the base year chained with the real GDP index (previous year = 100).
Labour: employed persons in urban units; its 2012→2013 frame break (variables.csv) makes the
2013 labour growth meaningless, so growth in a break year is left out (NaN) and flagged.
National figures sum the provinces (Y and K at base-year prices, L in persons).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from nqpf.errors import ValidationError
from nqpf.panel import Panel
from nqpf.productivity.capital import CapitalStockResult, PerpetualInventory
from nqpf.productivity.inputs import long_table, series

#: years whose labour growth crosses a statistical break (employed_urban_units, 2012→2013)
LABOUR_BREAKS = (2013,)

LITERATURE_TFP_BAND = (-0.01, 0.02)
"""Plausible mean national TFP growth a year for China in the 2010s (log growth, 0.01 = 1 %).

Lower end: Wu, Harry X. (2016), "China's Institutional Impediments to Productivity Growth", in
*Structural Change in China: Implications for Australia and the World*, Reserve Bank of Australia
Annual Conference Volume 2016: aggregate TFP growth turned negative over 2007-2012 in the China
Industrial Productivity (CIP) database, about -0.9 percentage points a year since 2007 as
summarised by The Economist ("Unproductive production", 11 October 2014).
Within: The Conference Board China Center (2014), *Chinese Total Factor Productivity growth appears
to have flat-lined*: 3.1 % a year in 2007-2011, 0.6 % in 2012, 0.0 % in 2013 (Total Economy Database);
Brandt, Litwack, Mileva, Wang, Zhang and Zhao (2020), World Bank Policy Research Working Paper 9298,
*China's Productivity Slowdown and Future Growth Potential*: TFP growth "declined markedly" after 2008.
Upper end: Tian, Xu and Yu, Xiaohua (2012), "The enigmas of TFP in China: a meta-analysis",
*China Economic Review* 23: the mean aggregate TFP growth over 150 studies (5,308 estimates) is
about 2 % a year after 1978, a period of faster growth than the 2010s.
"""


def real_gdp(panel: Panel, base_year: int = 2010, index: str = "gdp_index_rev2025",
             regions: list[str] | None = None) -> pd.DataFrame:
    """Real GDP ``year x region`` in 100 million yuan at ``base_year`` prices: nominal ``gdp``
    of the base year chained with ``index`` (previous year = 100). ``gdp_index_rev2025`` is the
    same (2025) vintage as ``gdp``; ``gdp_index`` is the older c.2020 vintage (to 2019)."""
    nominal = series(panel, "gdp", regions)
    idx = series(panel, index, list(nominal.columns))
    if base_year not in nominal.index:
        raise ValidationError(f"no gdp in base year {base_year}")
    years = [y for y in range(base_year + 1, int(idx.index.max()) + 1) if y in idx.index]
    out = {base_year: nominal.loc[base_year]}
    for y in years:
        if y - 1 not in out:
            break
        out[y] = out[y - 1] * idx.loc[y] / 100
    return pd.DataFrame(out).T.rename_axis("year")


def estimate_capital_share(y: pd.DataFrame, k: pd.DataFrame, labour: pd.DataFrame) -> tuple[float, float]:
    """α and its entity-clustered SE from ln(Y/L) = α ln(K/L) + μ_i + λ_t (linearmodels PanelOLS)."""
    from linearmodels.panel import PanelOLS

    d = long_table({"lyl": (y / labour).apply(np.log), "lkl": (k / labour).apply(np.log)}, "region")
    d = d.dropna().set_index(["region", "year"]).sort_index()
    res = PanelOLS(d["lyl"], d[["lkl"]], entity_effects=True, time_effects=True).fit(
        cov_type="clustered", cluster_entity=True)
    return float(res.params["lkl"]), float(res.std_errors["lkl"])


@dataclass
class GrowthAccountingResult:
    """Solow residual by region and year, and nationally.

    Attributes: ``tfp_growth``, ``gdp_growth``, ``capital_growth``, ``labour_growth``
    (``year x region``, log growth, per year); ``national`` (year-indexed frame with the same
    four columns for the sum of provinces); ``capital_share`` α; ``capital_share_se`` (NaN if
    set); ``flags`` (region_code, year, note); ``capital`` (the stock used).
    """

    tfp_growth: pd.DataFrame
    gdp_growth: pd.DataFrame
    capital_growth: pd.DataFrame
    labour_growth: pd.DataFrame
    national: pd.DataFrame
    capital_share: float
    capital_share_se: float
    flags: pd.DataFrame
    capital: CapitalStockResult
    params: dict[str, object] = field(default_factory=dict)

    def mean_national_growth(self, start: int, end: int) -> float:
        """Mean annual national TFP growth over the growth years start+1..end (break years left out)."""
        s = self.national.loc[start + 1:end, "tfp_growth"].dropna()
        return float(s.mean())

    def tfp_level(self) -> pd.DataFrame:
        """TFP index (first year = 1) per region, chaining exp(g_A); break years carry 0 growth."""
        return self.tfp_growth.fillna(0).cumsum().apply(np.exp)

    def to_tidy(self) -> pd.DataFrame:
        """Long table: region_code, year, tfp_growth, gdp_growth, capital_growth, labour_growth."""
        parts = {"tfp_growth": self.tfp_growth, "gdp_growth": self.gdp_growth,
                 "capital_growth": self.capital_growth, "labour_growth": self.labour_growth}
        out = long_table(parts)
        nat = self.national.reset_index().assign(region_code="100000")
        out = pd.concat([out, nat[out.columns]], ignore_index=True)
        out["capital_share"] = self.capital_share
        return out[["region_code", "year", *parts, "capital_share"]].sort_values(["region_code", "year"]).reset_index(drop=True)

    @property
    def summary(self) -> str:
        """Capital share and national mean growth rates."""
        n = self.national.dropna()
        se = "" if np.isnan(self.capital_share_se) else f" (SE {self.capital_share_se:.3f})"
        return "\n".join([
            f"Growth accounting (Solow residual) / 增长核算: α = {self.capital_share:.3f}{se}",
            f"national mean growth {n.index.min()}-{n.index.max()} (log, per year; break years left out):",
            f"  GDP {n['gdp_growth'].mean():.4f}, K {n['capital_growth'].mean():.4f}, "
            f"L {n['labour_growth'].mean():.4f}, TFP {n['tfp_growth'].mean():.4f}",
        ])


@dataclass
class GrowthAccounting:
    """Solow residual. ``capital_share``: a float in (0, 1) or ``"estimate"``; ``gdp_index``:
    the real GDP index variable; ``capital``: a :class:`PerpetualInventory` (default Zhang et
    al. 2004 settings); ``labour_breaks``: years whose labour growth is left out; ``labour``:
    the employment variables summed into L (default urban-unit employment, the only series
    with every year; ``("employed_urban_units", "nbs_employed_private_individual")`` adds the
    NBS private-enterprise and self-employed count, raw export to 2019)."""

    capital_share: float | str = 0.5
    gdp_index: str = "gdp_index_rev2025"
    capital: PerpetualInventory = field(default_factory=PerpetualInventory)
    labour_breaks: tuple[int, ...] = LABOUR_BREAKS
    labour: tuple[str, ...] = ("employed_urban_units",)

    def fit(self, panel: Panel, regions: list[str] | None = None) -> GrowthAccountingResult:
        """Compute the residual on the real series in ``panel``."""
        cap = self.capital.fit(panel, regions)
        k = cap.stock
        y = real_gdp(panel, self.capital.base_year, self.gdp_index, list(k.columns))
        lab = sum((series(panel, v, list(k.columns)) for v in self.labour[1:]),
                  series(panel, self.labour[0], list(k.columns)))
        years = sorted(set(k.index) & set(y.index) & set(lab.dropna(how="all").index))
        k, y, lab = k.loc[years], y.loc[years], lab.loc[years]
        if isinstance(self.capital_share, str):
            if self.capital_share != "estimate":
                raise ValidationError(f"capital_share must be a number in (0, 1) or 'estimate', got {self.capital_share!r}")
            alpha, se = estimate_capital_share(y, k, lab)
        else:
            alpha, se = float(self.capital_share), float("nan")
        if not 0 < alpha < 1:
            raise ValidationError(f"capital share must lie in (0, 1), got {alpha:.3f}; set capital_share=")
        gy, gk, gl = (f.apply(np.log).diff() for f in (y, k, lab))
        flags = []
        for b in self.labour_breaks:
            if b in gl.index:
                gl.loc[b] = np.nan
                flags.append({"region_code": "all", "year": b,
                              "note": "employed_urban_units frame break 2012->2013: growth left out"})
        ga = gy - alpha * gk - (1 - alpha) * gl
        ny, nk, nl = (f.sum(axis=1, min_count=f.shape[1]).apply(np.log).diff() for f in (y, k, lab))
        nl[nl.index.isin(self.labour_breaks)] = np.nan
        nat = pd.DataFrame({"tfp_growth": ny - alpha * nk - (1 - alpha) * nl, "gdp_growth": ny,
                            "capital_growth": nk, "labour_growth": nl})
        for yr in cap.extended_years:
            if yr in nat.index:
                flags.append({"region_code": "all", "year": yr, "note": "capital stock extended (see capital flags)"})
        return GrowthAccountingResult(
            tfp_growth=ga.iloc[1:], gdp_growth=gy.iloc[1:], capital_growth=gk.iloc[1:], labour_growth=gl.iloc[1:],
            national=nat.iloc[1:], capital_share=alpha, capital_share_se=se,
            flags=pd.DataFrame(flags, columns=["region_code", "year", "note"]), capital=cap,
            params={"gdp_index": self.gdp_index, "capital_share": self.capital_share})

"""Capital stock by the perpetual inventory method (PIM), Zhang Jun, Wu Guiying and Zhang Jipeng (2004).

    K_t = (1 - δ) K_{t-1} + I_t / P_t,        K_base = (I_base / P_base) / (g + δ)

with δ = 9.6 % (Zhang, Wu and Zhang 2004, 《中国省际物质资本存量估算：1952—2000》, 经济研究
2004(10)), I_t gross fixed capital formation at current prices (100 million yuan), P_t the
fixed-asset investment price index rebased to the base year, and g the average growth of real
investment (Hall and Jones 1999; Young 2003 use the same base-year rule). The stock is in
100 million yuan at base-year prices.

Data breaks (see docs/productivity.md): provincial GFCF ends in 2017 and the FAI price index
in 2019. Following the literature (and the CHNCapitalStock package), nominal investment after
2017 is extended with the growth of fixed-asset investment funds in place,
I_t = I_{t-1} (1 + r_t / 100), and the deflator after 2019 with the CPI (or held flat). Every
extended cell is flagged in :attr:`CapitalStockResult.flags`; nothing is extrapolated silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from nqpf.errors import ValidationError
from nqpf.panel import Panel
from nqpf.productivity.inputs import long_table, series

ZHANG_DEPRECIATION = 0.096
ExtensionDeflator = Literal["cpi", "hold"]


def perpetual_inventory(real_investment: np.ndarray, depreciation: float = ZHANG_DEPRECIATION,
                        growth: np.ndarray | float | None = None,
                        initial: np.ndarray | None = None) -> np.ndarray:
    """Capital stock ``(T, R)`` from real investment ``(T, R)`` (same units, base-year prices).

    The first row is the base year: ``K_0 = initial`` if given, else ``I_0 / (g + δ)``.
    ``growth`` defaults to the geometric mean growth of real investment over all rows.
    """
    inv = np.asarray(real_investment, dtype=float)
    if inv.ndim == 1:
        inv = inv[:, None]
    if not 0 <= depreciation < 1:
        raise ValidationError(f"depreciation must be in [0, 1), got {depreciation}")
    if initial is None:
        g = investment_growth(inv) if growth is None else np.broadcast_to(np.asarray(growth, float), inv.shape[1:])
        denom = g + depreciation
        if np.any(denom <= 0):
            raise ValidationError(
                f"g + δ must be positive for the base-year stock, got {np.round(denom, 4).tolist()}; "
                "set growth= or depreciation= to other values")
        k0 = inv[0] / denom
    else:
        k0 = np.asarray(initial, dtype=float)
    out = np.empty_like(inv)
    out[0] = k0
    for t in range(1, inv.shape[0]):
        out[t] = (1 - depreciation) * out[t - 1] + inv[t]
    return out


def investment_growth(real_investment: np.ndarray) -> np.ndarray:
    """Geometric mean annual growth of real investment per column: (I_T / I_0)^(1/T) - 1."""
    inv = np.asarray(real_investment, dtype=float)
    n = inv.shape[0] - 1
    if n < 1:
        raise ValidationError("the growth of investment needs at least two years; set growth=")
    return np.asarray((inv[-1] / inv[0]) ** (1.0 / n) - 1.0)


@dataclass
class CapitalStockResult:
    """A capital-stock estimate.

    Attributes: ``stock``, ``real_investment``, ``nominal_investment``, ``deflator``
    (``year x region_code``; stock and investment in 100 million yuan at ``base_year``
    prices), ``flags`` (one row per extended or imputed cell: region_code, year, what,
    method), ``growth`` (g per region used for the base-year stock), ``params``.
    """

    stock: pd.DataFrame
    real_investment: pd.DataFrame
    nominal_investment: pd.DataFrame
    deflator: pd.DataFrame
    growth: pd.Series
    flags: pd.DataFrame
    params: dict[str, object] = field(default_factory=dict)

    def to_tidy(self) -> pd.DataFrame:
        """Long table: region_code, year, capital_stock, real_investment, nominal_investment,
        deflator, investment_source, deflator_source."""
        cols = {"capital_stock": self.stock, "real_investment": self.real_investment,
                "nominal_investment": self.nominal_investment, "deflator": self.deflator}
        out = long_table(cols)
        out["investment_source"] = "gfcf (observed)"
        out["deflator_source"] = "FAI price index (observed)"
        for _, f in self.flags.iterrows():
            m = (out["region_code"] == f["region_code"]) & (out["year"] == f["year"])
            col = "investment_source" if f["what"] == "investment" else "deflator_source"
            out.loc[m, col] = f["method"]
        return out[["region_code", "year", *cols, "investment_source", "deflator_source"]].sort_values(
            ["region_code", "year"]).reset_index(drop=True)

    @property
    def extended_years(self) -> list[int]:
        """Years in which at least one cell is extended (not observed)."""
        return sorted({int(y) for y in self.flags["year"]}) if len(self.flags) else []

    @property
    def summary(self) -> str:
        """A few lines: parameters, years, extension, national totals."""
        p = self.params
        tot = self.stock.sum(axis=1)
        ext = self.extended_years
        lines = [
            f"Capital stock (perpetual inventory, Zhang et al. 2004) / 资本存量（永续盘存法）: "
            f"δ = {p['depreciation']}, base year {p['base_year']}, g = {p['growth_rule']}",
            f"years {self.stock.index.min()}-{self.stock.index.max()}, {self.stock.shape[1]} regions, "
            f"100 million yuan at {p['base_year']} prices",
            f"extended years / 外推年份: {ext[0]}-{ext[-1]} ({len(self.flags)} flagged cells)" if ext
            else "no extension / 无外推",
            f"sum of provinces {tot.index[0]}: {tot.iloc[0]:,.0f}; {tot.index[-1]}: {tot.iloc[-1]:,.0f}",
        ]
        return "\n".join(lines)


@dataclass
class PerpetualInventory:
    """Perpetual-inventory capital stock from the real series (Zhang, Wu and Zhang 2004).

    Parameters: ``depreciation`` δ (default 0.096); ``base_year``; ``growth`` g for the
    base-year stock (None: geometric mean growth of real GFCF over the observed GFCF years,
    per region; a float: the same g everywhere); ``end_year`` (None: the last year that can
    be built: GFCF extended with FAI funds-in-place growth); ``extension_deflator`` for years
    after the FAI price index ends: ``"cpi"`` (chained CPI, previous year = 100) or ``"hold"``
    (deflator held at its last observed value); ``extend`` False stops at the observed data.
    """

    depreciation: float = ZHANG_DEPRECIATION
    base_year: int = 2010
    growth: float | None = None
    end_year: int | None = None
    extension_deflator: ExtensionDeflator = "cpi"
    extend: bool = True

    def fit(self, panel: Panel, regions: list[str] | None = None) -> CapitalStockResult:
        """Build the stock from ``gfcf``, ``investment_price_index_1952`` and, for the
        extension, ``fai_funds_in_place_growth`` and ``cpi`` in ``panel``."""
        if self.extension_deflator not in ("cpi", "hold"):
            raise ValidationError(f"extension_deflator must be 'cpi' or 'hold', got {self.extension_deflator!r}")
        inv = series(panel, "gfcf", regions)
        price = series(panel, "investment_price_index_1952", regions)
        regs = list(inv.columns)
        last_inv = int(inv.dropna(how="all").index.max())
        last_price = int(price.dropna(how="all").index.max())
        if self.base_year not in inv.index or inv.loc[self.base_year].isna().all():
            raise ValidationError(f"base_year {self.base_year} has no gfcf; choose a year in "
                                  f"{int(inv.index.min())}-{last_inv}")
        flags: list[dict[str, object]] = []
        ends = [last_inv]
        if self.extend:
            fai = series(panel, "fai_funds_in_place_growth", regs)
            ends.append(int(fai.dropna(how="all").index.max()))
        end = self.end_year if self.end_year is not None else max(ends)
        if end < self.base_year:
            raise ValidationError(f"end_year {end} is before base_year {self.base_year}")
        if end > last_inv and not self.extend:
            raise ValidationError(f"end_year {end} is after the last gfcf year {last_inv}; set extend=True")
        years = list(range(self.base_year, end + 1))
        nominal = inv.reindex(years)
        if end > last_inv:
            for y in range(last_inv + 1, end + 1):
                if y not in fai.index:
                    raise ValidationError(f"no fai_funds_in_place_growth for {y}: the stock can be "
                                          f"extended to {int(fai.dropna(how='all').index.max())} at most")
                nominal.loc[y] = nominal.loc[y - 1] * (1 + fai.loc[y] / 100)
                flags += [{"region_code": r, "year": y, "what": "investment",
                           "method": f"gfcf {last_inv} x FAI funds-in-place growth (extended)"} for r in regs]
        defl = price.reindex(years)
        if end > last_price:
            cpi = series(panel, "cpi", regs) if self.extension_deflator == "cpi" else None
            for y in range(last_price + 1, end + 1):
                if cpi is not None:
                    if y not in cpi.index or cpi.loc[y].isna().any():
                        raise ValidationError(f"no cpi for {y} to extend the deflator; use extension_deflator='hold'")
                    defl.loc[y] = defl.loc[y - 1] * cpi.loc[y] / 100
                    how = f"FAI price index {last_price} x chained CPI (extended)"
                else:
                    defl.loc[y] = defl.loc[y - 1]
                    how = f"FAI price index held at {last_price} (extended)"
                flags += [{"region_code": r, "year": y, "what": "deflator", "method": how} for r in regs]
        defl = defl / defl.loc[self.base_year]
        missing = nominal.isna() | defl.isna()
        if missing.to_numpy().any():
            yi, ri = np.nonzero(missing.to_numpy())
            cells = ", ".join(f"{regs[int(r)]} {years[int(y)]}" for y, r in zip(yi[:5], ri[:5], strict=True))
            raise ValidationError(f"investment or deflator missing for {len(yi)} cells ({cells}); "
                                  "choose regions or years with data")
        real = nominal / defl
        obs = real.loc[self.base_year:last_inv].to_numpy()
        if self.growth is None:
            g = investment_growth(obs)
            rule = f"mean growth of real gfcf {self.base_year}-{last_inv}, per region"
        else:
            g = np.full(len(regs), float(self.growth))
            rule = f"{self.growth} (set)"
        k = perpetual_inventory(real.to_numpy(), self.depreciation, growth=g)
        stock = pd.DataFrame(k, index=pd.Index(years, name="year"), columns=regs)
        return CapitalStockResult(
            stock=stock, real_investment=real, nominal_investment=nominal, deflator=defl,
            growth=pd.Series(g, index=regs, name="g"),
            flags=pd.DataFrame(flags, columns=["region_code", "year", "what", "method"]),
            params={"depreciation": self.depreciation, "base_year": self.base_year, "growth_rule": rule,
                    "extension_deflator": self.extension_deflator, "last_gfcf_year": last_inv,
                    "last_price_year": last_price, "end_year": end},
        )

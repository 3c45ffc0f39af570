"""The whole productivity run on a real panel: capital stock, growth-accounting TFP, DEA
efficiency per year (CCR, BCC, CCR super-efficiency, green SBM) and the Malmquist and
Malmquist-Luenberger indices.

DEA inputs: capital stock (perpetual inventory), labour (employed persons in urban units) and
total energy consumption; desirable output: real GDP; undesirable output: CO2. Units with a
missing value in a year are left out of that year and listed in ``flags``; the Malmquist
indices use the units complete in every year.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from nqpf.errors import ValidationError
from nqpf.panel import Panel
from nqpf.productivity.capital import PerpetualInventory
from nqpf.productivity.dea import DEA
from nqpf.productivity.growth_accounting import GrowthAccounting, GrowthAccountingResult, real_gdp
from nqpf.productivity.inputs import long_table, series
from nqpf.productivity.malmquist import Malmquist, MalmquistResult

INPUTS = ("capital_stock", "employed_urban_units", "energy_consumption_total")


@dataclass
class ProductivityRun:
    """Outputs of :func:`measure`: ``growth`` (with ``growth.capital``), ``efficiency`` (tidy:
    region_code, year, model, efficiency, status), ``malmquist``, ``luenberger``, ``flags``
    (what was left out or extended, one line each), ``data`` (the DEA inputs, tidy)."""

    growth: GrowthAccountingResult
    efficiency: pd.DataFrame
    malmquist: MalmquistResult
    luenberger: MalmquistResult
    data: pd.DataFrame
    flags: list[str] = field(default_factory=list)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Named tidy tables as written to the run folder."""
        return {
            "capital_stock": self.growth.capital.to_tidy(),
            "capital_flags": self.growth.capital.flags,
            "tfp_growth_accounting": self.growth.to_tidy(),
            "efficiency": self.efficiency,
            "malmquist": self.malmquist.to_tidy().rename(columns={"unit": "region_code"}),
            "malmquist_luenberger": self.luenberger.to_tidy().rename(columns={"unit": "region_code"}),
            "dea_inputs": self.data,
        }


def dea_data(panel: Panel, capital: pd.DataFrame, base_year: int = 2010,
             gdp_index: str = "gdp_index_rev2025") -> pd.DataFrame:
    """Tidy DEA data: region_code, year, capital_stock, employed_urban_units,
    energy_consumption_total, real_gdp, co2_emissions (NaN where missing)."""
    regs = list(capital.columns)
    y = real_gdp(panel, base_year, gdp_index, regs)
    frames = {"capital_stock": capital, "employed_urban_units": series(panel, "employed_urban_units", regs),
              "energy_consumption_total": series(panel, "energy_consumption_total", regs),
              "real_gdp": y, "co2_emissions": series(panel, "co2_emissions", regs)}
    years = sorted(set(capital.index) & set(y.index))
    out = long_table({k: f.reindex(years) for k, f in frames.items()})
    return out[["region_code", "year", *frames]]


def measure(panel: Panel, start: int = 2011, end: int = 2019, *,
            capital: PerpetualInventory | None = None, capital_share: float | str = 0.5,
            backend: str = "highs", workers: int = 2, labour: tuple[str, ...] | None = None,
            progress: Callable[[str], None] | None = None) -> ProductivityRun:
    """Run every productivity measure on ``panel`` for the years ``start..end`` (``labour``: the
    employment variables summed into growth accounting's L; default urban-unit employment)."""
    if end <= start:
        raise ValidationError(f"end year {end} must be after start year {start}")
    step = progress or (lambda _m: None)
    step("capital stock and growth accounting / 资本存量与增长核算")
    ga_model = GrowthAccounting(capital_share=capital_share, capital=capital or PerpetualInventory())
    if labour:
        ga_model.labour = tuple(labour)
    ga = ga_model.fit(panel)
    data = dea_data(panel, ga.capital.stock, int(ga.capital.params["base_year"]))  # type: ignore[call-overload]
    data = data[data["year"].between(start, end)]
    have = sorted(data["year"].unique())
    if not have or have[0] > start or have[-1] < end:
        raise ValidationError(f"DEA data cover {have[0] if have else '-'}-{have[-1] if have else '-'}; "
                              f"choose start/end within that range")
    flags: list[str] = [f"capital stock extended {ga.capital.extended_years[0]}-{ga.capital.extended_years[-1]} "
                        "(see capital_flags)"] if ga.capital.extended_years else []
    flags += [f"growth accounting {r['year']}: {r['note']}" for _, r in ga.flags.iterrows()
              if "extended" not in str(r["note"])]
    rows = []
    models = {"ccr": DEA("ccr"), "bcc": DEA("bcc"), "ccr_super": DEA("ccr", super_efficiency=True)}
    for yr in range(start, end + 1):
        step(f"DEA {yr}")
        d = data[data["year"] == yr].set_index("region_code")
        radial = d[[*INPUTS, "real_gdp"]].dropna()
        for left in sorted(set(d.index) - set(radial.index)):
            flags.append(f"DEA {yr}: {left} left out (missing input or output)")
        X, Y = radial[list(INPUTS)].to_numpy().T, radial[["real_gdp"]].to_numpy().T
        for name, model in models.items():
            r = model.fit(X, Y, units=list(radial.index))
            rows.append(r.to_tidy().assign(year=yr, model=name))
        green = d[[*INPUTS, "real_gdp", "co2_emissions"]].dropna()
        for left in sorted(set(d.index) - set(green.index)):
            flags.append(f"green SBM {yr}: {left} left out (missing CO2 or input)")
        r = DEA("sbm").fit(green[list(INPUTS)].to_numpy().T, green[["real_gdp"]].to_numpy().T,
                           green[["co2_emissions"]].to_numpy().T, units=list(green.index))
        rows.append(r.to_tidy().assign(year=yr, model="sbm_green"))
    eff = pd.concat(rows, ignore_index=True).rename(columns={"unit": "region_code"})
    eff = eff[["region_code", "year", "model", "efficiency", "status"]]

    def cube(cols: list[str]) -> tuple[np.ndarray, list[str]]:
        w = data.set_index(["year", "region_code"])[cols]
        complete = w.dropna().groupby(level="region_code").size()
        regs = sorted(complete.index[complete == end - start + 1])
        arr = np.stack([w.xs(y, level="year").loc[regs].to_numpy().T for y in range(start, end + 1)])
        return arr, regs

    step("Malmquist / 曼奎斯特指数")
    arr, regs = cube([*INPUTS, "real_gdp"])
    mq = Malmquist("malmquist", backend, workers).fit(arr[:, :3], arr[:, 3:], years=range(start, end + 1), units=regs)
    step("Malmquist-Luenberger / ML指数")
    arr, regs_g = cube([*INPUTS, "real_gdp", "co2_emissions"])
    ml = Malmquist("luenberger", "dask" if backend == "dask" else "highs", workers).fit(
        arr[:, :3], arr[:, 3:4], arr[:, 4:], years=range(start, end + 1), units=regs_g)
    for gone in sorted(set(regs) - set(regs_g)):
        flags.append(f"Malmquist-Luenberger: {gone} left out (no CO2)")
    if len(ml.infeasible):
        flags.append(f"Malmquist-Luenberger: {len(ml.infeasible)} infeasible cross-period programs (NaN)")
    if 2013 in range(start + 1, end + 1):
        flags.append("Malmquist 2013: labour input crosses the 2012->2013 frame break of employed_urban_units")
    return ProductivityRun(ga, eff, mq, ml, data, flags)

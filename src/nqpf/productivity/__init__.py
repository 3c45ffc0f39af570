"""Productivity: capital stock (perpetual inventory), growth-accounting TFP, DEA efficiency
(CCR, BCC, super-efficiency, SBM with undesirable outputs) and Malmquist /
Malmquist-Luenberger indices, all linear programs solved by HiGHS."""

from nqpf.productivity.capital import CapitalStockResult, PerpetualInventory, perpetual_inventory
from nqpf.productivity.dea import DEA, DEAResult
from nqpf.productivity.growth_accounting import GrowthAccounting, GrowthAccountingResult
from nqpf.productivity.malmquist import Malmquist, MalmquistResult
from nqpf.productivity.measure import ProductivityRun, measure

__all__ = ["DEA", "CapitalStockResult", "DEAResult", "GrowthAccounting", "GrowthAccountingResult", "Malmquist",
           "MalmquistResult", "PerpetualInventory", "ProductivityRun", "measure", "perpetual_inventory"]

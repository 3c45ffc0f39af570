"""Does NQPF raise high-quality development? Panel regressions of the HQD index and its four
channels on the NQPF index: two-way fixed effects, robustness checks, mediation, Hansen (1999)
threshold, and publication tables."""

from nqpf.linkage.fe import FEResults, TwoWayFE
from nqpf.linkage.threshold import PanelThreshold, ThresholdResults

__all__ = ["FEResults", "PanelThreshold", "ThresholdResults", "TwoWayFE"]

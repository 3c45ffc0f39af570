"""Robustness of an index to its construction choices: Monte Carlo uncertainty, Sobol sensitivity, comparison.

>>> from nqpf.robustness import UncertaintySpec, uncertainty, sobol, compare
>>> spec = UncertaintySpec.from_dict({"factors": [{"step": "weighting", "choices": ["entropy", "equal"]},
...                                                {"step": "weight_noise", "range": 0.25}]}, result)
>>> ua = uncertainty(result, spec, n=10_000, seed=1)      # ua.ranks, ua.pairs, ua.draws, ua.summary
>>> sa = sobol(result, spec, n=1024, output="gap:east-west")
"""

from nqpf.robustness.compare import Comparison, compare
from nqpf.robustness.run import run_robustness
from nqpf.robustness.sobol import SobolResult, sobol, sobol_indices
from nqpf.robustness.spec import (
    Choice,
    Exclusion,
    FrameworkChoice,
    UncertaintySpec,
    UncertaintySpecError,
    WeightNoise,
    default_spec,
)
from nqpf.robustness.uncertainty import UncertaintyResult, uncertainty

__all__ = ["Choice", "Comparison", "Exclusion", "FrameworkChoice", "SobolResult", "UncertaintyResult",
           "UncertaintySpec", "UncertaintySpecError", "WeightNoise", "compare", "default_spec", "run_robustness",
           "sobol", "sobol_indices", "uncertainty"]

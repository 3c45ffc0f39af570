"""The closing note: what an index says about the four regional questions, in numbers.

Is the gap closing (sigma: the dispersion of ln y falls; beta: two-way fixed-effects beta < 0)?
Does the between-region term dominate the Dagum decomposition? Is there significant spatial
autocorrelation (global Moran's I, permutation p < 0.05)?
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from nqpf.regional.convergence import BetaConvergence, SigmaConvergence
from nqpf.regional.dagum import DagumGini
from nqpf.regional.spatial import GlobalAutocorrelation
from nqpf.regional.weights import SpatialWeights

__all__ = ["Findings", "findings"]


@dataclass
class Findings:
    """The answers with their numbers (attributes) and a bilingual ``note``."""

    name: str
    sigma: SigmaConvergence
    beta: BetaConvergence
    dagum: DagumGini
    moran: GlobalAutocorrelation

    @property
    def gap_closing(self) -> bool:
        """sigma and beta convergence both hold."""
        return self.sigma.converging and self.beta.converging

    @property
    def between_dominates_years(self) -> int:
        """Years in which net between-group is the largest Dagum term."""
        o = self.dagum.overall
        return int(((o["net_between"] > o["within"]) & (o["net_between"] > o["transvariation"])).sum())

    @property
    def significant_moran_years(self) -> int:
        """Years with Moran's I > 0 at p_sim < 0.05."""
        t = self.moran.table
        return int(((t["moran_i"] > 0) & (t["p_sim"] < 0.05)).sum())

    @property
    def note(self) -> str:
        """The closing note, English then Chinese."""
        s, b, o, m = self.sigma, self.beta, self.dagum.overall, self.moran.table
        f, last = s.table.iloc[0], s.table.iloc[-1]
        n_years = len(o)
        lines = [
            f"{self.name}: the gap is {'closing' if self.gap_closing else 'not clearly closing'}: "
            f"sd(ln y) {f['sd_log']:.3f} ({int(f['year'])}) -> {last['sd_log']:.3f} ({int(last['year'])}), "
            f"trend {s.slope_sd_log:+.4f}/yr (p {s.p_sd_log:.2g}); beta {b.beta:+.3f} (clustered se {b.se:.3f}, "
            f"p {b.p:.2g}), half-life {b.half_life:.1f} years.",
            f"Dagum: net between-region is the largest term in {self.between_dominates_years} of {n_years} years "
            f"({o['net_between_share'].iloc[0]:.1f}% in {int(o['year'].iloc[0])}, {o['net_between_share'].iloc[-1]:.1f}% "
            f"in {int(o['year'].iloc[-1])}; within {o['within_share'].iloc[-1]:.1f}%, transvariation "
            f"{o['transvariation_share'].iloc[-1]:.1f}%).",
            f"Moran's I is positive and significant (p_sim < 0.05) in {self.significant_moran_years} of {len(m)} years "
            f"(I = {m['moran_i'].iloc[0]:.3f} in {int(m['year'].iloc[0])}, {m['moran_i'].iloc[-1]:.3f} in "
            f"{int(m['year'].iloc[-1])}, p_sim {m['p_sim'].iloc[-1]:.3f}).",
            f"{self.name}：差距{'正在缩小' if self.gap_closing else '未明显缩小'}（σ与β收敛）；组间净差异在{self.between_dominates_years}/{n_years}"
            f"年为最大来源；{self.significant_moran_years}/{len(m)}年存在显著正空间自相关。",
        ]
        return "\n".join(lines)


def findings(data: Any, grouping: str | Mapping[str, Sequence[str]] = "nbs4", node: str | None = None,
             weights: SpatialWeights | None = None, n_boot: int = 199, permutations: int = 999,
             seed: int = 0) -> Findings:
    """Run sigma, beta, Dagum and global Moran on one series and collect the answers."""
    sig = SigmaConvergence(data, node=node)
    return Findings(sig.name, sig, BetaConvergence(data, node=node),
                    DagumGini(data, grouping, node=node, n_boot=n_boot, seed=seed),
                    GlobalAutocorrelation(data, weights, node=node, permutations=permutations, seed=seed))

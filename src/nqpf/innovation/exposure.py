"""Text-based NQPF exposure: term frequencies per sector, per document and per region-year.

Method (dictionary / word-frequency measurement, after Wu, Hu, Lin and Ren 2021,
《管理世界》37(7)): every document is normalised and matched leftmost-longest against the
taxonomy's forms (:mod:`nqpf.innovation.matching`). Per document and sector:

* ``count``: matches of the sector's forms;
* ``per_10k``: ``10,000 * count / n_chars`` (``n_chars``: non-space characters of the
  normalised text, markup and footers removed);
* ``log_count``: ``ln(1 + count)``, Wu et al.'s transformation;
* ``score``: ``per_10k`` min-max normalised over the documents of the run, in [0, 1].

Region-year panels pool documents: ``value = 10,000 * sum(count) / sum(n_chars)`` over the
documents of a region and year with both known (a length-weighted mean), as variables
``text_exposure_<sector>`` and scheme totals ``text_exposure_<scheme>``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain, repeat
from pathlib import Path

import numpy as np
import pandas as pd

from nqpf.innovation.corpus import CorpusFile, discover
from nqpf.innovation.file_counts import DocumentCounts, Failure, FileOutcome, process_file
from nqpf.innovation.matching import TermMatcher, normalize
from nqpf.innovation.phases import Phases
from nqpf.innovation.taxonomy import Taxonomy
from nqpf.panel import Panel

__all__ = [
    "DocumentCounts",
    "ExposureResult",
    "Failure",
    "FileOutcome",
    "Throughput",
    "build_matcher",
    "form_sectors",
    "measure_exposure",
    "process_file",
]


@dataclass(frozen=True)
class Throughput:
    """How fast a run went: bytes on disk over wall-clock seconds."""

    backend: str
    workers: int
    files: int
    documents: int
    bytes: int
    chars: int
    seconds: float

    @property
    def mb_per_s(self) -> float:
        """Megabytes (10^6 bytes) read per second."""
        return self.bytes / 1e6 / self.seconds if self.seconds > 0 else math.inf

    @property
    def mb_per_s_per_core(self) -> float:
        """Megabytes per second per worker."""
        return self.mb_per_s / max(self.workers, 1)

    def __str__(self) -> str:
        return (f"{self.files} files, {self.documents} documents, {self.bytes / 1e6:.1f} MB in {self.seconds:.2f} s: "
                f"{self.mb_per_s:.1f} MB/s, {self.mb_per_s_per_core:.1f} MB/s per core ({self.backend}, {self.workers} worker(s))")


class ExposureResult:
    """Per-document counts, failures and throughput of one run; tables and panels from them."""

    def __init__(self, taxonomy: Taxonomy, documents: Sequence[DocumentCounts], failures: Sequence[Failure], stats: Throughput,
                 phases: Phases | None = None) -> None:
        self.taxonomy = taxonomy
        self.document_counts = list(documents)
        self.failures = list(failures)
        self.stats = stats
        self.phases = phases if phases is not None else Phases()
        """Wall seconds per phase of the run: ``discover, matcher, start, run, close`` (Dask) or
        ``discover, matcher, run`` (local); see :mod:`nqpf.innovation.phases`."""
        self._form_sectors = form_sectors(taxonomy)

    # -- per document ----------------------------------------------------------------
    @property
    def documents(self) -> pd.DataFrame:
        """One row per document: ``doc_id, path, format, region_code, year, title, lang, n_chars, n_matches``."""
        rows = [(d.meta.doc_id, d.meta.path, d.meta.format, d.meta.region_code, d.meta.year, d.meta.title, d.meta.lang,
                 d.n_chars, sum(d.forms.values())) for d in self.document_counts]
        df = pd.DataFrame(rows, columns=["doc_id", "path", "format", "region_code", "year", "title", "lang", "n_chars", "n_matches"])
        df["year"] = df["year"].astype("Int64")
        return df

    def sector_counts(self) -> pd.DataFrame:
        """Wide matrix ``doc_id x sector`` of match counts (zeros included)."""
        sectors = list(self.taxonomy.sectors)
        idx = {s: i for i, s in enumerate(sectors)}
        forms = {f: k for k, f in enumerate(self._form_sectors)}
        incidence = np.zeros((len(forms) + 1, len(sectors)), dtype=np.int64)  # last row: a form of no sector
        for f, k in forms.items():
            for s in self._form_sectors[f]:
                incidence[k, idx[s]] = 1
        docs = self.document_counts
        codes = np.array(list(map(forms.get, chain.from_iterable(d.forms for d in docs), repeat(len(forms)))), dtype=np.intp)
        hits = np.fromiter(chain.from_iterable(d.forms.values() for d in docs), dtype=np.int64, count=len(codes))
        rows = np.repeat(np.arange(len(docs)), [len(d.forms) for d in docs])
        mat = np.zeros((len(docs), len(sectors)), dtype=np.int64)
        for j in range(len(sectors)):  # a form's hits count for each of its sectors, summed per document
            mat[:, j] = np.bincount(rows, weights=incidence[codes, j] * hits, minlength=len(docs)).round()
        return pd.DataFrame(mat, index=pd.Index([d.meta.doc_id for d in docs], name="doc_id"), columns=sectors)

    @property
    def counts(self) -> pd.DataFrame:
        """Tidy per document and sector: ``doc_id, scheme, sector, count, per_10k, log_count, score``."""
        wide = self.sector_counts()
        n_chars = pd.Series([d.n_chars for d in self.document_counts], index=wide.index, dtype=float)
        long = wide.reset_index().melt(id_vars="doc_id", var_name="sector", value_name="count")
        long["scheme"] = long["sector"].map({s.id: s.scheme for s in self.taxonomy.sectors.values()})
        chars = long["doc_id"].map(n_chars).where(lambda c: c > 0)
        long["per_10k"] = 1e4 * long["count"] / chars
        long["log_count"] = np.log1p(long["count"])
        g = long.groupby("sector")["per_10k"]
        lo, hi = g.transform("min"), g.transform("max")
        long["score"] = ((long["per_10k"] - lo) / (hi - lo)).where(hi > lo, 0.0)
        long.loc[long["per_10k"].isna(), "score"] = np.nan
        return long[["doc_id", "scheme", "sector", "count", "per_10k", "log_count", "score"]]

    @property
    def terms(self) -> pd.DataFrame:
        """Tidy per document and matched form: ``doc_id, form, sectors, count`` (only forms found)."""
        rows = [(d.meta.doc_id, f, ",".join(self._form_sectors.get(f, ())), n) for d in self.document_counts for f, n in d.forms.items()]
        return pd.DataFrame(rows, columns=["doc_id", "form", "sectors", "count"]).sort_values(["doc_id", "count"], ascending=[True, False], ignore_index=True)

    # -- aggregation -----------------------------------------------------------------
    def observations(self, *, schemes: bool = True) -> pd.DataFrame:
        """Region-year panel rows ``region_code, year, variable, value`` (per 10,000 characters).

        Documents without a region or year are left out; ``schemes`` adds scheme totals.
        """
        docs = self.documents
        wide = self.sector_counts().reset_index(drop=True)
        if schemes:
            for sch in self.taxonomy.schemes:
                cols = [s.id for s in self.taxonomy.sectors_of(sch)]
                if cols:
                    wide[sch] = wide[cols].sum(axis=1)
        keep = docs["region_code"].notna() & docs["year"].notna() & (docs["n_chars"] > 0)
        wide = wide[keep.to_numpy()]
        if wide.empty:
            return pd.DataFrame(columns=["region_code", "year", "variable", "value"])
        wide.insert(0, "n_chars", docs.loc[keep, "n_chars"].to_numpy())
        wide.insert(0, "year", docs.loc[keep, "year"].astype(int).to_numpy())
        wide.insert(0, "region_code", docs.loc[keep, "region_code"].astype(str).to_numpy())
        g = wide.groupby(["region_code", "year"]).sum()
        rates = g.drop(columns="n_chars").div(g["n_chars"], axis=0) * 1e4
        rates.columns = [f"text_exposure_{c}" for c in rates.columns]
        out = rates.reset_index().melt(id_vars=["region_code", "year"], var_name="variable", value_name="value")
        return out.sort_values(["variable", "region_code", "year"], ignore_index=True)

    def catalog(self) -> pd.DataFrame:
        """Variable catalog rows for :class:`nqpf.panel.Panel`."""
        src = f"nqpf.innovation taxonomy {self.taxonomy.name} {self.taxonomy.version}"
        rows = [(s.variable, f"Text exposure: {s.name_en}", f"文本测度：{s.name_zh}", "per 10,000 characters", src)
                for s in self.taxonomy.sectors.values()]
        rows += [(f"text_exposure_{k}", f"Text exposure: {v.name_en} (all sectors)", f"文本测度：{v.name_zh}（合计）",
                  "per 10,000 characters", src) for k, v in self.taxonomy.schemes.items()]
        return pd.DataFrame(rows, columns=["variable", "name_en", "name_zh", "unit", "source"])

    def to_panel(self) -> Panel:
        """The region-year exposure as a :class:`nqpf.panel.Panel` (indicators for the index engine)."""
        return Panel(self.observations(), self.catalog())

    def yearly(self, region_code: str = "100000", scheme: str | None = None) -> pd.DataFrame:
        """``year x variable`` table of one region (national by default)."""
        obs = self.observations()
        obs = obs[obs["region_code"] == region_code]
        if scheme is not None:
            keep = {s.variable for s in self.taxonomy.sectors_of(scheme)} | {f"text_exposure_{scheme}"}
            obs = obs[obs["variable"].isin(keep)]
        return obs.pivot(index="year", columns="variable", values="value")


def form_sectors(taxonomy: Taxonomy) -> dict[str, tuple[str, ...]]:
    """Normalised form (as the matcher reports it) -> the sector ids it counts for."""
    out: dict[str, tuple[str, ...]] = {}
    for form, sectors in taxonomy.forms().items():
        key = normalize(form.rstrip("*"))
        out[key] = tuple(dict.fromkeys((*out.get(key, ()), *sectors)))
    return out


def build_matcher(taxonomy: Taxonomy) -> TermMatcher:
    """The Aho-Corasick matcher over every form of the taxonomy."""
    return TermMatcher(taxonomy.forms())


def measure_exposure(
    corpus: str | Path | Iterable[CorpusFile],
    *,
    manifest: str | Path | None = None,
    taxonomy: Taxonomy | None = None,
    backend: str = "local",
    workers: int = 1,
    tmx_lang: str = "zh",
    progress: bool = False,
    client: object = None,
    allow_outside: bool = False,
) -> ExposureResult:
    """Measure exposure over a corpus (directory, file, manifest or list of :class:`CorpusFile`).

    ``backend="dask"`` spreads files over a Dask ``LocalCluster`` with ``workers`` processes
    (:mod:`nqpf.innovation.dask_backend`), or over ``client``'s cluster (reused, left open);
    ``"local"`` streams them in this process. The throughput in ``stats`` excludes the
    cluster's start-up and close; ``phases`` on the result has the seconds of every phase.
    A cluster started here is closed, with its processes, before return.
    Symlinks and manifest paths leading outside the corpus root are failures unless
    ``allow_outside`` (see :func:`nqpf.innovation.corpus.discover`).
    """
    phases = Phases()
    tax = taxonomy or Taxonomy.default()
    with phases("discover"):
        files = discover(corpus, manifest, allow_outside=allow_outside) if isinstance(corpus, str | Path) else list(corpus)
    with phases("matcher"):
        matcher = build_matcher(tax)
    if backend == "dask":
        from nqpf.innovation.dask_backend import cluster_client, run_dask

        with cluster_client(workers, client, phases) as cl:  # start-up and close are not counted in the throughput
            t0 = time.perf_counter()
            outcomes = run_dask(files, matcher, workers=workers, tmx_lang=tmx_lang, progress=progress, client=cl)
            seconds = time.perf_counter() - t0
            phases.add("run", seconds)
            workers = len(cl.scheduler_info().get("workers", {})) or workers
    elif backend == "local":
        t0 = time.perf_counter()
        outcomes = list(_run_local(files, matcher, tmx_lang, progress))
        seconds = time.perf_counter() - t0
        phases.add("run", seconds)
        workers = 1
    else:
        raise ValueError(f"unknown backend {backend!r}; use 'local' or 'dask'")
    docs = [d for o in outcomes for d in o.documents]
    failures = [o.failure for o in outcomes if o.failure is not None]
    stats = Throughput(backend, workers, len(files), len(docs), sum(o.bytes for o in outcomes), sum(d.n_chars for d in docs), seconds)
    return ExposureResult(tax, docs, failures, stats, phases)


def _run_local(files: Sequence[CorpusFile], matcher: TermMatcher, tmx_lang: str, progress: bool) -> Iterable[FileOutcome]:
    if not progress:
        for cf in files:
            yield process_file(cf, matcher, tmx_lang=tmx_lang)
        return
    from nqpf.innovation.progress import byte_progress

    with byte_progress() as bar:
        task = bar.add_task("exposure / 文本测度", total=sum(cf.size for cf in files))
        for cf in files:
            out = process_file(cf, matcher, tmx_lang=tmx_lang)
            bar.advance(task, cf.size)
            yield out

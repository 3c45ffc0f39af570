"""Innovation qualifier and text-based NQPF exposure (新质生产力认定与文本测度).

* :mod:`~nqpf.innovation.taxonomy`: the bilingual, versioned taxonomy of NQPF fields;
* :mod:`~nqpf.innovation.qualify`: the seed's three-criteria test with evidence;
* :mod:`~nqpf.innovation.corpus`: readers of the shipped text formats and manifests;
* :mod:`~nqpf.innovation.matching`: normalisation and Aho-Corasick leftmost-longest counting;
* :mod:`~nqpf.innovation.exposure`: per-document and region-year exposure;
* :mod:`~nqpf.innovation.dask_backend`: the same over a Dask cluster;
* :mod:`~nqpf.innovation.batch`: the qualifier over a CSV/JSONL/XLSX file of descriptions;
* :mod:`~nqpf.innovation.evaluation`: accuracy, recall, confusion and reliability on a labelled set;
* :mod:`~nqpf.innovation.provincial`: province x year x sector exposure of the provincial reports.
"""

from nqpf.innovation.batch import BatchError, BatchResult, qualify_batch
from nqpf.innovation.corpus import CorpusError, CorpusFile, discover, read_documents
from nqpf.innovation.exposure import ExposureResult, Failure, Throughput, measure_exposure
from nqpf.innovation.matching import TermMatcher, naive_count, normalize
from nqpf.innovation.provincial import provincial_exposure, provincial_panel
from nqpf.innovation.qualify import Qualification, Qualifier, Verdict, qualify
from nqpf.innovation.taxonomy import Taxonomy, TaxonomyError

__all__ = [
    "BatchError",
    "BatchResult",
    "CorpusError",
    "CorpusFile",
    "ExposureResult",
    "Failure",
    "Qualification",
    "Qualifier",
    "Taxonomy",
    "TaxonomyError",
    "TermMatcher",
    "Throughput",
    "Verdict",
    "discover",
    "measure_exposure",
    "naive_count",
    "normalize",
    "provincial_exposure",
    "provincial_panel",
    "qualify",
    "qualify_batch",
    "read_documents",
]

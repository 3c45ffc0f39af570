"""The publication report: ``nqpf report`` turns a run folder into an offline HTML report, its
PDF (WeasyPrint), print figures (SVG, PNG at 300 dpi) and a two-page briefing, in English or
Chinese, every number taken from the run's tables.

>>> from nqpf.report.publication import write_report  # doctest: +SKIP
>>> write_report("nqpf-output", lang="zh")             # doctest: +SKIP
"""

from nqpf.report.publication.build import FORMATS, write_report
from nqpf.report.publication.context import ReportContext, ReportError, read_run

__all__ = ["FORMATS", "ReportContext", "ReportError", "read_run", "write_report"]

"""The pages of a run folder, which the front ends hand down to the jobs that write run folders.

The services and run folders compute and write tables and never draw (imports point down: the
report is a front end). What draws is here: :func:`summary_page` (a framework's
``summary.html``), the productivity and linkage page and the landing ``index.html``, bundled as
:data:`RUN_PAGES` for :func:`nqpf.services.run_job`; :func:`write_run` is ``nqpf.write_run``,
a run folder with its summary page.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from nqpf.report.index_page import write_index_page
from nqpf.runs import write_run as write_run_tables
from nqpf.services import RunPages

if TYPE_CHECKING:
    from nqpf.index.result import IndexResult
    from nqpf.linkage.analysis import LinkageRun
    from nqpf.productivity.measure import ProductivityRun

__all__ = ["RUN_PAGES", "productivity_page", "summary_page", "write_run"]


def summary_page(path: Path, result: IndexResult, meta: dict[str, Any],
                 extra_sections: list[tuple[str, str, str, str]] | None) -> Path:
    """A framework's ``summary.html`` (:func:`nqpf.report.html.write_summary` of its summary view)."""
    from nqpf.report.html import write_summary
    from nqpf.views import summary_view

    return write_summary(path, summary_view(result), meta=meta, extra_sections=extra_sections)


def productivity_page(path: Path, prod: ProductivityRun | None, link: LinkageRun | None, notes: list[str],
                      meta: dict[str, str]) -> Path:
    """The run's ``productivity/summary.html`` (:mod:`nqpf.report.productivity_page`, loaded when drawn)."""
    from nqpf.report.productivity_page import write_productivity_page

    return write_productivity_page(path, prod, link, notes, meta)


#: what ``nqpf run`` and ``nqpf serve`` hand :func:`nqpf.services.run_job`
RUN_PAGES = RunPages(summary=summary_page, productivity=productivity_page, index=write_index_page)


def write_run(result: IndexResult, outdir: str | Path, *, html: bool = True,
              extra_sections: list[tuple[str, str, str, str]] | None = None) -> dict[str, Path]:
    """Write one result into ``outdir/<framework id>/``: the tables (:func:`nqpf.runs.write_run`)
    and, with ``html``, ``summary.html``. Returns the paths written."""
    return write_run_tables(result, outdir, html=html, extra_sections=extra_sections,
                            summary_page=summary_page if html else None)

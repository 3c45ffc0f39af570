"""Reports: the offline bilingual HTML summary, its charts and the province map.

>>> from nqpf.report import write_summary  # doctest: +SKIP
"""

from nqpf.report.html import ranking_table, write_summary
from nqpf.report.maps import province_geojson

__all__ = ["province_geojson", "ranking_table", "write_summary"]

"""Print an HTML document to PDF with WeasyPrint (no JavaScript; static SVG figures).

Fonts come from the system through fontconfig: Noto Sans CJK SC (Debian ``fonts-noto-cjk``)
for Chinese; nothing is downloaded. WeasyPrint needs Pango (Debian ``libpango-1.0-0``,
``libpangoft2-1.0-0``).
"""

from __future__ import annotations

import logging
from pathlib import Path

from nqpf.report.publication.context import ReportError

__all__ = ["write_pdf"]


def write_pdf(html: str, path: Path) -> tuple[Path, int]:
    """Write ``html`` as a PDF to ``path``; returns the path and the number of pages."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as e:  # OSError: the Pango library is missing
        raise ReportError(f"cannot make a PDF: WeasyPrint is not usable ({e}); install weasyprint and the "
                          "Debian packages libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk") from None
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    doc = HTML(string=html, base_url=None).render()
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.write_pdf(path)
    return path, len(doc.pages)

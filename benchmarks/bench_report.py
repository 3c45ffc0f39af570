"""Benchmark: the cost of `nqpf report` on a real run, stage by stage, and two baselines.

Run as a script from the repository root on a folder written by ``nqpf run``::

    python benchmarks/bench_report.py nqpf-output [--repeat 3] [--lang zh]

Stages (medians of ``--repeat`` runs in this process): reading the run (every framework loaded
back through the service layer), building the document (templates, facts and the matplotlib
figures as SVG), printing the PDF with WeasyPrint, saving the figures as SVG and 300-dpi PNG,
and the briefing (HTML + PDF).

Baselines measured in the same run on the same document:

- the PDF printed with every figure embedded as a 300-dpi PNG instead of SVG (print quality
  by raster; time and file size against the SVG document);
- one figure exported by matplotlib against the same figure redrawn from scratch each time
  (how much of a figure's cost is drawing vs. writing SVG).

Real data only: the run's own tables; nothing is resampled.
"""

from __future__ import annotations

import argparse
import base64
import io
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

CPU: dict[str, float] = {}
"""CPU seconds of this process per stage (median), printed beside wall time: on a shared machine
the wall time grows with the load, the CPU time does not."""


def _median(fn: Callable[[], Any], repeat: int, name: str = "") -> tuple[float, Any]:
    times, cpu, out = [], [], None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    if name:
        CPU[name] = statistics.median(cpu)
    return statistics.median(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run_dir", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--lang", default="zh", choices=["en", "zh"])
    a = ap.parse_args()
    if not any(a.run_dir.glob("*/run.json")) and not (a.run_dir / "run.json").is_file():
        sys.exit(f"{a.run_dir} is not a run folder: write one with `nqpf run --out DIR --robustness 200`")

    from nqpf.report.publication.briefing import briefing_html, make_briefing
    from nqpf.report.publication.context import read_run
    from nqpf.report.publication.document import build_report
    from nqpf.report.publication.figures import PNG_DPI, save_figure
    from nqpf.report.publication.pdf import write_pdf

    tmp = Path(tempfile.mkdtemp(prefix="nqpf-bench-report-"))
    t_read, ctx = _median(lambda: read_run(a.run_dir), a.repeat, "read")
    t_doc, doc = _median(lambda: build_report(ctx, a.lang), a.repeat, "doc")
    t_pdf, (pdf_path, pages) = _median(lambda: write_pdf(doc.html, tmp / "report.pdf"), a.repeat, "pdf")
    t_figs, _ = _median(lambda: [save_figure(f, tmp / "fig", n) for n, f in doc.figures.items()], a.repeat, "figs")

    def brief() -> None:
        b = make_briefing(ctx, a.lang)
        write_pdf(briefing_html(b), tmp / "briefing.pdf")

    t_brief, _ = _median(brief, a.repeat, "brief")

    # baseline 1: the same document with raster figures
    html_png = doc.html
    for fig in doc.figures.values():  # the figures appear in the document in this order
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=PNG_DPI)
        svg_uri_start = html_png.find("data:image/svg+xml;base64,")
        if svg_uri_start < 0:
            break
        end = html_png.find("'", svg_uri_start)
        html_png = (html_png[:svg_uri_start] + "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
                    + html_png[end:])
    t_pdf_png, _ = _median(lambda: write_pdf(html_png, tmp / "report-png.pdf"), a.repeat, "pdf_png")

    # baseline 2: a figure drawn again each time vs written again
    from nqpf.report.publication import derive, figures

    fw = ctx.framework()
    rk = derive.ranking(fw)
    t_draw, fig = _median(lambda: figures.map_figure(rk.set_index("region_code")["score"], title="map",
                                                     colorbar_label="score"), a.repeat)
    t_write, _ = _median(lambda: figures.svg_bytes(fig), a.repeat)

    size_svg = pdf_path.stat().st_size / 1e6
    size_png = (tmp / "report-png.pdf").stat().st_size / 1e6
    print(f"run {a.run_dir} ({len(ctx.frameworks)} frameworks), language {a.lang}, medians of {a.repeat}")
    print("stage                          wall s   cpu s")
    print(f"  read the run                 {t_read:7.2f} {CPU['read']:7.2f}")
    print(f"  build the document           {t_doc:7.2f} {CPU['doc']:7.2f}  ({len(doc.figures)} SVG figures, "
          f"{len(doc.facts)} facts)")
    print(f"  print the PDF (WeasyPrint)   {t_pdf:7.2f} {CPU['pdf']:7.2f}  ({pages} pages, {size_svg:.1f} MB)")
    print(f"  save figures SVG + PNG       {t_figs:7.2f} {CPU['figs']:7.2f}")
    print(f"  briefing HTML + PDF          {t_brief:7.2f} {CPU['brief']:7.2f}")
    print(f"  total report + PDF           {t_read + t_doc + t_pdf:7.2f} {CPU['read'] + CPU['doc'] + CPU['pdf']:7.2f}")
    print(f"baseline PDF with 300-dpi PNG figures: {t_pdf_png:.2f} s wall, {CPU['pdf_png']:.2f} s cpu, {size_png:.1f} MB; "
          f"ratio png/svg cpu time {CPU['pdf_png'] / CPU['pdf']:.2f}, size {size_png / size_svg:.2f}")
    print(f"map figure: draw {t_draw:.2f} s, write SVG {t_write:.2f} s; ratio draw/write {t_draw / t_write:.2f}")


if __name__ == "__main__":
    main()

"""The ``nqpf`` command line: ``nqpf data ...``, ``nqpf run``, ``nqpf innovation ...``."""

from __future__ import annotations

import typer

from nqpf.cli import data as _data
from nqpf.cli import fetch as _fetch
from nqpf.cli import innovation as _innovation
from nqpf.cli import linkage as _linkage
from nqpf.cli import productivity as _productivity
from nqpf.cli import run as _run

app = typer.Typer(
    name="nqpf",
    help="New Quality Productive Forces (新质生产力): data, indices, analyses.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
_data.app.command("sources", help="List the public-source manifest / 公开数据源清单")(_fetch.sources)
_data.app.command("fetch", help="Fetch a series from a public API into the store / 从公开API获取数据")(_fetch.get)
app.add_typer(_data.app, name="data", help="Import, list and inspect statistics / 导入与查看数据")
app.add_typer(_innovation.app, name="innovation", help="Innovation qualifier and text exposure / 创新认定与文本测度")
app.add_typer(_productivity.app, name="productivity", help="Capital stock, TFP, DEA, Malmquist / 资本存量、全要素生产率、DEA")
app.add_typer(_linkage.app, name="linkage", help="Does NQPF raise high-quality development? / 新质生产力与高质量发展回归")
app.command("run", help="Build the shipped indices and write outputs / 构建指数并输出结果")(_run.run)


def main() -> None:
    """Entry point of the ``nqpf`` script."""
    app()

"""The ``nqpf`` command line: ``nqpf data ...``, ``nqpf run``, ``nqpf innovation ...``."""

from __future__ import annotations

import typer

from nqpf.cli import data as _data
from nqpf.cli import innovation as _innovation
from nqpf.cli import run as _run

app = typer.Typer(
    name="nqpf",
    help="New Quality Productive Forces (新质生产力): data, indices, analyses.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(_data.app, name="data", help="Import, list and inspect statistics / 导入与查看数据")
app.add_typer(_innovation.app, name="innovation", help="Innovation qualifier and text exposure / 创新认定与文本测度")
app.command("run", help="Build the shipped indices and write outputs / 构建指数并输出结果")(_run.run)


def main() -> None:
    """Entry point of the ``nqpf`` script."""
    app()

"""The ``nqpf`` command line: ``nqpf data ...``, ``nqpf run``, ``nqpf innovation ...``."""

from __future__ import annotations

import typer

from nqpf.cli import analyze as _analyze
from nqpf.cli import check as _check
from nqpf.cli import data as _data
from nqpf.cli import fetch as _fetch
from nqpf.cli import innovation as _innovation
from nqpf.cli import linkage as _linkage
from nqpf.cli import productivity as _productivity
from nqpf.cli import profile as _profile
from nqpf.cli import report as _report
from nqpf.cli import robustness as _robustness
from nqpf.cli import run as _run
from nqpf.cli import serve as _serve

app = typer.Typer(
    name="nqpf",
    help="New Quality Productive Forces (新质生产力): data, indices, analyses.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from nqpf import __version__

        typer.echo(f"nqpf {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Show the version and exit / 显示版本"),
) -> None:
    """New Quality Productive Forces (新质生产力): data, indices, analyses."""
_data.app.command("sources", help="List the public-source manifest / 公开数据源清单")(_fetch.sources)
_data.app.command("fetch", help="Fetch a series from a public API into the store / 从公开API获取数据")(_fetch.get)
_data.app.command("check", help="Flag breaks, jumps, outliers, gaps and mixed vintages / 数据检查")(_check.check)
app.add_typer(_data.app, name="data", help="Import, list and inspect statistics / 导入与查看数据")
app.add_typer(_innovation.app, name="innovation", help="Innovation qualifier and text exposure / 创新认定与文本测度")
app.add_typer(_analyze.app, name="analyze", help="Regional disparity, dynamics, convergence, spatial analysis / 区域分析")
app.add_typer(_productivity.app, name="productivity", help="Capital stock, TFP, DEA, Malmquist / 资本存量、全要素生产率、DEA")
app.add_typer(_linkage.app, name="linkage", help="Does NQPF raise high-quality development? / 新质生产力与高质量发展回归")
app.command("run", help="Build the shipped indices and write outputs / 构建指数并输出结果")(_run.run)
app.command("profile", help="Province profile: ranks, strengths, peers, priorities / 省份画像")(_profile.profile)
app.command("scenario", help="What-if scenario on the frozen scale / 情景模拟")(_profile.scenario)
app.command("invest", help="Investor view: province x sector opportunities / 投资视角")(_profile.invest)
app.command("frameworks", help="List the shipped frameworks / 列出内置指标体系")(_run.frameworks)
app.command("robustness", help="Rank uncertainty and Sobol sensitivity / 稳健性与敏感性分析")(_robustness.robustness)
app.command("report", help="Report, PDF, figures and briefing from a run / 生成报告与简报")(_report.report)
app.command("serve", help="Serve the API and dashboard / 启动接口与看板")(_serve.serve)


def main() -> None:
    """Entry point of the ``nqpf`` script."""
    app()

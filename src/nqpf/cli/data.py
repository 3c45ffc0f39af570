"""Placeholder sub-command group; filled in by its feature."""

import typer

app = typer.Typer(no_args_is_help=True)

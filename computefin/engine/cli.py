"""The ``computefin`` command.

>>> from typer.testing import CliRunner
>>> result = CliRunner().invoke(app, ["version"])
>>> result.exit_code, result.output.startswith("computefin ")
(0, True)
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from computefin._version import __version__
from computefin.domain import catalog, load_catalog, write_json_schemas
from computefin.domain.schemas import schemas_markdown
from computefin.engine.demo import run_demo
from computefin.engine.tables import frame_table
from computefin.errors import ComputefinError
from computefin.pricing import calendar

__all__ = ["app", "main"]

app = typer.Typer(
    name="computefin",
    help="Price, risk and approve financial products built on compute assets.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.command()
def version() -> None:
    """Print the package version."""
    typer.echo(f"computefin {__version__}")


@app.command()
def demo(
    width: Annotated[int, typer.Option(help="Terminal width for the tables.")] = 200,
) -> None:
    """Run the main job on the shipped demo portfolio and market snapshot."""
    run_demo(Console(width=width))


@app.command()
def schema(
    out: Annotated[Path, typer.Option(help="Folder to write <Model>.schema.json into.")] = Path(
        "schemas"
    ),
    markdown: Annotated[
        Path | None, typer.Option(help="Also write the Markdown field reference to this file.")
    ] = None,
) -> None:
    """Write the JSON Schema of every public domain model."""
    for path in write_json_schemas(out):
        typer.echo(str(path))
    if markdown is not None:
        markdown.write_text(schemas_markdown(), encoding="utf-8")
        typer.echo(str(markdown))


@app.command("catalog")
def show_catalog(
    file: Annotated[
        Path | None, typer.Option(help="A bank's own catalog CSV, loaded on top of the shipped.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Print the accelerator catalog."""
    cat = load_catalog(file) if file is not None else catalog()
    if as_json:
        typer.echo(json.dumps([json.loads(a.model_dump_json()) for a in cat], indent=2))
        return
    frame = cat.to_frame()[
        ["vendor", "model", "launch_date", "memory_gb", "tdp_w", "dense_bf16_tflops",
         "list_price", "list_price_currency", "successor"]
    ]  # fmt: skip
    Console(width=200).print(frame_table(frame, title="Accelerator catalog"))


@app.command()
def holidays(
    name: Annotated[str, typer.Argument(help="Calendar name, e.g. CN-IB, CN-SSE, US-SOFR.")],
    year: Annotated[int, typer.Argument(help="Year to list.")],
    table: Annotated[
        Path | None, typer.Option(help="Bank holiday table (CSV with a date column).")
    ] = None,
) -> None:
    """List a calendar's holidays (weekdays that are not business days) in a year."""
    cal = calendar(name, holiday_table=table)
    for day in cal.holidays(dt.date(year, 1, 1), dt.date(year, 12, 31)):
        typer.echo(str(day))


def main() -> None:
    """Entry point: run the command; computefin errors print as one line, exit status 2."""
    try:
        app()
    except ComputefinError as exc:
        Console(stderr=True).print(Text.assemble(("error: ", "bold red"), str(exc)))
        raise SystemExit(2) from exc

"""The ``computefin`` command.

Errors print as one line on stderr with a non-zero exit (2: bad input or a store
problem, 1: anything unexpected); ``--debug`` shows the traceback instead.

>>> from typer.testing import CliRunner
>>> result = CliRunner().invoke(app, ["version"])
>>> result.exit_code, result.output.startswith("computefin ")
(0, True)
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import traceback
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text
from sqlalchemy.exc import SQLAlchemyError

from computefin._version import __version__
from computefin.domain import MarketSnapshot, catalog, demo_market, load_catalog, write_json_schemas
from computefin.domain.schemas import schemas_markdown
from computefin.engine.approval import CreditApplication, decide, default_policy, load_policy
from computefin.engine.approval._limits import DEFAULT_MAX_BODY_BYTES
from computefin.engine.batch import (
    DEFAULT_CHUNK_SIZE,
    RunSpec,
    execute_run,
    resolve_stresses,
    start_run,
)
from computefin.engine.demo import run_demo
from computefin.engine.demo_run import DEMO_SCENARIOS, run_batch_demo
from computefin.engine.loading import KINDS, export_file, load_file
from computefin.engine.report import summary_table, write_report
from computefin.engine.results import runs
from computefin.engine.scaleout import DaskRunner, dask_client
from computefin.engine.store import Store, database_url, open_store, upgrade
from computefin.engine.store.database import current_revision, head_revision, make_engine
from computefin.engine.tables import frame_table
from computefin.errors import ComputefinError, ValidationError
from computefin.pricing import calendar
from computefin.risk import load_stresses

__all__ = ["app", "main"]

app = typer.Typer(
    name="computefin",
    help="Price, risk and approve financial products built on compute assets.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


db_app = typer.Typer(help="Create or migrate the store's schema (Alembic).", no_args_is_help=True)
app.add_typer(db_app, name="db")

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database URL (postgresql+psycopg://user@host/db) or SQLite file path "
        "[default: computefin.db in the working folder].",
    ),
]


@app.callback()
def _root(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the traceback when something fails.")
    ] = False,
) -> None:
    """Price, risk and approve financial products built on compute assets."""


@app.command()
def version() -> None:
    """Print the package version."""
    typer.echo(f"computefin {__version__}")


@app.command()
def demo(
    out: Annotated[
        Path, typer.Option(help="Folder for the demo store (computefin.db) and the report.")
    ] = Path("computefin-demo"),
    scenarios: Annotated[
        int, typer.Option(help="Simulated paths per fleet (0: expected case only).")
    ] = DEMO_SCENARIOS,
    seed: Annotated[int, typer.Option(help="Seed of the scenario paths.")] = 20261127,
    width: Annotated[int, typer.Option(help="Terminal width for the tables.")] = 160,
) -> None:
    """The main job on the embedded default: create a SQLite store, load the shipped demo
    book (300 loans on H100/H200/H20/H800/Ascend fleets in China and the US) and market
    snapshot, value it with scenarios and stresses, and write the report."""
    run_batch_demo(out, n_scenarios=scenarios or None, seed=seed, console=Console(width=width))


@app.command()
def showcase(
    width: Annotated[int, typer.Option(help="Terminal width for the tables.")] = 200,
) -> None:
    """Print the building blocks on the demo data: catalog, fleets, contracts, curves,
    fleet projections and a stress grid."""
    run_demo(Console(width=width))


@db_app.command("upgrade")
def db_upgrade(
    db: DbOption = None,
    revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
) -> None:
    """Create the schema in a new database, or migrate an older one to this version."""
    before, after = upgrade(database_url(db), revision)
    typer.echo(f"schema {before or '(empty)'} -> {after}")


@db_app.command("current")
def db_current(db: DbOption = None) -> None:
    """Print the database's schema revision and the one this computefin needs."""
    engine = make_engine(database_url(db))
    try:
        typer.echo(f"database {current_revision(engine) or '(empty)'}; needs {head_revision()}")
    finally:
        engine.dispose()


@app.command()
def load(
    files: Annotated[list[Path], typer.Argument(help="JSON, CSV or Parquet files, in order.")],
    kind: Annotated[
        str | None,
        typer.Option(help=f"What the files hold: {', '.join(KINDS)} [default: from the name]."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Validate files and add their records to the store, one transaction per file."""
    store = open_store(database_url(db))
    try:
        for path in files:
            report = load_file(store, path, kind)
            typer.echo(f"{path}: {report.records} {report.kind} record(s) loaded")
    finally:
        store.close()


@app.command()
def export(
    kind: Annotated[str, typer.Argument(help="counterparties, fleets, contracts or loans.")],
    file: Annotated[Path, typer.Argument(help="Output file: .json, .csv or .parquet.")],
    db: DbOption = None,
) -> None:
    """Write every stored record of a kind to a file that `computefin load` reads back."""
    store = open_store(database_url(db))
    try:
        typer.echo(f"{file}: {export_file(store, kind, file)} {kind} record(s) written")
    finally:
        store.close()


@app.command()
def value(
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Valuation date (YYYY-MM-DD); a snapshot as of that date must be in the store.",
        ),
    ] = None,
    db: DbOption = None,
    scenarios: Annotated[
        int | None, typer.Option(help="Simulated paths per fleet [default: expected case].")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the scenario paths.")] = 0,
    stress: Annotated[
        list[str] | None,
        typer.Option(help="Also value under this named stress (repeatable)."),
    ] = None,
    stress_file: Annotated[
        Path | None, typer.Option(help="A bank's stress file (YAML/JSON) to take names from.")
    ] = None,
    chunk_size: Annotated[
        int, typer.Option(help="Instruments per chunk (one transaction each).")
    ] = DEFAULT_CHUNK_SIZE,
    instrument_type: Annotated[
        list[str] | None, typer.Option("--type", help="Only these products (repeatable).")
    ] = None,
    snapshot: Annotated[
        str | None, typer.Option(help="Snapshot id, when several are stored for the date.")
    ] = None,
    resume: Annotated[
        str | None,
        typer.Option(help="Finish an interrupted run (its own options apply; others ignored)."),
    ] = None,
    progress: Annotated[bool, typer.Option(help="Show the progress bar.")] = True,
    workers: Annotated[
        int | None,
        typer.Option(help="Value chunks on a local Dask cluster of this many processes."),
    ] = None,
    cluster: Annotated[
        str | None,
        typer.Option(
            help="Value chunks on the Dask cluster at this scheduler address "
            "(tcp://host:8786 or dask://host:8786)."
        ),
    ] = None,
) -> None:
    """Value every instrument in the store; results commit chunk by chunk with the run id.
    With --workers or --cluster the chunks run on Dask; figures are the same."""
    store = open_store(database_url(db))
    console = Console(stderr=True) if progress else None
    with ExitStack() as stack:
        stack.callback(store.close)
        runner = None
        if workers is not None or cluster is not None:
            client = stack.enter_context(dask_client(workers=workers, cluster=cluster))
            runner = DaskRunner(client)
            typer.echo(f"chunks run on {runner.describe()}")
        _value(store, console, runner, resume, as_of, scenarios, seed, stress, stress_file,
               chunk_size, instrument_type, snapshot)  # fmt: skip


def _value(
    store: Store,
    console: Console | None,
    runner: DaskRunner | None,
    resume: str | None,
    as_of: str | None,
    scenarios: int | None,
    seed: int,
    stress: list[str] | None,
    stress_file: Path | None,
    chunk_size: int,
    instrument_type: list[str] | None,
    snapshot: str | None,
) -> None:
    """Start (or resume) the run and execute it with ``runner``."""
    if resume is not None:
        run_id = resume
    else:
        if as_of is None:
            raise ValidationError("--as-of", "is required (or --resume RUN_ID)")
        library = None if stress_file is None else load_stresses(stress_file)
        spec = RunSpec(
            as_of=_date(as_of, "--as-of"),
            n_scenarios=scenarios,
            seed=seed,
            stresses=resolve_stresses(stress or [], library),
            chunk_size=chunk_size,
            instrument_types=tuple(instrument_type or ()),
            snapshot_id=snapshot,
        )
        run_id = start_run(store, spec)
        typer.echo(f"run {run_id} started")
    summary = execute_run(store, run_id, console=console, runner=runner)
    typer.echo(
        f"run {run_id} {summary.status}: {summary.valued} valued now, {summary.total} in "
        f"the run, {summary.errors} with errors, {summary.seconds:.1f} s"
    )


@app.command()
def report(
    run_id: Annotated[str, typer.Argument(help="The run to report.")],
    db: DbOption = None,
    out: Annotated[Path, typer.Option(help="Folder for the workbook and charts.")] = Path(
        "reports"
    ),
    currency: Annotated[str, typer.Option(help="Reporting currency.")] = "CNY",
    width: Annotated[int, typer.Option(help="Terminal width for the table.")] = 160,
) -> None:
    """Write the run's Excel workbook and PNG charts, and print its summary."""
    store = open_store(database_url(db))
    try:
        files = write_report(store, run_id, out / run_id, currency)
        Console(width=width).print(summary_table(files.frames, title=f"Run {run_id}"))
        typer.echo(str(files.workbook))
        for chart in files.charts:
            typer.echo(str(chart))
    finally:
        store.close()


@app.command("runs")
def list_runs(db: DbOption = None) -> None:
    """List the valuation runs in the store, newest first."""
    Console(width=200).print(frame_table(runs(database_url(db)), title="Valuation runs"))


def _date(text: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationError(name, "must be a date YYYY-MM-DD", text) from None


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


@app.command()
def approve(
    application: Annotated[Path, typer.Argument(help="Credit application JSON file.")],
    policy: Annotated[
        Path | None, typer.Option(help="Credit policy YAML/JSON [default: the shipped policy].")
    ] = None,
    market: Annotated[
        Path | None,
        typer.Option(help="Market snapshot JSON [default: the shipped demo snapshot]."),
    ] = None,
) -> None:
    """Decide a credit application and print the decision as JSON (approve, refer or
    decline; maximum amount, risk-based margin, covenants, every rule)."""
    request = CreditApplication.model_validate_json(application.read_text(encoding="utf-8"))
    chosen = load_policy(policy) if policy is not None else default_policy()
    snapshot = (
        MarketSnapshot.model_validate_json(market.read_text(encoding="utf-8"))
        if market is not None
        else demo_market()
    )
    decision = decide(request, snapshot, chosen)
    typer.echo(json.dumps(decision.model_dump(mode="json"), indent=2, ensure_ascii=False))


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    policy: Annotated[
        Path | None, typer.Option(help="Credit policy YAML/JSON [default: the shipped policy].")
    ] = None,
    market: Annotated[
        Path | None,
        typer.Option(help="Market snapshot JSON [default: the shipped demo snapshot]."),
    ] = None,
    max_body_bytes: Annotated[
        int, typer.Option(help="Largest request body accepted, bytes.")
    ] = DEFAULT_MAX_BODY_BYTES,
) -> None:
    """Run the credit-approval HTTP service (POST /v1/decisions; OpenAPI at /openapi.json).
    The bearer token is read from the COMPUTEFIN_API_TOKEN environment variable."""
    import uvicorn

    from computefin.engine.approval.service import create_app

    snapshot = (
        MarketSnapshot.model_validate_json(market.read_text(encoding="utf-8"))
        if market is not None
        else None
    )
    api = create_app(
        snapshot,
        load_policy(policy) if policy is not None else None,
        max_body_bytes=max_body_bytes,
    )
    uvicorn.run(api, host=host, port=port, log_level="info")


def main() -> None:
    """Entry point: one line on stderr and a non-zero exit for any failure (traceback
    only with ``--debug``): 2 for bad input or store problems, 1 for the unexpected."""
    debug = "--debug" in sys.argv[1:]
    err = Console(stderr=True, soft_wrap=True)
    try:
        app()
    except ComputefinError as exc:
        if debug:
            traceback.print_exc()
        err.print(Text.assemble(("error: ", "bold red"), _one_line(str(exc))))
        raise SystemExit(2) from exc
    except (OSError, SQLAlchemyError) as exc:
        if debug:
            traceback.print_exc()
        err.print(Text.assemble(("error: ", "bold red"), _one_line(f"{type(exc).__name__}: {exc}")))
        raise SystemExit(2) from exc
    except Exception as exc:
        if debug:
            traceback.print_exc()
        message = f"internal error {type(exc).__name__}: {exc} (rerun with --debug)"
        err.print(Text.assemble(("error: ", "bold red"), _one_line(message)))
        raise SystemExit(1) from exc


def _one_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return "; ".join(lines) if lines else "(no message)"

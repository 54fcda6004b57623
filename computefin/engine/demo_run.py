"""``computefin demo``: the batch job end to end on the shipped demo book.

Creates a fresh SQLite store in the output folder (any earlier demo store there is
replaced), loads the demo book and market snapshot through the validated file loader,
values every loan on simulated fleet paths in the base case and under two named
stresses, and writes the report (workbook and charts) next to the store.

>>> import tempfile, pathlib
>>> out = pathlib.Path(tempfile.mkdtemp())
>>> result = run_batch_demo(out, n_scenarios=None, loans=5, stresses=())
>>> result.summary.status, result.summary.total, result.files.workbook.exists()
('completed', 13, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from computefin.domain import demo_market
from computefin.engine.batch import RunSpec, RunSummary, execute_run, resolve_stresses, start_run
from computefin.engine.demo_book import load_demo_book
from computefin.engine.report import ReportFiles, summary_table, write_report
from computefin.engine.store import open_store

__all__ = ["DEMO_SCENARIOS", "DEMO_STRESSES", "DemoRun", "run_batch_demo"]

DEMO_SCENARIOS = 200
"""Paths per fleet in the demo (the batch job takes any number)."""
DEMO_STRESSES = ("rental-price-halved", "rates-plus-200bp")
"""Stresses the demo values besides the base case (from the shipped library)."""


@dataclass(frozen=True)
class DemoRun:
    """What the demo did: where, which run, how it ended, which files."""

    database: Path
    run_id: str
    summary: RunSummary
    files: ReportFiles


def run_batch_demo(
    out: str | Path,
    *,
    n_scenarios: int | None = DEMO_SCENARIOS,
    seed: int = 20261127,
    stresses: tuple[str, ...] = DEMO_STRESSES,
    loans: int | None = None,
    console: Console | None = None,
) -> DemoRun:
    """Run the demo into folder ``out`` (see module); ``loans`` limits the book (tests)."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "computefin.db"
    for stale in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        stale.unlink(missing_ok=True)

    def say(text: str) -> None:
        if console is not None:
            console.print(text)

    store = open_store(f"sqlite:///{database}", create=True)
    try:
        say(f"[bold]computefin demo[/bold]: store {database} (schema {store.revision})")
        counts = load_demo_book(store, loans=loans)
        say("loaded " + ", ".join(f"{n} {kind}" for kind, n in counts.items()))
        spec = RunSpec(
            as_of=demo_market().as_of,
            n_scenarios=n_scenarios,
            seed=seed,
            stresses=resolve_stresses(stresses),
            chunk_size=50,
        )
        run_id = start_run(store, spec)
        cases = ", ".join(["base", *stresses])
        paths = "expected case" if n_scenarios is None else f"{n_scenarios} paths per fleet"
        say(f"run {run_id}: as of {spec.as_of}, {paths}, seed {seed}; cases: {cases}")
        summary = execute_run(store, run_id, console=console)
        files = write_report(store, run_id, folder / "report")
        if console is not None:
            console.print(
                summary_table(files.frames, title=f"Run {run_id} ({files.frames.currency})")
            )
            console.print(f"workbook: {files.workbook}")
            for chart in files.charts:
                console.print(f"chart:    {chart}")
            console.print(
                f"{summary.valued} valuations in {summary.seconds:.1f} s, {summary.errors} errors. "
                f"Python: computefin.engine.results({run_id!r}, db={str(database)!r})"
            )
        return DemoRun(database=database, run_id=run_id, summary=summary, files=files)
    finally:
        store.close()

"""The nightly batch valuation: every instrument in the store, chunked, resumable.

A run is started (:func:`start_run`: its parameters, the market snapshot, the scenario
set's hash and the instrument list's hash are recorded) and then executed
(:func:`execute_run`): for each case (``base`` and each stress) and each product, the
instruments without a result yet are valued a chunk at a time, and each chunk's results
commit in one transaction. A run killed at any point - SIGKILL included - loses at most
the chunk in flight; :func:`execute_run` on the same run id values what is missing, so
every instrument ends up valued exactly once (a unique key on run, case, type and id
makes a duplicate impossible). Results do not depend on the chunking: fleet paths are
drawn per fleet from the seed, whatever else is in the chunk.

>>> import tempfile, pathlib, datetime as dt
>>> from computefin.engine.demo_book import load_demo_book
>>> from computefin.engine.store import open_store
>>> store = open_store(f"sqlite:///{pathlib.Path(tempfile.mkdtemp()) / 'b.db'}", create=True)
>>> load_demo_book(store, loans=6)["loans"]
6
>>> run_id = run_valuation(store, RunSpec(as_of=dt.date(2026, 11, 27), chunk_size=4))
>>> summary = execute_run(store, run_id)  # nothing left to value
>>> summary.valued, summary.total, summary.status
(0, 14, 'completed')
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text
from sqlalchemy import func, select

from computefin._version import __version__
from computefin.engine.registry import ResultRecord, RunContext, handlers
from computefin.engine.scaleout import ChunkJob, ChunkRunner, LocalRunner
from computefin.engine.store import Store
from computefin.engine.store.records import (
    content_hash,
    load_portfolio,
    load_snapshot,
)
from computefin.engine.store.schema import (
    MarketSnapshotRow,
    ResultRow,
    RunRow,
    ScenarioSetRow,
)
from computefin.errors import StoreError, ValidationError
from computefin.risk import StressScenario, stress_library

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "RunSpec",
    "RunSummary",
    "execute_run",
    "resolve_stresses",
    "run_valuation",
    "start_run",
]

DEFAULT_CHUNK_SIZE = 200
"""Instruments per chunk (one transaction each)."""
BASE_CASE = "base"
"""The case name of the unstressed valuation."""


def resolve_stresses(
    names: Sequence[str], library: Sequence[StressScenario] | None = None
) -> tuple[StressScenario, ...]:
    """The named stresses from ``library`` (default: the shipped one), in the order given.

    >>> [s.name for s in resolve_stresses(["rates-plus-200bp"])]
    ['rates-plus-200bp']
    """
    known = {s.name: s for s in (stress_library() if library is None else library)}
    out = []
    for i, name in enumerate(names):
        if name not in known:
            raise ValidationError(
                f"stress[{i}]", f"unknown stress; known: {', '.join(sorted(known))}", name
            )
        if name == BASE_CASE:
            raise ValidationError(f"stress[{i}]", f"{BASE_CASE!r} is the unstressed case", name)
        out.append(known[name])
    if len({s.name for s in out}) != len(out):
        raise ValidationError("stress", "a stress is named twice", list(names))
    return tuple(out)


@dataclass(frozen=True)
class RunSpec:
    """What to value: the as-of date, scenarios, stresses, chunking, which products.

    ``n_scenarios``: None values on the expected projection; a number draws that many
    paths per fleet with ``seed``. ``snapshot_id``: the stored snapshot to use (default:
    the one stored for ``as_of``). ``instrument_types``: default every registered one.
    """

    as_of: dt.date
    n_scenarios: int | None = None
    seed: int = 0
    stresses: tuple[StressScenario, ...] = ()
    chunk_size: int = DEFAULT_CHUNK_SIZE
    instrument_types: tuple[str, ...] = ()
    snapshot_id: str | None = None

    def __post_init__(self) -> None:
        if self.n_scenarios is not None and self.n_scenarios < 1:
            raise ValidationError("scenarios", "must be >= 1 (or omitted)", self.n_scenarios)
        if self.chunk_size < 1:
            raise ValidationError("chunk_size", "must be >= 1", self.chunk_size)
        if not 0 <= self.seed < 2**31:
            raise ValidationError("seed", "must be in [0, 2**31)", self.seed)
        unknown = [t for t in self.instrument_types if t not in handlers()]
        if unknown:
            raise ValidationError("instrument_types", "no product of this type", unknown)

    def to_json(self) -> str:
        """The spec as JSON (what a resumed run reads back)."""
        return json.dumps(
            {
                "as_of": self.as_of.isoformat(),
                "n_scenarios": self.n_scenarios,
                "seed": self.seed,
                "stresses": [s.model_dump(mode="json") for s in self.stresses],
                "chunk_size": self.chunk_size,
                "instrument_types": list(self.types),
                "snapshot_id": self.snapshot_id,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> RunSpec:
        """Inverse of :meth:`to_json`."""
        data: dict[str, Any] = json.loads(text)
        return cls(
            as_of=dt.date.fromisoformat(data["as_of"]),
            n_scenarios=data["n_scenarios"],
            seed=data["seed"],
            stresses=tuple(StressScenario.model_validate(s) for s in data["stresses"]),
            chunk_size=data["chunk_size"],
            instrument_types=tuple(data["instrument_types"]),
            snapshot_id=data["snapshot_id"],
        )

    @property
    def types(self) -> tuple[str, ...]:
        """Instrument types valued, in registry order."""
        return self.instrument_types or tuple(handlers())

    @property
    def cases(self) -> tuple[tuple[str, StressScenario | None], ...]:
        """``(name, stress)``: the base case, then each stress."""
        return ((BASE_CASE, None), *((s.name, s) for s in self.stresses))


@dataclass(frozen=True)
class RunSummary:
    """Where a run stands after :func:`execute_run`."""

    run_id: str
    status: str
    total: int
    """Results the run needs: instruments x cases."""
    valued: int
    """Results this call wrote."""
    errors: int
    """Results of the whole run that carry an error instead of figures."""
    seconds: float
    chunks: int = 0
    by_type: dict[str, int] = field(default_factory=dict)


def _instruments(store: Store, types: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
    with store.session() as session:
        return {t: handlers()[t].instruments(session) for t in types}


def _instruments_hash(listing: dict[str, list[tuple[str, str]]]) -> str:
    lines = [f"{t}\t{i}\t{h}" for t, rows in listing.items() for i, h in rows]
    return content_hash("\n".join(lines))


def _pick_snapshot(store: Store, spec: RunSpec) -> str:
    with store.session() as session:
        if spec.snapshot_id is not None:
            snapshot_id, market = load_snapshot(session, spec.snapshot_id)
            if market.as_of != spec.as_of:
                raise ValidationError(
                    "as_of", f"snapshot {snapshot_id} is as of {market.as_of}", spec.as_of
                )
            return snapshot_id
        ids = list(
            session.scalars(
                select(MarketSnapshotRow.id).where(MarketSnapshotRow.as_of == spec.as_of)
            )
        )
    if not ids:
        raise StoreError(
            f"no market snapshot as of {spec.as_of} in the store: load one with "
            "`computefin load snapshot.json`"
        )
    if len(ids) > 1:
        raise StoreError(
            f"{len(ids)} snapshots as of {spec.as_of} ({', '.join(sorted(ids))}): "
            "choose one with --snapshot"
        )
    return ids[0]


def _reference_inputs_hash(store: Store) -> str:
    """Hash of every counterparty, fleet and contract (id and input hash): what every
    valuation reads besides its own instrument and the snapshot."""
    from computefin.engine.store.schema import ContractRow, CounterpartyRow, FleetRow

    with store.session() as session:
        inputs = {
            kind: [
                list(r) for r in session.execute(select(row.id, row.input_hash).order_by(row.id))
            ]
            for kind, row in (
                ("counterparties", CounterpartyRow),
                ("fleets", FleetRow),
                ("contracts", ContractRow),
            )
        }
    return content_hash(json.dumps(inputs, sort_keys=True))


def _scenario_hash(store: Store, spec: RunSpec, snapshot_id: str) -> str | None:
    """The hash naming the run's paths: they are a function of these inputs alone."""
    if spec.n_scenarios is None:
        return None
    inputs_hash = _reference_inputs_hash(store)
    with store.session() as session:
        snapshot_hash = session.get(MarketSnapshotRow, snapshot_id)
        assert snapshot_hash is not None
        parameters = {
            "generator": "computefin.risk.projection.simulate_scenarios",
            "package_version": __version__,
            "n_paths": spec.n_scenarios,
            "seed": spec.seed,
            "snapshot_hash": snapshot_hash.input_hash,
            "inputs_hash": inputs_hash,
        }
        text = json.dumps(parameters, sort_keys=True)
        digest = content_hash(text)
        if session.get(ScenarioSetRow, digest) is None:
            session.add(
                ScenarioSetRow(
                    hash=digest,
                    reference="generated:computefin.risk.projection.simulate_scenarios",
                    n_paths=spec.n_scenarios,
                    seed=spec.seed,
                    parameters=text,
                )
            )
    return digest


def start_run(store: Store, spec: RunSpec) -> str:
    """Record a new run (status ``running``, nothing valued yet); returns its id."""
    snapshot_id = _pick_snapshot(store, spec)
    listing = _instruments(store, spec.types)
    scenario_hash = _scenario_hash(store, spec, snapshot_id)
    run_id = f"run-{spec.as_of:%Y%m%d}-{uuid.uuid4().hex[:10]}"
    parameters = json.loads(spec.to_json())
    parameters["instruments_hash"] = _instruments_hash(listing)
    parameters["reference_inputs_hash"] = _reference_inputs_hash(store)
    with store.session() as session:
        session.add(
            RunRow(
                id=run_id,
                as_of=spec.as_of,
                snapshot_id=snapshot_id,
                scenario_hash=scenario_hash,
                n_scenarios=spec.n_scenarios,
                seed=spec.seed,
                stresses=json.dumps([s.name for s in spec.stresses]),
                chunk_size=spec.chunk_size,
                package_version=__version__,
                instruments=sum(len(v) for v in listing.values()),
                status="running",
                started_at=dt.datetime.now(dt.UTC).replace(tzinfo=None),
                parameters=json.dumps(parameters, sort_keys=True),
            )
        )
    return run_id


class _RateColumn(ProgressColumn):
    """Instruments per second."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.1f} instr/s", style="progress.data.speed")


@contextmanager
def _progress(console: Console | None, total: int, done: int) -> Iterator[Any]:
    if console is None:
        yield None
        return
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _RateColumn(),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("valuing", total=total, completed=done)
        yield lambda n, label: bar.update(task, advance=n, description=label)


def _done_ids(store: Store, run_id: str, case: str, kind: str) -> set[str]:
    with store.session() as session:
        return set(
            session.scalars(
                select(ResultRow.instrument_id).where(
                    ResultRow.run_id == run_id,
                    ResultRow.case == case,
                    ResultRow.instrument_type == kind,
                )
            )
        )


def _write(
    store: Store,
    run: RunRow,
    case: str,
    kind: str,
    hashes: dict[str, str],
    records: Sequence[ResultRecord],
) -> None:
    with store.session() as session:
        session.add_all(
            ResultRow(
                run_id=run.id,
                case=case,
                instrument_type=kind,
                instrument_id=r.instrument_id,
                input_hash=hashes[r.instrument_id],
                snapshot_id=run.snapshot_id,
                scenario_hash=run.scenario_hash,
                seed=run.seed,
                package_version=__version__,
                currency=r.currency,
                pv=r.pv,
                ead=r.ead,
                el=r.el,
                ecl=r.ecl,
                rwa=r.rwa,
                ltv=r.ltv,
                error=r.error,
                measures=json.dumps(dict(r.measures), sort_keys=True, allow_nan=False),
            )
            for r in records
        )


def _load_run(store: Store, run_id: str) -> RunRow:
    with store.session() as session:
        run = session.get(RunRow, run_id)
        if run is None:
            raise StoreError(f"no valuation run {run_id!r} in the store")
        session.expunge(run)
        return run


def _set_status(store: Store, run_id: str, status: str) -> None:
    with store.session() as session:
        run = session.get(RunRow, run_id)
        assert run is not None
        run.status = status
        if status == "completed":
            run.finished_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)


def execute_run(
    store: Store,
    run_id: str,
    *,
    console: Console | None = None,
    max_chunks: int | None = None,
    runner: ChunkRunner | None = None,
) -> RunSummary:
    """Value every instrument of the run that has no result yet, chunk by chunk.

    The same call starts and resumes a run. ``console``: show a progress bar there.
    ``max_chunks``: stop after that many chunks (the run stays ``running``; tests and
    operators use it to split a run). ``runner``: where chunks are valued (default this
    process; :class:`~computefin.engine.scaleout.DaskRunner` for a cluster); results are
    written here either way, one transaction per chunk.
    """
    import time

    started = time.perf_counter()
    run = _load_run(store, run_id)
    spec = RunSpec.from_json(run.parameters)
    parameters = json.loads(run.parameters)
    listing = _instruments(store, spec.types)
    if _instruments_hash(listing) != parameters["instruments_hash"]:
        raise StoreError(
            f"the store's instruments changed since run {run_id} started (added, removed or "
            "edited): start a new run"
        )
    reference = parameters.get("reference_inputs_hash")
    if reference is not None and reference != _reference_inputs_hash(store):
        raise StoreError(
            f"the store's counterparties, fleets or contracts changed since run {run_id} "
            "started: its remaining instruments would be valued on other inputs; start a "
            "new run"
        )
    with store.session() as session:
        snapshot_id, market = load_snapshot(session, run.snapshot_id)
        context = RunContext(
            market=market,
            snapshot_id=snapshot_id,
            portfolio=load_portfolio(session),
            n_scenarios=run.n_scenarios,
            seed=run.seed,
            scenario_hash=run.scenario_hash,
        )
    jobs: list[ChunkJob] = []
    total = sum(len(v) for v in listing.values()) * len(spec.cases)
    already = 0
    for case, stress in spec.cases:
        for kind in spec.types:
            valued_ids = _done_ids(store, run_id, case, kind)
            already += len(valued_ids)
            todo = [i for i, _ in listing[kind] if i not in valued_ids]
            # Chunks cut from what is left: a committed chunk was always a whole one, so
            # a resumed run makes the chunks an uninterrupted run makes.
            for lo in range(0, len(todo), spec.chunk_size):
                jobs.append(ChunkJob(case, stress, kind, tuple(todo[lo : lo + spec.chunk_size])))
    if max_chunks is not None:
        jobs = jobs[:max_chunks]
    hashes = {kind: dict(rows) for kind, rows in listing.items()}
    if run.status != "running":
        _set_status(store, run_id, "running")
    tally = {"valued": 0, "chunks": 0}
    by_type: dict[str, int] = {}

    def load(job: ChunkJob) -> Any:
        with store.session() as session:
            return handlers()[job.kind].load(session, job.ids)

    try:
        with _progress(console, total, already) as advance:

            def done(job: ChunkJob, records: list[ResultRecord]) -> None:
                _check(records, job.ids, job.kind)
                _write(store, run, job.case, job.kind, hashes[job.kind], records)
                tally["valued"] += len(job.ids)
                tally["chunks"] += 1
                by_type[job.kind] = by_type.get(job.kind, 0) + len(job.ids)
                if advance is not None:
                    advance(len(job.ids), f"{job.case} / {job.kind}")

            (runner or LocalRunner()).run(jobs, load, context, done)
        missing = sum(len(job.ids) for job in jobs) - tally["valued"]
        if missing:
            raise StoreError(
                f"run {run_id}: the chunk runner returned with {missing} instruments not "
                "valued; resume the run"
            )
    except BaseException:
        _set_status(store, run_id, "failed")
        raise
    finished = max_chunks is None or tally["valued"] + already >= total
    if finished:
        _set_status(store, run_id, "completed")
    return _summary(store, run_id, total, tally["valued"], started, tally["chunks"], by_type)


def _check(records: Sequence[ResultRecord], ids: Sequence[str], kind: str) -> None:
    got = [r.instrument_id for r in records]
    if got != list(ids):
        raise StoreError(f"the {kind} handler returned results for other instruments than asked")


def _summary(
    store: Store,
    run_id: str,
    total: int,
    valued: int,
    started: float,
    chunks: int,
    by_type: dict[str, int],
) -> RunSummary:
    import time

    with store.session() as session:
        errors = session.scalar(
            select(func.count())
            .select_from(ResultRow)
            .where(ResultRow.run_id == run_id, ResultRow.error.is_not(None))
        )
        status = session.scalar(select(RunRow.status).where(RunRow.id == run_id))
    return RunSummary(
        run_id=run_id,
        status=str(status),
        total=total,
        valued=valued,
        errors=int(errors or 0),
        seconds=time.perf_counter() - started,
        chunks=chunks,
        by_type=by_type,
    )


def run_valuation(
    store: Store,
    spec: RunSpec,
    *,
    console: Console | None = None,
    runner: ChunkRunner | None = None,
) -> str:
    """Start a run and execute it to the end; returns the run id."""
    run_id = start_run(store, spec)
    execute_run(store, run_id, console=console, runner=runner)
    return run_id

"""Run a valuation's chunks in this process or on a Dask cluster, with the same figures.

The batch job (:func:`computefin.engine.batch.execute_run`) cuts a run into chunks and
hands them to a runner:

- :class:`LocalRunner` values each chunk here, in order;
- :class:`DaskRunner` ships each chunk to a Dask worker as plain data - the
  instruments' JSON, the market snapshot's and the portfolio's JSON (scattered once),
  the stress's JSON - and gets plain result records back. QuantLib objects never travel
  (they do not pickle): a worker rebuilds models, curves and calendars from the JSON and
  keeps the run's context between chunks. The coordinating process writes every chunk's
  results through the same transactional store, so workers need no database access.

A chunk's figures depend only on the chunk (fleet paths are drawn per fleet from the
seed), and the chunks are the same however many workers run them: results are
bit-identical to the single-process run for the same seed and chunk size.

>>> runner = LocalRunner()
>>> runner.describe()
'this process'
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from typing import Any, Protocol

from computefin._version import __version__
from computefin.domain import MarketSnapshot, Portfolio
from computefin.engine.registry import ResultRecord, RunContext, handlers
from computefin.errors import ValidationError
from computefin.risk import StressScenario

__all__ = [
    "ChunkJob",
    "ChunkRunner",
    "ContextPayload",
    "DaskRunner",
    "LocalRunner",
    "dask_client",
    "value_chunk",
]


@dataclass(frozen=True)
class ChunkJob:
    """One chunk of a run: the case, its stress, the instrument type and ids."""

    case: str
    stress: StressScenario | None
    kind: str
    ids: tuple[str, ...]


@dataclass(frozen=True)
class ContextPayload:
    """A run's context as plain data (what a worker needs to rebuild it)."""

    market_json: str
    snapshot_id: str
    portfolio_json: str
    n_scenarios: int | None
    seed: int
    scenario_hash: str | None

    @classmethod
    def of(cls, context: RunContext) -> ContextPayload:
        """The payload of a context built in the coordinating process."""
        return cls(
            market_json=context.market.model_dump_json(),
            snapshot_id=context.snapshot_id,
            portfolio_json=context.portfolio.model_dump_json(),
            n_scenarios=context.n_scenarios,
            seed=context.seed,
            scenario_hash=context.scenario_hash,
        )

    @property
    def key(self) -> str:
        """SHA-256 of everything in the payload."""
        text = json.dumps(
            [self.market_json, self.snapshot_id, self.portfolio_json, self.n_scenarios,
             self.seed, self.scenario_hash]
        )  # fmt: skip
        return hashlib.sha256(text.encode()).hexdigest()

    def context(self) -> RunContext:
        """Rebuild the context (models validated again)."""
        return RunContext(
            market=MarketSnapshot.model_validate_json(self.market_json),
            snapshot_id=self.snapshot_id,
            portfolio=Portfolio.model_validate_json(self.portfolio_json),
            n_scenarios=self.n_scenarios,
            seed=self.seed,
            scenario_hash=self.scenario_hash,
        )


_WORKER_CONTEXT: dict[str, RunContext] = {}
"""The run context a worker process last rebuilt, by payload key (one at a time)."""


def value_chunk(
    kind: str, data: Any, payload: ContextPayload, stress_json: str | None
) -> list[ResultRecord]:
    """Value one loaded chunk from plain data (the task a Dask worker runs).

    >>> import datetime as dt
    >>> from computefin.domain import demo_market, demo_portfolio
    >>> from computefin.products import CollateralLoan
    >>> loan = CollateralLoan(id="w-1", borrower_counterparty_id="us-neocloud",
    ...     principal=5e6, currency="USD", start=dt.date(2026, 12, 15),
    ...     maturity=dt.date(2028, 12, 15), frequency="quarterly", amortization="straight",
    ...     fixed_rate=0.08, collateral={"fleet_ids": ["fleet-dal-h100"]})
    >>> payload = ContextPayload(demo_market().model_dump_json(), "demo",
    ...     demo_portfolio().model_dump_json(), None, 0, None)
    >>> [r.instrument_id for r in value_chunk("loan", [loan.model_dump_json()], payload, None)]
    ['w-1']
    """
    key = payload.key
    context = _WORKER_CONTEXT.get(key)
    if context is None:
        _WORKER_CONTEXT.clear()
        context = _WORKER_CONTEXT[key] = payload.context()
    stress = None if stress_json is None else StressScenario.model_validate_json(stress_json)
    return handlers()[kind].value_loaded(data, context, stress)


Done = Callable[[ChunkJob, list[ResultRecord]], None]
Load = Callable[[ChunkJob], Any]


class ChunkRunner(Protocol):
    """Values jobs and hands each job's records to ``done`` (in the coordinating process)."""

    def run(self, jobs: Iterable[ChunkJob], load: Load, context: RunContext, done: Done) -> None:
        """Value every job; call ``done(job, records)`` as each finishes."""
        ...

    def describe(self) -> str:
        """Where the chunks run, for messages."""
        ...


class LocalRunner:
    """Chunks valued one after the other in this process."""

    def run(self, jobs: Iterable[ChunkJob], load: Load, context: RunContext, done: Done) -> None:
        """Load, value, hand over: one job at a time."""
        for job in jobs:
            records = handlers()[job.kind].value_loaded(load(job), context, job.stress)
            done(job, records)

    def describe(self) -> str:
        """``this process``."""
        return "this process"


class DaskRunner:
    """Chunks valued on a Dask cluster's workers, ``in_flight`` at a time per worker.

    The client must be connected (:func:`dask_client`); the workers must run this
    computefin version (checked before the first chunk).
    """

    def __init__(self, client: Any, in_flight_per_worker: int = 2) -> None:
        self.client = client
        self.in_flight_per_worker = in_flight_per_worker

    def _workers(self) -> int:
        return max(1, len(self.client.scheduler_info().get("workers", {})))

    def check_versions(self) -> None:
        """Every worker must run this computefin version (figures are versioned)."""
        versions = self.client.run(_worker_version)
        other = {w: v for w, v in versions.items() if v != __version__}
        if other:
            shown = ", ".join(f"{w}: {v}" for w, v in list(other.items())[:3])
            raise ValidationError(
                "cluster", f"workers run another computefin version than {__version__}", shown
            )

    def run(self, jobs: Iterable[ChunkJob], load: Load, context: RunContext, done: Done) -> None:
        """Submit jobs (bounded in flight), write each as it completes."""
        from distributed import as_completed

        self.check_versions()
        payload = self.client.scatter(ContextPayload.of(context), broadcast=True)
        pending = iter(jobs)
        limit = self.in_flight_per_worker * self._workers()
        futures: dict[Any, ChunkJob] = {}

        def submit(job: ChunkJob) -> Any:
            stress = None if job.stress is None else job.stress.model_dump_json()
            future = self.client.submit(
                value_chunk, job.kind, load(job), payload, stress, pure=False
            )
            futures[future] = job
            return future

        try:
            started = [submit(job) for job in islice(pending, limit)]
            queue = as_completed(started)
            for future in queue:
                job = futures.pop(future)
                records = future.result()
                done(job, records)
                following = next(pending, None)
                if following is not None:
                    queue.add(submit(following))
        finally:
            if futures:  # a chunk failed or its results could not be written: stop the rest
                self.client.cancel(list(futures))

    def describe(self) -> str:
        """The scheduler address and worker count."""
        return f"Dask at {self.client.scheduler.address} ({self._workers()} workers)"


def _worker_version() -> str:
    return __version__


def _address(cluster: str) -> str:
    """``dask://host:port`` as the scheduler's ``tcp://host:port``; others as given."""
    if cluster.startswith("dask://"):
        return "tcp://" + cluster.removeprefix("dask://")
    return cluster


@contextmanager
def dask_client(*, workers: int | None = None, cluster: str | None = None) -> Iterator[Any]:
    """A Dask client: on a new local cluster of ``workers`` processes (one thread each),
    or connected to the scheduler at ``cluster`` (``tcp://host:8786`` or
    ``dask://host:8786``). The local cluster is shut down on exit."""
    from distributed import Client, LocalCluster

    if (workers is None) == (cluster is None):
        raise ValidationError("workers", "give either --workers N or --cluster ADDRESS")
    if cluster is not None:
        with Client(_address(cluster), timeout="30s") as client:
            yield client
        return
    assert workers is not None
    if workers < 1:
        raise ValidationError("workers", "must be >= 1", workers)
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as local,  # fmt: skip
        Client(local) as client,
    ):
        yield client

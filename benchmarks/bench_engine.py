"""The engine end to end: a synthetic GPU-loan book loaded into SQLite and valued in batch.

``python -m benchmarks.bench_engine [--loans N] [--scenarios S] [--chunk C] [--profile]``

A reproducible synthetic book (numpy seed :data:`SEED`) of counterparties, fleets at the
demo sites (H100 / H200 in the US, H20 / H800 / Ascend 910B in China; one to three server
groups each), rental contracts and collateral loans is written into a fresh SQLite store
through the engine's record writers (:mod:`computefin.engine.store.records`, the same
validated path ``computefin load`` takes), then valued by
:func:`computefin.engine.batch.run_valuation` with ``S`` scenarios per fleet (default
1,000). Timed, in seconds of wall clock:

- ``load``: building the domain models and writing them (the database writes of loading);
- ``run``: the batch valuation, split into ``kernels`` (the product valuation,
  :func:`~computefin.products.value_book`, called by the loan handler), ``database``
  (everything that talks to the store: the run's bookkeeping, instrument listings, the
  portfolio and snapshot reads, loan reads and their model validation, result writes)
  and ``engine`` (the rest: turning frames into result records, progress).

The split comes from timers wrapped around the module-level functions the batch job calls
(``value_book`` and ``load_loans`` as the handler sees them, the batch job's store helpers);
the wrappers only measure, they change nothing the job does.

Loans per fleet: :data:`LOANS_PER_FLEET` on average (between 5 and 45, more on bigger
fleets). A bank's book records every drawdown of a facility as its own loan (a drawdown
note; in Chinese banks' systems each 借据 is one loan), and a GPU fleet is financed by a
facility drawn as server batches are delivered, plus working-capital draws and the bank's
share of syndicated tranches, so one fleet carries tens of loan records. The number of
distinct fleets is bounded by the world's GPU sites: 100,000 loans over 4,000 fleets is
already a very large lender's share of them, while 100,000 fleets would exceed the number
of sizeable GPU clusters in existence. See ``benchmarks/engine_results.md``.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import functools
import io
import pstats
import resource
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from computefin.domain import (
    Contract,
    Counterparty,
    Fleet,
    ServerGroup,
    Site,
    demo_market,
    demo_portfolio,
)
from computefin.engine import batch, registry
from computefin.engine.batch import RunSpec, run_valuation
from computefin.engine.store import Store, open_store, records as store_records
from computefin.products import CollateralLoan

__all__ = [
    "LOANS_PER_FLEET",
    "SEED",
    "EngineTiming",
    "SyntheticBook",
    "main",
    "run",
    "synthetic_book",
]

SEED = 20261127
"""numpy seed of the synthetic book: the same arguments give the same book."""
AS_OF = dt.date(2026, 11, 27)
"""Valuation date: the demo market snapshot's."""
LOANS_PER_FLEET = 25
"""Average loans per fleet (drawdowns, working-capital draws, syndicate tranches)."""
LESSEES_CN = 24
LESSEES_US = 16
"""Lessee counterparties (hyperscalers, internet platforms, AI labs, telecoms) per country."""

# (accelerator, currency, server cost, kW per server, contract price per GPU-hour)
_CN_KINDS = (
    ("nvidia-h20", "CNY", 1_100_000.0, 5.6, 7.5),
    ("huawei-ascend-910b", "CNY", 1_300_000.0, 5.6, 8.0),
    ("nvidia-h800-sxm", "CNY", 2_600_000.0, 10.2, 11.0),
)
_US_KINDS = (
    ("nvidia-h100-sxm", "USD", 300_000.0, 10.2, 2.35),
    ("nvidia-h200-sxm", "USD", 340_000.0, 10.2, 2.90),
)
_CN_RATINGS = ("AAA", "AA+", "AA", "AA-", "A+", "A")
_US_RATINGS = ("BBB", "BBB-", "BB+", "BB", "BB-", "B+")


def _month(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.month - 1 + months, 12)
    return dt.date(day.year + y, m + 1, min(day.day, 28))


@dataclass(frozen=True)
class SyntheticBook:
    """The generated book: domain models ready for the record writers."""

    counterparties: list[Counterparty]
    fleets: list[Fleet]
    contracts: list[Contract]
    loans: list[CollateralLoan]


def _sites() -> dict[str, list[Site]]:
    out: dict[str, list[Site]] = {"CN": [], "US": []}
    for fleet in demo_portfolio().fleets:
        if fleet.site not in out[fleet.site.country]:
            out[fleet.site.country].append(fleet.site)
    return out


def synthetic_book(n_loans: int, seed: int = SEED) -> SyntheticBook:
    """``n_loans`` loans on about ``n_loans / LOANS_PER_FLEET`` fleets, reproducibly.

    Three fleets in five are in China (CNY), two in the US (USD). Each fleet has one to
    three server groups (64 to 512 servers in all, 8 GPUs each), zero to three contracts
    committing at most 90% of its GPUs, and an owner that may own other fleets. Loans
    follow the demo book's terms (2 to 5 years, fixed or floating, monthly or quarterly,
    four amortization profiles, LTV and DSCR covenants), each pledging its fleet and
    assigning its contracts; one loan in twenty pledges a second fleet of the same owner
    and currency.
    """
    rng = np.random.default_rng(seed)
    sites = _sites()
    n_fleets = max(1, round(n_loans / LOANS_PER_FLEET))
    lessees = [
        Counterparty(
            id=f"lessee-{country.lower()}-{i:03d}",
            name=f"{'Chinese' if country == 'CN' else 'American'} Compute Lessee {i:03d}",
            rating=(_CN_RATINGS if country == "CN" else _US_RATINGS)[i % 6],
            rating_scale="cn-domestic" if country == "CN" else "global",
            sector=("hyperscaler", "internet", "ai_lab", "telecom")[i % 4],
            country=country,
        )
        for country, count in (("CN", LESSEES_CN), ("US", LESSEES_US))
        for i in range(count)
    ]
    n_owners = max(1, n_fleets * 2 // 5)
    owners = [
        Counterparty(
            id=f"operator-{i:05d}",
            name=f"Compute Operator {i:05d}",
            rating=(_CN_RATINGS if i % 5 < 3 else _US_RATINGS)[int(rng.integers(6))],
            rating_scale="cn-domestic" if i % 5 < 3 else "global",
            sector="neocloud" if i % 2 else "enterprise",
            country="CN" if i % 5 < 3 else "US",
        )
        for i in range(n_owners)
    ]
    fleets: list[Fleet] = []
    contracts: list[Contract] = []
    by_owner: dict[str, list[Fleet]] = {}
    for n in range(n_fleets):
        owner = owners[n * n_owners // n_fleets]  # an operator's fleets are numbered together
        china = owner.country == "CN"
        kinds = _CN_KINDS if china else _US_KINDS
        site = sites[owner.country][int(rng.integers(len(sites[owner.country])))]
        n_groups = int(rng.integers(1, 4))
        total_servers = int(rng.integers(8, 65)) * 8
        groups = []
        for g in range(n_groups):
            accelerator, ccy, cost, kw, _ = kinds[int(rng.integers(len(kinds)))]
            groups.append(
                ServerGroup(
                    accelerator_id=accelerator,
                    servers=max(8, total_servers // n_groups),
                    gpus_per_server=8,
                    unit_cost=round(cost * float(rng.uniform(0.9, 1.1)), -3),
                    currency=ccy,
                    acquired=_month(dt.date(2024, 1, 1), int(rng.integers(0, 30))),
                    power_kw=kw,
                    resource_id=f"F{n:05d}-{g}",
                )
            )
        fleet = Fleet(
            id=f"fleet-{n:05d}", owner_counterparty_id=owner.id, site=site, server_groups=groups
        )
        fleets.append(fleet)
        by_owner.setdefault(owner.id, []).append(fleet)
        pool = [c for c in lessees if c.country == owner.country]
        share_left = 0.9
        price = kinds[0][4] if china else _US_KINDS[0][4]
        for k in range(int(rng.integers(0, 4))):
            share = round(float(rng.uniform(0.15, 0.35)), 2)
            if share > share_left:
                break
            share_left -= share
            start = _month(min(g.acquired for g in groups), int(rng.integers(0, 6)))
            contracts.append(
                Contract(
                    id=f"ctr-{n:05d}-{k}",
                    counterparty_id=pool[int(rng.integers(len(pool)))].id,
                    fleet_id=fleet.id,
                    gpus_committed=max(8, int(fleet.gpus * share)),
                    price_per_gpu_hour=round(price * float(rng.uniform(0.9, 1.3)), 2),
                    currency=groups[0].currency,
                    start=start,
                    end=_month(start, int(rng.choice([24, 36, 48, 60]))),
                    take_or_pay_share=round(float(rng.uniform(0.6, 1.0)), 2),
                )
            )
    on_fleet: dict[str, list[str]] = {}
    for c in contracts:
        on_fleet.setdefault(c.fleet_id, []).append(c.id)
    # Loans per fleet: proportional to the fleet's size (one drawdown per delivered batch),
    # scaled so the book has exactly n_loans.
    sizes = np.array([f.gpus for f in fleets], dtype=np.float64)
    counts = np.maximum(1, np.floor(sizes / sizes.sum() * n_loans)).astype(np.int64)
    short = n_loans - int(counts.sum())
    order = rng.permutation(n_fleets)
    for i in range(abs(short)):
        j = order[i % n_fleets]
        counts[j] += 1 if short > 0 else (-1 if counts[j] > 1 else 0)
    loans: list[CollateralLoan] = []
    for fleet, n_fleet_loans in zip(fleets, counts.tolist(), strict=True):
        capex = sum(g.servers * g.unit_cost for g in fleet.server_groups)
        ccy = fleet.server_groups[0].currency
        siblings = [
            f
            for f in by_owner[fleet.owner_counterparty_id]
            if f.id != fleet.id and f.server_groups[0].currency == ccy
        ]
        for k in range(n_fleet_loans):
            floating = bool(rng.integers(2))
            tenor_years = int(rng.integers(2, 6))
            start = (
                _month(AS_OF, int(rng.integers(1, 7)))
                if floating
                else _month(AS_OF, -int(rng.integers(1, 13)))
            )
            amortization = str(
                rng.choice(["level", "straight", "balloon", "bullet"], p=[0.4, 0.4, 0.15, 0.05])
            )
            if floating:
                index = "SOFR" if ccy == "USD" else str(rng.choice(["LPR1Y", "SHIBOR3M"]))
                terms: dict[str, Any] = {
                    "index": index,
                    "margin": round(float(rng.uniform(0.01, 0.045)), 4),
                }
            else:
                low, high = (0.065, 0.11) if ccy == "USD" else (0.035, 0.06)
                terms = {"fixed_rate": round(float(rng.uniform(low, high)), 4)}
            pledged = [fleet.id]
            if siblings and rng.random() < 0.05:
                pledged.append(siblings[int(rng.integers(len(siblings)))].id)
            loans.append(
                CollateralLoan(
                    id=f"loan-{fleet.id.removeprefix('fleet-')}-{k:03d}",
                    borrower_counterparty_id=fleet.owner_counterparty_id,
                    principal=round(capex * float(rng.uniform(0.5, 1.5)) / n_fleet_loans, -3),
                    currency=ccy,
                    start=start,
                    maturity=_month(start, 12 * tenor_years),
                    frequency=str(rng.choice(["monthly", "quarterly"])),
                    amortization=amortization,
                    balloon_share=0.3 if amortization == "balloon" else None,
                    day_count="ACT/360" if ccy == "USD" else "ACT/365F",
                    calendar="US-SOFR" if ccy == "USD" else "CN-IB",
                    upfront_fee_rate=0.005,
                    collateral={
                        "fleet_ids": pledged,
                        "assigned_contract_ids": on_fleet.get(fleet.id, []),
                    },
                    covenants={
                        "max_ltv": round(float(rng.uniform(0.7, 0.85)), 2),
                        "min_dscr": round(float(rng.uniform(1.1, 1.3)), 2),
                    },
                    **terms,
                )
            )
    return SyntheticBook([*lessees, *owners], fleets, contracts, loans)


# --- timing -------------------------------------------------------------------------------

_F = TypeVar("_F", bound=Callable[..., Any])


@dataclass
class _Clock:
    """Wall time per bucket; nested timers count once (the outermost bucket)."""

    seconds: dict[str, float] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)
    depth: int = 0

    def wrap(self, bucket: str, fn: _F) -> _F:
        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            if self.depth:
                return fn(*args, **kwargs)
            self.depth += 1
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.depth -= 1
                self.seconds[bucket] = self.seconds.get(bucket, 0.0) + time.perf_counter() - start
                self.calls[bucket] = self.calls.get(bucket, 0) + 1

        return timed  # type: ignore[return-value]


@contextmanager
def _instrumented(clock: _Clock) -> Iterator[None]:
    """Wrap the batch job's store helpers and the handler's two calls; restore on exit."""
    patches: list[tuple[Any, str, str]] = [
        (registry, "value_book", "kernels"),
        (registry, "load_loans", "database"),
        (batch, "load_portfolio", "database"),
        (batch, "load_snapshot", "database"),
        (batch, "_write", "database"),
        (batch, "_done_ids", "database"),
        (batch, "_instruments", "database"),
        (batch, "_load_run", "database"),
        (batch, "_set_status", "database"),
        (batch, "_pick_snapshot", "database"),
        (batch, "_scenario_hash", "database"),
        (batch, "_summary", "database"),
    ]
    saved = [(module, name, getattr(module, name)) for module, name, _ in patches]
    try:
        for module, name, bucket in patches:
            setattr(module, name, clock.wrap(bucket, getattr(module, name)))
        yield
    finally:
        for module, name, original in saved:
            setattr(module, name, original)


@dataclass(frozen=True)
class EngineTiming:
    """Figures of one end-to-end run (seconds of wall clock, bytes)."""

    loans: int
    fleets: int
    contracts: int
    counterparties: int
    scenarios: int
    chunk_size: int
    generate: float
    load: float
    run: float
    kernels: float
    database_run: float
    errors: int
    peak_rss_bytes: int

    @property
    def total(self) -> float:
        """Load plus run: the end-to-end figure (generation of the synthetic data excluded)."""
        return self.load + self.run

    @property
    def database(self) -> float:
        """Database time: loading plus the run's store work."""
        return self.load + self.database_run

    @property
    def engine_other(self) -> float:
        """The run's time neither in the kernels nor in the store."""
        return self.run - self.kernels - self.database_run

    def report(self) -> str:
        """The figures as text."""
        lines = [
            f"engine batch: {self.loans:,} loans on {self.fleets:,} fleets "
            f"({self.loans / self.fleets:.1f} loans/fleet), {self.contracts:,} contracts, "
            f"{self.counterparties:,} counterparties; {self.scenarios:,} scenarios, "
            f"chunks of {self.chunk_size}",
            f"  generate synthetic book (not timed)  {self.generate:9.1f} s",
            f"  load into SQLite (db writes)         {self.load:9.1f} s",
            f"  run                                  {self.run:9.1f} s",
            f"    kernels (value_book)               {self.kernels:9.1f} s",
            f"    database (reads, result writes)    {self.database_run:9.1f} s",
            f"    engine other (records, progress)   {self.engine_other:9.1f} s",
            f"  end to end (load + run)              {self.total:9.1f} s   "
            f"{self.loans / self.total:,.1f} loans/s",
            f"  database share                       {self.database / self.total:9.1%}"
            f"   (load {self.load:.1f} s + run {self.database_run:.1f} s)",
            f"  kernel share                         {self.kernels / self.total:9.1%}",
            f"  results with an error                {self.errors:9,d}",
            f"  peak RSS                             {self.peak_rss_bytes / 2**20:9,.0f} MiB",
        ]
        return "\n".join(lines)


def _load(store: Store, book: SyntheticBook) -> None:
    with store.session() as session:
        store_records.save_counterparties(session, book.counterparties)
        store_records.save_fleets(session, book.fleets)
        store_records.save_contracts(session, book.contracts)
        store_records.load_portfolio(session)  # the whole-store check save_portfolio runs
    with store.session() as session:
        store_records.save_loans(session, book.loans)
    with store.session() as session:
        store_records.save_snapshot(session, demo_market())


def run(
    n_loans: int = 2_000,
    n_scenarios: int = 1_000,
    chunk_size: int = batch.DEFAULT_CHUNK_SIZE,
    seed: int = 7,
    folder: Path | None = None,
) -> EngineTiming:
    """Generate, load and value a synthetic book; return the timings."""
    started = time.perf_counter()
    book = synthetic_book(n_loans)
    generated = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(folder or tmp) / "bench_engine.db"
        if path.exists():
            path.unlink()
        store = open_store(f"sqlite:///{path}", create=True)
        load_start = time.perf_counter()
        _load(store, book)
        loaded = time.perf_counter()
        clock = _Clock()
        with _instrumented(clock):
            spec = RunSpec(
                as_of=AS_OF,
                n_scenarios=n_scenarios,
                seed=seed,
                chunk_size=chunk_size,
                instrument_types=("loan",),
            )
            run_id = run_valuation(store, spec)
        done = time.perf_counter()
        with store.session() as session:
            from sqlalchemy import func, select

            from computefin.engine.store.schema import ResultRow

            errors = session.scalar(
                select(func.count())
                .select_from(ResultRow)
                .where(ResultRow.run_id == run_id, ResultRow.error.is_not(None))
            )
        store.close()
    return EngineTiming(
        loans=len(book.loans),
        fleets=len(book.fleets),
        contracts=len(book.contracts),
        counterparties=len(book.counterparties),
        scenarios=n_scenarios,
        chunk_size=chunk_size,
        generate=generated - started,
        load=loaded - load_start,
        run=done - loaded,
        kernels=clock.seconds.get("kernels", 0.0),
        database_run=clock.seconds.get("database", 0.0),
        errors=int(errors or 0),
        peak_rss_bytes=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    )


def main(argv: list[str] | None = None) -> None:
    """Command line: sizes, optional cProfile of the whole run."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loans", type=int, default=2_000, help="loans in the book")
    parser.add_argument("--scenarios", type=int, default=1_000, help="paths per fleet")
    parser.add_argument("--chunk", type=int, default=batch.DEFAULT_CHUNK_SIZE, help="chunk size")
    parser.add_argument("--seed", type=int, default=7, help="scenario seed of the run")
    parser.add_argument("--profile", action="store_true", help="print a cProfile summary")
    args = parser.parse_args(argv)
    profiler = cProfile.Profile() if args.profile else None
    if profiler is not None:
        profiler.enable()
    timing = run(args.loans, args.scenarios, args.chunk, args.seed)
    if profiler is not None:
        profiler.disable()
    print(timing.report())
    if profiler is not None:
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(40)
        print(text.getvalue())
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(25)
        print(text.getvalue())


if __name__ == "__main__":
    main()

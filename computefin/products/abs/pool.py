"""The securitised pool (算力资产证券化 资产池): GPU leases, compute loans and receivables.

A :class:`Pool` is plain, validated data: a cut-off date, a currency, a pool discount
rate and three lists of assets. :meth:`Pool.contractual_flows` gives each asset's
scheduled cash flows after the cut-off on the pool's period grid (no defaults, no
prepayments, no renewals); :meth:`Pool.discounted_balance` the balance rating agencies
and accountants use beside the undiscounted remaining contractual rent. Projection under
a performance scenario is :func:`computefin.products.abs.performance.project_pool`.

Conventions (``docs/products/abs-pool.md``):

- a cash flow dated ``d`` falls in pool period ``k`` when ``start_k < d <= end_k``; cash
  dated on or before the cut-off belongs to the seller;
- a lease's discounted balance after its rent payment ``j`` is the value of the remaining
  rent at the pool discount rate compounded at the rent frequency:
  ``B_{j-1} = (rent_j + B_j) / (1 + r / f)`` (``f`` payments a year, ``B = 0`` after the
  last payment); each payment splits into ``interest = B_{j-1} r / f`` and ``principal =
  rent_j - interest``, so the balance falls by exactly the principal. Between rent dates
  the balance stays at its value after the last payment (no accrual);
- a receivable's balance is its face discounted at simple interest from its due date to
  the cut-off: ``B = face / (1 + r tau)``, ``tau`` ACT/365F;
- a loan's balance is its outstanding principal (times the pool's ``share``), its interest
  and principal those of :meth:`~computefin.products.loan.CollateralLoan.cashflows`.

>>> pool = demo_pool()
>>> pool.currency.value, len(pool.leases), len(pool.loans)
('CNY', 36, 2)
>>> bool(pool.discounted_balance().balance.sum() < pool.contractual_flows().cash.sum())
True
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, model_validator

from computefin.domain._base import DomainModel
from computefin.domain._types import (
    Currency,
    Identifier,
    NonNegativeFloat,
    PositiveFloat,
    Rate,
)
from computefin.domain.assets import AcceleratorId
from computefin.domain.conventions import Frequency
from computefin.domain.market import MarketSnapshot
from computefin.errors import FieldProblem, ValidationError
from computefin.products.loan import CollateralLoan
from computefin.risk.grid import MAX_HORIZON_MONTHS, PeriodGrid, add_months, period_grid

if TYPE_CHECKING:
    import pandas as pd

    from computefin.products.abs.performance import Performance, PoolFlowsBuilder
    from computefin.risk.scenario_set import ScenarioSet

__all__ = [
    "GpuLease",
    "Pool",
    "PoolLoan",
    "Receivable",
    "RenewalOption",
    "RentStepUp",
    "demo_pool",
    "load_pool",
]

MAX_LEASE_MONTHS = 240
"""Longest lease term or renewal accepted, months (20 years)."""


class RentStepUp(DomainModel):
    """A new rent per period from ``date`` on: rent payments due on or after it pay it.

    >>> RentStepUp(date=dt.date(2027, 6, 1), rent_per_period=110_000.0).rent_per_period
    110000.0
    """

    date: dt.date
    rent_per_period: PositiveFloat = Field(description="Rent per rent period from `date`.")


class RenewalOption(DomainModel):
    """The lessee's option to extend the lease for ``term_months`` at ``rent_per_period``.

    Options follow one another: option ``i`` can only be exercised if option ``i - 1`` was.

    >>> RenewalOption(term_months=12, rent_per_period=90_000.0).term_months
    12
    """

    term_months: int = Field(gt=0, le=MAX_LEASE_MONTHS, description="Renewal term, months.")
    rent_per_period: PositiveFloat = Field(description="Rent per rent period when renewed.")


class GpuLease(DomainModel):
    """A lease of ``gpus`` accelerators to a lessee, paying ``rent_per_period`` in ``currency``.

    The lease runs from ``start`` for ``term_months``; rent is due every rent period
    (``rent_frequency``) in ``arrears`` (at each period's end, default) or in ``advance``
    (at its start). ``step_ups`` change the rent from their date; ``renewal_options``
    extend the lease; ``security_deposit`` (money) is held by the lessor and applied
    against a default. ``gpus_acquired`` (default ``start``) and ``gpu_cost`` (per GPU, in
    ``currency``; default the catalog list price converted at the market's FX) feed the
    residual value model when GPUs are remarketed.

    >>> lease = GpuLease(id="ls-1", lessee_counterparty_id="cn-ailab",
    ...     accelerator_id="nvidia-h20", gpus=64, currency="CNY", rent_per_period=300_000.0,
    ...     start=dt.date(2026, 6, 30), term_months=36)
    >>> lease.end, round(lease.rent_per_gpu_hour(), 2)
    (datetime.date(2029, 6, 30), 6.42)
    >>> GpuLease(id="ls-2", lessee_counterparty_id="x", accelerator_id="nvidia-h20", gpus=8,
    ...     currency="CNY", rent_per_period=1.0, start=dt.date(2026, 1, 31), term_months=12,
    ...     step_ups=[{"date": "2027-03-01", "rent_per_period": 2.0}])
    Traceback (most recent call last):
    ...
    computefin.errors.ValidationError: GpuLease.step_ups[0].date: must fall inside the term ...
    """

    id: Identifier
    lessee_counterparty_id: Identifier
    accelerator_id: AcceleratorId
    gpus: int = Field(gt=0, le=10_000_000, description="GPUs leased.")
    currency: Currency
    rent_per_period: PositiveFloat = Field(description="Rent per rent period, in `currency`.")
    rent_frequency: Frequency = Frequency.MONTHLY
    payment_timing: Literal["arrears", "advance"] = "arrears"
    start: dt.date
    term_months: int = Field(gt=0, le=MAX_LEASE_MONTHS, description="Lease term, months.")
    step_ups: tuple[RentStepUp, ...] = ()
    renewal_options: tuple[RenewalOption, ...] = ()
    security_deposit: NonNegativeFloat = Field(default=0.0, description="Deposit held, money.")
    gpus_acquired: dt.date | None = Field(
        default=None, description="Date the GPUs were bought (residual value); default start."
    )
    gpu_cost: PositiveFloat | None = Field(
        default=None, description="Cost of one GPU in `currency` (residual value's list price)."
    )

    @model_validator(mode="after")
    def _sane(self) -> GpuLease:
        problems: list[FieldProblem] = []
        months = self.rent_frequency.months
        if self.term_months % months:
            problems.append(
                FieldProblem(
                    "term_months",
                    f"must be a whole number of {self.rent_frequency.value} rent periods",
                    self.term_months,
                )
            )
        for i, option in enumerate(self.renewal_options):
            if option.term_months % months:
                problems.append(
                    FieldProblem(
                        f"renewal_options[{i}].term_months",
                        f"must be a whole number of {self.rent_frequency.value} rent periods",
                        option.term_months,
                    )
                )
        end = self.end
        previous: dt.date | None = None
        for i, step in enumerate(self.step_ups):
            if not self.start < step.date < end:
                problems.append(
                    FieldProblem(
                        f"step_ups[{i}].date",
                        f"must fall inside the term ({self.start.isoformat()} to "
                        f"{end.isoformat()}, exclusive)",
                        step.date.isoformat(),
                    )
                )
            elif previous is not None and step.date <= previous:
                problems.append(
                    FieldProblem(
                        f"step_ups[{i}].date", "must come after the previous step-up", step.date
                    )
                )
            previous = step.date
        if self.gpus_acquired is not None and self.gpus_acquired > self.start:
            problems.append(
                FieldProblem(
                    "gpus_acquired",
                    f"must be on or before the lease start {self.start.isoformat()}",
                    self.gpus_acquired.isoformat(),
                )
            )
        if problems:
            raise ValidationError.from_problems(problems)
        return self

    @property
    def end(self) -> dt.date:
        """End of the original term (exclusive): ``start`` plus ``term_months``."""
        return add_months(self.start, self.term_months)

    @property
    def chain_end(self) -> dt.date:
        """End of the lease if every renewal option is exercised."""
        return add_months(
            self.start, self.term_months + sum(o.term_months for o in self.renewal_options)
        )

    @property
    def acquired(self) -> dt.date:
        """Acquisition date of the GPUs (``gpus_acquired`` or ``start``)."""
        return self.gpus_acquired or self.start

    def rent_on(self, date: dt.date) -> float:
        """Rent per period of a payment due on ``date`` (step-ups applied).

        >>> GpuLease(id="l", lessee_counterparty_id="x", accelerator_id="nvidia-h20", gpus=8,
        ...     currency="CNY", rent_per_period=100.0, start=dt.date(2026, 1, 31),
        ...     term_months=12, step_ups=[{"date": "2026-07-31", "rent_per_period": 103.0}]
        ... ).rent_on(dt.date(2026, 7, 31))
        103.0
        """
        rent = self.rent_per_period
        for step in self.step_ups:
            if step.date <= date:
                rent = step.rent_per_period
        return rent

    def rent_per_gpu_hour(self) -> float:
        """Initial rent per GPU-hour, ``currency`` (8,760 hours a year).

        >>> GpuLease(id="l", lessee_counterparty_id="x", accelerator_id="nvidia-h20", gpus=1,
        ...     currency="CNY", rent_per_period=730.0, start=dt.date(2026, 1, 31),
        ...     term_months=12).rent_per_gpu_hour()
        1.0
        """
        hours = 8760.0 / self.rent_frequency.periods_per_year
        return self.rent_per_period / (self.gpus * hours)


class PoolLoan(DomainModel):
    """A compute collateral loan held by the pool, or the ``share`` of it the pool bought.

    >>> loan = CollateralLoan(id="ln-1", borrower_counterparty_id="gz-cloud",
    ...     principal=50_000_000.0, currency="CNY", start=dt.date(2026, 6, 30),
    ...     maturity=dt.date(2029, 6, 30), frequency="monthly", amortization="level",
    ...     fixed_rate=0.055)
    >>> PoolLoan(loan=loan, share=0.5).id
    'ln-1'
    """

    loan: CollateralLoan
    share: float = Field(default=1.0, gt=0.0, le=1.0, description="Share held, in (0, 1].")

    @property
    def id(self) -> str:
        """The loan's id."""
        return self.loan.id

    @property
    def currency(self) -> Currency:
        """The loan's currency."""
        return self.loan.currency


class Receivable(DomainModel):
    """A plain receivable: ``face_amount`` owed by an obligor on ``due_date``.

    >>> Receivable(id="rc-1", obligor_counterparty_id="cn-telecom", currency="CNY",
    ...            face_amount=2_000_000.0, due_date=dt.date(2027, 3, 31)).face_amount
    2000000.0
    """

    id: Identifier
    obligor_counterparty_id: Identifier
    currency: Currency
    face_amount: PositiveFloat = Field(description="Amount due, in `currency`.")
    due_date: dt.date


class Pool(DomainModel):
    """A pool of GPU leases, compute loans and receivables at a cut-off date.

    ``pool_discount_rate`` (decimal p.a.) discounts lease rent and receivables into the
    discounted pool balance; ``payment_frequency`` is the period of the pool's
    collections. Validation: unique asset ids, one currency, leases started on or before
    the cut-off and with rent after it, step-ups inside the term, loans fully drawn by the
    cut-off and maturing after it, receivables due after it.

    >>> pool = Pool(id="p", cut_off=dt.date(2026, 12, 31), currency="CNY",
    ...     pool_discount_rate=0.06, leases=[GpuLease(id="a", lessee_counterparty_id="x",
    ...     accelerator_id="nvidia-h20", gpus=8, currency="CNY", rent_per_period=1000.0,
    ...     start=dt.date(2026, 12, 31), term_months=12)])
    >>> round(pool.original_balance(), 2)  # 1000 x annuity(0.5%, 12)
    11618.93
    >>> pool.model_copy(update={"currency": "USD"})
    Traceback (most recent call last):
    ...
    computefin.errors.ValidationError: Pool.leases[0].currency: must be USD, the pool currency ...
    """

    id: Identifier
    name: str = Field(default="", max_length=300)
    cut_off: dt.date
    currency: Currency
    pool_discount_rate: Rate = Field(
        ge=0.0, description="Pool discount rate, decimal p.a. (0.06 = 6%)."
    )
    payment_frequency: Frequency = Frequency.MONTHLY
    leases: tuple[GpuLease, ...] = ()
    loans: tuple[PoolLoan, ...] = ()
    receivables: tuple[Receivable, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Pool:
        problems: list[FieldProblem] = []
        if not (self.leases or self.loans or self.receivables):
            problems.append(FieldProblem("leases", "the pool needs at least one asset"))
        seen: dict[str, str] = {}
        cut = self.cut_off
        entries: list[tuple[str, str, Currency]] = [
            (f"leases[{i}]", x.id, x.currency) for i, x in enumerate(self.leases)
        ]
        entries += [(f"loans[{i}].loan", x.id, x.currency) for i, x in enumerate(self.loans)]
        entries += [(f"receivables[{i}]", x.id, x.currency) for i, x in enumerate(self.receivables)]
        for where, asset_id, currency in entries:
            if asset_id in seen:
                problems.append(
                    FieldProblem(f"{where}.id", f"duplicates the id of {seen[asset_id]}", asset_id)
                )
            seen.setdefault(asset_id, where.removesuffix(".loan"))
            if currency != self.currency:
                problems.append(
                    FieldProblem(
                        f"{where}.currency",
                        f"must be {self.currency.value}, the pool currency",
                        currency.value,
                    )
                )
        for i, lease in enumerate(self.leases):
            if lease.start > cut:
                problems.append(
                    FieldProblem(
                        f"leases[{i}].start",
                        f"must be on or before the cut-off {cut.isoformat()}",
                        lease.start.isoformat(),
                    )
                )
            elif lease.end <= cut or _last_rent_date(lease) <= cut:
                problems.append(
                    FieldProblem(
                        f"leases[{i}].term_months",
                        f"the lease has no rent due after the cut-off {cut.isoformat()}",
                        lease.term_months,
                    )
                )
        for i, held in enumerate(self.loans):
            loan = held.loan
            late = [d.date for d in loan.draw_schedule if d.date > cut]
            if late:
                problems.append(
                    FieldProblem(
                        f"loans[{i}].loan.draws",
                        f"must be drawn by the cut-off {cut.isoformat()} (the pool funds no draws)",
                        late[0].isoformat(),
                    )
                )
            if loan.maturity <= cut:
                problems.append(
                    FieldProblem(
                        f"loans[{i}].loan.maturity",
                        f"must be after the cut-off {cut.isoformat()}",
                        loan.maturity.isoformat(),
                    )
                )
        for i, rec in enumerate(self.receivables):
            if rec.due_date <= cut:
                problems.append(
                    FieldProblem(
                        f"receivables[{i}].due_date",
                        f"must be after the cut-off {cut.isoformat()}",
                        rec.due_date.isoformat(),
                    )
                )
        if problems:
            raise ValidationError.from_problems(problems)
        return self

    # -- shape ----------------------------------------------------------------------------

    @property
    def asset_ids(self) -> tuple[str, ...]:
        """Ids of every asset: leases, then loans, then receivables."""
        return (
            tuple(a.id for a in self.leases)
            + tuple(a.id for a in self.loans)
            + tuple(a.id for a in self.receivables)
        )

    def last_date(self) -> dt.date:
        """Latest date any asset can pay (lease renewals and loan maturity included).

        >>> demo_pool().last_date()
        datetime.date(2032, 1, 31)
        """
        dates = [lease.chain_end for lease in self.leases]
        dates += [h.loan.maturity + dt.timedelta(days=7) for h in self.loans]  # adjusted pay dates
        dates += [r.due_date for r in self.receivables]
        return max(dates)

    def projection_grid(self, extra_periods: int = 0) -> PeriodGrid:
        """The pool's period grid from the cut-off to :meth:`last_date`, plus ``extra_periods``.

        :func:`~computefin.products.abs.performance.project_pool` uses
        ``extra_periods = max(recovery, remarketing lags)``; a ScenarioSet built on the
        grid it returns (:meth:`Performance.lag_periods`) lines up with the projection.

        >>> demo_pool().projection_grid().end_dates[:2]
        array(['2026-12-31', '2027-01-31'], dtype='datetime64[D]')
        """
        step = self.payment_frequency.months
        last = self.last_date()
        months = step
        while add_months(self.cut_off, months) < last:
            months += step
        months += step * max(extra_periods, 0)
        return period_grid(self.cut_off, min(months, MAX_HORIZON_MONTHS), self.payment_frequency)

    # -- contractual view -----------------------------------------------------------------

    def contractual_flows(
        self, market: MarketSnapshot | None = None, *, grid: PeriodGrid | None = None
    ) -> pd.DataFrame:
        """Scheduled cash flows after the cut-off, by asset and pool period (no defaults).

        One row per asset and period with a cash flow or a balance: ``asset_id``, ``kind``
        (lease, loan, receivable), ``period`` (from 0), ``period_start``, ``payment_date``,
        ``opening_balance``, ``cash`` (rent, face, or loan interest + fees + principal),
        ``interest``, ``principal``, ``closing_balance``, all in the pool currency. Lease
        renewals are options and are not included. ``market`` is needed for floating-rate
        loans. Total per period: ``frame.groupby("period").sum(numeric_only=True)``.

        >>> flows = demo_pool().contractual_flows()
        >>> first = flows[flows.period == 0]
        >>> bool(abs(first.cash - first.interest - first.principal).max() < 1e-6)
        True
        """
        from computefin.products.abs._pool_schedule import build_schedule, schedule_frame

        schedule = build_schedule(self, grid or self.projection_grid(), market)
        return schedule_frame(schedule)

    def discounted_balance(self, market: MarketSnapshot | None = None) -> pd.DataFrame:
        """Balance of each asset at the cut-off, with the undiscounted remaining cash.

        Columns ``asset_id``, ``kind``, ``basis`` (``discounted`` at the pool discount
        rate for leases and receivables, ``par`` outstanding principal for loans),
        ``balance`` and ``contractual_remaining`` (rent or face still owed; interest +
        principal for loans), in the pool currency.

        >>> bal = demo_pool().discounted_balance()
        >>> sorted(set(bal.basis))
        ['discounted', 'par']
        """
        import pandas as pd

        from computefin.products.abs._pool_schedule import build_schedule

        s = build_schedule(self, self.projection_grid(), market)
        return pd.DataFrame(
            {
                "asset_id": list(s.ids),
                "kind": list(s.kinds),
                "basis": ["par" if k == "loan" else "discounted" for k in s.kinds],
                "balance": s.opening,
                "contractual_remaining": s.cash.sum(axis=1),
            }
        )

    def original_balance(self, market: MarketSnapshot | None = None) -> float:
        """Pool balance at the cut-off (sum of :meth:`discounted_balance`), pool currency.

        ``market`` is needed only for floating-rate loans.

        >>> round(demo_pool().original_balance() / 1e9, 3)  # CNY bn
        2.93
        """
        return float(self.discounted_balance(market).balance.sum())

    # -- projection -----------------------------------------------------------------------

    def flows_builder(
        self,
        performance: Performance,
        market: MarketSnapshot | None = None,
        *,
        scenarios: ScenarioSet | None = None,
        n_paths: int = 1,
    ) -> PoolFlowsBuilder:
        """A callable ``(cdr, recovery, price_shock) -> PoolFlows`` for breakevens and grids.

        See :class:`~computefin.products.abs.performance.PoolFlowsBuilder`.

        >>> from computefin.products.abs.performance import Performance
        >>> build = demo_pool().flows_builder(Performance(cdr=0.02))
        >>> bool(build(cdr=0.10).defaulted_balance.sum() > build().defaulted_balance.sum())
        True
        """
        from computefin.products.abs.performance import PoolFlowsBuilder

        return PoolFlowsBuilder(self, performance, market, scenarios=scenarios, n_paths=n_paths)


def _last_rent_date(lease: GpuLease) -> dt.date:
    step = lease.rent_frequency.months
    if lease.payment_timing == "arrears":
        return lease.end
    return add_months(lease.start, lease.term_months - step)


def load_pool(source: str | Path | Mapping[str, Any]) -> Pool:
    """A pool from a JSON file path, a JSON string, or a mapping.

    >>> load_pool(demo_pool().model_dump_json()) == demo_pool()
    True
    """
    if isinstance(source, Mapping):
        return Pool.model_validate(dict(source))
    if isinstance(source, Path) or (
        isinstance(source, str) and not source.lstrip().startswith("{")
    ):
        return Pool.model_validate_json(Path(source).read_text(encoding="utf-8"))
    return Pool.model_validate_json(source)


@cache
def demo_pool() -> Pool:
    """The shipped demo pool: 36 CNY GPU leases (H100, H200, H20) and two compute loans.

    >>> demo_pool().cut_off.isoformat()
    '2026-11-30'
    """
    text = resources.files("computefin.products.abs").joinpath("data", "demo_pool.json")
    return Pool.model_validate_json(text.read_text(encoding="utf-8"))

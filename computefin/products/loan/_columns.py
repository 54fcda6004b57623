"""A loan book as columns: one numpy array per term, ragged lists (draws) flattened.

Built once from validated :class:`CollateralLoan` models (a single pass over attributes);
the cash-flow kernel then works on these arrays only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from computefin.domain.conventions import BusinessDayConvention, DayCount, Frequency, StubRule
from computefin.domain.market import RateIndex
from computefin.products.loan._fields import Amortization, FloorCapBasis
from computefin.products.loan.model import LOAN_INDICES, CollateralLoan

__all__ = [
    "AMORTIZATION_CODES",
    "DAY_COUNTS",
    "DAY_COUNT_CODES",
    "LoanColumns",
    "ScheduleKey",
    "days",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

AMORTIZATION_CODES: Final[dict[Amortization, int]] = {a: i for i, a in enumerate(Amortization)}
"""Integer code of each amortization type in :attr:`LoanColumns.amortization`."""

DAY_COUNTS: Final[tuple[DayCount, ...]] = tuple(DayCount)
"""Day counts by their code in :attr:`LoanColumns.day_count`."""
DAY_COUNT_CODES: Final[dict[DayCount, int]] = {dc: i for i, dc in enumerate(DAY_COUNTS)}

ScheduleKey = tuple[dt.date, dt.date, Frequency, str, BusinessDayConvention, StubRule]
"""What fixes a loan's schedule: start, maturity, frequency, calendar, convention, stub."""


def days(values: Sequence[dt.date]) -> IntArray:
    """Dates as day numbers since 1970-01-01 (int64).

    >>> days([dt.date(1970, 1, 2)])
    array([1])
    """
    return np.asarray(values, dtype="datetime64[D]").astype(np.int64).reshape(len(values))


@dataclass(frozen=True, eq=False)
class LoanColumns:
    """The terms of ``n`` loans as arrays of length ``n`` (draws and repayments flattened).

    ``day_count`` holds codes into :data:`DAY_COUNTS`; ``index_code`` is the position in
    :data:`LOAN_INDICES` (-1 for a fixed loan); ``floor`` / ``cap`` are -inf / +inf when
    absent; ``fixed_rate`` is 0 on floating loans.
    """

    ids: tuple[str, ...]
    currency: tuple[str, ...]
    principal: FloatArray
    fixed_rate: FloatArray
    index_code: IntArray
    margin: FloatArray
    floor: FloatArray
    cap: FloatArray
    floor_on_index: BoolArray
    fixing_lag: IntArray
    day_count: IntArray
    calendar: tuple[str, ...]
    amortization: IntArray
    balloon_share: FloatArray
    upfront_fee_rate: FloatArray
    commitment_fee_rate: FloatArray
    availability_end: IntArray
    schedule_key: tuple[ScheduleKey, ...]
    draw_loan: IntArray
    draw_day: IntArray
    draw_amount: FloatArray
    custom_loan: IntArray
    custom_day: IntArray
    custom_amount: FloatArray

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def is_floating(self) -> BoolArray:
        """True where the loan resets on an index."""
        out: BoolArray = self.index_code >= 0
        return out

    @classmethod
    def from_loans(cls, loans: Sequence[CollateralLoan]) -> LoanColumns:
        """Columns of validated loans (a single pass over their attributes).

        >>> cols = LoanColumns.from_loans([])
        >>> len(cols), cols.principal.shape
        (0, (0,))
        """
        index_pos = {idx: i for i, idx in enumerate(LOAN_INDICES)}
        draw_loan: list[int] = []
        draw_dates: list[dt.date] = []
        draw_amount: list[float] = []
        custom_loan: list[int] = []
        custom_dates: list[dt.date] = []
        custom_amount: list[float] = []
        for i, loan in enumerate(loans):
            for d in loan.draw_schedule:
                draw_loan.append(i)
                draw_dates.append(d.date)
                draw_amount.append(d.amount)
            for c in loan.custom_principal_schedule:
                custom_loan.append(i)
                custom_dates.append(c.date)
                custom_amount.append(c.amount)

        def floats(values: Sequence[float | None], missing: float) -> FloatArray:
            return np.asarray([missing if v is None else v for v in values], dtype=np.float64)

        return cls(
            ids=tuple(loan.id for loan in loans),
            currency=tuple(loan.currency.value for loan in loans),
            principal=floats([loan.principal for loan in loans], 0.0),
            fixed_rate=floats([loan.fixed_rate for loan in loans], 0.0),
            index_code=np.asarray(
                [-1 if loan.index is None else index_pos[loan.index] for loan in loans],
                dtype=np.int64,
            ),
            margin=floats([loan.margin for loan in loans], 0.0),
            floor=floats([loan.floor for loan in loans], -np.inf),
            cap=floats([loan.cap for loan in loans], np.inf),
            floor_on_index=np.asarray(
                [loan.floor_cap_on is FloorCapBasis.INDEX for loan in loans], dtype=bool
            ),
            fixing_lag=np.asarray([loan.fixing_lag_days or 0 for loan in loans], dtype=np.int64),
            day_count=np.asarray(
                [DAY_COUNT_CODES[loan.day_count] for loan in loans], dtype=np.int64
            ),
            calendar=tuple(loan.calendar for loan in loans),
            amortization=np.asarray(
                [AMORTIZATION_CODES[loan.amortization] for loan in loans], dtype=np.int64
            ),
            balloon_share=floats([loan.balloon_share for loan in loans], 0.0),
            upfront_fee_rate=floats([loan.upfront_fee_rate for loan in loans], 0.0),
            commitment_fee_rate=floats([loan.commitment_fee_rate for loan in loans], 0.0),
            availability_end=days([loan.availability_end or loan.maturity for loan in loans]),
            schedule_key=tuple(
                (
                    loan.start,
                    loan.maturity,
                    loan.frequency,
                    loan.calendar,
                    loan.business_day_convention,
                    loan.stub,
                )
                for loan in loans
            ),
            draw_loan=np.asarray(draw_loan, dtype=np.int64),
            draw_day=days(draw_dates),
            draw_amount=np.asarray(draw_amount, dtype=np.float64),
            custom_loan=np.asarray(custom_loan, dtype=np.int64),
            custom_day=days(custom_dates),
            custom_amount=np.asarray(custom_amount, dtype=np.float64),
        )

    def index_of(self, code: int) -> RateIndex:
        """The rate index behind an ``index_code``."""
        return LOAN_INDICES[code]

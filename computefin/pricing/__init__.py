"""Market conventions and valuation maths on arrays, with QuantLib as the authority.

Calendars (:func:`calendar`), schedules (:func:`make_schedule`), day counts
(:func:`year_fraction`), cash-flow analytics over whole books (:class:`CashflowMatrix`:
PV, yield, z-spread, durations, convexity, DV01, CS01, WAL) and discount curves
(:func:`flat_curve`, :func:`zero_curve`, :func:`bootstrap_curve`, :func:`build_curves`)
return numpy arrays; QuantLib objects are
built once per convention and the array code is tested against them.

>>> from computefin.pricing import calendar
>>> calendar("CN-IB").is_business_day("2027-10-01")
False
"""

from computefin.pricing._ql import evaluation_date
from computefin.pricing._solvers import solve_monotone, solve_spread_for_price
from computefin.pricing.analytics import (
    CashflowMatrix,
    accrued_interest,
    clean_present_value,
    convexity,
    cs01,
    dv01,
    macaulay_duration,
    modified_duration,
    present_value,
    price_from_yield,
    weighted_average_life,
    yield_from_price,
    z_spread_from_price,
)
from computefin.pricing.calendars import (
    CALENDAR_NAMES,
    CN_LAST_OFFICIAL_YEAR,
    CN_PROJECTION_LAST_YEAR,
    HolidayKind,
    HolidayTable,
    HolidayTableLike,
    MarketCalendar,
    calendar,
)
from computefin.pricing.curves import (
    CURVE_INDICES,
    Compounding,
    Curve,
    CurveKind,
    CurveSpec,
    bootstrap_curve,
    build_curves,
    curve_set,
    flat_curve,
    zero_curve,
)
from computefin.pricing.daycounts import (
    DAY_COUNTS,
    parse_day_count,
    year_fraction,
    year_fraction_days,
)
from computefin.pricing.schedules import Schedule, make_schedule

__all__ = [
    "CALENDAR_NAMES",
    "CN_LAST_OFFICIAL_YEAR",
    "CN_PROJECTION_LAST_YEAR",
    "CURVE_INDICES",
    "DAY_COUNTS",
    "CashflowMatrix",
    "Compounding",
    "Curve",
    "CurveKind",
    "CurveSpec",
    "HolidayKind",
    "HolidayTable",
    "HolidayTableLike",
    "MarketCalendar",
    "Schedule",
    "accrued_interest",
    "bootstrap_curve",
    "build_curves",
    "calendar",
    "clean_present_value",
    "convexity",
    "cs01",
    "curve_set",
    "dv01",
    "evaluation_date",
    "flat_curve",
    "macaulay_duration",
    "make_schedule",
    "modified_duration",
    "parse_day_count",
    "present_value",
    "price_from_yield",
    "solve_monotone",
    "solve_spread_for_price",
    "weighted_average_life",
    "year_fraction",
    "year_fraction_days",
    "yield_from_price",
    "z_spread_from_price",
    "zero_curve",
]

"""Curve bootstrapping with QuantLib: quote checks, market conventions per index, nodes.

This module turns validated :class:`~computefin.domain.market.RateQuote` records into the
nodes (dates, discount factors) of a log-linear discount curve. :mod:`computefin.pricing.curves`
wraps the nodes into a :class:`~computefin.pricing.curves.Curve`; it is the public face.

Conventions (see ``docs/models/curves.md`` for sources):

* ``SHIBOR3M`` swap (tenors 3M and longer): CFETS Shibor 3M IRS. T+1 start, China
  inter-bank calendar, modified following; fixed leg quarterly ACT/365F; floating leg
  quarterly on Shibor 3M (ACT/360, fixed one business day before each period).
  Deposits are the Shibor fixings with ``ql.Shibor(tenor)``'s conventions.
* ``FR007`` swap: CFETS FR007 IRS approximated as an overnight-indexed swap on a custom
  ``ql.OvernightIndex("FR007")`` (China inter-bank calendar, ACT/365F, compounded daily):
  T+1 start, both legs quarterly, fixed leg ACT/365F, modified following. Deposits are
  simple ACT/365F from the as-of date (T+0, following).
* ``SOFR`` OIS: an overnight index like ``ql.Sofr`` (``SOFR``, T+0 fixing, ACT/360) on
  the given calendar, T+2 start, annual payments on both legs, payment lag two business
  days. The ``ON`` deposit starts T+0 (following, ACT/360); other deposit tenors start
  T+2 (modified following, ACT/360).

Calendars: every index uses a computefin :class:`~computefin.pricing.calendars.MarketCalendar`
(by default ``CN-IB``, with projected holidays after QuantLib's official years, for the CNY
indices and ``US-SOFR`` for SOFR), never QuantLib's own ``ql.China``, whose holidays stop
after its last official year. ``TN`` quotes are rejected: tomorrow-next is a one-day
deposit starting T+1, not a tenor from the curve date.

Every QuantLib call that depends on the evaluation date runs inside
:func:`~computefin.pricing._ql.evaluation_date`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any, Final

import numpy as np
import QuantLib as ql

from computefin.domain.market import QuoteKind, RateIndex, RateQuote
from computefin.errors import ConvergenceError, ValidationError
from computefin.pricing._ql import (
    evaluation_date,
    from_ql_date,
    parse_tenor,
    ql_period,
    to_ql_date,
)
from computefin.pricing.calendars import MarketCalendar, calendar as get_calendar

__all__ = [
    "CURVE_INDICES",
    "MAX_TENOR_YEARS",
    "bootstrap_nodes",
    "check_quotes",
    "fr007_index",
    "quote_label",
    "resolve_calendar",
    "zero_pillars",
]

CURVE_INDICES: Final[tuple[RateIndex, ...]] = (
    RateIndex.SHIBOR3M,
    RateIndex.FR007,
    RateIndex.SOFR,
)
"""Indices with a curve convention. LPR1Y/LPR5Y are reset rates, not curves."""

MAX_TENOR_YEARS: Final[float] = 60.0
"""Longest tenor accepted; longer tenors are rejected before QuantLib sees them."""

_KINDS: Final[dict[RateIndex, frozenset[QuoteKind]]] = {
    RateIndex.SHIBOR3M: frozenset({QuoteKind.DEPOSIT, QuoteKind.SWAP, QuoteKind.ZERO}),
    RateIndex.FR007: frozenset({QuoteKind.DEPOSIT, QuoteKind.SWAP, QuoteKind.ZERO}),
    RateIndex.SOFR: frozenset({QuoteKind.DEPOSIT, QuoteKind.OIS, QuoteKind.ZERO}),
}

_KIND_HINTS: Final[dict[tuple[RateIndex, QuoteKind], str]] = {
    (RateIndex.SOFR, QuoteKind.SWAP): "SOFR swaps are overnight-indexed: use kind 'ois'",
    (RateIndex.SHIBOR3M, QuoteKind.OIS): "Shibor 3M swaps are kind 'swap'",
    (RateIndex.FR007, QuoteKind.OIS): "FR007 IRS quotes are kind 'swap'",
}

_TENOR_YEARS: Final[dict[str, float]] = {"D": 1 / 365, "W": 7 / 365, "M": 1 / 12, "Y": 1.0}
_DEFAULT_CALENDARS: Final[dict[RateIndex, str]] = {
    RateIndex.SHIBOR3M: "CN-IB",
    RateIndex.FR007: "CN-IB",
    RateIndex.SOFR: "US-SOFR",
}
_ORDINAL = re.compile(r"failed at (\d+)(?:st|nd|rd|th) alive instrument")


def quote_label(quote: RateQuote) -> str:
    """A short name for a quote, such as ``SHIBOR3M 5Y swap``.

    >>> quote_label(RateQuote(index="FR007", kind="swap", tenor="1Y", rate=0.015))
    'FR007 1Y swap'
    """
    return f"{quote.index.value} {quote.tenor} {quote.kind.value}"


def resolve_calendar(index: RateIndex, value: Any = None) -> MarketCalendar:
    """The calendar for ``index``: ``value`` (a ``MarketCalendar`` or a name) or the default.

    Defaults: ``CN-IB`` (projected holidays included) for ``SHIBOR3M`` and ``FR007``,
    ``US-SOFR`` for ``SOFR``. Anything else raises ``ValidationError`` (field ``calendar``).

    >>> resolve_calendar(RateIndex.FR007).identifier
    'CN-IB'
    >>> resolve_calendar(RateIndex.SOFR, "target").identifier
    'TARGET'
    """
    if value is None:
        return get_calendar(_DEFAULT_CALENDARS.get(index, "WEEKENDS"))
    if isinstance(value, MarketCalendar):
        return value
    if isinstance(value, str):
        return get_calendar(value)
    raise ValidationError(
        "calendar",
        "must be a MarketCalendar (computefin.pricing.calendar(...)), a calendar name such "
        "as 'CN-IB', or None",
        type(value).__name__,
    )


def _tenor(quote: RateQuote, i: int) -> tuple[int, str]:
    field = f"quotes[{i}].tenor"
    if quote.tenor in {"TN", "T/N"}:
        raise ValidationError(
            field,
            "TN (tomorrow-next) quotes are not supported: a TN deposit starts tomorrow (T+1) "
            "and lasts one day, it is not a tenor from the curve date; quote the overnight "
            "rate as ON",
            quote.tenor,
        )
    return parse_tenor(quote.tenor, field)


def check_quotes(
    quotes: Sequence[RateQuote | dict[str, Any]],
    *,
    currency: str | None = None,
    index: RateIndex | str | None = None,
) -> tuple[RateIndex, tuple[RateQuote, ...]]:
    """Validate quotes for one curve; return the index and the quotes as models.

    Rejects (``ValidationError`` naming the field): no quotes, mixed currencies, mixed
    indices, an index without curve conventions, a kind the index does not trade,
    zero quotes mixed with instrument quotes, duplicates, tenors beyond 60Y, ``TN`` quotes,
    Shibor 3M swaps shorter than 3M.
    Maturity order is checked later, on QuantLib's pillar dates.

    >>> idx, qs = check_quotes([{"index": "SOFR", "kind": "ois", "tenor": "1Y", "rate": 0.04}])
    >>> idx.value, len(qs)
    ('SOFR', 1)
    """
    if len(quotes) == 0:
        raise ValidationError("quotes", "need at least one rate quote to build a curve")
    models = tuple(q if isinstance(q, RateQuote) else RateQuote.model_validate(q) for q in quotes)
    first = models[0]
    for i, q in enumerate(models):
        if q.currency is not first.currency:
            raise ValidationError(
                f"quotes[{i}].currency",
                f"one curve per currency: {q.currency.value} after {first.currency.value}",
                q.currency.value,
            )
        if q.index is not first.index:
            raise ValidationError(
                f"quotes[{i}].index",
                f"one curve per index: {q.index.value} after {first.index.value}",
                q.index.value,
            )
    found = first.index
    if currency is not None and str(currency) != found.currency.value:
        raise ValidationError(
            "currency", f"quotes are {found.currency.value} ({found.value})", currency
        )
    if index is not None and str(index) != found.value:
        raise ValidationError("index", f"quotes are for {found.value}", str(index))
    if found not in _KINDS:
        known = ", ".join(i.value for i in CURVE_INDICES)
        raise ValidationError(
            "quotes[0].index",
            f"no curve convention for {found.value} (a published reset rate, not a curve); "
            f"curves exist for {known}",
            found.value,
        )
    kinds = {q.kind for q in models}
    if QuoteKind.ZERO in kinds and len(kinds) > 1:
        i = next(i for i, q in enumerate(models) if q.kind is not models[0].kind)
        raise ValidationError(
            f"quotes[{i}].kind", "zero-rate quotes cannot be mixed with instrument quotes"
        )
    seen: dict[tuple[QuoteKind, str], int] = {}
    for i, q in enumerate(models):
        if q.kind not in _KINDS[found]:
            allowed = ", ".join(sorted(k.value for k in _KINDS[found]))
            hint = _KIND_HINTS.get((found, q.kind), f"{found.value} takes {allowed}")
            raise ValidationError(f"quotes[{i}].kind", hint, q.kind.value)
        length, unit = _tenor(q, i)
        if length * _TENOR_YEARS[unit] > MAX_TENOR_YEARS:
            raise ValidationError(
                f"quotes[{i}].tenor", f"longer than {MAX_TENOR_YEARS:.0f} years", q.tenor
            )
        if (
            found is RateIndex.SHIBOR3M
            and q.kind is QuoteKind.SWAP
            and (unit in {"D", "W"} or (unit == "M" and length < 3))
        ):
            raise ValidationError(
                f"quotes[{i}].tenor",
                "Shibor 3M swaps run 3M or longer (the floating leg resets quarterly); "
                "quote shorter tenors as deposits",
                q.tenor,
            )
        key = (q.kind, "ON" if q.tenor in {"ON", "1D"} else q.tenor)
        if key in seen:
            raise ValidationError(
                f"quotes[{i}].tenor",
                f"duplicate {q.kind.value} quote for {q.tenor} (also quotes[{seen[key]}])",
                q.tenor,
            )
        seen[key] = i
    return found, models


def zero_pillars(as_of: dt.date, quotes: Sequence[RateQuote]) -> list[tuple[dt.date, float]]:
    """Pillars of zero-rate quotes: date = as_of + tenor (unadjusted), rate as quoted.

    >>> q = RateQuote(index="SOFR", kind="zero", tenor="6M", rate=0.04)
    >>> zero_pillars(dt.date(2026, 8, 31), [q])
    [(datetime.date(2027, 2, 28), 0.04)]
    """
    start = to_ql_date(as_of)
    return [(from_ql_date(start + ql_period(q.tenor)), q.rate) for q in quotes]


def fr007_index(handle: Any = None, calendar: MarketCalendar | str | None = None) -> Any:
    """The FR007 stand-in: an overnight index, China inter-bank calendar, ACT/365F.

    QuantLib has no FR007 index; see the module docstring for the approximation.
    ``handle`` is an optional ``ql.YieldTermStructureHandle`` to forecast on; ``calendar``
    defaults to ``CN-IB`` (projected holidays included).

    >>> fr007_index().name(), fr007_index().fixingCalendar().name()
    ('FR007ON Actual/365 (Fixed)', 'CN-IB')
    """
    cal = resolve_calendar(RateIndex.FR007, calendar).ql  # the caller's own copy
    return _fr007(cal, handle)


def _fr007(qcal: ql.Calendar, handle: Any = None) -> Any:
    h = ql.YieldTermStructureHandle() if handle is None else handle
    return ql.OvernightIndex("FR007", 0, ql.CNYCurrency(), qcal, ql.Actual365Fixed(), h)


def _shibor(period: ql.Period, qcal: ql.Calendar) -> Any:
    """Shibor for ``period`` with ``ql.Shibor``'s conventions on the given calendar."""
    reference = ql.Shibor(period)
    return ql.IborIndex(
        "Shibor",
        period,
        reference.fixingDays(),
        ql.CNYCurrency(),
        qcal,
        reference.businessDayConvention(),
        reference.endOfMonth(),
        reference.dayCounter(),
    )


def _sofr(qcal: ql.Calendar) -> Any:
    """SOFR as ``ql.Sofr`` defines it (``SOFR``, T+0, USD, ACT/360) on the given calendar."""
    return ql.OvernightIndex("SOFR", 0, ql.USDCurrency(), qcal, ql.Actual360())


def _helper(quote: RateQuote, qcal: ql.Calendar) -> Any:
    """One QuantLib rate helper for a quote (call inside ``evaluation_date``)."""
    period = ql_period(quote.tenor)
    rate = quote.rate
    kind = quote.kind
    if quote.index is RateIndex.SHIBOR3M:
        if kind is QuoteKind.DEPOSIT:
            return ql.DepositRateHelper(rate, _shibor(period, qcal))
        index = _shibor(ql.Period(3, ql.Months), qcal)
        return ql.SwapRateHelper(
            rate, period, qcal, ql.Quarterly, ql.ModifiedFollowing, ql.Actual365Fixed(), index
        )
    if quote.index is RateIndex.FR007:
        if kind is QuoteKind.DEPOSIT:
            return ql.DepositRateHelper(
                rate, period, 0, qcal, ql.Following, False, ql.Actual365Fixed()
            )
        return ql.OISRateHelper(
            1,
            period,
            rate,
            _fr007(qcal),
            paymentFrequency=ql.Quarterly,
            convention=ql.ModifiedFollowing,
        )
    if kind is QuoteKind.DEPOSIT:
        if quote.tenor in {"ON", "1D"}:
            return ql.DepositRateHelper(rate, period, 0, qcal, ql.Following, False, ql.Actual360())
        return ql.DepositRateHelper(
            rate, period, 2, qcal, ql.ModifiedFollowing, False, ql.Actual360()
        )
    return ql.OISRateHelper(2, period, rate, _sofr(qcal), paymentLag=2, paymentFrequency=ql.Annual)


def bootstrap_nodes(
    as_of: dt.date,
    index: RateIndex,
    quotes: Sequence[RateQuote],
    calendar: MarketCalendar | str | None = None,
) -> tuple[list[dt.date], list[float]]:
    """Bootstrap a ``ql.PiecewiseLogLinearDiscount`` and return its nodes.

    The nodes (dates starting at ``as_of``, discount factors starting at 1) define the
    curve completely under log-linear interpolation of discount factors. Quotes must be
    checked with :func:`check_quotes` and listed in increasing maturity order.
    ``calendar`` as in :func:`resolve_calendar`.

    Raises ``ValidationError`` for unsorted quotes or two quotes with one pillar date and
    :class:`~computefin.errors.ConvergenceError` naming the pillar if the solve fails.

    >>> qs = [RateQuote(index="SOFR", kind="ois", tenor=t, rate=0.04) for t in ("1Y", "2Y")]
    >>> dates, dfs = bootstrap_nodes(dt.date(2026, 6, 30), RateIndex.SOFR, qs)
    >>> dates[0], round(dfs[-1], 6)
    (datetime.date(2026, 6, 30), 0.922869)
    """
    reference = to_ql_date(as_of, "as_of")
    qcal = resolve_calendar(index, calendar)._ql_calendar()
    with evaluation_date(reference):
        helpers = [_helper(q, qcal) for q in quotes]
        pillars = [h.pillarDate() for h in helpers]
        for i in range(1, len(quotes)):
            if pillars[i] == pillars[i - 1]:
                raise ValidationError(
                    f"quotes[{i}].tenor",
                    f"{quote_label(quotes[i])} and {quote_label(quotes[i - 1])} have the same "
                    f"pillar date {pillars[i].ISO()}; keep one",
                    quotes[i].tenor,
                )
            if pillars[i] < pillars[i - 1]:
                raise ValidationError(
                    f"quotes[{i}].tenor",
                    f"quotes must be in increasing maturity order: {quote_label(quotes[i])} "
                    f"(pillar {pillars[i].ISO()}) comes after {quote_label(quotes[i - 1])} "
                    f"(pillar {pillars[i - 1].ISO()})",
                    quotes[i].tenor,
                )
        curve = ql.PiecewiseLogLinearDiscount(reference, helpers, ql.Actual365Fixed())
        try:
            dates = list(curve.dates())
            dfs = [float(v) for v in curve.data()]
        except RuntimeError as exc:
            raise _convergence_error(index, quotes, pillars, str(exc)) from exc
    values = np.asarray(dfs)
    if not (np.all(np.isfinite(values)) and np.all(values > 0.0)):
        bad = int(np.argmax(~np.isfinite(values) | (values <= 0.0)))
        label = quote_label(quotes[bad - 1]) if bad > 0 else f"{index.value} curve"
        raise ConvergenceError(
            f"{index.value} bootstrap gave a non-positive discount factor at {label}",
            items=[label],
        )
    return [from_ql_date(d) for d in dates], dfs


def _convergence_error(
    index: RateIndex, quotes: Sequence[RateQuote], pillars: Sequence[Any], message: str
) -> ConvergenceError:
    match = _ORDINAL.search(message)
    if match is not None and 1 <= int(match.group(1)) <= len(quotes):
        n = int(match.group(1)) - 1
        label = quote_label(quotes[n])
        return ConvergenceError(
            f"{index.value} bootstrap failed at pillar {label} ({pillars[n].ISO()}): {message}",
            items=[label],
        )
    return ConvergenceError(f"{index.value} bootstrap failed: {message}", items=[index.value])

"""Array kernels of the pricing layer against the QuantLib per-item loop, in one process.

- discount factors of a bootstrapped SOFR curve on many dates;
- year fractions under each day count on many (start, end) pairs;
- CN-IB business-day flags on many dates.
"""

from __future__ import annotations

import numpy as np
import QuantLib as ql

from benchmarks._harness import measure, report
from computefin.domain import demo_market
from computefin.pricing import build_curves, calendar, year_fraction
from computefin.pricing._ql import ql_day_count, to_ql_date


def _dates(rng: np.random.Generator, n: int, lo: str, hi: str) -> np.ndarray:
    start, end = np.datetime64(lo, "D"), np.datetime64(hi, "D")
    offsets = rng.integers(0, int((end - start).astype(int)), size=n)
    return start + offsets.astype("timedelta64[D]")


def bench_discount(n: int, rng: np.random.Generator) -> str:
    """Curve.discount on n dates vs QuantLib's discount(date) in a loop."""
    market = demo_market()
    curve = build_curves(market)["SOFR"]
    dates = _dates(rng, n, "2026-11-28", "2056-11-27")
    ql_dates = [to_ql_date(d) for d in dates]
    ts = curve.term_structure
    fast = measure("Curve.discount (numpy)", n, lambda: curve.discount(dates))
    ref = measure("QuantLib discount() loop", n, lambda: [ts.discount(d) for d in ql_dates])
    np.testing.assert_allclose(
        curve.discount(dates), [ts.discount(d) for d in ql_dates], rtol=0, atol=1e-12
    )
    return report(f"discount factors, SOFR curve, {n:,} dates", fast, ref)


def bench_year_fraction(n: int, rng: np.random.Generator) -> str:
    """year_fraction on n date pairs vs ql.DayCounter.yearFraction in a loop, per day count."""
    starts = _dates(rng, n, "2020-01-01", "2040-01-01")
    ends = starts + rng.integers(1, 3650, size=n).astype("timedelta64[D]")
    qs, qe = [to_ql_date(d) for d in starts], [to_ql_date(d) for d in ends]
    lines = []
    for name in ("ACT/365F", "ACT/360", "30/360", "ACT/ACT"):
        dc = ql_day_count(name)

        def ql_loop(dc: ql.DayCounter = dc) -> list[float]:
            return [dc.yearFraction(a, b) for a, b in zip(qs, qe, strict=True)]

        fast = measure(f"year_fraction {name} (numpy)", n,
                       lambda name=name: year_fraction(starts, ends, name))  # fmt: skip
        ref = measure(f"QuantLib {name} loop", n, ql_loop)
        np.testing.assert_allclose(year_fraction(starts, ends, name), ql_loop(), rtol=0,
                                   atol=1e-12)  # fmt: skip
        lines.append(report(f"year fractions {name}, {n:,} pairs", fast, ref))
    return "\n".join(lines)


def bench_business_days(n: int, rng: np.random.Generator) -> str:
    """is_business_day_array on n dates vs QuantLib isBusinessDay in a loop."""
    cal = calendar("CN-IB")
    dates = _dates(rng, n, "2020-01-01", "2060-01-01")
    ql_dates = [to_ql_date(d) for d in dates]
    qcal = cal.ql
    fast = measure("is_business_day_array (numpy)", n, lambda: cal.is_business_day_array(dates))
    ref = measure(
        "QuantLib isBusinessDay loop", n, lambda: [qcal.isBusinessDay(d) for d in ql_dates]
    )
    assert (
        cal.is_business_day_array(dates) == np.array([qcal.isBusinessDay(d) for d in ql_dates])
    ).all()
    return report(f"CN-IB business-day flags, {n:,} dates", fast, ref)


def run(n: int = 200_000, seed: int = 20261127) -> str:
    """All pricing benchmarks; returns the printed report."""
    rng = np.random.default_rng(seed)
    parts = [bench_discount(n, rng), bench_year_fraction(n, rng), bench_business_days(n, rng)]
    return "\n".join(parts)

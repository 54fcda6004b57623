"""Pieces of random loan books shared by the compiled-kernel tests."""

from __future__ import annotations

import datetime as dt
import random

from computefin.domain import demo_market
from computefin.domain.market import Fixing, MarketSnapshot

AS_OF = dt.date(2026, 11, 27)


def seasoned_market() -> MarketSnapshot:
    """The demo snapshot with daily SOFR and SHIBOR3M and monthly LPR1Y fixings since
    2025-05, so that seasoned floating loans find their past fixings."""
    base = demo_market()
    extra = []
    day = dt.date(2025, 5, 1)
    while day < AS_OF:
        extra.append(Fixing(index="SOFR", date=day, rate=0.04 + day.toordinal() % 7 * 1e-4))
        extra.append(Fixing(index="SHIBOR3M", date=day, rate=0.018 + day.toordinal() % 5 * 1e-4))
        if day.day == 20:
            extra.append(Fixing(index="LPR1Y", date=day, rate=0.031))
        day += dt.timedelta(days=1)
    known = {(f.index, f.date) for f in base.fixings}
    fixings = (*base.fixings, *(f for f in extra if (f.index, f.date) not in known))
    return base.model_copy(update={"fixings": fixings})


def custom_schedule(
    rng: random.Random, start: dt.date, maturity: dt.date, principal: float
) -> list[tuple[dt.date, float]]:
    """Up to four random repayment dates ending at maturity, amounts summing to the
    principal exactly."""
    days = (maturity - start).days
    picks = sorted({start + dt.timedelta(days=rng.randrange(1, days)) for _ in range(3)})
    picks = [d for d in picks if d < maturity] + [maturity]
    weights = [rng.random() for _ in picks]
    amounts = [round(principal * w / sum(weights), 2) for w in weights[:-1]]
    amounts.append(principal - sum(amounts))
    return list(zip(picks, amounts, strict=True))

"""One error hierarchy for the whole package.

Every error the engine raises on purpose derives from :class:`ComputefinError`,
so a caller (a batch job, the credit-approval service) can catch the family in
one clause and still tell input problems from market-data gaps and numerical
failures. Messages name the field and the reason.

>>> try:
...     raise ValidationError("Site.pue", "must be >= 1.0, got 0.9")
... except ComputefinError as exc:
...     print(exc)
Site.pue: must be >= 1.0, got 0.9
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "ComputefinError",
    "ConvergenceError",
    "FieldProblem",
    "MarketDataError",
    "StoreError",
    "ValidationError",
]


class ComputefinError(Exception):
    """Base class of every error computefin raises on purpose."""


@dataclass(frozen=True)
class FieldProblem:
    """One rejected field: where it is, why, and what was given.

    >>> FieldProblem("Contract.take_or_pay_share", "must be in [0, 1]", 1.5).describe()
    'Contract.take_or_pay_share: must be in [0, 1] (got 1.5)'
    """

    field: str
    reason: str
    value: object = None

    def describe(self) -> str:
        """The problem as one line: ``field: reason (got value)``."""
        shown = "" if self.value is None else f" (got {self.value!r})"
        return f"{self.field}: {self.reason}{shown}"


class ValidationError(ComputefinError, ValueError):
    """Input rejected at the boundary; ``problems`` lists every bad field.

    It subclasses :class:`ValueError` so that code expecting the standard
    library's convention for bad values keeps working.

    >>> err = ValidationError.from_problems(
    ...     [FieldProblem("Site.pue", "must be >= 1.0", 0.9),
    ...      FieldProblem("Site.currency", "unknown currency", "XXX")])
    >>> [p.field for p in err.problems]
    ['Site.pue', 'Site.currency']
    """

    def __init__(self, field: str, reason: str, value: object = None) -> None:
        self.problems: tuple[FieldProblem, ...] = (FieldProblem(field, reason, value),)
        super().__init__(self.problems[0].describe())

    @classmethod
    def from_problems(cls, problems: Iterable[FieldProblem]) -> ValidationError:
        """Build one error that carries several field problems."""
        found: Sequence[FieldProblem] = tuple(problems)
        if not found:
            raise ValueError("from_problems needs at least one FieldProblem")
        err = cls(found[0].field, found[0].reason, found[0].value)
        err.problems = tuple(found)
        lines = [p.describe() for p in found]
        err.args = (
            lines[0] if len(lines) == 1 else f"{len(lines)} problems:\n  " + "\n  ".join(lines),
        )
        return err

    @property
    def fields(self) -> tuple[str, ...]:
        """The names of the rejected fields, in order."""
        return tuple(p.field for p in self.problems)


class MarketDataError(ComputefinError, LookupError):
    """A market input is missing, stale or inconsistent (a quote, a fixing, an FX rate).

    >>> str(MarketDataError("no PD for rating 'BB' on scale 'global' in the snapshot"))
    "no PD for rating 'BB' on scale 'global' in the snapshot"
    """


class ConvergenceError(ComputefinError, ArithmeticError):
    """A numerical solve (yield, spread, bootstrap) did not converge.

    ``items`` names what failed (instrument ids, curve pillars).

    >>> err = ConvergenceError("yield did not converge", items=["loan-7"])
    >>> err.items
    ('loan-7',)
    """

    def __init__(self, message: str, items: Iterable[str] = ()) -> None:
        self.items: tuple[str, ...] = tuple(items)
        shown = f" [{', '.join(self.items[:10])}{' ...' if len(self.items) > 10 else ''}]"
        super().__init__(message + (shown if self.items else ""))


class StoreError(ComputefinError, RuntimeError):
    """The portfolio store cannot do what was asked: wrong schema revision, unknown run,
    a record that is missing or already there.

    >>> str(StoreError("database schema is at r0001, this computefin needs r0002"))
    'database schema is at r0001, this computefin needs r0002'
    """

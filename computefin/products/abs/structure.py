"""An ABS deal's structure as data: tranches, fees, accounts, waterfalls, triggers, call.

A product team writes a deal in YAML or JSON and loads it with
:meth:`AbsStructure.from_yaml` / :meth:`AbsStructure.from_json`; every reference (a step's
tranche, fee or account, a trigger's class or trap account) is checked on load, and an
error names the list, the step's position and its action, e.g.
``AbsStructure.waterfall.interest[3].account: unknown account 'resrve' in step 3
(top_up_reserve); known accounts: reserve``. Money is in the deal ``currency``; rates,
margins, shares and thresholds are decimals (0.05 = 5%, an OC threshold of 1.05 = 105%).

How the runner reads the structure (:func:`computefin.products.abs.waterfall.run_waterfall`,
documented in ``docs/products/abs-waterfall.md``):

* **Interest waterfall** spends the period's interest collections (plus account releases);
  what it leaves flows into the principal funds.
* **Principal waterfall** spends principal collections, recoveries and remarketing proceeds
  (plus the interest waterfall's leftover) and must end with ``pay_residual``, so every
  unit of cash has a destination.
* **Post-default waterfall** (after an event of default) spends all the funds in one
  priority; notes are accelerated (all principal due). Required when a trigger's effect is
  ``event_of_default``.
* ``pay_principal`` steps pay towards the *principal distribution amount*: the amount by
  which the notes exceed ``pool balance * (1 - oc_target)`` (all of the notes after an
  event of default, at the clean-up call and in the last period).

>>> deal = AbsStructure.from_yaml(DEMO_DEAL_PATH)
>>> [t.name for t in deal.tranches], deal.note_balance
(['A', 'B', 'E'], 920000000.0)
>>> AbsStructure.from_json(deal.to_json()) == deal
True
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Annotated, Any, Final, Literal, Self

import yaml
from pydantic import AfterValidator, Discriminator, Field, Tag, model_validator

from computefin.domain._base import DomainModel
from computefin.domain._types import Currency, Identifier, NonNegativeFloat, Rate, Share
from computefin.domain.conventions import DayCount
from computefin.domain.market import RateIndex
from computefin.errors import FieldProblem, ValidationError

__all__ = [
    "DEMO_DEAL_PATH",
    "AbsStructure",
    "Account",
    "CleanUpCall",
    "Fee",
    "FixedCoupon",
    "FloatingCoupon",
    "PayFee",
    "PayInterest",
    "PayPrincipal",
    "PayResidual",
    "RevolvingPeriod",
    "StepUp",
    "TopUpReserve",
    "Tranche",
    "Trigger",
    "Waterfall",
    "WaterfallStep",
]

DEMO_DEAL_PATH: Final[Path] = Path(__file__).parent / "data" / "demo_deal.yaml"
"""The shipped example deal: a CNY GPU-lease ABS with classes A, B and equity E."""

_MAX_SPREAD: Final[float] = 0.2


def _check_spread(value: float) -> float:
    if abs(value) > 1.0:
        raise ValueError(
            "margins are decimals (0.025 = 2.5% = 250bp); "
            f"{value!r} looks like a percentage or basis points"
        )
    if abs(value) > _MAX_SPREAD:
        raise ValueError(
            f"above {_MAX_SPREAD} (2,000bp), rejected as a likely percent or basis-point slip"
        )
    return value


Spread = Annotated[float, AfterValidator(_check_spread)]
"""A margin or step-up as a decimal in [-0.2, 0.2] (0.025 = 250bp)."""


def _tagged_by(key: str, tags: Sequence[str]) -> Discriminator:
    """A discriminator on ``key`` whose error lists the known tags (a typo names them)."""

    def tag(value: Any) -> str | None:
        found = value.get(key) if isinstance(value, dict) else getattr(value, key, None)
        return found if isinstance(found, str) else None

    return Discriminator(
        tag,
        custom_error_type=f"unknown_{key}",
        custom_error_message=f"unknown {key}; known: {', '.join(tags)}",
    )


# -- tranches -------------------------------------------------------------------------------


class FixedCoupon(DomainModel):
    """A fixed coupon: ``rate`` p.a. (decimal) on the balance at the period start.

    >>> FixedCoupon(rate=0.035).rate
    0.035
    """

    type: Literal["fixed"] = "fixed"
    rate: Rate = Field(description="Coupon rate p.a., decimal.")


class FloatingCoupon(DomainModel):
    """A floating coupon: the index's forward over the accrual period plus ``margin``.

    The index rate of a period is the simple forward of the index's curve over the
    period's accrual dates in the tranche's day count; ``floor`` bounds the all-in rate.

    >>> FloatingCoupon(index="SHIBOR3M", margin=0.012).index.value
    'SHIBOR3M'
    """

    type: Literal["floating"] = "floating"
    index: RateIndex = Field(description="Rate index whose curve projects the fixing.")
    margin: Spread = Field(description="Margin over the index, decimal (0.012 = 120bp).")
    floor: Rate | None = Field(default=None, description="Floor on the all-in rate, decimal.")


Coupon = Annotated[
    Annotated[FixedCoupon, Tag("fixed")] | Annotated[FloatingCoupon, Tag("floating")],
    _tagged_by("type", ("fixed", "floating")),
]
"""A fixed or floating coupon, chosen by its ``type``."""


class StepUp(DomainModel):
    """A coupon step-up: ``increase`` (decimal) added from accrual periods starting on or
    after ``from_date`` (typically the first call date).

    >>> StepUp(from_date=dt.date(2029, 1, 1), increase=0.005).increase
    0.005
    """

    from_date: dt.date
    increase: Spread = Field(description="Added to the fixed rate or the margin, decimal.")


class Tranche(DomainModel):
    """One class of the deal: a note (with a coupon) or the equity piece (residual).

    ``balance`` is the original principal (equity: the investors' nominal, used for
    subordination and the IRR's default price); ``seniority`` 1 is the most senior, equal
    numbers rank together. ``defer_interest``: unpaid interest is carried to the next
    period (without interest on it) instead of being lost.

    >>> a = Tranche(name="A", balance=800e6, seniority=1, coupon={"type": "fixed", "rate": 0.03})
    >>> a.is_note, a.coupon.type
    (True, 'fixed')
    """

    name: Identifier
    kind: Literal["note", "equity"] = "note"
    balance: NonNegativeFloat = Field(description="Original principal, deal currency.")
    seniority: int = Field(ge=1, le=100, description="1 = most senior; ties rank together.")
    coupon: Coupon | None = Field(default=None, description="Notes only.")
    step_up: StepUp | None = None
    day_count: DayCount = Field(default=DayCount.ACT_365F, description="Coupon day count.")
    defer_interest: bool = Field(default=True, description="Carry unpaid interest forward.")

    @property
    def is_note(self) -> bool:
        """True for a note (pays interest and principal), False for equity."""
        return self.kind == "note"

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.kind == "note":
            if self.coupon is None:
                raise ValidationError("coupon", "a note needs a fixed or floating coupon")
            if self.balance <= 0.0:
                raise ValidationError("balance", "a note's balance must be positive", self.balance)
        elif self.coupon is not None or self.step_up is not None:
            raise ValidationError("coupon", "the equity piece has no coupon or step-up")
        return self


# -- fees and accounts ----------------------------------------------------------------------


class Fee(DomainModel):
    """A senior fee: ``fixed`` (``amount_per_year``) or ``pool_balance`` (``rate`` p.a. of
    the pool balance at the period start), accrued over the period in ``day_count``.
    Unpaid fees are carried forward.

    >>> Fee(name="servicer", basis="pool_balance", rate=0.005).rate
    0.005
    """

    name: Identifier
    basis: Literal["fixed", "pool_balance"]
    amount_per_year: NonNegativeFloat = Field(default=0.0, description="Fixed fee p.a.")
    rate: Share = Field(default=0.0, description="Share of the pool balance p.a., decimal.")
    day_count: DayCount = DayCount.ACT_365F

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.basis == "fixed" and self.rate != 0.0:
            raise ValidationError("rate", "a fixed fee has amount_per_year, not rate", self.rate)
        if self.basis == "pool_balance" and self.amount_per_year != 0.0:
            raise ValidationError(
                "amount_per_year", "a pool_balance fee has rate, not amount_per_year"
            )
        if self.rate > _MAX_SPREAD:
            raise ValidationError("rate", "above 0.2 p.a.: likely a percentage slip", self.rate)
        return self


class Account(DomainModel):
    """A cash account of the SPV: ``reserve``, ``liquidity`` or ``cash_trap``.

    A reserve or liquidity account targets ``max(target_share * notes, floor)``, the notes
    being the balance at the period start of the classes in ``basis`` (empty: all
    notes), capped at that balance and zero once it is repaid. Cash above the target is
    released into the interest funds at each period start; ``top_up_reserve`` steps refill
    it; steps with ``draw_from`` draw on it. A ``cash_trap`` account holds the residual
    while a ``trap_cash`` trigger is active and releases it once cured.

    >>> Account(name="reserve", target_share=0.02, floor=5e6, initial_balance=18.4e6).kind
    'reserve'
    """

    name: Identifier
    kind: Literal["reserve", "liquidity", "cash_trap"] = "reserve"
    initial_balance: NonNegativeFloat = Field(default=0.0, description="Funded at closing.")
    target_share: Share = Field(default=0.0, description="Target as a share of the notes.")
    floor: NonNegativeFloat = Field(default=0.0, description="Minimum target, currency.")
    basis: tuple[Identifier, ...] = Field(default=(), description="Notes of the target.")

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.kind == "cash_trap" and (self.target_share or self.floor or self.basis):
            raise ValidationError("target_share", "a cash_trap account has no target")
        return self


# -- waterfall steps ------------------------------------------------------------------------


class PayFee(DomainModel):
    """Pay a fee (with any arrears); the part funds do not cover is drawn from
    ``draw_from`` accounts in order, then carried forward.

    >>> PayFee(fee="trustee").action
    'pay_fee'
    """

    action: Literal["pay_fee"] = "pay_fee"
    fee: Identifier
    draw_from: tuple[Identifier, ...] = ()


class PayInterest(DomainModel):
    """Pay the interest due (period interest plus carried shortfall) on ``tranches``, pro
    rata to the amounts due; the uncovered part is drawn from ``draw_from`` accounts.

    >>> PayInterest(tranches=("A",), draw_from=("reserve",)).tranches
    ('A',)
    """

    action: Literal["pay_interest"] = "pay_interest"
    tranches: tuple[Identifier, ...] = Field(min_length=1)
    draw_from: tuple[Identifier, ...] = ()


class PayPrincipal(DomainModel):
    """Pay principal on ``tranches`` towards the principal distribution amount:
    ``sequential`` in the order listed, or ``pro_rata`` to their balances (sequential by
    seniority while a ``switch_to_sequential`` trigger is active).

    >>> PayPrincipal(tranches=("A", "B"), mode="pro_rata").mode
    'pro_rata'
    """

    action: Literal["pay_principal"] = "pay_principal"
    tranches: tuple[Identifier, ...] = Field(min_length=1)
    mode: Literal["sequential", "pro_rata"] = "sequential"


class TopUpReserve(DomainModel):
    """Refill ``account`` up to its target from the funds left.

    >>> TopUpReserve(account="reserve").account
    'reserve'
    """

    action: Literal["top_up_reserve"] = "top_up_reserve"
    account: Identifier


class PayResidual(DomainModel):
    """Pay everything left to ``tranche`` (the equity), or into the trap account while a
    ``trap_cash`` trigger is active.

    >>> PayResidual(tranche="E").action
    'pay_residual'
    """

    action: Literal["pay_residual"] = "pay_residual"
    tranche: Identifier


ACTIONS: Final[tuple[str, ...]] = (
    "pay_fee",
    "pay_interest",
    "pay_principal",
    "top_up_reserve",
    "pay_residual",
)
"""The waterfall step actions."""

WaterfallStep = Annotated[
    Annotated[PayFee, Tag("pay_fee")]
    | Annotated[PayInterest, Tag("pay_interest")]
    | Annotated[PayPrincipal, Tag("pay_principal")]
    | Annotated[TopUpReserve, Tag("top_up_reserve")]
    | Annotated[PayResidual, Tag("pay_residual")],
    _tagged_by("action", ACTIONS),
]
"""One priority of payment, chosen by its ``action``."""


class Waterfall(DomainModel):
    """The priorities of payment: ``interest``, ``principal`` and ``post_default``.

    >>> w = Waterfall(interest=[{"action": "pay_interest", "tranches": ["A"]}],
    ...               principal=[{"action": "pay_residual", "tranche": "E"}])
    >>> [s.action for s in w.interest], w.post_default
    (['pay_interest'], ())
    """

    interest: tuple[WaterfallStep, ...] = Field(min_length=1)
    principal: tuple[WaterfallStep, ...] = Field(min_length=1)
    post_default: tuple[WaterfallStep, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _known_actions(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        problems = []
        for list_name in ("interest", "principal", "post_default"):
            steps = data.get(list_name)
            if not isinstance(steps, list | tuple):
                continue
            for pos, step in enumerate(steps):
                action = step.get("action") if isinstance(step, dict) else None
                if isinstance(step, dict) and action not in ACTIONS:
                    problems.append(
                        FieldProblem(
                            f"{list_name}[{pos}].action",
                            f"unknown action in step {pos}; known: {', '.join(ACTIONS)}",
                            action,
                        )
                    )
        if problems:
            raise ValidationError.from_problems(problems)
        return data

    def lists(self) -> Iterator[tuple[str, tuple[WaterfallStep, ...]]]:
        """``(name, steps)`` of the three waterfalls, ``post_default`` last."""
        yield "interest", self.interest
        yield "principal", self.principal
        yield "post_default", self.post_default


# -- triggers, call, revolving --------------------------------------------------------------

TriggerKind = Literal["oc", "ic", "dscr", "cnl"]
TriggerEffect = Literal["switch_to_sequential", "trap_cash", "event_of_default", "end_revolving"]


class Trigger(DomainModel):
    """A performance test evaluated after each payment date; a breach takes effect from the
    next period.

    ``oc``: pool balance / notes through ``tranche``, breached below ``threshold``
    (1.05 = 105%). ``ic``: (interest collections - fees due) / interest due through
    ``tranche``, breached below. ``dscr``: (all collections - fees due) / (interest due
    through ``tranche`` + scheduled pool principal), breached below. ``cnl``: cumulative
    net loss / original pool balance, breached above (0.04 = 4%). ``tranche`` omitted:
    all notes. Effects: ``switch_to_sequential`` (pro rata steps pay sequentially),
    ``trap_cash`` (the residual goes to ``account``), ``event_of_default`` (the
    post-default waterfall, for good), ``end_revolving``. A trigger cures after
    ``cure_periods`` consecutive passing tests (``None``: never).

    >>> Trigger(name="cnl", kind="cnl", threshold=0.06, effect="switch_to_sequential").cure_periods
    1
    """

    name: Identifier
    kind: TriggerKind
    threshold: float = Field(gt=0.0, description="Ratio (oc, ic, dscr) or loss share (cnl).")
    effect: TriggerEffect
    tranche: Identifier | None = Field(default=None, description="Test through this class.")
    account: Identifier | None = Field(default=None, description="Trap account (trap_cash).")
    cure_periods: int | None = Field(default=1, ge=1, description="Passes needed to cure.")

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.kind == "cnl":
            if self.threshold > 1.0:
                raise ValidationError(
                    "threshold",
                    "a cnl threshold is a share of the original pool (0.05 = 5%); "
                    "above 1 looks like a percentage",
                    self.threshold,
                )
            if self.tranche is not None:
                raise ValidationError("tranche", "a cnl test is deal-wide, not through a class")
        elif self.threshold > 50.0:
            raise ValidationError(
                "threshold", "ratios are decimals (1.05 = 105%); this looks like a percentage"
            )
        if (self.effect == "trap_cash") != (self.account is not None):
            raise ValidationError("account", "give an account exactly when effect is trap_cash")
        if self.effect == "event_of_default" and self.cure_periods is not None:
            raise ValidationError(
                "cure_periods", "an event of default does not cure; set cure_periods: null"
            )
        return self


class CleanUpCall(DomainModel):
    """The servicer buys the pool back on the first payment date on which the pool balance
    falls to ``pool_share`` of the original pool or below, at ``price`` times the pool
    balance, provided the proceeds and the deal's cash (collections and accounts) cover
    the notes, their interest and the fees in full; the notes are repaid, the accounts
    released and the deal ends.

    >>> CleanUpCall(pool_share=0.1).price
    1.0
    """

    pool_share: Share = Field(description="Exercise at or below this share of the pool.")
    price: float = Field(default=1.0, gt=0.0, le=2.0, description="Share of pool balance.")


class RevolvingPeriod(DomainModel):
    """Until ``end`` (payment dates before it), the principal funds buy new receivables
    instead of repaying notes; ends early on an ``end_revolving`` trigger. The pool's flows
    must already include the assets bought (the runner takes ``PoolFlows`` as given).

    >>> RevolvingPeriod(end=dt.date(2028, 1, 1)).end.year
    2028
    """

    end: dt.date


# -- the deal -------------------------------------------------------------------------------


class AbsStructure(DomainModel):
    """A whole deal: classes, fees, accounts, waterfalls, triggers, call, revolving period.

    ``oc_target``: the overcollateralisation the principal distribution amount keeps, as a
    share of the current pool balance. ``loss_allocation``: ``deficiency_ledger`` (losses
    are carried on a principal deficiency ledger, excess spread may cure them, and what is
    still unpaid at the last period is written off, junior first) or ``writedown`` (each
    period the notes in excess of the pool balance are written down, junior first).

    >>> deal = AbsStructure.from_yaml(DEMO_DEAL_PATH)
    >>> deal.tranche("B").seniority, [t.name for t in deal.notes]
    (2, ['A', 'B'])
    >>> bad = deal.model_dump(mode="json")
    >>> bad["waterfall"]["interest"][3]["account"] = "resrve"
    >>> AbsStructure.model_validate(bad)
    Traceback (most recent call last):
    ...
    computefin.errors.ValidationError: AbsStructure.waterfall.interest[3].account: unknown
    account 'resrve' in step 3 (top_up_reserve); known accounts: reserve, trap (got 'resrve')
    """

    name: Identifier
    currency: Currency
    tranches: tuple[Tranche, ...] = Field(min_length=1)
    fees: tuple[Fee, ...] = ()
    accounts: tuple[Account, ...] = ()
    waterfall: Waterfall
    triggers: tuple[Trigger, ...] = ()
    clean_up_call: CleanUpCall | None = None
    revolving: RevolvingPeriod | None = None
    oc_target: Share = Field(default=0.0, description="Target OC, share of the pool balance.")
    loss_allocation: Literal["deficiency_ledger", "writedown"] = "deficiency_ledger"

    # -- entry points: errors name the step, not pydantic's union tag ------------------

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise _untagged(exc) from exc

    @classmethod
    def model_validate(cls, *args: Any, **kwargs: Any) -> Self:
        """Validate a mapping; errors name ``AbsStructure.<path>`` and the step."""
        try:
            return super().model_validate(*args, **kwargs)
        except ValidationError as exc:
            raise _untagged(exc) from exc

    @classmethod
    def model_validate_json(cls, *args: Any, **kwargs: Any) -> Self:
        """Validate JSON text; errors name ``AbsStructure.<path>`` and the step."""
        try:
            return super().model_validate_json(*args, **kwargs)
        except ValidationError as exc:
            raise _untagged(exc) from exc

    # -- lookups ----------------------------------------------------------------------

    @property
    def notes(self) -> tuple[Tranche, ...]:
        """The notes (not the equity), in the order given."""
        return tuple(t for t in self.tranches if t.is_note)

    @property
    def note_balance(self) -> float:
        """Original balance of all notes, deal currency."""
        return math.fsum(t.balance for t in self.notes)

    def tranche(self, name: str) -> Tranche:
        """The tranche called ``name`` (``KeyError`` naming the known ones otherwise)."""
        for t in self.tranches:
            if t.name == name:
                return t
        raise KeyError(f"no tranche {name!r}; tranches: {', '.join(self.tranche_names)}")

    @property
    def tranche_names(self) -> tuple[str, ...]:
        """Names of the tranches, in the order given."""
        return tuple(t.name for t in self.tranches)

    # -- loading ----------------------------------------------------------------------

    @classmethod
    def from_yaml(cls, source: str | Path) -> AbsStructure:
        """Load a deal from a YAML file path (``Path`` or a path string) or YAML text."""
        text = _read(source, (".yaml", ".yml"))
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ValidationError("AbsStructure", f"not valid YAML: {exc}") from exc
        if not isinstance(data, dict):
            raise ValidationError("AbsStructure", "the YAML document must be a mapping")
        return cls.model_validate(data)

    @classmethod
    def from_json(cls, source: str | Path) -> AbsStructure:
        """Load a deal from a JSON file path (``Path`` or a path string) or JSON text."""
        return cls.model_validate_json(_read(source, (".json",)))

    def to_yaml(self) -> str:
        """The deal as YAML text (``from_yaml`` reads it back to an equal deal)."""
        return yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False, allow_unicode=True)

    def to_json(self) -> str:
        """The deal as JSON text (``from_json`` reads it back to an equal deal)."""
        return json.dumps(self.model_dump(mode="json"), indent=2, ensure_ascii=False)

    # -- cross-field checks -----------------------------------------------------------

    @model_validator(mode="after")
    def _references(self) -> Self:
        problems = list(_reference_problems(self))
        if problems:
            raise ValidationError.from_problems(problems)
        return self


_STEP_TAG: Final[re.Pattern[str]] = re.compile(
    r"\.(interest|principal|post_default)\[(\d+)\]\.(" + "|".join(ACTIONS) + r")(?=\.|$)"
)
_COUPON_TAG: Final[re.Pattern[str]] = re.compile(r"\.coupon\.(fixed|floating)(?=\.|$)")


def _untagged(exc: ValidationError) -> ValidationError:
    """Drop pydantic's union tags from field paths; name the step in the reason."""
    problems = []
    for p in exc.problems:
        field, reason = p.field, p.reason
        m = _STEP_TAG.search(field)
        if m:
            field = f"{field[: m.start()]}.{m[1]}[{m[2]}]{field[m.end() :]}"
            if " in step " not in reason:
                reason = f"{reason} in step {m[2]} ({m[3]})"
        problems.append(FieldProblem(_COUPON_TAG.sub(".coupon", field), reason, p.value))
    return ValidationError.from_problems(problems)


def _read(source: str | Path, suffixes: Sequence[str]) -> str:
    if isinstance(source, Path):
        return source.read_text(encoding="utf-8")
    stripped = source.strip()
    if "\n" not in stripped and stripped.lower().endswith(tuple(suffixes)):
        return Path(stripped).read_text(encoding="utf-8")
    return source


def _unknown(kind: str, name: str, known: Sequence[str], where: str) -> str:
    shown = ", ".join(known) if known else "none"
    return f"unknown {kind} {name!r}{where}; known {kind}s: {shown}"


def _reference_problems(deal: AbsStructure) -> Iterator[FieldProblem]:
    """Every broken reference and misplaced step, with its list, position and action."""
    seen: dict[str, str] = {}
    groups: dict[str, list[str]] = {
        "tranches": [t.name for t in deal.tranches],
        "fees": [f.name for f in deal.fees],
        "accounts": [a.name for a in deal.accounts],
        "triggers": [t.name for t in deal.triggers],
    }
    for group, names in groups.items():
        for i, name in enumerate(names):
            if name in seen:
                yield FieldProblem(
                    f"{group}[{i}].name", f"duplicate name (also in {seen[name]})", name
                )
            seen.setdefault(name, group)
    tranches = {t.name: t for t in deal.tranches}
    notes = [t.name for t in deal.notes]
    equity = [t.name for t in deal.tranches if not t.is_note]
    fees = [f.name for f in deal.fees]
    accounts = {a.name: a for a in deal.accounts}
    funded = [a.name for a in deal.accounts if a.kind != "cash_trap"]
    traps = [a.name for a in deal.accounts if a.kind == "cash_trap"]
    if not notes:
        yield FieldProblem("tranches", "a deal needs at least one note")
    for i, acc in enumerate(deal.accounts):
        for j, name in enumerate(acc.basis):
            if name not in notes:
                yield FieldProblem(
                    f"accounts[{i}].basis[{j}]", _unknown("note", name, notes, ""), name
                )

    def account_refs(names: tuple[str, ...], base: str, where: str) -> Iterator[FieldProblem]:
        for j, name in enumerate(names):
            if name not in accounts:
                yield FieldProblem(
                    f"{base}.draw_from[{j}]", _unknown("account", name, list(accounts), where), name
                )
            elif name not in funded:
                yield FieldProblem(
                    f"{base}.draw_from[{j}]", f"cannot draw on cash_trap account {name!r}{where}"
                )

    for list_name, steps in deal.waterfall.lists():
        for pos, step in enumerate(steps):
            base = f"waterfall.{list_name}[{pos}]"
            where = f" in step {pos} ({step.action})"
            if isinstance(step, PayFee):
                if step.fee not in fees:
                    yield FieldProblem(
                        f"{base}.fee", _unknown("fee", step.fee, fees, where), step.fee
                    )
                yield from account_refs(step.draw_from, base, where)
            elif isinstance(step, PayInterest | PayPrincipal):
                for j, name in enumerate(step.tranches):
                    if name not in tranches:
                        yield FieldProblem(
                            f"{base}.tranches[{j}]",
                            _unknown("tranche", name, list(tranches), where),
                            name,
                        )
                    elif name not in notes:
                        yield FieldProblem(
                            f"{base}.tranches[{j}]",
                            f"{name!r} is the equity piece, paid by pay_residual{where}",
                            name,
                        )
                if len(set(step.tranches)) != len(step.tranches):
                    yield FieldProblem(f"{base}.tranches", f"a tranche is listed twice{where}")
                if isinstance(step, PayInterest):
                    yield from account_refs(step.draw_from, base, where)
            elif isinstance(step, TopUpReserve):
                if step.account not in accounts:
                    yield FieldProblem(
                        f"{base}.account",
                        _unknown("account", step.account, list(accounts), where),
                        step.account,
                    )
                elif step.account not in funded:
                    yield FieldProblem(
                        f"{base}.account", f"a cash_trap account has no target to top up{where}"
                    )
            elif step.tranche not in tranches:
                yield FieldProblem(
                    f"{base}.tranche",
                    _unknown("tranche", step.tranche, list(tranches), where),
                    step.tranche,
                )
            elif step.tranche not in equity:
                yield FieldProblem(
                    f"{base}.tranche",
                    f"pay_residual goes to the equity piece, {step.tranche!r} is a note{where}",
                    step.tranche,
                )
        if list_name != "interest" and steps and not isinstance(steps[-1], PayResidual):
            yield FieldProblem(
                f"waterfall.{list_name}[{len(steps) - 1}]",
                f"the last step must be pay_residual (cash left after step "
                f"{len(steps) - 1} ({steps[-1].action}) would have no destination)",
            )
    defaults = [t for t in deal.triggers if t.effect == "event_of_default"]
    if defaults and not deal.waterfall.post_default:
        yield FieldProblem(
            "waterfall.post_default",
            f"required: trigger {defaults[0].name!r} can cause an event of default",
        )
    for i, trig in enumerate(deal.triggers):
        if trig.tranche is not None and trig.tranche not in notes:
            yield FieldProblem(
                f"triggers[{i}].tranche", _unknown("note", trig.tranche, notes, ""), trig.tranche
            )
        if trig.account is not None and trig.account not in traps:
            yield FieldProblem(
                f"triggers[{i}].account",
                _unknown("cash_trap account", trig.account, traps, ""),
                trig.account,
            )
        if trig.effect == "end_revolving" and deal.revolving is None:
            yield FieldProblem(f"triggers[{i}].effect", "end_revolving without a revolving period")

"""The pool: contractual flows and balances against hand calculations, and validation."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest
from test_pool_cases import CUT_OFF, RATE, RENT, annuity, lease, one_lease_pool

from computefin.domain import demo_market
from computefin.errors import ValidationError
from computefin.products.abs.performance import Performance, project_pool
from computefin.products.abs.pool import GpuLease, Pool, PoolLoan, Receivable
from computefin.products.loan import CollateralLoan

MONTHLY = RATE / 12  # the pool rate per monthly rent period


def test_one_lease_rent_balance_and_split_equal_the_hand_calculation() -> None:
    pool = one_lease_pool()
    flows = pool.contractual_flows()
    # 12 rents of 100,000 in arrears at the end of each month after the cut-off (31 Jan)
    assert flows.cash.tolist() == [RENT] * 12
    assert [str(d)[:10] for d in flows.payment_date][:3] == [
        "2027-02-28",
        "2027-03-31",
        "2027-04-30",
    ]
    # discounted balance = the annuity: 100,000 x (1 - 1.005^-12) / 0.005 = 1,161,893.21
    b0 = RENT * (1 - 1.005**-12) / 0.005
    assert b0 == pytest.approx(1_161_893.2067, abs=1e-4)
    assert pool.original_balance() == pytest.approx(b0, abs=1e-6)
    balance = pool.discounted_balance()
    assert balance.balance.iloc[0] == pytest.approx(b0, abs=1e-6)
    assert balance.contractual_remaining.iloc[0] == pytest.approx(12 * RENT)
    # first rent: interest = 1,161,893.21 x 0.06 / 12 = 5,809.47; principal = the rest
    assert flows.interest.iloc[0] == pytest.approx(b0 * 0.005, abs=1e-6)
    assert flows.principal.iloc[0] == pytest.approx(RENT - b0 * 0.005, abs=1e-6)
    # after k rents the balance is the annuity of the 12 - k left
    for k in range(12):
        assert flows.closing_balance.iloc[k] == pytest.approx(RENT * annuity(11 - k), abs=1e-6)
        assert flows.interest.iloc[k] == pytest.approx(RENT * annuity(12 - k) * MONTHLY, abs=1e-6)
    assert flows.principal.sum() == pytest.approx(b0, abs=1e-6)


def test_zero_cdr_projection_is_the_contractual_schedule() -> None:
    pool = one_lease_pool()
    flows = project_pool(pool, Performance())
    sched = pool.contractual_flows()
    assert flows.n_periods == 12
    np.testing.assert_allclose(flows.interest_collections[0], sched.interest, atol=1e-8)
    np.testing.assert_allclose(flows.principal_collections[0], sched.principal, atol=1e-8)
    np.testing.assert_allclose(flows.pool_balance[0], sched.closing_balance, atol=1e-8)
    assert flows.contractual_rent_remaining[0].tolist() == [RENT * (11 - k) for k in range(12)]
    assert flows.original_pool_balance == pytest.approx(RENT * annuity(12))
    for name in ("recoveries", "remarketing_proceeds", "defaulted_balance", "net_loss"):
        assert not getattr(flows, name).any()


def test_step_ups_change_the_rent_from_their_date() -> None:
    pool = one_lease_pool(step_ups=[{"date": "2027-07-31", "rent_per_period": 110_000.0}])
    cash = pool.contractual_flows().cash.tolist()
    assert cash == [RENT] * 5 + [110_000.0] * 7
    # balance = 100k x a(5) + 110k x a(7) discounted 5 months
    expected = RENT * annuity(5) + 110_000.0 * annuity(7) * (1 + MONTHLY) ** -5
    assert pool.original_balance() == pytest.approx(expected, abs=1e-6)


def test_rent_in_advance_on_the_cut_off_belongs_to_the_seller() -> None:
    pool = one_lease_pool(payment_timing="advance")
    flows = pool.contractual_flows()
    assert flows.cash.tolist() == [RENT] * 11  # the rent due on 31 Jan is the seller's
    assert pool.original_balance() == pytest.approx(RENT * annuity(11), abs=1e-6)


def test_seasoned_lease_balance_is_after_the_last_rent_before_the_cut_off() -> None:
    # started 31 Oct 2026, quarterly in arrears: rents 31 Jan (seller's), 30 Apr, 31 Jul, 31 Oct
    pool = one_lease_pool(start=dt.date(2026, 10, 31), rent_frequency="quarterly")
    flows = pool.contractual_flows()
    flows = flows[flows.cash != 0]
    assert flows.cash.tolist() == [RENT] * 3
    assert flows.period.tolist() == [2, 5, 8]
    assert pool.original_balance() == pytest.approx(RENT * annuity(3, RATE / 4), abs=1e-6)
    assert flows.interest.iloc[0] == pytest.approx(RENT * annuity(3, RATE / 4) * RATE / 4)


def test_receivable_is_discounted_at_simple_interest() -> None:
    due = dt.date(2027, 7, 31)
    rec = Receivable(id="rc-1", obligor_counterparty_id="x", currency="CNY",
                     face_amount=1_000_000.0, due_date=due)  # fmt: skip
    pool = Pool(id="p", cut_off=CUT_OFF, currency="CNY", pool_discount_rate=RATE,
                receivables=[rec])  # fmt: skip
    tau = (due - CUT_OFF).days / 365.0
    assert pool.original_balance() == pytest.approx(1_000_000.0 / (1 + RATE * tau))
    row = pool.contractual_flows().iloc[-1]
    assert row.period == 5
    assert row.cash == 1_000_000.0
    assert row.principal == pytest.approx(1_000_000.0 / (1 + RATE * tau))


def _loan(**changes: Any) -> CollateralLoan:
    data: dict[str, Any] = {
        "id": "ln-1", "borrower_counterparty_id": "borrower-b", "principal": 12_000_000.0,
        "currency": "CNY", "start": dt.date(2026, 10, 31), "maturity": dt.date(2028, 10, 31),
        "frequency": "monthly", "amortization": "level", "fixed_rate": 0.05,
    }  # fmt: skip
    data.update(changes)
    return CollateralLoan(**data)


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"amortization": "straight", "frequency": "quarterly", "maturity": dt.date(2029, 10, 31)},
        {"fixed_rate": None, "index": "LPR1Y", "margin": 0.012, "start": dt.date(2026, 11, 20),
         "maturity": dt.date(2029, 11, 20), "frequency": "quarterly"},
    ],
)  # fmt: skip
def test_loan_asset_flows_equal_the_loan_kernel_when_cdr_and_cpr_are_zero(
    changes: dict[str, Any],
) -> None:
    market = demo_market()
    loan = _loan(**changes)
    pool = Pool(id="p", cut_off=CUT_OFF, currency="CNY", pool_discount_rate=RATE,
                loans=[PoolLoan(loan=loan)])  # fmt: skip
    expected = loan.cashflows(market)
    expected = expected[expected.pay_date > np.datetime64(CUT_OFF)]
    flows = pool.contractual_flows(market)
    flows = flows[flows.cash != 0]
    np.testing.assert_allclose(flows.interest, expected.interest, rtol=0, atol=1e-6)
    np.testing.assert_allclose(flows.principal, expected.principal, rtol=0, atol=1e-6)
    first = expected.iloc[0]
    assert pool.original_balance(market) == pytest.approx(first.closing_balance + first.principal)
    projected = project_pool(pool, Performance(), market=market)
    paid = projected.interest_collections[0] != 0
    np.testing.assert_allclose(
        projected.interest_collections[0][paid], expected.interest, atol=1e-6
    )
    np.testing.assert_allclose(
        projected.principal_collections[0][paid], expected.principal, atol=1e-6
    )
    assert projected.pool_balance[0, -1] == 0.0


def test_loan_share_scales_the_loan() -> None:
    loan = _loan()
    whole = Pool(id="p", cut_off=CUT_OFF, currency="CNY", pool_discount_rate=RATE,
                 loans=[PoolLoan(loan=loan)])  # fmt: skip
    half = whole.model_copy(update={"loans": [PoolLoan(loan=loan, share=0.5)]})
    assert half.original_balance() == pytest.approx(whole.original_balance() / 2)


def _problem_fields(exc: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    return [p.field for p in exc.value.problems]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"leases": [lease(), lease()]}, "Pool.leases[1].id"),
        ({"leases": [lease(currency="USD")]}, "Pool.leases[0].currency"),
        ({"leases": [lease(start=dt.date(2027, 2, 1))]}, "Pool.leases[0].start"),
        ({"leases": [lease(start=dt.date(2025, 1, 31))]}, "Pool.leases[0].term_months"),
        ({"loans": [{"loan": _loan(currency="USD", calendar="US-SOFR")}]},
         "Pool.loans[0].loan.currency"),
        ({"loans": [{"loan": _loan(), "share": 1.5}]}, "Pool.loans[0].share"),
        ({"loans": [{"loan": _loan(draws=[("2026-10-31", 6e6), ("2027-03-01", 6e6)])}]},
         "Pool.loans[0].loan.draws"),
        ({"receivables": [{"id": "r", "obligor_counterparty_id": "x", "currency": "CNY",
                           "face_amount": 1.0, "due_date": "2027-01-31"}]},
         "Pool.receivables[0].due_date"),
        ({"pool_discount_rate": 6.0}, "Pool.pool_discount_rate"),
        ({"leases": [], "loans": [], "receivables": []}, "Pool.leases"),
    ],
)  # fmt: skip
def test_pool_validation_names_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as exc:
        one_lease_pool().model_copy(update=changes)
    assert field in _problem_fields(exc)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"step_ups": [{"date": "2028-02-01", "rent_per_period": 1.0}]},
         "GpuLease.step_ups[0].date"),
        ({"step_ups": [{"date": "2027-01-31", "rent_per_period": 1.0}]},
         "GpuLease.step_ups[0].date"),
        ({"step_ups": [{"date": "2027-06-30", "rent_per_period": 1.0},
                       {"date": "2027-05-31", "rent_per_period": 2.0}]},
         "GpuLease.step_ups[1].date"),
        ({"rent_frequency": "quarterly", "term_months": 10}, "GpuLease.term_months"),
        ({"renewal_options": [{"term_months": 5, "rent_per_period": 1.0}],
          "rent_frequency": "quarterly"}, "GpuLease.renewal_options[0].term_months"),
        ({"gpus": 0}, "GpuLease.gpus"),
        ({"rent_per_period": -1.0}, "GpuLease.rent_per_period"),
        ({"accelerator_id": "nvidia-h999"}, "GpuLease.accelerator_id"),
        ({"gpus_acquired": dt.date(2027, 3, 1)}, "GpuLease.gpus_acquired"),
        ({"payment_timing": "monthly"}, "GpuLease.payment_timing"),
    ],
)  # fmt: skip
def test_lease_validation_names_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as exc:
        lease(**changes)
    assert any(f.startswith(field) for f in _problem_fields(exc))


def test_nested_lease_error_is_named_inside_the_pool() -> None:
    data = one_lease_pool().model_dump(mode="json")
    data["leases"][0]["step_ups"] = [{"date": "2029-01-01", "rent_per_period": 1.0}]
    with pytest.raises(ValidationError) as exc:
        Pool.model_validate(data)
    assert _problem_fields(exc) == ["Pool.leases[0].step_ups[0].date"]


def test_lease_properties() -> None:
    x = lease(renewal_options=[{"term_months": 6, "rent_per_period": 90_000.0}])
    assert x.end == dt.date(2028, 1, 31)
    assert x.chain_end == dt.date(2028, 7, 31)
    assert x.acquired == CUT_OFF
    assert isinstance(x, GpuLease)

"""Cash conservation on random pools: every period, every path, to the cent."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given, settings, strategies as st

from computefin.pricing.curves import flat_curve
from computefin.products.abs.pool_flows import PoolFlows
from computefin.products.abs.structure import DEMO_DEAL_PATH, AbsStructure
from computefin.products.abs.waterfall import CENT, run_waterfall

DEMO = AbsStructure.from_yaml(DEMO_DEAL_PATH).model_dump(mode="json")
CURVE = flat_curve("2027-01-01", 0.02)


def random_pool(seed: int, n_paths: int, n_periods: int, scale: float) -> PoolFlows:
    """Amortising pools with random collections, defaults and shocks (not always coherent:
    the runner must conserve cash whatever it is given)."""
    rng = np.random.default_rng(seed)
    share = rng.dirichlet(np.ones(n_periods), size=n_paths)
    default = rng.uniform(0.0, 0.4, size=(n_paths, 1)) * share * rng.random((n_paths, n_periods))
    principal = share * (1.0 - default.sum(axis=1, keepdims=True))
    paid = np.cumsum(principal + default, axis=1)
    balance = np.maximum(1.0 - paid, 0.0)
    balance[:, -1] = 0.0
    interest = np.hstack([np.ones((n_paths, 1)), balance[:, :-1]]) * rng.uniform(0.0, 0.02)
    recoveries = default * rng.uniform(0.0, 0.8)
    remarketing = rng.random((n_paths, n_periods)) * 0.002 * (rng.random() < 0.5)
    starts = np.datetime64("2027-01", "M") + np.arange(n_periods)
    return PoolFlows(
        currency="CNY",
        period_starts=starts.astype("datetime64[D]"),
        payment_dates=(starts + 1).astype("datetime64[D]"),
        original_pool_balance=scale,
        interest_collections=interest * scale,
        principal_collections=principal * scale,
        recoveries=recoveries * scale,
        remarketing_proceeds=remarketing * scale,
        defaulted_balance=default * scale,
        net_loss=(default - recoveries) * scale,
        pool_balance=balance * scale,
        contractual_rent_remaining=balance * scale * 1.1,
    )


def variant(draw: Any) -> AbsStructure:
    data = dict(DEMO)
    data["waterfall"] = {k: list(v) for k, v in DEMO["waterfall"].items()}
    data["waterfall"]["principal"] = [dict(s) for s in DEMO["waterfall"]["principal"]]
    data["waterfall"]["principal"][3]["mode"] = draw(st.sampled_from(["sequential", "pro_rata"]))
    data["loss_allocation"] = draw(st.sampled_from(["deficiency_ledger", "writedown"]))
    data["oc_target"] = draw(st.floats(0.0, 0.2))
    data["clean_up_call"] = draw(st.sampled_from([None, {"pool_share": 0.1}, {"pool_share": 0.3}]))
    triggers = [dict(t) for t in DEMO["triggers"]]
    triggers[0]["threshold"] = draw(st.floats(1.0, 1.4))
    triggers[1]["threshold"] = draw(st.floats(0.005, 0.1))
    triggers[2]["threshold"] = draw(st.floats(0.02, 0.3))
    data["triggers"] = triggers
    return AbsStructure.model_validate(data)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_paths=st.integers(1, 5),
    n_periods=st.integers(2, 30),
    scale=st.sampled_from([1e3, 1e6, 1e9, 1.23456789e10]),
    data=st.data(),
)
def test_cash_is_conserved_on_random_pools(
    seed: int, n_paths: int, n_periods: int, scale: float, data: Any
) -> None:
    deal = variant(data.draw)
    # scale the deal with the pool: notes 92% of the pool, as in the demo
    factor = scale / 1e9
    dumped = deal.model_dump(mode="json")
    for t in dumped["tranches"]:
        t["balance"] *= factor
    for f in dumped["fees"]:
        f["amount_per_year"] *= factor
    for a in dumped["accounts"]:
        a["initial_balance"] *= factor
        a["floor"] *= factor
    deal = AbsStructure.model_validate(dumped)
    flows = random_pool(seed, n_paths, n_periods, scale)
    res = run_waterfall(deal, flows, curves=CURVE)  # raises ConservationError if broken
    cash_in = res.collections + res.call_proceeds + res.account_draws.sum(axis=0)
    cash_out = (
        res.fees_paid.sum(axis=0)
        + res.interest.sum(axis=0)
        + res.principal.sum(axis=0)
        + res.residual.sum(axis=0)
        + res.reinvestment
        + res.account_deposits.sum(axis=0)
    )
    assert np.abs(cash_in - cash_out).max() <= CENT
    # over the life: collections + call proceeds + accounts funded at closing = what was
    # distributed + what the accounts hold at the end
    counted = (res.collections + res.call_proceeds).sum(axis=1)
    initial = sum(a.initial_balance for a in deal.accounts)
    distributed = (cash_out - res.account_deposits.sum(axis=0)).sum(axis=1)
    np.testing.assert_allclose(
        counted + initial,
        distributed + res.account_balance[:, :, -1].sum(axis=0),
        atol=n_periods * CENT,
    )
    tol = 1e-9 * scale
    assert (res.balance >= -tol).all()
    assert (res.account_balance >= -tol).all()
    assert (res.interest >= -tol).all()
    assert (res.principal >= -tol).all()
    assert (res.residual >= -tol).all()
    for j, tr in enumerate(deal.tranches):
        if tr.is_note:
            repaid = res.principal[j].sum(axis=1) + res.writedown[j].sum(axis=1)
            np.testing.assert_allclose(repaid, tr.balance, rtol=1e-9)
    # nothing is left at the end
    assert np.abs(res.balance[:, :, -1]).max() <= tol
    assert np.abs(res.account_balance[:, :, -1]).max() <= tol

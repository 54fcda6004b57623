"""Compute ABS (算力资产证券化): GPU lease pools, waterfalls as data, tranche analytics.

- pool: :class:`GpuLease`, :class:`PoolLoan`, :class:`Receivable` in a :class:`Pool`
  (cut-off, contractual and discounted balances); :func:`project_pool` runs it through a
  :class:`Performance` (CDR/CPR, recoveries, lease default modes, re-leasing,
  remarketing), deterministic or per path of a ScenarioSet, into :class:`PoolFlows`;
- structure: :class:`AbsStructure` (tranches, fees, accounts, waterfall steps, triggers,
  clean-up call, revolving period) loaded from JSON or YAML;
- :func:`run_waterfall`: every path at once, cash conserved each period to the cent;
- analytics: tranche price/yield/discount margin/z-spread, WAL, duration, expected loss
  and loss distribution, equity IRR, credit enhancement, :func:`breakeven_cdr`,
  :func:`scenario_grid`;
- :class:`AbsDeal` / :func:`value_deal`: the deal end to end, one row per tranche with
  fair value, yield, WAL, duration, losses, attachment points and SEC-SA capital.

>>> from computefin.products.abs import Pool, PoolFlows, project_pool
>>> Pool.__name__, PoolFlows.__name__, project_pool.__name__
('Pool', 'PoolFlows', 'project_pool')
"""

from computefin.products.abs.analytics import (
    PoolFlowsFor,
    breakeven_cdr,
    credit_enhancement,
    equity_irr,
    expected_loss,
    loss_distribution,
    loss_shares,
    scenario_grid,
    tranche_cashflows,
    tranche_discount_margin,
    tranche_duration,
    tranche_face,
    tranche_measures,
    tranche_price_from_discount_margin,
    tranche_price_from_yield,
    tranche_wal,
    tranche_yield,
    tranche_z_spread,
)
from computefin.products.abs.deal import (
    DEAL_COLUMNS,
    AbsDeal,
    SecuritisationCapitalInputs,
    deal_scenarios,
    demo_deal,
    run_deal,
    value_deal,
)
from computefin.products.abs.performance import (
    Performance,
    PoolFlowsBuilder,
    PoolIdentityError,
    pool_flows_for,
    project_pool,
    project_pool_by_asset,
)
from computefin.products.abs.pool import (
    GpuLease,
    Pool,
    PoolLoan,
    Receivable,
    RenewalOption,
    RentStepUp,
    demo_pool,
    load_pool,
)
from computefin.products.abs.pool_flows import PoolFlows
from computefin.products.abs.structure import (
    DEMO_DEAL_PATH,
    AbsStructure,
    Account,
    CleanUpCall,
    Fee,
    FixedCoupon,
    FloatingCoupon,
    PayFee,
    PayInterest,
    PayPrincipal,
    PayResidual,
    RevolvingPeriod,
    StepUp,
    TopUpReserve,
    Tranche,
    Trigger,
    Waterfall,
    WaterfallStep,
)
from computefin.products.abs.waterfall import (
    ConservationError,
    CurveInput,
    WaterfallResult,
    demo_pool_flows,
    run_waterfall,
    tranche_rates,
)

__all__ = [
    "DEAL_COLUMNS",
    "DEMO_DEAL_PATH",
    "AbsDeal",
    "AbsStructure",
    "Account",
    "CleanUpCall",
    "ConservationError",
    "CurveInput",
    "Fee",
    "FixedCoupon",
    "FloatingCoupon",
    "GpuLease",
    "PayFee",
    "PayInterest",
    "PayPrincipal",
    "PayResidual",
    "Performance",
    "Pool",
    "PoolFlows",
    "PoolFlowsBuilder",
    "PoolFlowsFor",
    "PoolIdentityError",
    "PoolLoan",
    "Receivable",
    "RenewalOption",
    "RentStepUp",
    "RevolvingPeriod",
    "SecuritisationCapitalInputs",
    "StepUp",
    "TopUpReserve",
    "Tranche",
    "Trigger",
    "Waterfall",
    "WaterfallResult",
    "WaterfallStep",
    "breakeven_cdr",
    "credit_enhancement",
    "deal_scenarios",
    "demo_deal",
    "demo_pool",
    "demo_pool_flows",
    "equity_irr",
    "expected_loss",
    "load_pool",
    "loss_distribution",
    "loss_shares",
    "pool_flows_for",
    "project_pool",
    "project_pool_by_asset",
    "run_deal",
    "run_waterfall",
    "scenario_grid",
    "tranche_cashflows",
    "tranche_discount_margin",
    "tranche_duration",
    "tranche_face",
    "tranche_measures",
    "tranche_price_from_discount_margin",
    "tranche_price_from_yield",
    "tranche_rates",
    "tranche_wal",
    "tranche_yield",
    "tranche_z_spread",
    "value_deal",
]

"""Compute ABS (算力资产证券化): GPU lease pools, waterfalls as data, tranche analytics.

- pool: :class:`GpuLease`, :class:`PoolLoan`, :class:`Receivable` in a :class:`Pool`
  (cut-off, contractual and discounted balances); :func:`project_pool` runs it through a
  :class:`Performance` (CDR/CPR, recoveries, lease default modes, re-leasing,
  remarketing), deterministic or per path of a ScenarioSet, into :class:`PoolFlows`.

>>> from computefin.products.abs import Pool, PoolFlows, project_pool
>>> Pool.__name__, PoolFlows.__name__, project_pool.__name__
('Pool', 'PoolFlows', 'project_pool')
"""

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

__all__ = [
    "GpuLease",
    "Performance",
    "Pool",
    "PoolFlows",
    "PoolFlowsBuilder",
    "PoolIdentityError",
    "PoolLoan",
    "Receivable",
    "RenewalOption",
    "RentStepUp",
    "demo_pool",
    "load_pool",
    "pool_flows_for",
    "project_pool",
    "project_pool_by_asset",
]

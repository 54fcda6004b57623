"""Compute ABS (算力资产证券化): GPU lease pools, waterfalls as data, tranche analytics.

>>> from computefin.products.abs import PoolFlows
>>> PoolFlows.__name__
'PoolFlows'
"""

from computefin.products.abs.pool_flows import PoolFlows

__all__ = ["PoolFlows"]

"""Risk models: GPU price, utilization and failure scenarios, residual value, credit, capital.

Built by later issues; the layer exists now so that imports can be checked to point down.

>>> import computefin.risk
>>> computefin.risk.__all__
[]
"""

__all__: list[str] = []

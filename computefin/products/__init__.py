"""Products: compute collateral loans, compute rights certificates, compute ABS, insurance, funds.

Built by later issues; the layer exists now so that imports can be checked to point down.

>>> import computefin.products
>>> computefin.products.__all__
[]
"""

__all__: list[str] = []

"""Compute rights certificates (算力权益凭证): terms, payoff kernel and valuation.

A :class:`ComputeCertificate` entitles its holder to a share of a fleet's NOI or revenue,
or to GPU-hours valued at the rental price, with optional floor, cap, calls, puts and a
senior claim on the fleet's cash. :func:`value_certificate` (or ``certificate.value``)
and :func:`value_certificates` (a book, one projection per fleet) return fair value,
the holder's IRR distribution, the probability of losing principal, durations and
sensitivities. See ``docs/products/certificate.md``.

>>> from computefin.products.certificate import ComputeCertificate, value_certificates
>>> ComputeCertificate.__name__, value_certificates.__name__
('ComputeCertificate', 'value_certificates')
"""

from computefin.products.certificate.model import (
    ComputeCertificate,
    Entitlement,
    ExerciseDate,
    GpuHoursEntitlement,
    NoiShareEntitlement,
    RevenueShareEntitlement,
)
from computefin.products.certificate.valuation import (
    FIELDS,
    IRR_PERCENTILES,
    PRICE_BUMP,
    RATE_BUMP,
    UTILIZATION_BUMP,
    CertificateValuation,
    value_certificate,
    value_certificates,
)

__all__ = [
    "FIELDS",
    "IRR_PERCENTILES",
    "PRICE_BUMP",
    "RATE_BUMP",
    "UTILIZATION_BUMP",
    "CertificateValuation",
    "ComputeCertificate",
    "Entitlement",
    "ExerciseDate",
    "GpuHoursEntitlement",
    "NoiShareEntitlement",
    "RevenueShareEntitlement",
    "value_certificate",
    "value_certificates",
]

"""Compute rights certificates in the batch job, valued a chunk at a time in one book call.

Each stored certificate is a position the bank holds (the whole issue, ``units``
certificates): its ``pv`` is the fair value (expected discounted payoff over the run's
paths), its EAD the fair value, and its RWA the fair value at a 100% risk weight - the
standardised weight of an unrated corporate exposure (CRE20.42), a stated simplification
until a look-through to the fleet is modelled. Certificates carry no EL/ECL here: their
credit risk is inside the fair value (the scenario paths and the credit spread).

>>> CertificateHandler.instrument_type
'certificate'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from computefin.engine.attributes import counterparty_ratings, fleet_accelerators, generation_of
from computefin.engine.registry import (
    ATTRIBUTE_COLUMNS,
    HandlerBase,
    ResultRecord,
    RunContext,
    plain,
)
from computefin.engine.store.records import load_certificates
from computefin.engine.store.schema import (
    CertificateRow,
    FleetRow,
)
from computefin.errors import ComputefinError
from computefin.products.certificate import ComputeCertificate, value_certificates
from computefin.risk import StressScenario

__all__ = ["CERTIFICATE_RISK_WEIGHT", "CertificateHandler"]

CERTIFICATE_RISK_WEIGHT = 1.0
"""Risk weight on a certificate's fair value (unrated corporate, standardised)."""


class CertificateHandler(HandlerBase):
    """Compute rights certificates (``instrument_type = "certificate"``)."""

    instrument_type = "certificate"

    def instruments(self, session: Session) -> list[tuple[str, str]]:
        """Certificates grouped by fleet (one projection per fleet per chunk), then id."""
        rows = session.execute(
            select(CertificateRow.id, CertificateRow.input_hash).order_by(
                CertificateRow.fleet_id, CertificateRow.id
            )
        )
        return [(i, h) for i, h in rows]

    def _frame(
        self,
        certs: Sequence[ComputeCertificate],
        context: RunContext,
        stress: StressScenario | None,
    ) -> pd.DataFrame:
        return value_certificates(
            certs, context.portfolio, context.market, context.n_scenarios,
            seed=context.seed, stress=stress,
        )  # fmt: skip

    def load(self, session: Session, ids: Sequence[str]) -> list[str]:
        """The certificates' JSON, in the order asked."""
        return [c.model_dump_json() for c in load_certificates(session, ids)]

    def value_loaded(
        self, data: Any, context: RunContext, stress: StressScenario | None
    ) -> list[ResultRecord]:
        """One book call for the chunk; if it fails, one call per certificate."""
        certs = [ComputeCertificate.model_validate_json(text) for text in data]
        rows: dict[str, dict[str, Any] | str] = {}
        try:
            frame = self._frame(certs, context, stress)
            rows = {
                str(r["id"]): {str(k): v for k, v in r.items()} for r in frame.to_dict("records")
            }
        except ComputefinError:
            for cert in certs:
                try:
                    one = self._frame([cert], context, stress).to_dict("records")[0]
                    rows[cert.id] = {str(k): v for k, v in one.items()}
                except ComputefinError as exc:
                    rows[cert.id] = str(exc)
        out = []
        for cert in certs:
            row = rows[cert.id]
            if isinstance(row, str):
                out.append(
                    ResultRecord(
                        cert.id, cert.currency.value, None, None, None, None, None, None, row
                    )
                )
                continue
            measures = {str(k): plain(v) for k, v in row.items()}
            value = float(row["fair_value"])
            measures.update({"pv": value, "ead": value, "rwa": value * CERTIFICATE_RISK_WEIGHT})
            out.append(
                ResultRecord(
                    instrument_id=cert.id,
                    currency=cert.currency.value,
                    pv=value,
                    ead=value,
                    el=None,
                    ecl=None,
                    rwa=value * CERTIFICATE_RISK_WEIGHT,
                    ltv=None,
                    error=None,
                    measures=measures,
                )
            )
        return out

    def attributes(self, session: Session) -> pd.DataFrame:
        """The fleet owner's rating and the fleet's main accelerator."""
        owners = dict(session.execute(select(FleetRow.id, FleetRow.owner_counterparty_id)).all())
        ratings = counterparty_ratings(session)
        main = fleet_accelerators(session)
        rows = []
        for cert_id, fleet_id in session.execute(
            select(CertificateRow.id, CertificateRow.fleet_id)
        ):
            owner = owners.get(fleet_id) if fleet_id is not None else None
            acc = main.get(fleet_id) if fleet_id is not None else None
            rows.append(
                {
                    "instrument_id": cert_id,
                    "counterparty_id": owner,
                    "rating": ratings.get(owner) if owner is not None else None,
                    "accelerator_id": acc,
                    "generation": generation_of(acc),
                }
            )
        return pd.DataFrame(rows, columns=list(ATTRIBUTE_COLUMNS))

"""ABS tranche holdings in the batch job: each deal valued once per chunk, holdings pro rata.

A holding of original face ``F`` in a tranche of original balance ``B`` is ``F / B`` of
the tranche: worth that share of its fair value
(:func:`~computefin.products.abs.value_deal`, on the run's scenarios, seed and stress),
its EAD that share of the tranche's current balance, its RWA the EAD x the SEC-SA risk
weight, its expected loss ``F x`` the tranche's expected loss share. The input hash
covers the holding and its deal, so editing a deal changes the hash of every holding in
it.

>>> AbsTrancheHandler.instrument_type
'abs_tranche'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from computefin.engine.attributes import accelerator_generation
from computefin.engine.holdings import Holding
from computefin.engine.registry import (
    ATTRIBUTE_COLUMNS,
    HandlerBase,
    ResultRecord,
    RunContext,
    plain,
)
from computefin.engine.store.records import content_hash, load_abs_deals, load_holdings
from computefin.engine.store.schema import AbsDealRow, HoldingRow
from computefin.errors import ComputefinError
from computefin.products.abs import AbsDeal, value_deal
from computefin.risk import StressScenario

__all__ = ["AbsTrancheHandler"]


class AbsTrancheHandler(HandlerBase):
    """Holdings of ABS tranches (``instrument_type = "abs_tranche"``)."""

    instrument_type = "abs_tranche"

    def instruments(self, session: Session) -> list[tuple[str, str]]:
        """Holdings grouped by deal, then by id; hash = holding + deal."""
        deals = dict(session.execute(select(AbsDealRow.id, AbsDealRow.input_hash)).all())
        rows = session.execute(
            select(HoldingRow.id, HoldingRow.instrument_id, HoldingRow.input_hash)
            .where(HoldingRow.instrument_type == self.instrument_type)
            .order_by(HoldingRow.instrument_id, HoldingRow.id)
        )
        return [(i, content_hash(f"{h}:{deals.get(d, '')}")) for i, d, h in rows]

    def load(self, session: Session, ids: Sequence[str]) -> dict[str, Any]:
        """The holdings' JSON (in order) and their deals' JSON by id."""
        holdings = load_holdings(session, ids)
        wanted = sorted({h.instrument_id for h in holdings})
        texts = dict(
            session.execute(
                select(AbsDealRow.id, AbsDealRow.payload).where(AbsDealRow.id.in_(wanted))
            ).all()
        )
        return {"holdings": [h.model_dump_json() for h in holdings], "deals": texts}

    def value_loaded(
        self, data: Any, context: RunContext, stress: StressScenario | None
    ) -> list[ResultRecord]:
        """Value each deal of the chunk once; each holding its share of its tranche."""
        holdings = [Holding.model_validate_json(text) for text in data["holdings"]]
        deals = {i: AbsDeal.model_validate_json(text) for i, text in data["deals"].items()}
        tables: dict[str, pd.DataFrame | str] = {}
        for deal_id, deal in deals.items():
            try:
                tables[deal_id] = value_deal(
                    deal, context.market, context.portfolio, context.n_scenarios,
                    seed=context.seed, stress=stress,
                ).set_index("tranche")  # fmt: skip
            except ComputefinError as exc:
                tables[deal_id] = str(exc)
        out = []
        for h in holdings:
            table = tables[h.instrument_id]
            if isinstance(table, str):
                out.append(ResultRecord(h.id, None, None, None, None, None, None, None, table))
                continue
            row: dict[str, Any] = {
                str(k): plain(v) for k, v in table.loc[str(h.tranche)].to_dict().items()
            }
            share = h.face / float(row["balance"])
            outstanding = share * float(row["current_balance"])
            figures = {
                "pv": share * float(row["pv"]),
                "ead": outstanding,
                "el": h.face * float(row["expected_loss"]),
                "rwa": outstanding * float(row["risk_weight"]),
            }
            measures = {f"tranche_{k}" if k in ("balance", "pv", "rwa") else k: v
                        for k, v in row.items()}  # fmt: skip
            measures.update({"holding_id": h.id, "face": h.face, "share": share, **figures})
            out.append(
                ResultRecord(
                    instrument_id=h.id,
                    currency=str(row["currency"]),
                    pv=figures["pv"],
                    ead=figures["ead"],
                    el=figures["el"],
                    ecl=None,
                    rwa=figures["rwa"],
                    ltv=None,
                    error=None,
                    measures=measures,
                )
            )
        return out

    def attributes(self, session: Session) -> pd.DataFrame:
        """Rating column: ``ABS <deal> <tranche>``; generation: the pool's main one by GPUs."""
        deals = load_abs_deals(session)
        main: dict[str, str] = {}
        for deal_id, deal in deals.items():
            gpus: dict[str, int] = {}
            for lease in deal.pool.leases:
                gen = accelerator_generation(lease.accelerator_id)
                gpus[gen] = gpus.get(gen, 0) + lease.gpus
            main[deal_id] = max(gpus, key=lambda g: gpus[g]) if gpus else "none"
        rows = [
            {
                "instrument_id": h.id,
                "counterparty_id": h.instrument_id,
                "rating": f"ABS tranche {h.tranche}",
                "accelerator_id": None,
                "generation": main.get(h.instrument_id, "none"),
            }
            for h in load_holdings(session)
        ]
        return pd.DataFrame(rows, columns=list(ATTRIBUTE_COLUMNS))

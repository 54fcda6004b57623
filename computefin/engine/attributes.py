"""Descriptive attributes reports group by: accelerator generation, counterparty rating.

Generations come from :func:`computefin.domain.accelerator_generation`.

>>> accelerator_generation("nvidia-h20"), accelerator_generation("huawei-ascend-910c")
('Hopper', 'Ascend 910')
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from computefin.domain import GENERATIONS, accelerator_generation
from computefin.engine.store.schema import CounterpartyRow, ServerGroupRow

__all__ = [
    "GENERATIONS",
    "accelerator_generation",
    "counterparty_ratings",
    "fleet_accelerators",
    "generation_of",
]


def counterparty_ratings(session: Session) -> dict[str, str]:
    """``{counterparty id: "<rating> (<scale>)"}`` for every stored counterparty."""
    query = select(CounterpartyRow.id, CounterpartyRow.rating, CounterpartyRow.rating_scale)
    return {i: f"{r} ({scale})" for i, r, scale in session.execute(query)}


def fleet_accelerators(session: Session) -> dict[str, str]:
    """``{fleet id: accelerator id}``: each stored fleet's main accelerator (most GPUs)."""
    main: dict[str, tuple[int, str]] = {}
    query = select(ServerGroupRow.fleet_id, ServerGroupRow.accelerator_id, ServerGroupRow.gpus)
    for fleet_id, accelerator_id, gpus in session.execute(query):
        if fleet_id not in main or gpus > main[fleet_id][0]:
            main[fleet_id] = (gpus, accelerator_id)
    return {fleet_id: acc for fleet_id, (_, acc) in main.items()}


def generation_of(accelerator_id: str | None) -> str:
    """:func:`accelerator_generation`, or ``"none"`` without an accelerator."""
    return "none" if accelerator_id is None else accelerator_generation(accelerator_id)

"""Descriptive attributes reports group by: accelerator generation, counterparty rating.

The catalog has no architecture column; the generation is read from the accelerator id,
the way the industry names them (an A800 is an Ampere part, an H20 a Hopper one). An
accelerator this table does not know is reported under its vendor and launch year.

>>> accelerator_generation("nvidia-h20"), accelerator_generation("huawei-ascend-910c")
('Hopper', 'Ascend 910')
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from computefin.domain import catalog
from computefin.engine.store.schema import CounterpartyRow, ServerGroupRow

__all__ = [
    "GENERATIONS",
    "accelerator_generation",
    "counterparty_ratings",
    "fleet_accelerators",
    "generation_of",
]

GENERATIONS: Final[tuple[tuple[str, str], ...]] = (
    ("nvidia-a100", "Ampere"),
    ("nvidia-a800", "Ampere"),
    ("nvidia-h100", "Hopper"),
    ("nvidia-h200", "Hopper"),
    ("nvidia-h800", "Hopper"),
    ("nvidia-h20", "Hopper"),
    ("nvidia-b200", "Blackwell"),
    ("nvidia-gb200", "Blackwell"),
    ("nvidia-b300", "Blackwell Ultra"),
    ("nvidia-gb300", "Blackwell Ultra"),
    ("nvidia-l40s", "Ada Lovelace"),
    ("nvidia-l20", "Ada Lovelace"),
    ("amd-mi250", "CDNA 2"),
    ("amd-mi300", "CDNA 3"),
    ("amd-mi325", "CDNA 3"),
    ("amd-mi355", "CDNA 4"),
    ("intel-gaudi-3", "Gaudi 3"),
    ("huawei-ascend-910", "Ascend 910"),
)
"""Accelerator id prefix -> architecture generation, first match wins."""


def accelerator_generation(accelerator_id: str) -> str:
    """The architecture generation of a catalog accelerator (see module)."""
    for prefix, generation in GENERATIONS:
        if accelerator_id.startswith(prefix):
            return generation
    acc = catalog().get(accelerator_id)
    if acc is None:
        return "unknown"
    return f"{acc.vendor} {acc.launch_date.year}"


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

"""Accelerator architecture generations, as reports and concentration limits group them.

The catalog has no architecture column; the generation is read from the accelerator id
the way the industry names parts (an A800 is an Ampere part, an H20 a Hopper one). An
accelerator the table does not know is named by its catalog vendor and launch year.

>>> accelerator_generation("nvidia-h20"), accelerator_generation("huawei-ascend-910c")
('Hopper', 'Ascend 910')
>>> accelerator_generation("nvidia-b300")
'Blackwell Ultra'
"""

from __future__ import annotations

from typing import Final

from computefin.domain.accelerators import active_catalog

__all__ = ["GENERATIONS", "accelerator_generation"]

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
    """The architecture generation of an accelerator (:data:`GENERATIONS`); one the table
    does not know is named by its catalog vendor and launch year, else ``"unknown"``."""
    for prefix, generation in GENERATIONS:
        if accelerator_id.startswith(prefix):
            return generation
    acc = active_catalog().get(accelerator_id)
    return "unknown" if acc is None else f"{acc.vendor} {acc.launch_date.year}"

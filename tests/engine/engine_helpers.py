"""Helpers shared by the engine tests (fixtures live in conftest.py)."""

from __future__ import annotations

from pathlib import Path


def sqlite_url(folder: Path, name: str = "t.db") -> str:
    """A SQLite URL for a file in ``folder``."""
    return f"sqlite:///{folder / name}"

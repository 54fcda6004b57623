"""Service settings shared by the HTTP service and the command line (no FastAPI import).

>>> TOKEN_ENV, DEFAULT_MAX_BODY_BYTES
('COMPUTEFIN_API_TOKEN', 1000000)
"""

from __future__ import annotations

from typing import Final

__all__ = ["DEFAULT_MAX_BODY_BYTES", "TOKEN_ENV"]

TOKEN_ENV: Final = "COMPUTEFIN_API_TOKEN"
"""Environment variable holding the service's bearer token."""

DEFAULT_MAX_BODY_BYTES: Final = 1_000_000
"""Largest request body accepted (bytes); larger bodies get 413."""

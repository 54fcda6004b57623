"""Alembic migrations of the store (run with ``computefin db upgrade``)."""

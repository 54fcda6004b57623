"""Alembic revisions, oldest first: ``r0001_reference_and_loans``, ``r0002_products``."""

"""Certificates, ABS deals and holdings: the products after loans.

Revision ID: r0002
Revises: r0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r0002"
down_revision: str | None = "r0001"
branch_labels = None
depends_on = None

_ID = 128
_HASH = 64


def upgrade() -> None:
    """Add the certificate, ABS deal and holding tables."""
    op.create_table(
        "certificates",
        sa.Column("id", sa.String(_ID), primary_key=True),
        sa.Column("fleet_id", sa.String(_ID), nullable=True),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("input_hash", sa.String(_HASH), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
    )
    op.create_table(
        "abs_deals",
        sa.Column("id", sa.String(_ID), primary_key=True),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("input_hash", sa.String(_HASH), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
    )
    op.create_table(
        "holdings",
        sa.Column("id", sa.String(_ID), primary_key=True),
        sa.Column("instrument_type", sa.String(32), nullable=False),
        sa.Column("instrument_id", sa.String(_ID), nullable=False),
        sa.Column("tranche", sa.String(_ID), nullable=True),
        sa.Column("quantity", sa.Float, nullable=False),
        sa.Column("input_hash", sa.String(_HASH), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
    )


def downgrade() -> None:
    """Drop the product tables."""
    for table in ("holdings", "abs_deals", "certificates"):
        op.drop_table(table)

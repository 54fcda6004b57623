"""Reference data, loans, market snapshots, scenario sets, valuation runs and results.

Revision ID: r0001
Revises: (none)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r0001"
down_revision: str | None = None
branch_labels = None
depends_on = None

_ID = 128
_HASH = 64


def upgrade() -> None:
    """Create the first tables."""
    op.create_table(
        "counterparties",
        sa.Column("id", sa.String(_ID), primary_key=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("rating", sa.String(16), nullable=False),
        sa.Column("rating_scale", sa.String(32), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("input_hash", sa.String(_HASH), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
    )
    op.create_table(
        "sites",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("input_hash", sa.String(_HASH), nullable=False, unique=True),
        sa.Column("payload", sa.Text, nullable=False),
    )
    op.create_table(
        "fleets",
        sa.Column("id", sa.String(_ID), primary_key=True),
        sa.Column(
            "owner_counterparty_id",
            sa.String(_ID),
            sa.ForeignKey("counterparties.id"),
            nullable=False,
        ),
        sa.Column("site_id", sa.Integer, sa.ForeignKey("sites.id"), nullable=False),
        sa.Column("gpus", sa.Integer, nullable=False),
        sa.Column("input_hash", sa.String(_HASH), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
    )
    op.create_table(
        "server_groups",
        sa.Column(
            "fleet_id",
            sa.String(_ID),
            sa.ForeignKey("fleets.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("accelerator_id", sa.String(_ID), nullable=False, index=True),
        sa.Column("gpus", sa.Integer, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
    )
    op.create_table(
        "contracts",
        sa.Column("id", sa.String(_ID), primary_key=True),
        sa.Column(
            "fleet_id", sa.String(_ID), sa.ForeignKey("fleets.id"), nullable=False, index=True
        ),
        sa.Column(
            "counterparty_id", sa.String(_ID), sa.ForeignKey("counterparties.id"), nullable=False
        ),
        sa.Column("start", sa.Date, nullable=False),
        sa.Column("end", sa.Date, nullable=False),
        sa.Column("input_hash", sa.String(_HASH), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
    )
    op.create_table(
        "loans",
        sa.Column("id", sa.String(_ID), primary_key=True),
        sa.Column(
            "borrower_counterparty_id",
            sa.String(_ID),
            sa.ForeignKey("counterparties.id"),
            nullable=False,
        ),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("principal", sa.Float, nullable=False),
        sa.Column("start", sa.Date, nullable=False),
        sa.Column("maturity", sa.Date, nullable=False),
        sa.Column("first_fleet_id", sa.String(_ID), nullable=True, index=True),
        sa.Column("input_hash", sa.String(_HASH), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
    )
    op.create_table(
        "market_snapshots",
        sa.Column("id", sa.String(_ID), primary_key=True),
        sa.Column("as_of", sa.Date, nullable=False, index=True),
        sa.Column("input_hash", sa.String(_HASH), nullable=False, unique=True),
        sa.Column("payload", sa.Text, nullable=False),
    )
    op.create_table(
        "scenario_sets",
        sa.Column("hash", sa.String(_HASH), primary_key=True),
        sa.Column("reference", sa.Text, nullable=False),
        sa.Column("n_paths", sa.Integer, nullable=False),
        sa.Column("seed", sa.Integer, nullable=False),
        sa.Column("parameters", sa.Text, nullable=False),
    )
    op.create_table(
        "valuation_runs",
        sa.Column("id", sa.String(_ID), primary_key=True),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column(
            "snapshot_id", sa.String(_ID), sa.ForeignKey("market_snapshots.id"), nullable=False
        ),
        sa.Column("scenario_hash", sa.String(_HASH), nullable=True),
        sa.Column("n_scenarios", sa.Integer, nullable=True),
        sa.Column("seed", sa.Integer, nullable=False),
        sa.Column("stresses", sa.Text, nullable=False),
        sa.Column("chunk_size", sa.Integer, nullable=False),
        sa.Column("package_version", sa.String(32), nullable=False),
        sa.Column("instruments", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime, nullable=True),
        sa.Column("parameters", sa.Text, nullable=False),
    )
    op.create_table(
        "valuation_results",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(_ID), sa.ForeignKey("valuation_runs.id"), nullable=False),
        sa.Column("case", sa.String(64), nullable=False),
        sa.Column("instrument_type", sa.String(32), nullable=False),
        sa.Column("instrument_id", sa.String(_ID), nullable=False),
        sa.Column("input_hash", sa.String(_HASH), nullable=False),
        sa.Column("snapshot_id", sa.String(_ID), nullable=False),
        sa.Column("scenario_hash", sa.String(_HASH), nullable=True),
        sa.Column("seed", sa.Integer, nullable=False),
        sa.Column("package_version", sa.String(32), nullable=False),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("pv", sa.Float, nullable=True),
        sa.Column("ead", sa.Float, nullable=True),
        sa.Column("el", sa.Float, nullable=True),
        sa.Column("ecl", sa.Float, nullable=True),
        sa.Column("rwa", sa.Float, nullable=True),
        sa.Column("ltv", sa.Float, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("measures", sa.Text, nullable=False),
        sa.UniqueConstraint("run_id", "case", "instrument_type", "instrument_id"),
    )
    op.create_index("ix_results_run_type", "valuation_results", ["run_id", "instrument_type"])


def downgrade() -> None:
    """Drop every table of this revision."""
    op.drop_index("ix_results_run_type", table_name="valuation_results")
    for table in (
        "valuation_results",
        "valuation_runs",
        "scenario_sets",
        "market_snapshots",
        "loans",
        "contracts",
        "server_groups",
        "fleets",
        "sites",
        "counterparties",
    ):
        op.drop_table(table)

"""The store's tables (SQLAlchemy 2 typed ORM). Alembic migrations create them.

Every stored instrument or reference record keeps the few columns queries filter on
(ids, dates, currency, principal) plus ``payload``: the domain model's canonical JSON
(``model_dump_json``), the source of truth when the model is rebuilt, and
``input_hash`` (SHA-256 of that JSON), which every valuation result records. Fleets keep
their site and server groups in tables of their own (``sites``, ``server_groups``), so a
site shared by fleets is stored once and GPUs can be summed by accelerator in SQL.

Money columns are float64 (REAL / DOUBLE PRECISION); the full-precision figures of a
result are also in its ``measures`` JSON (``repr`` floats, exact round trip).

>>> sorted(Base.metadata.tables)[:4]
['abs_deals', 'certificates', 'contracts', 'counterparties']
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "AbsDealRow",
    "Base",
    "CertificateRow",
    "ContractRow",
    "CounterpartyRow",
    "FleetRow",
    "HoldingRow",
    "LoanRow",
    "MarketSnapshotRow",
    "ResultRow",
    "RunRow",
    "ScenarioSetRow",
    "ServerGroupRow",
    "SiteRow",
]

_ID = 128
_HASH = 64


class Base(DeclarativeBase):
    """Declarative base of the store's tables."""


class CounterpartyRow(Base):
    """A counterparty (borrower, lessee, owner)."""

    __tablename__ = "counterparties"
    id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    rating: Mapped[str] = mapped_column(String(16))
    rating_scale: Mapped[str] = mapped_column(String(32))
    country: Mapped[str] = mapped_column(String(2))
    input_hash: Mapped[str] = mapped_column(String(_HASH))
    payload: Mapped[str] = mapped_column(Text)


class SiteRow(Base):
    """A data-centre site, stored once however many fleets sit there (keyed by content)."""

    __tablename__ = "sites"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    input_hash: Mapped[str] = mapped_column(String(_HASH), unique=True)
    payload: Mapped[str] = mapped_column(Text)


class FleetRow(Base):
    """A fleet: owner, site, and (in ``server_groups``) its servers."""

    __tablename__ = "fleets"
    id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    owner_counterparty_id: Mapped[str] = mapped_column(ForeignKey("counterparties.id"))
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    gpus: Mapped[int] = mapped_column(Integer)
    input_hash: Mapped[str] = mapped_column(String(_HASH))
    payload: Mapped[str] = mapped_column(Text)
    """The fleet's JSON without ``site`` and ``server_groups`` (those have their tables)."""


class ServerGroupRow(Base):
    """One server group of a fleet, in the fleet's order (``position``)."""

    __tablename__ = "server_groups"
    fleet_id: Mapped[str] = mapped_column(
        ForeignKey("fleets.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    accelerator_id: Mapped[str] = mapped_column(String(_ID), index=True)
    gpus: Mapped[int] = mapped_column(Integer)
    payload: Mapped[str] = mapped_column(Text)


class ContractRow(Base):
    """A rental or offtake contract on a fleet."""

    __tablename__ = "contracts"
    id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    fleet_id: Mapped[str] = mapped_column(ForeignKey("fleets.id"), index=True)
    counterparty_id: Mapped[str] = mapped_column(ForeignKey("counterparties.id"))
    start: Mapped[dt.date] = mapped_column(Date)
    end: Mapped[dt.date] = mapped_column(Date)
    input_hash: Mapped[str] = mapped_column(String(_HASH))
    payload: Mapped[str] = mapped_column(Text)


class LoanRow(Base):
    """A compute collateral loan (算力抵质押贷款)."""

    __tablename__ = "loans"
    id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    borrower_counterparty_id: Mapped[str] = mapped_column(ForeignKey("counterparties.id"))
    currency: Mapped[str] = mapped_column(String(3))
    principal: Mapped[float] = mapped_column(Float)
    start: Mapped[dt.date] = mapped_column(Date)
    maturity: Mapped[dt.date] = mapped_column(Date)
    first_fleet_id: Mapped[str | None] = mapped_column(String(_ID), index=True)
    """The first pledged fleet: batches group loans by it so a fleet is projected once."""
    input_hash: Mapped[str] = mapped_column(String(_HASH))
    payload: Mapped[str] = mapped_column(Text)


class CertificateRow(Base):
    """A compute rights certificate (算力权益凭证); valued once that product exists."""

    __tablename__ = "certificates"
    id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    fleet_id: Mapped[str | None] = mapped_column(String(_ID))
    currency: Mapped[str] = mapped_column(String(3))
    input_hash: Mapped[str] = mapped_column(String(_HASH))
    payload: Mapped[str] = mapped_column(Text)


class AbsDealRow(Base):
    """An ABS deal (算力资产证券化): its pool and structure as JSON."""

    __tablename__ = "abs_deals"
    id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3))
    input_hash: Mapped[str] = mapped_column(String(_HASH))
    payload: Mapped[str] = mapped_column(Text)


class HoldingRow(Base):
    """A position in an instrument (an ABS tranche, a certificate, a loan participation)."""

    __tablename__ = "holdings"
    id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    instrument_type: Mapped[str] = mapped_column(String(32))
    instrument_id: Mapped[str] = mapped_column(String(_ID))
    tranche: Mapped[str | None] = mapped_column(String(_ID))
    quantity: Mapped[float] = mapped_column(Float)
    input_hash: Mapped[str] = mapped_column(String(_HASH))
    payload: Mapped[str] = mapped_column(Text)


class MarketSnapshotRow(Base):
    """A market snapshot; ``id`` is ``<as_of>-<first 12 hex of its hash>``."""

    __tablename__ = "market_snapshots"
    id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    as_of: Mapped[dt.date] = mapped_column(Date, index=True)
    input_hash: Mapped[str] = mapped_column(String(_HASH), unique=True)
    payload: Mapped[str] = mapped_column(Text)


class ScenarioSetRow(Base):
    """A scenario set by reference and hash (the arrays are regenerated or kept in files)."""

    __tablename__ = "scenario_sets"
    hash: Mapped[str] = mapped_column(String(_HASH), primary_key=True)
    reference: Mapped[str] = mapped_column(Text)
    """How to get the paths back: ``generated:<spec>`` or a file path."""
    n_paths: Mapped[int] = mapped_column(Integer)
    seed: Mapped[int] = mapped_column(Integer)
    parameters: Mapped[str] = mapped_column(Text)


class RunRow(Base):
    """A valuation run: its parameters, status and progress."""

    __tablename__ = "valuation_runs"
    id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    as_of: Mapped[dt.date] = mapped_column(Date)
    snapshot_id: Mapped[str] = mapped_column(ForeignKey("market_snapshots.id"))
    scenario_hash: Mapped[str | None] = mapped_column(String(_HASH))
    n_scenarios: Mapped[int | None] = mapped_column(Integer)
    seed: Mapped[int] = mapped_column(Integer)
    stresses: Mapped[str] = mapped_column(Text)
    """JSON list of stress names valued besides the base case."""
    chunk_size: Mapped[int] = mapped_column(Integer)
    package_version: Mapped[str] = mapped_column(String(32))
    instruments: Mapped[int] = mapped_column(Integer)
    """Instruments the run values (each once per case)."""
    status: Mapped[str] = mapped_column(String(16))
    """``running``, ``completed`` or ``failed``."""
    started_at: Mapped[dt.datetime] = mapped_column(DateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    parameters: Mapped[str] = mapped_column(Text)
    """JSON of every option the run was started with (what ``--resume`` reuses)."""


class ResultRow(Base):
    """One instrument's figures in one case of one run, with what reproduces them."""

    __tablename__ = "valuation_results"
    __table_args__ = (
        UniqueConstraint("run_id", "case", "instrument_type", "instrument_id"),
        Index("ix_results_run_type", "run_id", "instrument_type"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("valuation_runs.id"))
    case: Mapped[str] = mapped_column(String(64))
    """``base`` or the stress name."""
    instrument_type: Mapped[str] = mapped_column(String(32))
    instrument_id: Mapped[str] = mapped_column(String(_ID))
    input_hash: Mapped[str] = mapped_column(String(_HASH))
    snapshot_id: Mapped[str] = mapped_column(String(_ID))
    scenario_hash: Mapped[str | None] = mapped_column(String(_HASH))
    seed: Mapped[int] = mapped_column(Integer)
    package_version: Mapped[str] = mapped_column(String(32))
    currency: Mapped[str | None] = mapped_column(String(3))
    pv: Mapped[float | None] = mapped_column(Float)
    ead: Mapped[float | None] = mapped_column(Float)
    el: Mapped[float | None] = mapped_column(Float)
    ecl: Mapped[float | None] = mapped_column(Float)
    rwa: Mapped[float | None] = mapped_column(Float)
    ltv: Mapped[float | None] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(Text)
    measures: Mapped[str] = mapped_column(Text)
    """Every figure the product reports, JSON (floats as ``repr``: exact)."""

"""Domain models into the store and back: canonical JSON, input hashes, reference checks.

Writers add rows to a session and never commit: the caller's transaction decides, so a
file that fails half-way writes nothing. Readers rebuild the domain models (validated
again) from the stored JSON.

>>> import tempfile, pathlib
>>> from computefin.domain import demo_portfolio
>>> from computefin.engine.store import open_store
>>> store = open_store(f"sqlite:///{pathlib.Path(tempfile.mkdtemp()) / 'r.db'}", create=True)
>>> with store.session() as s:
...     _ = save_portfolio(s, demo_portfolio())
>>> with store.session() as s:
...     back = load_portfolio(s)
>>> sorted(back.fleets, key=str) == sorted(demo_portfolio().fleets, key=str)
True
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from computefin.domain import (
    Contract,
    Counterparty,
    Fleet,
    MarketSnapshot,
    Portfolio,
    Site,
)
from computefin.engine.holdings import Holding
from computefin.engine.store.schema import (
    AbsDealRow,
    CertificateRow,
    ContractRow,
    CounterpartyRow,
    FleetRow,
    HoldingRow,
    LoanRow,
    MarketSnapshotRow,
    ServerGroupRow,
    SiteRow,
)
from computefin.errors import StoreError, ValidationError
from computefin.products import CollateralLoan
from computefin.products.abs import AbsDeal
from computefin.products.certificate import ComputeCertificate

__all__ = [
    "canonical_json",
    "check_loan_references",
    "content_hash",
    "load_abs_deals",
    "load_certificates",
    "load_holdings",
    "load_loan_payloads",
    "load_loans",
    "load_portfolio",
    "load_snapshot",
    "save_abs_deals",
    "save_certificates",
    "save_contracts",
    "save_counterparties",
    "save_fleets",
    "save_holdings",
    "save_loans",
    "save_portfolio",
    "save_snapshot",
    "snapshot_id_for",
]

_Model = TypeVar("_Model", bound=BaseModel)


def canonical_json(model: BaseModel) -> str:
    """The model's JSON with sorted keys: the same model always gives the same text."""
    return json.dumps(model.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))


def content_hash(text: str) -> str:
    """SHA-256 hex digest of ``text`` (UTF-8).

    >>> content_hash("")[:12]
    'e3b0c44298fc'
    """
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _existing(session: Session, column: Any, ids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(ids), 500):  # stay below SQLite's bound-parameter limit
        found.update(session.scalars(select(column).where(column.in_(ids[start : start + 500]))))
    return found


def _check_new(session: Session, kind: str, column: Any, ids: Sequence[str]) -> None:
    seen: dict[str, int] = {}
    for i, item_id in enumerate(ids):
        if item_id in seen:
            raise ValidationError(f"{kind}[{i}].id", f"duplicates {kind}[{seen[item_id]}]", item_id)
        seen[item_id] = i
    clash = _existing(session, column, list(ids))
    if clash:
        first = min(ids.index(c) for c in clash)
        raise ValidationError(
            f"{kind}[{first}].id", "is already in the store", ids[first]
        )  # fmt: skip


def save_counterparties(session: Session, items: Sequence[Counterparty]) -> int:
    """Add counterparties (ids new to the store); returns how many."""
    _check_new(session, "counterparties", CounterpartyRow.id, [c.id for c in items])
    for c in items:
        text = canonical_json(c)
        session.add(
            CounterpartyRow(
                id=c.id,
                name=c.name,
                rating=c.rating,
                rating_scale=c.rating_scale.value,
                country=c.country,
                input_hash=content_hash(text),
                payload=text,
            )
        )
    session.flush()
    return len(items)


def _site_id(session: Session, site: Site) -> int:
    text = canonical_json(site)
    digest = content_hash(text)
    found = session.scalar(select(SiteRow.id).where(SiteRow.input_hash == digest))
    if found is not None:
        return found
    row = SiteRow(name=site.name, country=site.country, input_hash=digest, payload=text)
    session.add(row)
    session.flush()
    return row.id


def save_fleets(session: Session, items: Sequence[Fleet]) -> int:
    """Add fleets with their sites (shared sites stored once) and server groups."""
    _check_new(session, "fleets", FleetRow.id, [f.id for f in items])
    for fleet in items:
        data = fleet.model_dump(mode="json")
        data.pop("site")
        data.pop("server_groups")
        session.add(
            FleetRow(
                id=fleet.id,
                owner_counterparty_id=fleet.owner_counterparty_id,
                site_id=_site_id(session, fleet.site),
                gpus=fleet.gpus,
                input_hash=content_hash(canonical_json(fleet)),
                payload=json.dumps(data, sort_keys=True, separators=(",", ":")),
            )
        )
        for position, group in enumerate(fleet.server_groups):
            session.add(
                ServerGroupRow(
                    fleet_id=fleet.id,
                    position=position,
                    accelerator_id=group.accelerator_id,
                    gpus=group.gpus,
                    payload=canonical_json(group),
                )
            )
    session.flush()
    return len(items)


def save_contracts(session: Session, items: Sequence[Contract]) -> int:
    """Add contracts."""
    _check_new(session, "contracts", ContractRow.id, [c.id for c in items])
    for c in items:
        text = canonical_json(c)
        session.add(
            ContractRow(
                id=c.id,
                fleet_id=c.fleet_id,
                counterparty_id=c.counterparty_id,
                start=c.start,
                end=c.end,
                input_hash=content_hash(text),
                payload=text,
            )
        )
    session.flush()
    return len(items)


def save_portfolio(session: Session, portfolio: Portfolio) -> int:
    """Add a portfolio's counterparties, fleets and contracts, then re-check the whole store
    (references, over-committed fleets). Returns the records added."""
    added = save_counterparties(session, portfolio.counterparties)
    added += save_fleets(session, portfolio.fleets)
    added += save_contracts(session, portfolio.contracts)
    load_portfolio(session)
    return added


def check_loan_references(loans: Iterable[CollateralLoan], portfolio: Portfolio) -> None:
    """Every borrower, pledged fleet and assigned contract must exist (error names the loan)."""
    parties = {c.id for c in portfolio.counterparties}
    fleets = {f.id for f in portfolio.fleets}
    contracts = {c.id for c in portfolio.contracts}
    for loan in loans:
        tag = f"CollateralLoan[{loan.id}]"
        if loan.borrower_counterparty_id not in parties:
            raise ValidationError(
                f"{tag}.borrower_counterparty_id", "unknown counterparty id",
                loan.borrower_counterparty_id,
            )  # fmt: skip
        for i, fleet_id in enumerate(loan.collateral.fleet_ids):
            if fleet_id not in fleets:
                raise ValidationError(
                    f"{tag}.collateral.fleet_ids[{i}]", "unknown fleet id", fleet_id
                )
        for i, contract_id in enumerate(loan.collateral.assigned_contract_ids):
            if contract_id not in contracts:
                raise ValidationError(
                    f"{tag}.collateral.assigned_contract_ids[{i}]", "unknown contract id",
                    contract_id,
                )  # fmt: skip


def save_loans(session: Session, loans: Sequence[CollateralLoan]) -> int:
    """Add loans whose borrower, fleets and contracts are in the store."""
    _check_new(session, "loans", LoanRow.id, [loan.id for loan in loans])
    check_loan_references(loans, load_portfolio(session))
    for loan in loans:
        text = canonical_json(loan)
        fleets = loan.collateral.fleet_ids
        session.add(
            LoanRow(
                id=loan.id,
                borrower_counterparty_id=loan.borrower_counterparty_id,
                currency=loan.currency.value,
                principal=loan.principal,
                start=loan.start,
                maturity=loan.maturity,
                first_fleet_id=fleets[0] if fleets else None,
                input_hash=content_hash(text),
                payload=text,
            )
        )
    session.flush()
    return len(loans)


def snapshot_id_for(market: MarketSnapshot) -> str:
    """``<as_of>-<first 12 hex of the snapshot's hash>``: readable and content-addressed."""
    return f"{market.as_of.isoformat()}-{content_hash(canonical_json(market))[:12]}"


def save_snapshot(session: Session, market: MarketSnapshot) -> str:
    """Add a market snapshot (a repeat of a stored one is a no-op); returns its id."""
    text = canonical_json(market)
    digest = content_hash(text)
    found = session.scalar(
        select(MarketSnapshotRow.id).where(MarketSnapshotRow.input_hash == digest)
    )
    if found is not None:
        return found
    snapshot_id = snapshot_id_for(market)
    session.add(
        MarketSnapshotRow(id=snapshot_id, as_of=market.as_of, input_hash=digest, payload=text)
    )
    session.flush()
    return snapshot_id


def load_snapshot(session: Session, snapshot_id: str | None = None) -> tuple[str, MarketSnapshot]:
    """A stored snapshot by id; without an id, the latest ``as_of`` (ties: the last stored)."""
    if snapshot_id is None:
        row = session.scalars(
            select(MarketSnapshotRow).order_by(
                MarketSnapshotRow.as_of.desc(), MarketSnapshotRow.id.desc()
            )
        ).first()
        if row is None:
            raise StoreError("the store has no market snapshot: load one with `computefin load`")
    else:
        row = session.get(MarketSnapshotRow, snapshot_id)
        if row is None:
            raise StoreError(f"no market snapshot with id {snapshot_id!r} in the store")
    return row.id, MarketSnapshot.model_validate_json(row.payload)


def load_portfolio(session: Session) -> Portfolio:
    """Every counterparty, fleet and contract in the store, as a validated Portfolio
    (each kind in id order)."""
    parties = [
        Counterparty.model_validate_json(text)
        for text in session.scalars(select(CounterpartyRow.payload).order_by(CounterpartyRow.id))
    ]
    sites = {row.id: row.payload for row in session.scalars(select(SiteRow))}
    groups: dict[str, list[Any]] = {}
    for g in session.scalars(
        select(ServerGroupRow).order_by(ServerGroupRow.fleet_id, ServerGroupRow.position)
    ):
        groups.setdefault(g.fleet_id, []).append(json.loads(g.payload))
    fleets = []
    for row in session.scalars(select(FleetRow).order_by(FleetRow.id)):
        data = json.loads(row.payload)
        data["site"] = json.loads(sites[row.site_id])
        data["server_groups"] = groups.get(row.id, [])
        fleets.append(Fleet.model_validate(data))
    contracts = [
        Contract.model_validate_json(text)
        for text in session.scalars(select(ContractRow.payload).order_by(ContractRow.id))
    ]
    return Portfolio(
        counterparties=tuple(parties), fleets=tuple(fleets), contracts=tuple(contracts)
    )


def load_loan_payloads(session: Session, ids: Sequence[str]) -> list[str]:
    """The stored JSON of these loans, in the order given (unvalidated text)."""
    by_id: dict[str, str] = {}
    for start in range(0, len(ids), 500):
        part = ids[start : start + 500]
        query = select(LoanRow.id, LoanRow.payload).where(LoanRow.id.in_(part))
        by_id.update((loan_id, text) for loan_id, text in session.execute(query))
    missing = [i for i in ids if i not in by_id]
    if missing:
        raise StoreError(f"loans not in the store: {', '.join(missing[:10])}")
    return [by_id[i] for i in ids]


def load_loans(session: Session, ids: Sequence[str] | None = None) -> list[CollateralLoan]:
    """Stored loans (all, or these ids, in the order given)."""
    if ids is None:
        texts = list(session.scalars(select(LoanRow.payload).order_by(LoanRow.id)))
    else:
        texts = load_loan_payloads(session, ids)
    return [CollateralLoan.model_validate_json(t) for t in texts]


def count_rows(session: Session, row_type: type[Any]) -> int:
    """Number of rows of a table."""
    return int(session.scalar(select(func.count()).select_from(row_type)) or 0)


def save_abs_deals(session: Session, deals: Sequence[AbsDeal]) -> int:
    """Add ABS deals (pool, structure, performance as JSON); their obligors must be stored
    counterparties."""
    _check_new(session, "abs_deals", AbsDealRow.id, [d.id for d in deals])
    parties = {c.id for c in load_portfolio(session).counterparties}
    for i, deal in enumerate(deals):
        for j, lease in enumerate(deal.pool.leases):
            if lease.lessee_counterparty_id not in parties:
                raise ValidationError(
                    f"abs_deals[{i}].pool.leases[{j}].lessee_counterparty_id",
                    "unknown counterparty id",
                    lease.lessee_counterparty_id,
                )
        text = canonical_json(deal)
        session.add(
            AbsDealRow(
                id=deal.id,
                currency=deal.structure.currency.value,
                input_hash=content_hash(text),
                payload=text,
            )
        )
    session.flush()
    return len(deals)


def load_abs_deals(session: Session, ids: Sequence[str] | None = None) -> dict[str, AbsDeal]:
    """Stored ABS deals by id (all, or these)."""
    query = select(AbsDealRow.id, AbsDealRow.payload)
    if ids is not None:
        query = query.where(AbsDealRow.id.in_(list(ids)))
    deals = {i: AbsDeal.model_validate_json(text) for i, text in session.execute(query)}
    missing = [i for i in ids or () if i not in deals]
    if missing:
        raise StoreError(f"ABS deals not in the store: {', '.join(missing[:10])}")
    return deals


def save_holdings(session: Session, holdings: Sequence[Holding]) -> int:
    """Add holdings of stored instruments (an ABS holding: a stored deal and tranche)."""
    _check_new(session, "holdings", HoldingRow.id, [h.id for h in holdings])
    wanted = sorted({h.instrument_id for h in holdings if h.instrument_type == "abs_tranche"})
    hashes = dict(
        session.execute(
            select(AbsDealRow.id, AbsDealRow.input_hash).where(AbsDealRow.id.in_(wanted))
        ).all()
    )
    deals = load_abs_deals(session, [w for w in wanted if w in hashes])
    for i, h in enumerate(holdings):
        if h.instrument_id not in deals:
            raise ValidationError(
                f"holdings[{i}].instrument_id", "unknown ABS deal", h.instrument_id
            )
        names = [t.name for t in deals[h.instrument_id].structure.tranches]
        if h.tranche not in names:
            raise ValidationError(
                f"holdings[{i}].tranche", f"deal {h.instrument_id} has tranches {names}", h.tranche
            )
        text = canonical_json(h)
        session.add(
            HoldingRow(
                id=h.id,
                instrument_type=h.instrument_type,
                instrument_id=h.instrument_id,
                tranche=h.tranche,
                quantity=h.face,
                input_hash=content_hash(text),
                payload=text,
            )
        )
    session.flush()
    return len(holdings)


def load_holdings(session: Session, ids: Sequence[str] | None = None) -> list[Holding]:
    """Stored holdings (all in id order, or these ids in the order given)."""
    rows = dict(session.execute(select(HoldingRow.id, HoldingRow.payload)).all())
    order = sorted(rows) if ids is None else list(ids)
    missing = [i for i in order if i not in rows]
    if missing:
        raise StoreError(f"holdings not in the store: {', '.join(missing[:10])}")
    return [Holding.model_validate_json(rows[i]) for i in order]


def save_certificates(session: Session, certificates: Sequence[ComputeCertificate]) -> int:
    """Add compute rights certificates on stored fleets."""
    _check_new(session, "certificates", CertificateRow.id, [c.id for c in certificates])
    fleets = {f.id for f in load_portfolio(session).fleets}
    for i, cert in enumerate(certificates):
        if cert.fleet_id not in fleets:
            raise ValidationError(f"certificates[{i}].fleet_id", "unknown fleet id", cert.fleet_id)
        text = canonical_json(cert)
        session.add(
            CertificateRow(
                id=cert.id,
                fleet_id=cert.fleet_id,
                currency=cert.currency.value,
                input_hash=content_hash(text),
                payload=text,
            )
        )
    session.flush()
    return len(certificates)


def load_certificates(
    session: Session, ids: Sequence[str] | None = None
) -> list[ComputeCertificate]:
    """Stored certificates (all in id order, or these ids in the order given)."""
    rows = dict(session.execute(select(CertificateRow.id, CertificateRow.payload)).all())
    order = sorted(rows) if ids is None else list(ids)
    missing = [i for i in order if i not in rows]
    if missing:
        raise StoreError(f"certificates not in the store: {', '.join(missing[:10])}")
    return [ComputeCertificate.model_validate_json(rows[i]) for i in order]

"""Open the store: database URL, engine, schema revision check, Alembic upgrade.

SQLite is the default (``computefin.db`` in the working folder); any SQLAlchemy URL
works, PostgreSQL (``postgresql+psycopg://...``) being the supported server. The schema
belongs to Alembic: :func:`upgrade` brings a database to the package's head revision, and
:func:`open_store` refuses a database at another revision with a message that says to
run ``computefin db upgrade``.

>>> import tempfile, pathlib
>>> url = f"sqlite:///{pathlib.Path(tempfile.mkdtemp()) / 'x.db'}"
>>> upgrade(url)
(None, 'r0002')
>>> open_store(url).revision
'r0002'
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.orm import Session, sessionmaker

from computefin.errors import StoreError

__all__ = [
    "DEFAULT_DB_FILE",
    "Store",
    "current_revision",
    "database_url",
    "head_revision",
    "make_engine",
    "open_store",
    "upgrade",
]

DEFAULT_DB_FILE = "computefin.db"
"""The SQLite file used when no ``--db`` is given, in the working folder."""


def database_url(db: str | Path | None = None) -> str:
    """A SQLAlchemy URL from ``--db``: None → ``computefin.db`` here; a path → SQLite.

    >>> database_url("books/bank.db")
    'sqlite:///books/bank.db'
    >>> database_url("postgresql+psycopg://u@localhost:5432/cf")
    'postgresql+psycopg://u@localhost:5432/cf'
    """
    if db is None:
        return f"sqlite:///{DEFAULT_DB_FILE}"
    text = str(db)
    if "://" in text:
        return text
    return f"sqlite:///{text}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # WAL lets a reader (a report) run while the batch writes; a killed writer leaves the
    # last committed chunk intact either way.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url`` (SQLite: foreign keys on, WAL journal, 30 s busy timeout)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _alembic_config() -> Config:
    cfg = Config()
    location = resources.files("computefin.engine.store") / "migrations"
    cfg.set_main_option("script_location", str(location))
    return cfg


def head_revision() -> str:
    """The schema revision this package needs."""
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The database's schema revision (None: never migrated)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(url: str, revision: str = "head") -> tuple[str | None, str | None]:
    """Migrate the database at ``url`` to ``revision``; returns (before, after)."""
    engine = make_engine(url)
    try:
        before = current_revision(engine)
        cfg = _alembic_config()
        with engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, revision)
        return before, current_revision(engine)
    finally:
        engine.dispose()


@dataclass(frozen=True)
class Store:
    """An open store: the engine and a session factory.

    Use :meth:`session` for one transaction: it commits when the block ends and rolls
    back everything if it raises, so a failed load or chunk writes nothing.
    """

    url: str
    engine: Engine
    revision: str
    _sessions: sessionmaker[Session]

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction (commit on success, rollback on error)."""
        with self._sessions.begin() as session:
            yield session

    def close(self) -> None:
        """Release the connections."""
        self.engine.dispose()


def open_store(url: str, *, create: bool = False) -> Store:
    """Open the store at ``url``; with ``create``, migrate a new or empty database first.

    Raises :class:`~computefin.errors.StoreError` if the schema is not at the head
    revision (an older database: run ``computefin db upgrade``).
    """
    engine = make_engine(url)
    try:
        revision = current_revision(engine)
    except Exception as exc:
        engine.dispose()
        raise StoreError(f"cannot open database {_safe(url)}: {exc}") from exc
    head = head_revision()
    if revision is None and create and not inspect(engine).get_table_names():
        engine.dispose()
        upgrade(url)
        engine = make_engine(url)
        try:
            revision = current_revision(engine)
        except Exception:
            engine.dispose()
            raise
    if revision != head:
        engine.dispose()
        if revision is None:
            raise StoreError(
                f"database {_safe(url)} has no computefin schema: run `computefin db upgrade`"
                + (f" --db {_safe(url)}" if url != database_url() else "")
            )
        raise StoreError(
            f"database {_safe(url)} schema is at revision {revision}, this computefin "
            f"needs {head}: run `computefin db upgrade`"
        )
    return Store(url=url, engine=engine, revision=revision, _sessions=sessionmaker(engine))


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)

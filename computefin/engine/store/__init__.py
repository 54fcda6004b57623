"""The portfolio store: SQLAlchemy tables, Alembic migrations, domain models in and out.

>>> from computefin.engine.store import open_store, upgrade
>>> open_store.__name__, upgrade.__name__
('open_store', 'upgrade')
"""

from computefin.engine.store.database import (
    DEFAULT_DB_FILE,
    Store,
    current_revision,
    database_url,
    head_revision,
    make_engine,
    open_store,
    upgrade,
)

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

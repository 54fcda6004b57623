"""Alembic environment: runs on the connection :func:`computefin.engine.store.upgrade` hands in.

There is no ``alembic.ini``: the store builds the Alembic configuration in code, so the
migrations ship inside the package and work wherever it is installed.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from computefin.engine.store.schema import Base


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - the store always passes its connection
    raise RuntimeError("run migrations through computefin.engine.store.upgrade(url)")
_run(connection)

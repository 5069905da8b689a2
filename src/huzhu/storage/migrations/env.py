"""Alembic environment: huzhu passes its engine in; nothing is read from alembic.ini."""

from alembic import context

# Importing these registers their tables on the shared metadata.
from huzhu.storage import (  # noqa: F401
    tables_access,
    tables_claims,
    tables_lifecycle,
    tables_money,
    tables_record,
)
from huzhu.storage.tables import metadata

engine = context.config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    context.run_migrations()

"""Alembic environment: huzhu passes its engine in; nothing is read from alembic.ini."""

from alembic import context

import huzhu.storage.tables_access  # noqa: F401  (registers its tables)
import huzhu.storage.tables_record  # noqa: F401  (the public record)
from huzhu.storage.tables import metadata

engine = context.config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    context.run_migrations()

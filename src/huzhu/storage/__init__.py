"""Storage adapter: SQLAlchemy 2 on the embedded SQLite default or on PostgreSQL."""

"""Storage: SQLAlchemy models, the database connection, transactional imports and the
outbox rows."""

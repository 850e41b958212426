"""Storage: SQLAlchemy models, the database connection and transactional imports."""

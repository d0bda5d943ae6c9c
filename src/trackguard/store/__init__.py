"""Storage: SQLAlchemy models, engine and Alembic migrations (SQLite or PostgreSQL)."""

"""Alembic revisions of the platform schema (the only way the schema changes)."""

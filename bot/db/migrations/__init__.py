"""Alembic migrations of the project's own tables (bot/db/tables.py)."""

"""Alembic migrations of the project's own tables (bot/records.py)."""

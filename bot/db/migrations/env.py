"""Alembic's environment: the project's tables of bot/db/tables.py, in DATABASE_URL.

Rasa's own tables (events) are Rasa's: they are never touched by these migrations.
"""

from alembic import context
from sqlalchemy import engine_from_config, pool

from bot.db.tables import VERSION_TABLE, Base

config = context.config
PROJECT_TABLES = set(Base.metadata.tables)


def include_object(obj, name, kind, reflected, compare_to) -> bool:  # noqa: ANN001
    """Only our tables count when comparing models and database."""
    return kind != "table" or name in PROJECT_TABLES


engine = engine_from_config(
    config.get_section(config.config_ini_section) or {},
    prefix="sqlalchemy.",
    poolclass=pool.NullPool,
)
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        include_object=include_object,
        version_table=VERSION_TABLE,
        render_as_batch=True,  # SQLite alters tables by copying them
    )
    with context.begin_transaction():
        context.run_migrations()

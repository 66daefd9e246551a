"""Erased conversations, kept so that a late save by Rasa cannot bring them back.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Creates the table."""
    op.create_table(
        "erased_conversations",
        sa.Column("conversation_id", sa.String(length=255), nullable=False),
        sa.Column("asked_at", sa.Float(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("conversation_id"),
    )
    with op.batch_alter_table("erased_conversations") as batch_op:
        batch_op.create_index(
            "ix_erased_conversations_recorded_at", ["recorded_at"], unique=False
        )


def downgrade() -> None:
    """Drops the table."""
    op.drop_table("erased_conversations")

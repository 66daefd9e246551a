"""Reviewers' labels on messages the assistant misunderstood.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Creates the table."""
    op.create_table(
        "review_labels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("conversation_id", sa.String(length=255), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("intent", sa.String(length=64), nullable=True),
        sa.Column("note", sa.String(length=1000), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("organisation_id", sa.String(length=64), nullable=True),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("labelled_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["staff_id"], ["staff_accounts.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("review_labels") as batch_op:
        batch_op.create_index("ix_review_labels_text", ["text", "organisation_id"])
        batch_op.create_index(
            "ix_review_labels_conversation_id", ["conversation_id"], unique=False
        )


def downgrade() -> None:
    """Drops the table."""
    op.drop_table("review_labels")

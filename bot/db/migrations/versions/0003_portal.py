"""The partner portal: routes, roles and lockout, referral history, audit log.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Applies the change."""
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("attempted_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_login_attempts_client", ["client", "attempted_at"], unique=False
        )

    op.create_table(
        "routed_conversations",
        sa.Column("conversation_id", sa.String(length=255), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.PrimaryKeyConstraint("conversation_id"),
    )
    with op.batch_alter_table("routed_conversations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_routed_conversations_started", ["started_at", "language"], unique=False
        )

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("target", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_accounts.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)

    op.create_table(
        "referral_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("old_status", sa.String(length=16), nullable=False),
        sa.Column("new_status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["referral_id"], ["referrals.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_accounts.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("referral_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_referral_changes_referral_id"), ["referral_id"], unique=False
        )

    op.create_table(
        "routes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=255), nullable=False),
        sa.Column("organisation_id", sa.String(length=64), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("routed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["routed_conversations.conversation_id"],
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("conversation_id", "organisation_id", "topic"),
    )
    with op.batch_alter_table("routes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_routes_organisation_routed",
            ["organisation_id", "routed_at", "conversation_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_routes_topic", ["topic", "routed_at", "conversation_id"], unique=False
        )

    with op.batch_alter_table("staff_accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "role", sa.String(length=16), nullable=False, server_default="desk"
            )
        )
        batch_op.add_column(
            sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(), nullable=True))
        batch_op.alter_column(
            "organisation_id", existing_type=sa.VARCHAR(length=64), nullable=True
        )
        batch_op.alter_column(
            "desk", existing_type=sa.VARCHAR(length=200), nullable=True
        )


def downgrade() -> None:
    """Reverts the change."""
    with op.batch_alter_table("staff_accounts", schema=None) as batch_op:
        batch_op.alter_column(
            "desk", existing_type=sa.VARCHAR(length=200), nullable=False
        )
        batch_op.alter_column(
            "organisation_id", existing_type=sa.VARCHAR(length=64), nullable=False
        )
        batch_op.drop_column("locked_until")
        batch_op.drop_column("failed_logins")
        batch_op.drop_column("role")

    with op.batch_alter_table("routes", schema=None) as batch_op:
        batch_op.drop_index("ix_routes_topic")
        batch_op.drop_index("ix_routes_organisation_routed")

    op.drop_table("routes")
    with op.batch_alter_table("referral_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_changes_referral_id"))

    op.drop_table("referral_changes")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))

    op.drop_table("audit_log")
    with op.batch_alter_table("routed_conversations", schema=None) as batch_op:
        batch_op.drop_index("ix_routed_conversations_started")

    op.drop_table("routed_conversations")
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_login_attempts_client")

    op.drop_table("login_attempts")

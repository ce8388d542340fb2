"""notify_requests: "tell me when I'm next", kept for the business day only

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 18:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notify_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ticket_id", sa.String(length=32), nullable=False),
        sa.Column("business_day", sa.String(length=10), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=False),
        sa.Column("number_hash", sa.String(length=64), nullable=True),
        sa.Column("lang", sa.String(length=4), nullable=False),
        sa.Column("near_at_calls", sa.Integer(), nullable=True),
        sa.Column("calls_told", sa.Integer(), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket_id", "channel", name="uq_notify_ticket_channel"),
    )
    op.create_index("ix_notify_day", "notify_requests", ["business_day"])
    op.create_index("ix_notify_number", "notify_requests", ["number_hash"])


def downgrade() -> None:
    op.drop_index("ix_notify_number", table_name="notify_requests")
    op.drop_index("ix_notify_day", table_name="notify_requests")
    op.drop_table("notify_requests")

"""appointments: booked windows for one service

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 17:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "appointments",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("service", sa.String(length=16), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("start", sa.Float(), nullable=False),
        sa.Column("end", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("booked_at", sa.Float(), nullable=False),
        sa.Column("booked_by", sa.String(length=64), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column("green_channel", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("ticket_id", sa.String(length=32), nullable=True),
        sa.Column("checked_in_at", sa.Float(), nullable=True),
        sa.Column("closed_at", sa.Float(), nullable=True),
        sa.Column("holder", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_appointments_day", "appointments", ["day", "service", "start"])
    op.create_index("ix_appointments_code", "appointments", ["code"])
    op.create_index("ix_appointments_holder", "appointments", ["holder"])


def downgrade() -> None:
    op.drop_index("ix_appointments_holder", table_name="appointments")
    op.drop_index("ix_appointments_code", table_name="appointments")
    op.drop_index("ix_appointments_day", table_name="appointments")
    op.drop_table("appointments")

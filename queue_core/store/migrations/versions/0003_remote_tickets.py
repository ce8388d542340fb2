"""tickets taken from a phone (remote until checked in)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 14:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("remote_until", sa.Float(), nullable=True))
        batch.add_column(sa.Column("checked_in_at", sa.Float(), nullable=True))
        batch.add_column(sa.Column("check_in_code", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("holder", sa.String(length=64), nullable=True))
        batch.create_index("ix_tickets_check_in", ["check_in_code"])


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_index("ix_tickets_check_in")
        batch.drop_column("holder")
        batch.drop_column("check_in_code")
        batch.drop_column("checked_in_at")
        batch.drop_column("remote_until")

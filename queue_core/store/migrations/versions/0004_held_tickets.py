"""held tickets: a ticket whose print failed is out of the line; who issued it

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 14:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("held_reason", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("held_at", sa.Float(), nullable=True))
        batch.add_column(sa.Column("issued_by", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("issued_by")
        batch.drop_column("held_at")
        batch.drop_column("held_reason")

"""staffing advice

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 14:50:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staffing_advice",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("business_day", sa.String(length=10), nullable=False),
        sa.Column("given_at", sa.Float(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("counter", sa.Integer(), nullable=False),
        sa.Column("services", sa.JSON(), nullable=False),
        sa.Column("effective_at", sa.Float(), nullable=False),
        sa.Column("before_over", sa.Float(), nullable=False),
        sa.Column("after_over", sa.Float(), nullable=False),
        sa.Column("before_mean_s", sa.Float(), nullable=False),
        sa.Column("after_mean_s", sa.Float(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("resolved_at", sa.Float(), nullable=True),
        sa.Column("resolved_by", sa.String(length=64), nullable=True),
        sa.Column("observed_over", sa.Float(), nullable=True),
        sa.Column("observed_n", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_staffing_advice_day", "staffing_advice", ["business_day", "state"], unique=False
    )
    op.create_table(
        "staffing_forecast",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_day", sa.String(length=10), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("customers", sa.Integer(), nullable=False),
        sa.Column("over_share", sa.Float(), nullable=False),
        sa.Column("mean_s", sa.Float(), nullable=False),
        sa.Column("attained", sa.JSON(), nullable=False),
        sa.Column("alert", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("staffing_forecast")
    op.drop_index("ix_staffing_advice_day", table_name="staffing_advice")
    op.drop_table("staffing_advice")

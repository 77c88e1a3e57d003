"""filing events keep the audit head they were recorded with

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 17:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # autogenerate writes sqlmodel column types
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("filing_events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("audit_head", sqlmodel.sql.sqltypes.AutoString(length=90), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("filing_events", schema=None) as batch_op:
        batch_op.drop_column("audit_head")

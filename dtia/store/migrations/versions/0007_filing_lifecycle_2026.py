"""the filing lifecycle of 2026: events carry channel, dossier code, rules, comments, documents

Existing registers move onto the new names: the states draft and filed become prepared and
submitted; the events filed, completion-requested, update-filed and stop-order become
submitted, completion_requested, update_submitted and stop_order. A free note becomes the
event's comments, one per line. The audit log is left as written: its check reads the old
names through the same mapping.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 19:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # autogenerate writes sqlmodel column types
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out, not imported: a migration keeps meaning what it meant when it was written.
EVENTS = {
    "filed": "submitted",
    "completion-requested": "completion_requested",
    "update-filed": "update_submitted",
    "stop-order": "stop_order",
}
STATES = {"draft": "prepared", "filed": "submitted"}


def upgrade() -> None:
    with op.batch_alter_table("filing_events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True)
        )
        batch_op.add_column(
            sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True)
        )
        batch_op.add_column(
            sa.Column("regime", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
        )
    op.create_table(
        "filing_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["filing_events.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("filing_comments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_filing_comments_event_id"), ["event_id"], unique=False)
    op.create_table(
        "filing_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["filing_events.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("filing_documents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_filing_documents_event_id"), ["event_id"], unique=False
        )

    conn = op.get_bind()
    events = sa.table(
        "filing_events",
        sa.column("id", sa.Integer),
        sa.column("event", sa.String),
        sa.column("state_after", sa.String),
        sa.column("note", sa.Text),
    )
    filings = sa.table("filings", sa.column("state", sa.String))
    comments = sa.table(
        "filing_comments",
        sa.column("event_id", sa.Integer),
        sa.column("position", sa.Integer),
        sa.column("text", sa.Text),
    )
    for old, new in EVENTS.items():
        conn.execute(events.update().where(events.c.event == old).values(event=new))
    for old, new in STATES.items():
        conn.execute(events.update().where(events.c.state_after == old).values(state_after=new))
        conn.execute(filings.update().where(filings.c.state == old).values(state=new))
    rows = conn.execute(
        sa.select(events.c.id, events.c.note).where(events.c.note.is_not(None))
    ).all()
    for event_id, note in rows:
        lines = [line.strip() for line in str(note).splitlines() if line.strip()]
        if lines:
            conn.execute(
                comments.insert(),
                [{"event_id": event_id, "position": i, "text": t} for i, t in enumerate(lines)],
            )


def downgrade() -> None:
    conn = op.get_bind()
    events = sa.table(
        "filing_events", sa.column("event", sa.String), sa.column("state_after", sa.String)
    )
    filings = sa.table("filings", sa.column("state", sa.String))
    for old, new in EVENTS.items():
        conn.execute(events.update().where(events.c.event == new).values(event=old))
    for old, new in STATES.items():
        conn.execute(events.update().where(events.c.state_after == new).values(state_after=old))
        conn.execute(filings.update().where(filings.c.state == new).values(state=old))
    with op.batch_alter_table("filing_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_filing_documents_event_id"))
    op.drop_table("filing_documents")
    with op.batch_alter_table("filing_comments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_filing_comments_event_id"))
    op.drop_table("filing_comments")
    with op.batch_alter_table("filing_events", schema=None) as batch_op:
        batch_op.drop_column("regime")
        batch_op.drop_column("code")
        batch_op.drop_column("channel")

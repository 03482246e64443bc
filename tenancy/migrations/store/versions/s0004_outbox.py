"""The store's outbox: mail to the owner and to shoppers, sent by the worker.

Revision ID: s0004
Revises: s0003
"""

from alembic import op

revision = "s0004"
down_revision = "s0003"
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        """
        CREATE TABLE outbox (
            id bigserial PRIMARY KEY,
            kind text NOT NULL,
            recipient text NOT NULL,
            subject text NOT NULL,
            body_text text NOT NULL,
            body_html text,
            dedupe_key text UNIQUE,
            created_at timestamptz NOT NULL DEFAULT now(),
            attempts integer NOT NULL DEFAULT 0,
            next_attempt_at timestamptz NOT NULL DEFAULT now(),
            last_error text,
            sent_at timestamptz
        );
        CREATE INDEX outbox_due_idx ON outbox (next_attempt_at) WHERE sent_at IS NULL;
        """
    )


def downgrade():
    op.execute("DROP TABLE outbox")

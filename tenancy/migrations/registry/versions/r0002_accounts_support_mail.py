"""Custom domains, password resets, staff support grants and the platform outbox.

Revision ID: r0002
Revises: r0001
"""

from alembic import op

revision = "r0002"
down_revision = "r0001"
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        """
        CREATE TABLE custom_domains (
            host text PRIMARY KEY CHECK (host = lower(host)),
            store_id bigint NOT NULL REFERENCES stores ON DELETE CASCADE,
            created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX custom_domains_store_idx ON custom_domains (store_id);

        CREATE TABLE password_resets (
            token_hash bytea PRIMARY KEY,
            account_id bigint NOT NULL REFERENCES accounts ON DELETE CASCADE,
            created_at timestamptz NOT NULL DEFAULT now(),
            expires_at timestamptz NOT NULL,
            used_at timestamptz
        );

        CREATE TABLE support_grants (
            id bigserial PRIMARY KEY,
            staff_id integer NOT NULL REFERENCES staff ON DELETE CASCADE,
            store_id bigint NOT NULL REFERENCES stores ON DELETE CASCADE,
            reason text NOT NULL CHECK (length(trim(reason)) > 0),
            granted_at timestamptz NOT NULL DEFAULT now(),
            expires_at timestamptz NOT NULL,
            revoked_at timestamptz
        );
        CREATE INDEX support_grants_lookup_idx
            ON support_grants (staff_id, store_id, expires_at);

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
    op.execute("DROP TABLE outbox, support_grants, password_resets, custom_domains")

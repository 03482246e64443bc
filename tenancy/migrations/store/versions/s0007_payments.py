"""Payments: provider checkouts, the webhook inbox, payments, refunds, disputes.

Revision ID: s0007
Revises: s0006
"""

from alembic import op

revision = "s0007"
down_revision = "s0006"
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        """
        -- A provider's payment page made for an order. The idempotency key is
        -- the one sent to the provider, so a retried checkout finds its page.
        CREATE TABLE payment_checkouts (
            id bigserial PRIMARY KEY,
            order_id bigint NOT NULL REFERENCES orders ON DELETE CASCADE,
            provider text NOT NULL,
            checkout_ref text NOT NULL,
            provider_order_ref text,
            url text NOT NULL,
            idempotency_key text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            UNIQUE (provider, checkout_ref),
            UNIQUE (provider, idempotency_key)
        );
        CREATE INDEX payment_checkouts_order_idx ON payment_checkouts (order_id);
        CREATE INDEX payment_checkouts_provider_order_idx
            ON payment_checkouts (provider, provider_order_ref)
            WHERE provider_order_ref IS NOT NULL;

        -- The inbox: every verified delivery, kept as received (raw bytes and
        -- the signature headers), applied once. 'flagged' waits for the owner.
        CREATE TABLE payment_events (
            id bigserial PRIMARY KEY,
            provider text NOT NULL,
            event_id text NOT NULL,
            type text NOT NULL,
            body bytea NOT NULL,
            headers jsonb NOT NULL DEFAULT '{}',
            deliveries integer NOT NULL DEFAULT 1,
            received_at timestamptz NOT NULL DEFAULT now(),
            applied_at timestamptz,
            order_id bigint REFERENCES orders ON DELETE SET NULL,
            status text NOT NULL DEFAULT 'received'
                CHECK (status IN ('received', 'applied', 'flagged', 'ignored')),
            note text,
            UNIQUE (provider, event_id)
        );
        CREATE INDEX payment_events_waiting_idx ON payment_events (received_at)
            WHERE status IN ('received', 'flagged');
        CREATE INDEX payment_events_order_idx ON payment_events (order_id);

        -- Amounts in the currency's minor units, as providers count them.
        CREATE TABLE payments (
            id bigserial PRIMARY KEY,
            order_id bigint REFERENCES orders ON DELETE SET NULL,
            provider text NOT NULL,
            payment_ref text NOT NULL,
            aliases text[] NOT NULL DEFAULT '{}',
            status text NOT NULL
                CHECK (status IN ('pending', 'succeeded', 'failed', 'cancelled')),
            amount bigint CHECK (amount >= 0),
            currency char(3),
            refunded bigint NOT NULL DEFAULT 0 CHECK (refunded >= 0),
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            UNIQUE (provider, payment_ref)
        );
        CREATE INDEX payments_order_idx ON payments (order_id);
        CREATE INDEX payments_aliases_idx ON payments USING gin (aliases);

        CREATE TABLE refunds (
            id bigserial PRIMARY KEY,
            provider text NOT NULL,
            refund_ref text NOT NULL,
            payment_ref text,
            order_id bigint REFERENCES orders ON DELETE SET NULL,
            amount bigint NOT NULL CHECK (amount >= 0),
            currency char(3),
            status text NOT NULL
                CHECK (status IN ('pending', 'succeeded', 'failed', 'cancelled')),
            requested_by text,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            UNIQUE (provider, refund_ref)
        );
        CREATE INDEX refunds_payment_idx ON refunds (provider, payment_ref);
        CREATE INDEX refunds_order_idx ON refunds (order_id);

        CREATE TABLE disputes (
            id bigserial PRIMARY KEY,
            provider text NOT NULL,
            dispute_ref text NOT NULL,
            payment_ref text,
            order_id bigint REFERENCES orders ON DELETE SET NULL,
            amount bigint,
            currency char(3),
            status text NOT NULL,
            reason text,
            opened_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            seen_at timestamptz,
            UNIQUE (provider, dispute_ref)
        );
        CREATE INDEX disputes_order_idx ON disputes (order_id);
        """
    )


def downgrade():
    op.execute(
        "DROP TABLE disputes, refunds, payments, payment_events, payment_checkouts"
    )

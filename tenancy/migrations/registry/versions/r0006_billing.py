"""Billing through Clover (plans, credit packs, subscriptions); daily sales.

Revision ID: r0006
Revises: r0005
"""

from alembic import op

revision = "r0006"
down_revision = "r0005"
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        """
        ALTER TABLE plans ADD COLUMN clover_plan_id text UNIQUE;

        CREATE TABLE credit_packs (
            code text PRIMARY KEY,
            name text NOT NULL,
            credits integer NOT NULL CHECK (credits > 0),
            price numeric(12, 2) NOT NULL CHECK (price > 0),
            currency char(3) NOT NULL,
            active boolean NOT NULL DEFAULT true
        );
        INSERT INTO credit_packs VALUES
            ('small', '500 AI credits', 500, 10, 'USD', true),
            ('large', '3,000 AI credits', 3000, 50, 'USD', true);

        -- One row per store that ever had a card on file. ``state`` is ours,
        -- decided from what polling Clover finds; Clover's own flag is kept
        -- beside it as last seen.
        CREATE TABLE subscriptions (
            store_id bigint PRIMARY KEY REFERENCES stores,
            plan text NOT NULL REFERENCES plans,
            state text NOT NULL CHECK (state IN (
                'active', 'past_due', 'suspended', 'cancelled')),
            clover_customer_id text,
            clover_subscription_id text UNIQUE,
            card_hint text NOT NULL DEFAULT '',
            clover_active boolean,
            -- A subscription being made: its idempotency key, kept until
            -- Clover's answer is recorded, and when its first period starts.
            pending_key text,
            subscribe_from timestamptz,
            past_due_since timestamptz,
            suspended_at timestamptz,
            cancelled_at timestamptz,
            polled_at timestamptz,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        );

        -- Every charge billing knows of: subscription invoices found by
        -- polling and one-off charges (credit packs, settling a past-due
        -- period). A one-off charge is written here, with its idempotency
        -- key, before Clover is called, so a crash between the two is
        -- finished by the next poll with the same key.
        CREATE TABLE billing_payments (
            id bigserial PRIMARY KEY,
            store_id bigint NOT NULL REFERENCES stores,
            kind text NOT NULL CHECK (kind IN ('subscription', 'settlement',
                                               'credit_pack')),
            status text NOT NULL CHECK (status IN ('pending', 'paid', 'failed')),
            amount numeric(12, 2) NOT NULL,
            currency char(3) NOT NULL,
            idempotency_key text UNIQUE,
            clover_ref text UNIQUE,
            pack text REFERENCES credit_packs,
            credits integer,
            plan text REFERENCES plans,
            failure text NOT NULL DEFAULT '',
            created_at timestamptz NOT NULL DEFAULT now(),
            paid_at timestamptz
        );
        CREATE INDEX billing_payments_store_idx
            ON billing_payments (store_id, created_at);

        -- Orders paid and their total, per store, day and currency: one row
        -- a day that each sale bumps, cheaper than an event per order.
        CREATE TABLE usage_daily (
            store_id bigint NOT NULL,
            day date NOT NULL,
            kind text NOT NULL,
            currency char(3) NOT NULL DEFAULT '',
            events integer NOT NULL DEFAULT 0,
            amount numeric(18, 4) NOT NULL DEFAULT 0,
            updated_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (store_id, day, kind, currency)
        );
        """
    )


def downgrade():
    op.execute(
        """
        DROP TABLE usage_daily, billing_payments, subscriptions, credit_packs;
        ALTER TABLE plans DROP COLUMN clover_plan_id;
        """
    )

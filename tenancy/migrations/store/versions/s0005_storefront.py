"""Storefront: stock reservations, contact messages, newsletter, privacy requests.

Revision ID: s0005
Revises: s0004
"""

from alembic import op

revision = "s0005"
down_revision = "s0004"
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        """
        -- Stock held for a pending order. While a row is 'held', its quantity
        -- is counted in stock_levels.reserved at the same location; paying
        -- turns it into a 'sold' movement, expiry gives it back.
        CREATE TABLE reservations (
            id bigserial PRIMARY KEY,
            order_id bigint NOT NULL REFERENCES orders ON DELETE CASCADE,
            variant_id bigint NOT NULL REFERENCES variants ON DELETE CASCADE,
            location_id integer NOT NULL REFERENCES locations,
            quantity integer NOT NULL CHECK (quantity > 0),
            status text NOT NULL DEFAULT 'held'
                CHECK (status IN ('held', 'sold', 'released')),
            created_at timestamptz NOT NULL DEFAULT now(),
            expires_at timestamptz NOT NULL,
            closed_at timestamptz
        );
        CREATE INDEX reservations_order_idx ON reservations (order_id);
        CREATE INDEX reservations_held_idx ON reservations (variant_id)
            WHERE status = 'held';
        CREATE INDEX orders_pending_expiry_idx ON orders (expires_at)
            WHERE status = 'pending';

        CREATE TABLE contact_messages (
            id bigserial PRIMARY KEY,
            name text NOT NULL,
            email text NOT NULL,
            subject text,
            body text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            read_at timestamptz
        );
        CREATE INDEX contact_messages_created_idx ON contact_messages (created_at);

        -- Double opt-in: a row is 'pending' until the emailed link is used.
        -- Only the SHA-256 of the link's token is kept.
        CREATE TABLE newsletter_subscribers (
            id bigserial PRIMARY KEY,
            email text NOT NULL,
            status text NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'confirmed', 'unsubscribed')),
            token_hash bytea UNIQUE,
            consent_requested_at timestamptz NOT NULL DEFAULT now(),
            confirmed_at timestamptz,
            unsubscribed_at timestamptz,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE UNIQUE INDEX newsletter_subscribers_email_key
            ON newsletter_subscribers (lower(email));

        -- Minimal for now: the verification flow and deadlines come later.
        CREATE TABLE privacy_requests (
            id bigserial PRIMARY KEY,
            kind text NOT NULL
                CHECK (kind IN ('access', 'correction', 'deletion')),
            email text NOT NULL,
            details text,
            status text NOT NULL DEFAULT 'unverified',
            created_at timestamptz NOT NULL DEFAULT now()
        );
        """
    )


def downgrade():
    op.execute(
        """
        DROP TABLE privacy_requests, newsletter_subscribers, contact_messages,
            reservations;
        DROP INDEX orders_pending_expiry_idx;
        """
    )

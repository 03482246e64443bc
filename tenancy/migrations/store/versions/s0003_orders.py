"""Orders and their lines: storefront checkouts and imported sales history.

Revision ID: s0003
Revises: s0002
"""

from alembic import op

revision = "s0003"
down_revision = "s0002"
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        """
        CREATE SEQUENCE order_number START 1001;

        CREATE TABLE orders (
            id bigserial PRIMARY KEY,
            number text NOT NULL UNIQUE,
            token text NOT NULL UNIQUE,
            source text NOT NULL CHECK (source IN ('storefront', 'import', 'admin')),
            kind text NOT NULL DEFAULT 'sale' CHECK (kind IN ('sale', 'return')),
            status text NOT NULL DEFAULT 'pending' CHECK (status IN (
                'pending', 'paid', 'fulfilled', 'cancelled', 'expired',
                'refunded', 'partially_refunded')),
            currency char(3) NOT NULL,
            subtotal numeric NOT NULL DEFAULT 0,
            shipping_total numeric NOT NULL DEFAULT 0,
            tax_total numeric NOT NULL DEFAULT 0,
            total numeric NOT NULL DEFAULT 0,
            refunded_total numeric NOT NULL DEFAULT 0,
            email text,
            customer_name text,
            phone text,
            shipping_address jsonb,
            country text,
            customer_ref text,
            note text,
            payment_provider text,
            payment_ref text,
            placed_at timestamptz NOT NULL DEFAULT now(),
            paid_at timestamptz,
            cancelled_at timestamptz,
            expires_at timestamptz,
            import_batch_id bigint REFERENCES import_batches ON DELETE CASCADE,
            external_ref text,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            UNIQUE (source, external_ref)
        );
        CREATE INDEX orders_placed_idx ON orders (placed_at);
        CREATE INDEX orders_status_idx ON orders (status);
        CREATE INDEX orders_email_idx ON orders (lower(email));

        CREATE TABLE order_lines (
            id bigserial PRIMARY KEY,
            order_id bigint NOT NULL REFERENCES orders ON DELETE CASCADE,
            line_no integer NOT NULL,
            variant_id bigint REFERENCES variants ON DELETE SET NULL,
            sku text,
            title text NOT NULL DEFAULT '',
            variant_title text,
            quantity integer NOT NULL,
            unit_price numeric NOT NULL,
            line_total numeric NOT NULL,
            UNIQUE (order_id, line_no)
        );
        CREATE INDEX order_lines_variant_idx ON order_lines (variant_id);
        """
    )


def downgrade():
    op.execute("DROP TABLE order_lines, orders; DROP SEQUENCE order_number;")

"""AI credits: one account row per store, an append-only ledger, open holds.

Revision ID: r0003
Revises: r0002
"""

from alembic import op

revision = "r0003"
down_revision = "r0002"
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        """
        -- The running totals of a store's ledger, and the row every credit
        -- operation locks first. The checks make an overdraft impossible
        -- whatever the code does.
        CREATE TABLE credit_accounts (
            store_id bigint PRIMARY KEY REFERENCES stores,
            included integer NOT NULL DEFAULT 0 CHECK (included >= 0),
            purchased integer NOT NULL DEFAULT 0 CHECK (purchased >= 0),
            held integer NOT NULL DEFAULT 0 CHECK (held >= 0),
            updated_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT credit_accounts_not_overdrawn
                CHECK (held <= included + purchased)
        );

        -- Every movement of credits. ``ref`` is the idempotency key of the
        -- movement (grant:2026-12, pack:<payment ref>, the generation's ref),
        -- so a retried call can never move credits twice.
        CREATE TABLE credit_ledger (
            id bigserial PRIMARY KEY,
            at timestamptz NOT NULL DEFAULT now(),
            store_id bigint NOT NULL REFERENCES stores,
            kind text NOT NULL
                CHECK (kind IN ('grant', 'expire', 'pack', 'debit')),
            ref text NOT NULL,
            included integer NOT NULL DEFAULT 0,
            purchased integer NOT NULL DEFAULT 0,
            provider text,
            model text,
            tokens_in integer,
            tokens_out integer,
            actor text NOT NULL,
            UNIQUE (store_id, ref),
            CONSTRAINT credit_ledger_sign CHECK (
                (kind IN ('grant', 'pack') AND included >= 0 AND purchased >= 0)
                OR (kind IN ('expire', 'debit') AND included <= 0
                    AND purchased <= 0))
        );
        CREATE INDEX credit_ledger_store_idx ON credit_ledger (store_id, at);
        -- A payment buys credits for one store, once.
        CREATE UNIQUE INDEX credit_ledger_pack_key ON credit_ledger (ref)
            WHERE kind = 'pack';

        CREATE FUNCTION credit_ledger_append_only() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION 'the credit ledger is append-only'
                USING ERRCODE = 'insufficient_privilege';
        END $$ LANGUAGE plpgsql;
        CREATE TRIGGER credit_ledger_append_only
            BEFORE UPDATE OR DELETE ON credit_ledger
            FOR EACH ROW EXECUTE FUNCTION credit_ledger_append_only();
        CREATE TRIGGER credit_ledger_no_truncate BEFORE TRUNCATE ON credit_ledger
            FOR EACH STATEMENT EXECUTE FUNCTION credit_ledger_append_only();

        -- Credits set aside while a provider call is in flight. They are not
        -- money, so they live outside the ledger: settling a hold writes the
        -- debit, releasing it writes nothing.
        CREATE TABLE credit_holds (
            id bigserial PRIMARY KEY,
            store_id bigint NOT NULL REFERENCES stores,
            credits integer NOT NULL CHECK (credits > 0),
            created_at timestamptz NOT NULL DEFAULT now(),
            closed_at timestamptz,
            outcome text CHECK (outcome IN ('settled', 'released', 'expired')),
            CHECK ((closed_at IS NULL) = (outcome IS NULL))
        );
        CREATE INDEX credit_holds_open_idx ON credit_holds (store_id, created_at)
            WHERE closed_at IS NULL;
        """
    )


def downgrade():
    op.execute(
        """
        DROP TABLE credit_holds, credit_ledger, credit_accounts;
        DROP FUNCTION credit_ledger_append_only();
        """
    )

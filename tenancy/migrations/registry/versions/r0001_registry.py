"""The platform registry: servers, plans, accounts, stores, sessions, audit.

Revision ID: r0001
Revises:
"""

from alembic import op

revision = "r0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        """
        CREATE TABLE db_servers (
            id serial PRIMARY KEY,
            name text NOT NULL UNIQUE,
            dsn_sealed text,
            is_primary boolean NOT NULL DEFAULT false,
            max_stores integer CHECK (max_stores > 0),
            created_at timestamptz NOT NULL DEFAULT now()
        );

        CREATE TABLE plans (
            code text PRIMARY KEY,
            name text NOT NULL,
            monthly_price numeric(12, 2) NOT NULL,
            currency char(3) NOT NULL,
            max_products integer,
            max_locations integer,
            monthly_ai_credits integer NOT NULL DEFAULT 0,
            active boolean NOT NULL DEFAULT true
        );
        INSERT INTO plans VALUES
            ('free', 'Free', 0, 'USD', 100, 1, 20, true),
            ('starter', 'Starter', 29, 'USD', 2000, 3, 200, true),
            ('growth', 'Growth', 99, 'USD', NULL, 20, 1000, true);

        CREATE TABLE accounts (
            id bigserial PRIMARY KEY,
            owner_name text NOT NULL,
            email text NOT NULL,
            business_name text NOT NULL DEFAULT '',
            password_hash text,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            password_changed_at timestamptz
        );
        CREATE UNIQUE INDEX accounts_email_key ON accounts (lower(email));

        CREATE TABLE stores (
            id bigserial PRIMARY KEY,
            slug text NOT NULL CHECK (slug = lower(slug)),
            display_name text NOT NULL,
            account_id bigint REFERENCES accounts ON DELETE SET NULL,
            status text NOT NULL DEFAULT 'provisioning' CHECK (status IN (
                'provisioning', 'active', 'suspended', 'cancelled', 'deleted')),
            plan text NOT NULL DEFAULT 'free' REFERENCES plans,
            currency char(3) NOT NULL,
            timezone text NOT NULL,
            server_id integer REFERENCES db_servers,
            db_name text UNIQUE,
            role_name text UNIQUE,
            role_password text,
            created_at timestamptz NOT NULL DEFAULT now(),
            cancelled_at timestamptz,
            purge_after timestamptz,
            deleted_at timestamptz,
            deletion_requested_by text
        );
        CREATE UNIQUE INDEX stores_slug_key ON stores (lower(slug));
        CREATE INDEX stores_server_idx ON stores (server_id) WHERE status <> 'deleted';

        CREATE TABLE store_secrets (
            store_id bigint NOT NULL REFERENCES stores ON DELETE CASCADE,
            name text NOT NULL,
            sealed text NOT NULL,
            updated_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (store_id, name)
        );

        CREATE TABLE staff (
            id serial PRIMARY KEY,
            email text NOT NULL,
            name text NOT NULL,
            password_hash text,
            role text NOT NULL DEFAULT 'support' CHECK (role IN ('support', 'admin')),
            created_at timestamptz NOT NULL DEFAULT now(),
            disabled_at timestamptz
        );
        CREATE UNIQUE INDEX staff_email_key ON staff (lower(email));

        CREATE TABLE sessions (
            token_hash bytea PRIMARY KEY,
            account_id bigint REFERENCES accounts ON DELETE CASCADE,
            staff_id integer REFERENCES staff ON DELETE CASCADE,
            csrf_token text NOT NULL,
            user_agent text NOT NULL DEFAULT '',
            created_at timestamptz NOT NULL DEFAULT now(),
            last_seen_at timestamptz NOT NULL DEFAULT now(),
            expires_at timestamptz NOT NULL,
            revoked_at timestamptz,
            CHECK ((account_id IS NULL) <> (staff_id IS NULL))
        );
        CREATE INDEX sessions_account_idx ON sessions (account_id);

        CREATE TABLE login_failures (
            key_hash bytea NOT NULL,
            at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX login_failures_idx ON login_failures (key_hash, at);

        CREATE TABLE audit_log (
            id bigserial PRIMARY KEY,
            at timestamptz NOT NULL DEFAULT now(),
            actor text NOT NULL,
            store_id bigint,
            action text NOT NULL,
            detail jsonb NOT NULL DEFAULT '{}'
        );
        CREATE INDEX audit_log_store_idx ON audit_log (store_id, at);

        CREATE TABLE key_canaries (
            kid text PRIMARY KEY,
            sealed text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now()
        );

        CREATE TABLE usage_events (
            id bigserial PRIMARY KEY,
            at timestamptz NOT NULL DEFAULT now(),
            store_id bigint,
            account_id bigint,
            kind text NOT NULL,
            quantity numeric NOT NULL DEFAULT 1,
            detail jsonb NOT NULL DEFAULT '{}'
        );
        CREATE INDEX usage_events_store_idx ON usage_events (store_id, at);
        """
    )


def downgrade():
    op.execute(
        """
        DROP TABLE usage_events, key_canaries, audit_log, login_failures,
            sessions, staff, store_secrets, stores, accounts, plans, db_servers;
        """
    )

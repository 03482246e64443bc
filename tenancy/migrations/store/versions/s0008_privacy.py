"""Privacy requests: proving the address, deadlines, results and an audit trail.

Revision ID: s0008
Revises: s0007
"""

from alembic import op

revision = "s0008"
down_revision = "s0007"
branch_labels = None
depends_on = None


def upgrade():
    """Extend privacy_requests and add privacy_audit."""
    op.execute(
        """
        -- Only hashes of the codes and tokens are kept. The email and details
        -- become NULL when the requester's data is erased; the request itself
        -- stays, so the owner can show that it was answered.
        ALTER TABLE privacy_requests
            ALTER COLUMN email DROP NOT NULL,
            ADD COLUMN token_hash bytea UNIQUE,
            ADD COLUMN client_hash bytea,
            ADD COLUMN code_hash bytea,
            ADD COLUMN code_expires_at timestamptz,
            ADD COLUMN attempts integer NOT NULL DEFAULT 0,
            ADD COLUMN verified_at timestamptz,
            ADD COLUMN deadline timestamptz,
            ADD COLUMN extended_until timestamptz,
            ADD COLUMN extension_reason text,
            ADD COLUMN refusal_reason text,
            ADD COLUMN result_package bytea,
            ADD COLUMN download_token_hash bytea UNIQUE,
            ADD COLUMN download_expires_at timestamptz,
            ADD COLUMN completed_at timestamptz,
            ADD CONSTRAINT privacy_requests_status_check CHECK (status IN (
                'unverified', 'verified', 'completed', 'refused', 'expired'));
        CREATE INDEX privacy_requests_email_idx
            ON privacy_requests (lower(email), created_at);
        CREATE INDEX privacy_requests_client_idx
            ON privacy_requests (client_hash, created_at);

        -- What happened to each request, by whom and when. Never the email,
        -- the name or the details: this outlives an erasure.
        CREATE TABLE privacy_audit (
            id bigserial PRIMARY KEY,
            request_id bigint NOT NULL REFERENCES privacy_requests,
            step text NOT NULL,
            actor text NOT NULL,
            at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX privacy_audit_request_idx ON privacy_audit (request_id);
        """
    )


def downgrade():
    """Drop privacy_audit and the columns added to privacy_requests."""
    op.execute(
        """
        DROP TABLE privacy_audit;
        DROP INDEX privacy_requests_email_idx, privacy_requests_client_idx;
        ALTER TABLE privacy_requests
            DROP CONSTRAINT privacy_requests_status_check,
            DROP COLUMN token_hash, DROP COLUMN client_hash, DROP COLUMN code_hash,
            DROP COLUMN code_expires_at, DROP COLUMN attempts,
            DROP COLUMN verified_at, DROP COLUMN deadline,
            DROP COLUMN extended_until, DROP COLUMN extension_reason,
            DROP COLUMN refusal_reason, DROP COLUMN result_package,
            DROP COLUMN download_token_hash, DROP COLUMN download_expires_at,
            DROP COLUMN completed_at;
        DELETE FROM privacy_requests WHERE email IS NULL;
        ALTER TABLE privacy_requests ALTER COLUMN email SET NOT NULL;
        """
    )

"""Platform secrets (SMTP), published policy versions, immediate-deletion requests.

Revision ID: r0004
Revises: r0003
"""

from alembic import op

revision = "r0004"
down_revision = "r0003"
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        """
        CREATE TABLE platform_secrets (
            name text PRIMARY KEY,
            sealed text NOT NULL,
            updated_at timestamptz NOT NULL DEFAULT now()
        );

        CREATE TABLE policy_versions (
            version text PRIMARY KEY,
            published_at timestamptz NOT NULL DEFAULT now(),
            notices_queued integer NOT NULL DEFAULT 0
        );

        ALTER TABLE stores ADD COLUMN delete_now_requested_at timestamptz;
        CREATE INDEX stores_purge_idx ON stores (purge_after)
            WHERE status IN ('cancelled', 'suspended');
        """
    )


def downgrade():
    op.execute(
        """
        DROP INDEX stores_purge_idx;
        ALTER TABLE stores DROP COLUMN delete_now_requested_at;
        DROP TABLE policy_versions, platform_secrets;
        """
    )

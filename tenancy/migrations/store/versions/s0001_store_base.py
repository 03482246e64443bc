"""A store database's own settings table.

Revision ID: s0001
Revises:
"""

from alembic import op

revision = "s0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        """
        CREATE TABLE store_settings (
            key text PRIMARY KEY,
            value jsonb NOT NULL,
            updated_at timestamptz NOT NULL DEFAULT now()
        );
        """
    )


def downgrade():
    op.execute("DROP TABLE store_settings")

"""Accounts whose owner asked for deletion.

Revision ID: r0005
Revises: r0004
"""

from alembic import op

revision = "r0005"
down_revision = "r0004"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("ALTER TABLE accounts ADD COLUMN deletion_requested_at timestamptz")


def downgrade():
    op.execute("ALTER TABLE accounts DROP COLUMN deletion_requested_at")

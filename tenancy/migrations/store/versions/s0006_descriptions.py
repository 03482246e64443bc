"""AI descriptions: drafts (review queue and history) and bulk jobs.

Revision ID: s0006
Revises: s0005
"""

from alembic import op

revision = "s0006"
down_revision = "s0005"
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        """
        CREATE TABLE description_jobs (
            id bigserial PRIMARY KEY,
            status text NOT NULL DEFAULT 'running'
                CHECK (status IN ('running', 'cancelled', 'done', 'failed')),
            options jsonb NOT NULL,
            error text,
            runner text,
            heartbeat_at timestamptz,
            created_by text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            finished_at timestamptz
        );

        -- One row per generation: the history of a product's texts and, while
        -- pending, an entry in the review queue. The old_* columns keep the
        -- product's texts as they were, to show side by side.
        CREATE TABLE description_drafts (
            id bigserial PRIMARY KEY,
            product_id bigint NOT NULL REFERENCES products ON DELETE CASCADE,
            job_id bigint REFERENCES description_jobs ON DELETE SET NULL,
            writer text NOT NULL,
            writer_label text NOT NULL,
            model text NOT NULL,
            own_key boolean NOT NULL DEFAULT false,
            tokens_in integer NOT NULL DEFAULT 0,
            tokens_out integer NOT NULL DEFAULT 0,
            credits integer NOT NULL DEFAULT 0 CHECK (credits >= 0),
            charge_ref text NOT NULL UNIQUE,
            options jsonb NOT NULL DEFAULT '{}',
            fallback_reasons text[] NOT NULL DEFAULT '{}',
            description_html text NOT NULL,
            seo_title text NOT NULL,
            meta_description text NOT NULL,
            alt_text text NOT NULL,
            old_description_html text,
            old_seo_title text,
            old_meta_description text,
            old_alt_text text,
            status text NOT NULL DEFAULT 'pending' CHECK (status IN (
                'pending', 'approved', 'rejected', 'superseded')),
            published text[],
            reviewed_at timestamptz,
            reviewed_by text,
            created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX description_drafts_product_idx
            ON description_drafts (product_id, created_at);
        CREATE INDEX description_drafts_pending_idx
            ON description_drafts (created_at) WHERE status = 'pending';
        CREATE INDEX description_drafts_job_idx
            ON description_drafts (job_id) WHERE job_id IS NOT NULL;

        CREATE TABLE description_job_items (
            job_id bigint NOT NULL REFERENCES description_jobs ON DELETE CASCADE,
            product_id bigint NOT NULL REFERENCES products ON DELETE CASCADE,
            position integer NOT NULL,
            status text NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'done', 'failed')),
            draft_id bigint REFERENCES description_drafts ON DELETE SET NULL,
            error text,
            PRIMARY KEY (job_id, product_id)
        );
        CREATE INDEX description_job_items_product_idx
            ON description_job_items (product_id);
        """
    )


def downgrade():
    op.execute("DROP TABLE description_job_items, description_drafts, description_jobs")

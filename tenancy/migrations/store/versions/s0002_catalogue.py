"""Catalogue, stock and imports: products, variants, images, locations, ledger.

Revision ID: s0002
Revises: s0001
"""

from alembic import op

revision = "s0002"
down_revision = "s0001"
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        """
        CREATE TABLE import_batches (
            id bigserial PRIMARY KEY,
            kind text NOT NULL CHECK (kind IN ('products', 'stock', 'sales')),
            source_format text NOT NULL,
            file_name text NOT NULL,
            file_sha256 text NOT NULL,
            actor text NOT NULL,
            status text NOT NULL DEFAULT 'applied'
                CHECK (status IN ('applied', 'undone')),
            counts jsonb NOT NULL DEFAULT '{}',
            created_at timestamptz NOT NULL DEFAULT now(),
            undone_at timestamptz
        );

        CREATE TABLE products (
            id bigserial PRIMARY KEY,
            handle text NOT NULL UNIQUE,
            title text NOT NULL,
            description_html text NOT NULL DEFAULT '',
            vendor text,
            product_type text,
            tags text[] NOT NULL DEFAULT '{}',
            status text NOT NULL DEFAULT 'draft'
                CHECK (status IN ('draft', 'active', 'archived')),
            seo_title text,
            seo_description text,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX products_status_idx ON products (status);
        CREATE INDEX products_search_idx ON products USING gin (
            to_tsvector('simple', title || ' ' || coalesce(vendor, '') || ' '
                        || coalesce(product_type, '')));

        CREATE TABLE product_images (
            id bigserial PRIMARY KEY,
            product_id bigint NOT NULL REFERENCES products ON DELETE CASCADE,
            position integer NOT NULL DEFAULT 1,
            source_url text,
            alt_text text,
            content_type text,
            data bytea,
            thumbnail bytea,
            width integer,
            height integer,
            byte_size integer,
            sha256 text,
            fetch_status text NOT NULL DEFAULT 'stored'
                CHECK (fetch_status IN ('pending', 'stored', 'failed')),
            fetch_error text,
            created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX product_images_product_idx
            ON product_images (product_id, position);
        CREATE INDEX product_images_pending_idx ON product_images (id)
            WHERE fetch_status = 'pending';

        CREATE TABLE variants (
            id bigserial PRIMARY KEY,
            product_id bigint NOT NULL REFERENCES products ON DELETE CASCADE,
            position integer NOT NULL DEFAULT 1,
            sku text CHECK (sku <> ''),
            barcode text CHECK (barcode <> ''),
            option1_name text, option1 text,
            option2_name text, option2 text,
            option3_name text, option3 text,
            price numeric NOT NULL DEFAULT 0 CHECK (price >= 0),
            compare_at_price numeric CHECK (compare_at_price >= 0),
            unit_cost numeric CHECK (unit_cost >= 0),
            weight_grams numeric CHECK (weight_grams >= 0),
            continue_selling boolean NOT NULL DEFAULT false,
            low_stock_threshold integer CHECK (low_stock_threshold >= 0),
            image_url text,
            archived_at timestamptz,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE UNIQUE INDEX variants_sku_key ON variants (sku);
        CREATE UNIQUE INDEX variants_barcode_key ON variants (barcode);
        CREATE INDEX variants_product_idx ON variants (product_id, position);

        CREATE TABLE locations (
            id serial PRIMARY KEY,
            name text NOT NULL,
            is_default boolean NOT NULL DEFAULT false,
            archived_at timestamptz,
            created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE UNIQUE INDEX locations_name_key ON locations (lower(name));
        CREATE UNIQUE INDEX locations_default_key ON locations (is_default)
            WHERE is_default;
        INSERT INTO locations (name, is_default) VALUES ('Main', true);

        CREATE TABLE stock_levels (
            variant_id bigint NOT NULL REFERENCES variants ON DELETE CASCADE,
            location_id integer NOT NULL REFERENCES locations,
            on_hand integer NOT NULL DEFAULT 0,
            reserved integer NOT NULL DEFAULT 0 CHECK (reserved >= 0),
            updated_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (variant_id, location_id)
        );

        -- On-hand never goes below zero unless the variant keeps selling when
        -- out of stock; checked here so no code path can forget it.
        CREATE FUNCTION stock_levels_guard() RETURNS trigger AS $$
        BEGIN
            IF NEW.on_hand < 0 AND NOT (
                SELECT continue_selling FROM variants WHERE id = NEW.variant_id
            ) THEN
                RAISE EXCEPTION 'stock of variant % at location % would be %',
                    NEW.variant_id, NEW.location_id, NEW.on_hand
                    USING ERRCODE = 'check_violation',
                          CONSTRAINT = 'stock_levels_on_hand_not_negative';
            END IF;
            NEW.updated_at := now();
            RETURN NEW;
        END $$ LANGUAGE plpgsql;
        CREATE TRIGGER stock_levels_guard BEFORE INSERT OR UPDATE ON stock_levels
            FOR EACH ROW EXECUTE FUNCTION stock_levels_guard();

        CREATE TABLE stock_movements (
            id bigserial PRIMARY KEY,
            at timestamptz NOT NULL DEFAULT now(),
            variant_id bigint NOT NULL REFERENCES variants ON DELETE CASCADE,
            location_id integer NOT NULL REFERENCES locations,
            kind text NOT NULL CHECK (kind IN ('received', 'sold', 'returned',
                'adjusted', 'counted', 'transferred', 'imported')),
            quantity integer NOT NULL,
            on_hand_after integer NOT NULL,
            reason text NOT NULL DEFAULT '',
            reference text,
            actor text NOT NULL,
            batch_id bigint REFERENCES import_batches
        );
        CREATE INDEX stock_movements_variant_idx ON stock_movements (variant_id, at);
        CREATE INDEX stock_movements_at_idx ON stock_movements (at);

        -- The ledger is append-only: a correction is a new movement. (Rows
        -- go only with their variant, when an import that created it is undone.)
        CREATE FUNCTION stock_movements_append_only() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION 'stock movements are append-only'
                USING ERRCODE = 'insufficient_privilege';
        END $$ LANGUAGE plpgsql;
        CREATE TRIGGER stock_movements_append_only BEFORE UPDATE ON stock_movements
            FOR EACH ROW EXECUTE FUNCTION stock_movements_append_only();

        CREATE TABLE import_changes (
            batch_id bigint NOT NULL REFERENCES import_batches ON DELETE CASCADE,
            entity text NOT NULL CHECK (entity IN ('product', 'variant', 'image')),
            entity_id bigint NOT NULL,
            action text NOT NULL CHECK (action IN ('created', 'updated')),
            before jsonb,
            PRIMARY KEY (batch_id, entity, entity_id)
        );

        -- Bumped on every catalogue or stock change; caches key on it.
        CREATE SEQUENCE catalogue_version;
        CREATE FUNCTION bump_catalogue_version() RETURNS trigger AS $$
        BEGIN
            PERFORM nextval('catalogue_version');
            RETURN NULL;
        END $$ LANGUAGE plpgsql;
        CREATE TRIGGER products_version AFTER INSERT OR UPDATE OR DELETE ON products
            FOR EACH STATEMENT EXECUTE FUNCTION bump_catalogue_version();
        CREATE TRIGGER variants_version AFTER INSERT OR UPDATE OR DELETE ON variants
            FOR EACH STATEMENT EXECUTE FUNCTION bump_catalogue_version();
        CREATE TRIGGER images_version AFTER INSERT OR UPDATE OR DELETE
            ON product_images FOR EACH STATEMENT
            EXECUTE FUNCTION bump_catalogue_version();
        CREATE TRIGGER stock_version AFTER INSERT OR UPDATE OR DELETE ON stock_levels
            FOR EACH STATEMENT EXECUTE FUNCTION bump_catalogue_version();
        """
    )


def downgrade():
    op.execute(
        """
        DROP TABLE import_changes, stock_movements, stock_levels, locations,
            variants, product_images, products, import_batches;
        DROP SEQUENCE catalogue_version;
        DROP FUNCTION bump_catalogue_version(), stock_movements_append_only(),
            stock_levels_guard();
        """
    )

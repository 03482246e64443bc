from pathlib import Path

from tenancy import Platform
from tenancy.migrate import migrate_everything

TRIVIAL = '''"""A trivial store migration used by the tests.

Revision ID: {rev}
Revises: {down}
"""

from alembic import op

revision = "{rev}"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("CREATE TABLE migrated_marker (id int PRIMARY KEY)")


def downgrade():
    op.execute("DROP TABLE migrated_marker")
'''


def write_trivial_migration(folder: Path, down):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "x9001_marker.py").write_text(TRIVIAL.format(rev="x9001", down=down))
    return folder


def test_migrate_goes_on_past_a_broken_store_and_resumes(
    platform, make_store, tmp_path
):
    from tenancy import schema

    tenants = [make_store() for _ in range(6)]
    broken = tenants[2]
    # The new migration's table already exists in one store: it must fail there.
    with broken.transaction() as conn:
        conn.execute("CREATE TABLE migrated_marker (id int)")

    head = schema.store_scripts().get_current_head()
    extra = write_trivial_migration(tmp_path / "extra", head)
    config = platform.config.with_overrides(store_migration_paths=(extra,))
    upgraded = Platform(
        config, primary_dsn=platform.primary_dsn, keyring=platform.keyring
    )

    seen = []
    report = migrate_everything(upgraded, jobs=3, progress=lambda *a: seen.append(a))

    mine = {
        o.store_id: o for o in report.stores if o.store_id in {t.id for t in tenants}
    }
    assert not mine[broken.id].ok
    assert "migrated_marker" in mine[broken.id].error
    assert mine[broken.id].before is None
    for tenant in tenants:
        if tenant is not broken:
            assert mine[tenant.id].ok and mine[tenant.id].after == "x9001"
    assert not report.ok
    assert len(seen) == len(report.stores)

    # The failed store stayed on its old revision, in one piece.
    with broken.transaction() as conn:
        version = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    assert version == head

    # Repair it; a second run finishes the job and leaves the others alone.
    with broken.transaction() as conn:
        conn.execute("DROP TABLE migrated_marker")
    second = migrate_everything(upgraded, jobs=3)
    again = {o.store_id: o for o in second.stores}
    assert again[broken.id].ok and again[broken.id].after == "x9001"
    assert all(again[t.id].before == "x9001" for t in tenants if t is not broken)

    # Put the shared template back for the other tests.
    for tenant in tenants:
        with tenant.transaction() as conn:
            conn.execute("DROP TABLE migrated_marker")
            conn.execute("UPDATE alembic_version SET version_num = %s", (head,))
    _reset_template(platform, head)


def _reset_template(platform, head):
    from tenancy import db

    dsn = db.with_database(platform.primary_dsn, platform.config.template_db)
    with db.connect(dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS migrated_marker")
        conn.execute("UPDATE alembic_version SET version_num = %s", (head,))

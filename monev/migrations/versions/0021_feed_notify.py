"""feed_notify: on PostgreSQL every statement writing ``plan`` or ``feed`` notifies
``monev_feeds`` at commit, so the feed front knows without a query that nothing changed
(calendars.changes); nothing on SQLite

Revision ID: 0021
Revises: 0020
"""
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

TABLES = ("plan", "feed")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE OR REPLACE FUNCTION monev_feeds_changed() RETURNS trigger "
               "LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_notify('monev_feeds', TG_TABLE_NAME); "
               "RETURN NULL; END $$")
    for table in TABLES:
        op.execute(f"CREATE TRIGGER {table}_feeds_changed AFTER INSERT OR UPDATE OR DELETE "
                   f"OR TRUNCATE ON {table} FOR EACH STATEMENT "
                   "EXECUTE FUNCTION monev_feeds_changed()")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_feeds_changed ON {table}")
    op.execute("DROP FUNCTION IF EXISTS monev_feeds_changed()")

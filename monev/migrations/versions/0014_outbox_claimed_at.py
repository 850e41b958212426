"""outbox: when a dispatcher claimed a row whose send has not begun yet

A batch of rows is claimed in one statement; each row's send begins by clearing
``claimed_at`` (one small write). A row still carrying ``claimed_at`` after the lease
was never attempted: it goes back to ``pending`` instead of ``uncertain``.

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox') as batch:
        batch.add_column(sa.Column('claimed_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox') as batch:
        batch.drop_column('claimed_at')

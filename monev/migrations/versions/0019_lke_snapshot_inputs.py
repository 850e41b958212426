"""lke_snapshot.inputs and .valid_until: what a snapshot was computed from and until
which day its due/late counts hold, so the daily sweep keeps an unchanged one instead
of recomputing it

Revision ID: 0019
Revises: 0016
"""
import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('lke_snapshot') as batch:
        batch.add_column(sa.Column('inputs', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('valid_until', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('lke_snapshot') as batch:
        batch.drop_column('valid_until')
        batch.drop_column('inputs')

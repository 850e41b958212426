"""lke_snapshot: each plan's LKE standing as the last sweep computed it (the Papan reads
it; the gate reasons it held tell the next sweep which are new)

Revision ID: 0016
Revises: 0015
"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'lke_snapshot',
        sa.Column('plan_id', sa.Integer(), nullable=False),
        sa.Column('version', sa.String(length=20), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('now_total', sa.Float(), nullable=False),
        sa.Column('ahead_total', sa.Float(), nullable=False),
        sa.Column('summary', sa.JSON(), nullable=False),
        sa.Column('short_keys', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['plan_id'], ['plan.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('plan_id'),
    )


def downgrade() -> None:
    op.drop_table('lke_snapshot')

"""lke: the LKE version a plan is judged on, the admin's row ↔ question links, and the
unit's (and the TPI's) answers per LKE question

Revision ID: 0015
Revises: 0014
"""
import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('plan') as batch:
        batch.add_column(sa.Column('lke_version', sa.String(length=20), nullable=True))
    op.create_table(
        'lke_link',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('plan_id', sa.Integer(), nullable=False),
        sa.Column('item_key', sa.String(length=40), nullable=False),
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('actor', sa.String(length=200), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['plan_id'], ['plan.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('plan_id', 'item_key', 'code', name='uq_lke_link'),
    )
    op.create_table(
        'lke_answer',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('satker_id', sa.Integer(), nullable=False),
        sa.Column('version', sa.String(length=20), nullable=False),
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('role', sa.String(length=4), nullable=False),
        sa.Column('answer', sa.String(length=40), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('actor', sa.String(length=200), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['satker_id'], ['satker.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('satker_id', 'version', 'code', 'role', name='uq_lke_answer'),
    )


def downgrade() -> None:
    op.drop_table('lke_answer')
    op.drop_table('lke_link')
    with op.batch_alter_table('plan') as batch:
        batch.drop_column('lke_version')

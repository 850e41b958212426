"""deploy_target, deployed_plan: what `monev deploy` last wrote for which plan

Revision ID: 0013
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'deploy_target',
        sa.Column('target', sa.String(length=40), nullable=False),
        sa.Column('epoch', sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint('target'),
    )
    op.create_table(
        'deployed_plan',
        sa.Column('target', sa.String(length=40), nullable=False),
        sa.Column('plan_id', sa.Integer(), nullable=False),
        sa.Column('inputs', sa.String(length=40), nullable=False),
        sa.Column('specs', sa.String(length=40), nullable=False),
        sa.Column('names', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['target'], ['deploy_target.target'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('target', 'plan_id'),
    )


def downgrade() -> None:
    op.drop_table('deployed_plan')
    op.drop_table('deploy_target')

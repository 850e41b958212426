"""evidence added to or withdrawn from a waiting submission; idempotency keys of
evidence forms

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('transition') as batch:
        batch.add_column(sa.Column('event', sa.String(length=12), server_default='',
                                   nullable=False))
    with op.batch_alter_table('evidence') as batch:
        batch.add_column(sa.Column('withdrawn_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('withdrawn_by', sa.String(length=200), nullable=True))
    op.create_table(
        'submission_key',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('checkpoint_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('submitted_by', sa.String(length=200), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['checkpoint_id'], ['checkpoint.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('checkpoint_id', 'key'),
    )


def downgrade() -> None:
    op.drop_table('submission_key')
    with op.batch_alter_table('evidence') as batch:
        batch.drop_column('withdrawn_by')
        batch.drop_column('withdrawn_at')
    with op.batch_alter_table('transition') as batch:
        batch.drop_column('event')

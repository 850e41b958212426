"""reports and plans that close: outbox attachments, plan status with its audit trail,
the archive of report files

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox') as batch:
        batch.add_column(sa.Column('attachments', sa.JSON(), nullable=True))
    with op.batch_alter_table('plan') as batch:
        batch.add_column(sa.Column('status', sa.String(length=12), server_default='aktif',
                                   nullable=False))
        batch.add_column(sa.Column('status_manual', sa.Boolean(), server_default=sa.false(),
                                   nullable=False))
        batch.add_column(sa.Column('closed_on', sa.Date(), nullable=True))
    op.create_table(
        'plan_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('plan_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('actor', sa.String(length=200), nullable=False),
        sa.Column('from_status', sa.String(length=12), nullable=False),
        sa.Column('to_status', sa.String(length=12), nullable=False),
        sa.Column('note', sa.Text(), nullable=False, server_default=''),
        sa.ForeignKeyConstraint(['plan_id'], ['plan.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_plan_event_plan_id', 'plan_event', ['plan_id'])
    op.create_table(
        'report_file',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('plan_id', sa.Integer(), nullable=False),
        sa.Column('period', sa.String(length=8), nullable=False),
        sa.Column('fmt', sa.String(length=4), nullable=False),
        sa.Column('path', sa.Text(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('as_of', sa.Date(), nullable=False),
        sa.Column('written_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['plan_id'], ['plan.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('plan_id', 'period', 'fmt'),
    )


def downgrade() -> None:
    op.drop_table('report_file')
    op.drop_table('plan_event')
    with op.batch_alter_table('plan') as batch:
        batch.drop_column('closed_on')
        batch.drop_column('status_manual')
        batch.drop_column('status')
    with op.batch_alter_table('outbox') as batch:
        batch.drop_column('attachments')

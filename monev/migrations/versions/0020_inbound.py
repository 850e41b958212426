"""inbound_message, short_code, sent_message: evidence answered where the reminder
arrived (WhatsApp, Telegram, e-mail), each provider message processed once; the short
per-item codes digests show; the provider ids of messages sent, for reply matching

Revision ID: 0020
Revises: 0019
"""
import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'inbound_message',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=12), nullable=False),
        sa.Column('provider', sa.String(length=12), nullable=False),
        sa.Column('provider_id', sa.String(length=200), nullable=False),
        sa.Column('sender', sa.String(length=200), nullable=False),
        sa.Column('received_at', sa.DateTime(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('reply_to', sa.String(length=200), nullable=False),
        sa.Column('media', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=False),
        sa.Column('person', sa.String(length=200), nullable=False),
        sa.Column('checkpoint_id', sa.Integer(), nullable=True),
        sa.Column('evidence_version', sa.Integer(), nullable=True),
        sa.Column('outcome', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['checkpoint_id'], ['checkpoint.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('channel', 'provider_id'),
    )
    op.create_index('ix_inbound_message_status', 'inbound_message', ['status'])
    op.create_table(
        'short_code',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('satker', sa.String(length=200), nullable=False),
        sa.Column('person', sa.String(length=200), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('code', sa.Integer(), nullable=False),
        sa.Column('plan_id', sa.Integer(), nullable=False),
        sa.Column('ref', sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(['plan_id'], ['plan.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('satker', 'person', 'day', 'code'),
        sa.UniqueConstraint('satker', 'person', 'day', 'plan_id', 'ref'),
    )
    op.create_table(
        'sent_message',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=12), nullable=False),
        sa.Column('provider_id', sa.String(length=200), nullable=False),
        sa.Column('outbox_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['outbox_id'], ['outbox.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('channel', 'provider_id'),
    )
    op.create_index('ix_sent_message_outbox_id', 'sent_message', ['outbox_id'])


def downgrade() -> None:
    op.drop_table('sent_message')
    op.drop_table('short_code')
    op.drop_index('ix_inbound_message_status', 'inbound_message')
    op.drop_table('inbound_message')

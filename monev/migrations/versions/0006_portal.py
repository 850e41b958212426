"""portal: personal links, sessions; evidence type, note and version

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('evidence') as batch:
        batch.add_column(sa.Column('mime', sa.String(length=100), server_default='',
                                   nullable=False))
        batch.add_column(sa.Column('note', sa.Text(), server_default='', nullable=False))
        batch.add_column(sa.Column('version', sa.Integer(), server_default='1',
                                   nullable=False))
    op.create_table(
        'portal_link',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('satker', sa.String(length=200), nullable=False),
        sa.Column('person', sa.String(length=200), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('nonce', sa.String(length=32), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('rotated_at', sa.DateTime(), nullable=True),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('satker', 'person'),
        sa.UniqueConstraint('token_hash'),
    )
    op.create_table(
        'portal_session',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('link_id', sa.Integer(), nullable=False),
        sa.Column('nonce', sa.String(length=32), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['link_id'], ['portal_link.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash'),
    )
    op.create_index('ix_portal_session_link_id', 'portal_session', ['link_id'])
    op.create_index('ix_portal_session_expires_at', 'portal_session', ['expires_at'])


def downgrade() -> None:
    op.drop_table('portal_session')
    op.drop_table('portal_link')
    with op.batch_alter_table('evidence') as batch:
        batch.drop_column('version')
        batch.drop_column('note')
        batch.drop_column('mime')

"""sign_in_link and sign_in_request: one-time sign-in links sent on request, and the
requests' rate limit (shared by every worker)

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'sign_in_link',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('link_id', sa.Integer(), nullable=False),
        sa.Column('nonce', sa.String(length=32), nullable=False),
        sa.Column('next', sa.String(length=40), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('used_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['link_id'], ['portal_link.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash'),
    )
    op.create_index('ix_sign_in_link_link_id', 'sign_in_link', ['link_id'])
    op.create_index('ix_sign_in_link_expires_at', 'sign_in_link', ['expires_at'])
    op.create_table(
        'sign_in_request',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('bucket', sa.String(length=64), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_sign_in_request_bucket', 'sign_in_request', ['bucket'])
    op.create_index('ix_sign_in_request_at', 'sign_in_request', ['at'])


def downgrade() -> None:
    op.drop_table('sign_in_request')
    op.drop_table('sign_in_link')

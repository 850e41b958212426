"""checkpoint (item_id, status, due): Tugas saya's groups filter and count in SQL

Revision ID: 0012
Revises: 0011
"""
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_checkpoint_item_status_due', 'checkpoint',
                    ['item_id', 'status', 'due'])


def downgrade() -> None:
    op.drop_index('ix_checkpoint_item_status_due', table_name='checkpoint')

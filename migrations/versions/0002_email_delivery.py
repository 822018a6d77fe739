"""emails: one Message-ID for life, claim leases

Every logged email gets its Message-ID when it is queued (`message_id`, unique; it replaces
`provider_message_id`, which was set only once sent), and `claimed_until`: the lease of the
worker sending it, or how long a queued row's task has to claim it before the sweep does.

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('email_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message_id', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('claimed_until', sa.DateTime(), nullable=True))
    # A sent email keeps the Message-ID it went out with; one not yet sent gets one of its own.
    # Queued rows are due for the sweep at once (nothing says a task still carries them).
    op.execute("UPDATE email_messages SET message_id = COALESCE(provider_message_id, "
               "'<email' || CAST(id AS VARCHAR(20)) || '.migrated@shop.localhost>')")
    op.execute("UPDATE email_messages SET claimed_until = created_at WHERE status = 'queued'")
    with op.batch_alter_table('email_messages', schema=None) as batch_op:
        batch_op.alter_column('message_id', existing_type=sa.String(length=300), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_email_messages_message_id'), ['message_id'])
        batch_op.create_index('ix_email_messages_status_claimed_until', ['status', 'claimed_until'], unique=False)
        batch_op.drop_column('provider_message_id')


def downgrade():
    with op.batch_alter_table('email_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('provider_message_id', sa.String(length=300), nullable=True))
    # `sending` is new: such a row goes back to queued (it may have been sent; the sweep decides).
    op.execute("UPDATE email_messages SET provider_message_id = message_id WHERE status = 'sent'")
    op.execute("UPDATE email_messages SET status = 'queued' WHERE status = 'sending'")
    with op.batch_alter_table('email_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_email_messages_status_claimed_until')
        batch_op.drop_constraint(batch_op.f('uq_email_messages_message_id'), type_='unique')
        batch_op.drop_column('claimed_until')
        batch_op.drop_column('message_id')

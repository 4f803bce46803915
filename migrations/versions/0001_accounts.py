"""accounts, api tokens and shared state

Revision ID: 0001
Revises: 
Create Date: 2026-11-28 11:46:58.815731
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import microcasa.db

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('state_counter',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('expires_at', microcasa.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_state_counter'))
    )
    with op.batch_alter_table('state_counter', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_state_counter_expires_at'), ['expires_at'], unique=False)

    op.create_table('state_entry',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('expires_at', microcasa.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_state_entry'))
    )
    with op.batch_alter_table('state_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_state_entry_expires_at'), ['expires_at'], unique=False)

    op.create_table('user_account',
    sa.Column('display_name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('country', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('session_epoch', sa.Integer(), nullable=False),
    sa.Column('created_at', microcasa.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', microcasa.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("role <> 'coordinator' OR country IS NOT NULL", name=op.f('ck_user_account_coordinator_has_country')),
    sa.CheckConstraint("role IN ('admin', 'researcher', 'coordinator', 'organiser')", name=op.f('ck_user_account_role_known')),
    sa.CheckConstraint('email = lower(email)', name=op.f('ck_user_account_email_lowercase')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_account')),
    sa.UniqueConstraint('email', name=op.f('uq_user_account_email'))
    )
    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('prefix', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', microcasa.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', microcasa.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', microcasa.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_api_token_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash'))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_user_id'))

    op.drop_table('api_token')
    op.drop_table('user_account')
    with op.batch_alter_table('state_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_state_entry_expires_at'))

    op.drop_table('state_entry')
    with op.batch_alter_table('state_counter', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_state_counter_expires_at'))

    op.drop_table('state_counter')

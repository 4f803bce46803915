"""questionnaires and form versions

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 12:07:57.533897
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import microcasa.db

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('questionnaire',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('form_id', sa.String(length=100), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('created_at', microcasa.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaire')),
    sa.UniqueConstraint('form_id', name=op.f('uq_questionnaire_form_id'))
    )
    op.create_table('form_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('questionnaire_id', sa.Integer(), nullable=False),
    sa.Column('version', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('warnings', sa.JSON(), nullable=False),
    sa.Column('source', sa.LargeBinary(), nullable=False),
    sa.Column('source_kind', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('publisher', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('published_at', microcasa.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status_changed_at', microcasa.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('draft', 'open', 'closed')", name=op.f('ck_form_version_status_known')),
    sa.ForeignKeyConstraint(['published_by_id'], ['user_account.id'], name=op.f('fk_form_version_published_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['questionnaire_id'], ['questionnaire.id'], name=op.f('fk_form_version_questionnaire_id_questionnaire')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_form_version')),
    sa.UniqueConstraint('questionnaire_id', 'version', name=op.f('uq_form_version_questionnaire_id_version'))
    )
    with op.batch_alter_table('form_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_form_version_questionnaire_id'), ['questionnaire_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('form_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_form_version_questionnaire_id'))

    op.drop_table('form_version')
    op.drop_table('questionnaire')

"""institutions, invitations, responses and their history

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import microcasa.db

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STRING = sqlmodel.sql.sqltypes.AutoString
UTC = microcasa.db.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table("questionnaire", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("open_link", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("questionnaire", schema=None) as batch_op:
        batch_op.alter_column("open_link", server_default=None)

    op.create_table(
        "institution",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("country", STRING(length=2), nullable=False),
        sa.Column("name", STRING(length=300), nullable=False),
        sa.Column("name_key", STRING(length=300), nullable=False),
        sa.Column("type", STRING(length=50), nullable=False),
        sa.Column("size_band", STRING(length=50), nullable=False),
        sa.Column("source", STRING(length=20), nullable=False),
        sa.Column("reviewed", sa.Boolean(), nullable=False),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["merged_into_id"],
            ["institution.id"],
            name=op.f("fk_institution_merged_into_id_institution"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_institution")),
    )
    with op.batch_alter_table("institution", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_institution_country"), ["country"], unique=False)
        batch_op.create_index(batch_op.f("ix_institution_name_key"), ["name_key"], unique=False)

    op.create_table(
        "invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("questionnaire_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("contact_email", STRING(length=254), nullable=True),
        sa.Column("contact_name", STRING(length=200), nullable=True),
        sa.Column("language", STRING(length=60), nullable=False),
        sa.Column("token_hmac", sa.String(length=64), nullable=False),
        sa.Column("status", STRING(length=10), nullable=False),
        sa.Column("expires_at", UTC(timezone=True), nullable=True),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("first_opened_at", UTC(timezone=True), nullable=True),
        sa.Column("last_opened_at", UTC(timezone=True), nullable=True),
        sa.Column("completed_at", UTC(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('active', 'revoked')", name=op.f("ck_invitation_status_known")
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institution.id"],
            name=op.f("fk_invitation_institution_id_institution"),
        ),
        sa.ForeignKeyConstraint(
            ["questionnaire_id"],
            ["questionnaire.id"],
            name=op.f("fk_invitation_questionnaire_id_questionnaire"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitation")),
        sa.UniqueConstraint("token_hmac", name=op.f("uq_invitation_token_hmac")),
    )
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_invitation_institution_id"), ["institution_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_invitation_questionnaire_id"), ["questionnaire_id"], unique=False
        )

    op.create_table(
        "response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.String(length=64), nullable=False),
        sa.Column("form_version_id", sa.Integer(), nullable=False),
        sa.Column("channel", STRING(length=12), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=True),
        sa.Column("complete_invitation_id", sa.Integer(), nullable=True),
        sa.Column("institution_id", sa.Integer(), nullable=True),
        sa.Column("institution_name", STRING(length=300), nullable=False),
        sa.Column("country", STRING(length=2), nullable=False),
        sa.Column("language", STRING(length=60), nullable=False),
        sa.Column("status", STRING(length=10), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("content_hash", STRING(length=64), nullable=False),
        sa.Column("page", STRING(length=100), nullable=False),
        sa.Column("resume_code_hmac", sa.String(length=64), nullable=True),
        sa.Column("notice_version", STRING(length=80), nullable=False),
        sa.Column("consented_at", UTC(timezone=True), nullable=True),
        sa.Column("submitted_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
        sa.Column("completed_at", UTC(timezone=True), nullable=True),
        sa.CheckConstraint(
            "channel IN ('invitation', 'open_link', 'api')", name=op.f("ck_response_channel_known")
        ),
        sa.CheckConstraint(
            "status IN ('partial', 'complete')", name=op.f("ck_response_status_known")
        ),
        sa.ForeignKeyConstraint(
            ["complete_invitation_id"],
            ["invitation.id"],
            name=op.f("fk_response_complete_invitation_id_invitation"),
        ),
        sa.ForeignKeyConstraint(
            ["form_version_id"],
            ["form_version.id"],
            name=op.f("fk_response_form_version_id_form_version"),
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institution.id"],
            name=op.f("fk_response_institution_id_institution"),
        ),
        sa.ForeignKeyConstraint(
            ["invitation_id"], ["invitation.id"], name=op.f("fk_response_invitation_id_invitation")
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"],
            ["user_account.id"],
            name=op.f("fk_response_submitted_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_response")),
        sa.UniqueConstraint(
            "complete_invitation_id", name=op.f("uq_response_complete_invitation_id")
        ),
        sa.UniqueConstraint("instance_id", name=op.f("uq_response_instance_id")),
        sa.UniqueConstraint("resume_code_hmac", name=op.f("uq_response_resume_code_hmac")),
    )
    with op.batch_alter_table("response", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_response_country"), ["country"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_response_form_version_id"), ["form_version_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_response_institution_id"), ["institution_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_response_invitation_id"), ["invitation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_response_status"), ["status"], unique=False)

    op.create_table(
        "response_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=True),
        sa.Column("invitation_id", sa.Integer(), nullable=True),
        sa.Column("action", STRING(length=30), nullable=False),
        sa.Column("reason", STRING(length=1000), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor", STRING(length=254), nullable=False),
        sa.Column("at", UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["user_account.id"],
            name=op.f("fk_response_event_actor_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_response_event")),
    )
    with op.batch_alter_table("response_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_response_event_invitation_id"), ["invitation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_response_event_response_id"), ["response_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("response_event")
    op.drop_table("response")
    op.drop_table("invitation")
    op.drop_table("institution")
    with op.batch_alter_table("questionnaire", schema=None) as batch_op:
        batch_op.drop_column("open_link")

"""analysis: a columnar copy of each questionnaire's frame, so that loading is quick,
and an index that tells which complete responses changed since a time

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import microcasa.db

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "frame_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("questionnaire_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("id_sum", sa.BigInteger(), nullable=False),
        sa.Column("as_of", microcasa.db.UTCDateTime(), nullable=True),
        sa.Column("built_at", microcasa.db.UTCDateTime(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["questionnaire_id"], ["questionnaire.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("questionnaire_id"),
    )
    op.create_index(
        "ix_response_version_status_updated",
        "response",
        ["form_version_id", "status", "updated_at", "id"],
    )


def downgrade() -> None:
    op.drop_index("ix_response_version_status_updated", table_name="response")
    op.drop_table("frame_snapshot")

"""policy matrix: jurisdictions, cells and their append-only history

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import microcasa.db

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STRING = sqlmodel.sql.sqltypes.AutoString
UTC = microcasa.db.UTCDateTime
STATUS_CHECK = (
    "status IN ('none', 'under_discussion', 'draft', 'adopted', 'implemented', "
    "'not_applicable', 'unknown')"
)
REFUSAL = "policy_change is append-only: history is never edited or deleted"

# History is refused to UPDATE and DELETE by the database itself, not only by the code.
POSTGRES_TRIGGERS = (
    f"""
    CREATE FUNCTION policy_change_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION '{REFUSAL}' USING ERRCODE = 'insufficient_privilege';
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER policy_change_no_update_or_delete
    BEFORE UPDATE OR DELETE ON policy_change
    FOR EACH ROW EXECUTE FUNCTION policy_change_append_only()
    """,
    """
    CREATE TRIGGER policy_change_no_truncate
    BEFORE TRUNCATE ON policy_change
    FOR EACH STATEMENT EXECUTE FUNCTION policy_change_append_only()
    """,
)
SQLITE_TRIGGERS = (
    f"""
    CREATE TRIGGER policy_change_no_update BEFORE UPDATE ON policy_change
    BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END
    """,
    f"""
    CREATE TRIGGER policy_change_no_delete BEFORE DELETE ON policy_change
    BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END
    """,
)


def upgrade() -> None:
    op.create_table(
        "policy_jurisdiction",
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("name", STRING(length=200), nullable=False),
        sa.Column("kind", STRING(length=10), nullable=False),
        sa.Column("region", STRING(length=40), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('country', 'reference')", name=op.f("ck_policy_jurisdiction_kind_known")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_policy_jurisdiction")),
    )
    op.create_table(
        "policy_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("jurisdiction", STRING(length=8), nullable=False),
        sa.Column("dimension", STRING(length=8), nullable=False),
        sa.Column("status", STRING(length=20), nullable=False),
        sa.Column("value", sa.JSON(), nullable=True),
        sa.Column("as_of", sa.Date(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
        sa.Column("updated_by", STRING(length=254), nullable=False),
        sa.CheckConstraint(STATUS_CHECK, name=op.f("ck_policy_entry_status_known")),
        sa.ForeignKeyConstraint(
            ["jurisdiction"],
            ["policy_jurisdiction.code"],
            name=op.f("fk_policy_entry_jurisdiction_policy_jurisdiction"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_entry")),
        sa.UniqueConstraint(
            "jurisdiction", "dimension", name=op.f("uq_policy_entry_jurisdiction_dimension")
        ),
    )
    with op.batch_alter_table("policy_entry", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_policy_entry_jurisdiction"), ["jurisdiction"], unique=False
        )
    op.create_table(
        "policy_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("jurisdiction", STRING(length=8), nullable=False),
        sa.Column("dimension", STRING(length=8), nullable=False),
        sa.Column("changed_at", UTC(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor", STRING(length=254), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("source", STRING(length=10), nullable=False),
        sa.Column("change_set", STRING(length=36), nullable=False),
        sa.Column("old", sa.JSON(), nullable=True),
        sa.Column("new", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["jurisdiction"],
            ["policy_jurisdiction.code"],
            name=op.f("fk_policy_change_jurisdiction_policy_jurisdiction"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_change")),
    )
    with op.batch_alter_table("policy_change", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_policy_change_change_set"), ["change_set"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_policy_change_changed_at"), ["changed_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_policy_change_dimension"), ["dimension"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_policy_change_jurisdiction"), ["jurisdiction"], unique=False
        )
    triggers = POSTGRES_TRIGGERS if op.get_bind().dialect.name == "postgresql" else SQLITE_TRIGGERS
    for statement in triggers:
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("policy_change")  # its triggers go with it
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION policy_change_append_only()")
    op.drop_table("policy_entry")
    op.drop_table("policy_jurisdiction")

"""responses: an erased response's id is never given to a later one (SQLite)

SQLite hands out the highest id + 1, so erasing the newest response would give
its id to the next respondent: the erased respondent's browser, old pseudonyms
in downloaded files and the erasure's history row would all point at someone
else. AUTOINCREMENT stops that; PostgreSQL's sequences never reuse an id.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _rebuild(autoincrement: bool) -> None:
    with op.batch_alter_table(
        "response", recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
    ):
        pass


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    _rebuild(True)
    # Ids erased before this revision are not handed out either.
    highest = bind.execute(
        sa.text(
            "SELECT max(id) FROM (SELECT max(id) AS id FROM response "
            "UNION ALL SELECT max(response_id) FROM response_event)"
        )
    ).scalar()
    if highest:
        bind.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = 'response'"))
        bind.execute(
            sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES ('response', :seq)"),
            {"seq": highest},
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild(False)

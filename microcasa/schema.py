"""The whole schema: every area's tables, and the migration commands on it."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData
from sqlmodel import SQLModel

import migrations
from microcasa.db import Database


def target_metadata() -> MetaData:
    """SQLModel's metadata once every area's models are imported."""
    import analysis.models  # noqa: F401
    import policy_matrix.models  # noqa: F401
    import survey.models  # noqa: F401

    return SQLModel.metadata


def alembic_config(database: Database | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    config.set_main_option("path_separator", "os")
    config.attributes["database"] = database
    return config


def _run(database: Database, action: str, revision: str) -> None:
    config = alembic_config(database)
    with database.engine.connect() as connection:
        config.attributes["connection"] = connection
        getattr(command, action)(config, revision)
        connection.commit()


def upgrade(database: Database, revision: str = "head") -> None:
    _run(database, "upgrade", revision)


def downgrade(database: Database, revision: str = "-1") -> None:
    _run(database, "downgrade", revision)


def current_revision(database: Database) -> str | None:
    with database.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def drift(database: Database) -> list[object]:
    """Differences between the models and the migrated database (empty when none)."""
    with database.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(context, target_metadata()))

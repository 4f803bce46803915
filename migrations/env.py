"""Alembic environment: the URL comes from settings, the models from every area."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from microcasa.schema import target_metadata

config = context.config


def _configure(connection: Connection | None, url: str | None = None) -> None:
    context.configure(
        connection=connection,
        url=url,
        target_metadata=target_metadata(),
        render_as_batch=True,
        compare_type=True,
        compare_server_default=True,
        literal_binds=connection is None,
    )


def run_migrations_offline() -> None:
    from microcasa.settings import load_settings

    _configure(None, url=load_settings().database_url)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        from microcasa.db import Database
        from microcasa.settings import load_settings

        database = Database(load_settings())
        try:
            with database.engine.connect() as connection:
                _configure(connection)
                with context.begin_transaction():
                    context.run_migrations()
                connection.commit()
        finally:
            database.dispose()
        return
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

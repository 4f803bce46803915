from __future__ import annotations

from sqlalchemy import inspect

from microcasa import schema
from microcasa.db import Database
from microcasa.settings import Settings


def _tables(database: Database) -> set[str]:
    return set(inspect(database.engine).get_table_names()) - {"alembic_version"}


def test_upgrade_downgrade_upgrade_round_trip(settings: Settings) -> None:
    database = Database(settings)
    try:
        schema.upgrade(database)
        assert schema.current_revision(database) == schema.head_revision()
        tables = _tables(database)
        assert {"user_account", "api_token", "state_entry", "state_counter"} <= tables
        assert {"questionnaire", "form_version"} <= tables

        schema.downgrade(database, "base")
        assert schema.current_revision(database) is None
        assert _tables(database) == set()

        schema.upgrade(database)
        assert _tables(database) == tables
        assert schema.drift(database) == []
    finally:
        database.dispose()


def test_models_and_migrations_do_not_drift(database: Database) -> None:
    assert schema.drift(database) == []


def test_constraints_carry_convention_names(database: Database) -> None:
    inspector = inspect(database.engine)
    uniques = {u["name"] for u in inspector.get_unique_constraints("user_account")}
    assert "uq_user_account_email" in uniques
    foreign = {f["name"] for f in inspector.get_foreign_keys("api_token")}
    assert "fk_api_token_user_id_user_account" in foreign
    checks = {c["name"] for c in inspector.get_check_constraints("user_account")}
    assert {"ck_user_account_role_known", "ck_user_account_email_lowercase"} <= checks

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from microcasa.settings import Environment, SettingsError, load_settings


def test_defaults_need_nothing_set(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("MICROCASA_DATABASE_URL", "MICROCASA_ENV", "MICROCASA_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.env is Environment.DEVELOPMENT
    assert settings.database_url == "sqlite:///microcasa.db"
    assert settings.secure_cookies is False


def test_secret_is_generated_once_beside_the_database(tmp_path: Path) -> None:
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'data' / 'study.db'}")
    (tmp_path / "data").mkdir()
    first = settings.resolved_secret_key()
    second = settings.resolved_secret_key()
    secret_file = tmp_path / "data" / "microcasa.secret"
    assert first == second
    assert len(first) >= 32
    assert secret_file.read_text().strip() == first
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600


def test_production_refuses_to_start_without_a_secret() -> None:
    with pytest.raises(SettingsError) as error:
        load_settings(env="production", secret_key=None)
    message = str(error.value)
    assert "MICROCASA_SECRET_KEY must be set in production" in message
    assert "\n" not in message


def test_production_refuses_a_short_secret() -> None:
    with pytest.raises(SettingsError, match="at least 32 characters"):
        load_settings(env="production", secret_key="short")


def test_production_turns_secure_cookies_on() -> None:
    settings = load_settings(env="production", secret_key="s" * 40)
    assert settings.secure_cookies is True
    assert (
        load_settings(env="production", secret_key="s" * 40, cookie_secure=False).secure_cookies
        is False
    )


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("MICROCASA_DATABASE_URL", "mysql://localhost/x", "MICROCASA_DATABASE_URL: use sqlite"),
        ("MICROCASA_DATABASE_URL", "not a url", "is not a database URL"),
        ("MICROCASA_DATABASE_URL", "postgresql+asyncpg://h/db", "psycopg driver"),
        (
            "MICROCASA_SESSION_IDLE_MINUTES",
            "soon",
            "MICROCASA_SESSION_IDLE_MINUTES: Input should be a valid integer",
        ),
        (
            "MICROCASA_ENV",
            "staging",
            "MICROCASA_ENV: Input should be 'development', 'production' or 'test'",
        ),
        ("MICROCASA_BASE_URL", "example.org", "MICROCASA_BASE_URL: must start with http"),
        ("MICROCASA_LOG_LEVEL", "loud", "MICROCASA_LOG_LEVEL: must be one of"),
    ],
)
def test_wrong_settings_give_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert expected in str(error.value)
    assert "\n" not in str(error.value)


def test_plain_postgresql_url_uses_psycopg() -> None:
    settings = load_settings(database_url="postgresql://study@db.example.org/microcasa")
    assert settings.database_url == "postgresql+psycopg://study@db.example.org/microcasa"

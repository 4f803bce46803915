"""Platform settings: environment variables with the prefix ``MICROCASA_``.

One validated :class:`Settings` object is built at start-up and passed to
everything that needs it (``create_app(settings)``, ``Database(settings)``);
nothing reads the environment behind its back.
"""

from __future__ import annotations

import os
import secrets
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_DATABASE_URL = "sqlite:///microcasa.db"
SECRET_FILE_NAME = "microcasa.secret"  # noqa: S105 - a file name, not a secret
MIN_SECRET_LENGTH = 32


class SettingsError(Exception):
    """A setting is missing or wrong; the message is one line for the operator."""


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"
    TEST = "test"


class Settings(BaseSettings):
    """Every setting of the platform. Documented in README.md (a test checks)."""

    model_config = SettingsConfigDict(env_prefix="MICROCASA_", extra="ignore", frozen=True)

    env: Environment = Environment.DEVELOPMENT
    database_url: str = DEFAULT_DATABASE_URL
    secret_key: str | None = None
    secret_key_file: Path | None = None
    base_url: str = "http://127.0.0.1:8000"
    cookie_secure: bool | None = None
    redis_url: str | None = None
    session_idle_minutes: Annotated[int, Field(ge=1, le=24 * 60)] = 60
    session_max_hours: Annotated[int, Field(ge=1, le=24 * 30)] = 12
    login_attempts_per_account: Annotated[int, Field(ge=1)] = 5
    login_attempts_per_client: Annotated[int, Field(ge=1)] = 20
    login_window_minutes: Annotated[int, Field(ge=1)] = 15
    upload_max_bytes: Annotated[int, Field(ge=1024)] = 10 * 1024 * 1024
    db_pool_size: Annotated[int, Field(ge=1, le=200)] = 10
    db_busy_timeout_ms: Annotated[int, Field(ge=0)] = 15_000
    forwarded_allow_ips: str | None = None
    log_level: str = "info"
    export_dir: Path | None = None

    @property
    def export_folder(self) -> Path:
        """Where large exports are written before download (shared by the workers of one
        machine): the setting, else a folder beside the SQLite file, else the temp folder."""
        if self.export_dir is not None:
            return self.export_dir
        db_path = self.sqlite_path
        if db_path is not None:
            return db_path.resolve().parent / "microcasa-exports"
        import tempfile

        return Path(tempfile.gettempdir()) / "microcasa-exports"

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError(f"{value!r} is not a database URL") from None
        if url.get_backend_name() not in {"sqlite", "postgresql"}:
            raise ValueError(
                "use sqlite:///FILE or postgresql+psycopg://USER@HOST/DB "
                f"(got {url.get_backend_name()!r})"
            )
        if url.get_backend_name() == "postgresql":
            if url.drivername == "postgresql":
                # A plain postgresql:// URL means the driver the platform ships.
                return url.set(drivername="postgresql+psycopg").render_as_string(
                    hide_password=False
                )
            if url.get_driver_name() != "psycopg":
                raise ValueError(
                    "PostgreSQL URLs must use the psycopg driver: postgresql+psycopg://…"
                )
        return value

    @field_validator("base_url")
    @classmethod
    def _http_base(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        levels = {"critical", "error", "warning", "info", "debug"}
        if value.lower() not in levels:
            raise ValueError(f"must be one of {', '.join(sorted(levels))}")
        return value.lower()

    @model_validator(mode="after")
    def _production_needs_secret(self) -> Settings:
        if self.env is Environment.PRODUCTION:
            if not self.secret_key:
                raise ValueError(
                    "MICROCASA_SECRET_KEY must be set in production "
                    "(for example: python -c 'import secrets; print(secrets.token_urlsafe(48))')"
                )
            if len(self.secret_key) < MIN_SECRET_LENGTH:
                raise ValueError(
                    f"MICROCASA_SECRET_KEY must be at least {MIN_SECRET_LENGTH} characters"
                )
        return self

    @property
    def is_sqlite(self) -> bool:
        return make_url(self.database_url).get_backend_name() == "sqlite"

    @property
    def secure_cookies(self) -> bool:
        """Secure cookies unless told otherwise; production defaults to on."""
        if self.cookie_secure is not None:
            return self.cookie_secure
        return self.env is Environment.PRODUCTION

    @property
    def sqlite_path(self) -> Path | None:
        if not self.is_sqlite:
            return None
        database = make_url(self.database_url).database
        if not database or database == ":memory:":
            return None
        return Path(database)

    def resolved_secret_key(self) -> str:
        """The secret key: from the environment, else from a 0600 file created once."""
        if self.secret_key:
            return self.secret_key
        path = self.secret_key_file or self._default_secret_path()
        return _read_or_create_secret(path)

    def _default_secret_path(self) -> Path:
        db_path = self.sqlite_path
        folder = db_path.resolve().parent if db_path else Path.cwd()
        return folder / SECRET_FILE_NAME

    def redacted_database_url(self) -> str:
        return make_url(self.database_url).render_as_string(hide_password=True)


def _read_or_create_secret(path: Path) -> str:
    try:
        existing = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        existing = ""
    except OSError as exc:
        raise SettingsError(f"cannot read the secret key file {path}: {exc.strerror}") from None
    if existing:
        return existing
    secret = secrets.token_urlsafe(48)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        # Another worker created it between our read and our write: use theirs.
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise SettingsError(f"cannot create the secret key file {path}: {exc.strerror}") from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secret + "\n")
    return secret


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment (and explicit overrides), or raise SettingsError."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        name = f"MICROCASA_{field.upper()}: " if field else ""
        problems.append(f"{name}{message}")
    return "; ".join(problems)

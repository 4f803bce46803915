"""The accounts service, called directly (no HTTP)."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from microcasa.auth import service
from microcasa.auth.errors import AccountError, AuthError, Conflict, RateLimited
from microcasa.auth.models import User
from microcasa.db import Database
from microcasa.settings import Settings
from microcasa.state import DatabaseState
from tests.conftest import PASSWORD, add_user, make_settings


def test_email_is_stored_lowercase_and_unique_case_insensitively(database: Database) -> None:
    user = add_user(database, "  Ana.Reyes@UP.edu.PH ")
    assert user.email == "ana.reyes@up.edu.ph"
    with pytest.raises(Conflict) as error:
        add_user(database, "ANA.REYES@up.edu.ph")
    assert error.value.field == "email"
    assert "exists already" in error.value.message


def test_database_refuses_mixed_case_email(database: Database) -> None:
    with pytest.raises(IntegrityError), database.transaction() as session:
        session.add(User(email="Mixed@Case.org", display_name="x", role="admin", password_hash="h"))


@pytest.mark.parametrize(
    ("fields", "error", "field"),
    [
        ({"email": "no-at-sign"}, AuthError.EMAIL_INVALID, "email"),
        ({"role": "dean"}, AuthError.ROLE_UNKNOWN, "role"),
        ({"role": "coordinator"}, AuthError.COUNTRY_REQUIRED, "country"),
        ({"role": "coordinator", "country": "XX"}, AuthError.COUNTRY_INVALID, "country"),
        ({"role": "coordinator", "country": "MYS"}, AuthError.COUNTRY_INVALID, "country"),
        (
            {"role": "researcher", "country": "MY"},
            AuthError.COUNTRY_ONLY_FOR_COORDINATORS,
            "country",
        ),
        ({"password": "password1234"}, AuthError.PASSWORD_COMMON, "password"),
    ],
)
def test_create_user_refuses_bad_fields_and_stores_nothing(
    database: Database, fields: dict[str, str], error: AuthError, field: str
) -> None:
    values = {"email": "new@uni.example", "password": PASSWORD, "role": "researcher", **fields}
    with pytest.raises(AccountError) as raised, database.transaction() as session:
        service.create_user(session, **values)
    assert raised.value.error is error
    assert raised.value.field == field
    with database.session() as session:
        assert service.list_users(session) == []


def test_coordinator_country_is_normalised(database: Database) -> None:
    user = add_user(database, "koordinator@uni.example", role="coordinator", country=" de ")
    assert user.country == "DE"


def test_last_active_admin_cannot_be_deactivated(database: Database) -> None:
    admin = add_user(database, "admin@uni.example", role="admin")
    with pytest.raises(Conflict, match="last active admin"), database.transaction() as session:
        service.set_active(session, session.get(User, admin.id), False)  # type: ignore[arg-type]
    add_user(database, "admin2@uni.example", role="admin")
    with database.transaction() as session:
        user = session.get(User, admin.id)
        assert user is not None
        service.set_active(session, user, False)
        assert user.session_epoch == 1


def _authenticate(
    database: Database, settings: Settings, email: str, password: str, client: str = "10.0.0.1"
) -> User:
    return service.authenticate(
        database, DatabaseState(database), settings, email=email, password=password, client=client
    )


def test_authenticate_records_the_sign_in(database: Database, settings: Settings) -> None:
    add_user(database, "ana@uni.example")
    user = _authenticate(database, settings, "ANA@uni.example", PASSWORD)
    assert user.last_login_at is not None


def test_unknown_email_and_wrong_password_fail_alike(
    database: Database, settings: Settings
) -> None:
    add_user(database, "ana@uni.example")
    with pytest.raises(AccountError) as wrong:
        _authenticate(database, settings, "ana@uni.example", "not the password")
    with pytest.raises(AccountError) as unknown:
        _authenticate(database, settings, "nobody@uni.example", "not the password")
    assert wrong.value.message == unknown.value.message == AuthError.LOGIN_FAILED.value
    assert type(wrong.value) is type(unknown.value)


def test_inactive_account_cannot_sign_in(database: Database, settings: Settings) -> None:
    add_user(database, "admin@uni.example", role="admin")
    user = add_user(database, "gone@uni.example")
    with database.transaction() as session:
        service.set_active(session, session.get(User, user.id), False)  # type: ignore[arg-type]
    with pytest.raises(AccountError, match="not right"):
        _authenticate(database, settings, "gone@uni.example", PASSWORD)


def test_rate_limit_per_account_then_per_client(database_url: str, database: Database) -> None:
    settings = make_settings(
        database_url, login_attempts_per_account=3, login_attempts_per_client=4
    )
    add_user(database, "ana@uni.example")
    for _ in range(3):
        with pytest.raises(AccountError):
            _authenticate(database, settings, "ana@uni.example", "wrong password!")
    with pytest.raises(RateLimited) as limited:
        _authenticate(database, settings, "ana@uni.example", PASSWORD)
    assert limited.value.retry_after > 0
    # Another account from the same client still has attempts left, until the client limit.
    with pytest.raises(AccountError) as other:
        _authenticate(database, settings, "someone@uni.example", "x" * 12)
    assert not isinstance(other.value, RateLimited)
    with pytest.raises(RateLimited):
        _authenticate(database, settings, "third@uni.example", "x" * 12)
    # A different client, for another account, is not held back by this client's count.
    add_user(database, "ben@uni.example")
    assert _authenticate(database, settings, "ben@uni.example", PASSWORD, client="10.0.0.2")

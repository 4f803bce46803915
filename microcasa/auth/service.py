"""Accounts: create, find, sign in, deactivate, reset passwords.

Plain functions that take a SQLModel session; the web handlers and the CLI call
these, and so do the tests, without HTTP.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pycountry
from sqlalchemy import func
from sqlmodel import Session, col, select

from microcasa.auth.errors import AccountError, AuthError, Conflict, NotFound, RateLimited
from microcasa.auth.models import User
from microcasa.auth.passwords import (
    check_password_rules,
    hash_password,
    needs_rehash,
    verify_password,
)
from microcasa.auth.roles import Role
from microcasa.db import Database, utcnow
from microcasa.settings import Settings
from microcasa.state import SharedState

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class Identity:
    """Who is making a request: enough to check roles and country scope."""

    id: int
    email: str
    display_name: str
    role: Role
    country: str | None
    via: str  # "session" or "token"

    @classmethod
    def of(cls, user: User, via: str) -> Identity:
        assert user.id is not None
        return cls(user.id, user.email, user.display_name, Role(user.role), user.country, via)


def normalise_email(email: str) -> str:
    cleaned = email.strip().lower()
    if len(cleaned) > 254 or not _EMAIL.match(cleaned):
        raise AccountError(AuthError.EMAIL_INVALID, field="email", email=email.strip()[:80])
    return cleaned


def parse_role(role: str) -> Role:
    try:
        return Role(role.strip().lower())
    except ValueError:
        raise AccountError(AuthError.ROLE_UNKNOWN, field="role", role=role[:40]) from None


def parse_country(role: Role, country: str | None) -> str | None:
    code = (country or "").strip().upper() or None
    if role is not Role.COORDINATOR:
        if code:
            raise AccountError(AuthError.COUNTRY_ONLY_FOR_COORDINATORS, field="country")
        return None
    if code is None:
        raise AccountError(AuthError.COUNTRY_REQUIRED, field="country")
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise AccountError(AuthError.COUNTRY_INVALID, field="country", country=code[:10])
    return code


def _display_name(name: str, email: str) -> str:
    cleaned = " ".join(name.split()) or email.split("@", 1)[0]
    if not 1 <= len(cleaned) <= 120:
        raise AccountError(AuthError.DISPLAY_NAME_INVALID, field="display_name")
    if _CONTROL.search(cleaned):  # a NUL cannot even be stored by PostgreSQL
        raise AccountError(AuthError.DISPLAY_NAME_CONTROL, field="display_name")
    return cleaned


def find_user(session: Session, email: str) -> User | None:
    if "\x00" in email:  # no account has one, and PostgreSQL cannot even compare it
        return None
    return session.exec(select(User).where(User.email == email.strip().lower())).first()


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(AuthError.USER_NOT_FOUND)
    return user


def list_users(session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(col(User.email))))


def create_user(
    session: Session,
    *,
    email: str,
    password: str,
    role: str,
    country: str | None = None,
    display_name: str = "",
) -> User:
    """Create an account (flushed, not committed) or raise AccountError naming the field."""
    address = normalise_email(email)
    parsed_role = parse_role(role)
    code = parse_country(parsed_role, country)
    check_password_rules(password, address)
    if find_user(session, address) is not None:
        raise Conflict(AuthError.EMAIL_TAKEN, field="email", email=address)
    user = User(
        email=address,
        display_name=_display_name(display_name, address),
        role=parsed_role.value,
        country=code,
        password_hash=hash_password(password),
    )
    session.add(user)
    session.flush()
    return user


def set_password(user: User, password: str) -> None:
    """Replace the password and end every session of the account."""
    check_password_rules(password, user.email)
    user.password_hash = hash_password(password)
    user.session_epoch += 1


def change_own_password(user: User, current: str, new: str) -> None:
    if not verify_password(user.password_hash, current):
        raise AccountError(AuthError.CURRENT_PASSWORD_WRONG, field="current_password")
    set_password(user, new)


def _active_admins(session: Session) -> int:
    statement = select(func.count()).where(User.role == Role.ADMIN.value, col(User.is_active))
    return int(session.exec(statement).one())


def set_active(session: Session, user: User, active: bool) -> None:
    """Deactivate (ending its sessions and tokens' use) or reactivate an account."""
    if user.is_active == active:
        return
    if not active and user.role == Role.ADMIN.value and _active_admins(session) <= 1:
        raise Conflict(AuthError.LAST_ADMIN)
    user.is_active = active
    user.session_epoch += 1
    session.add(user)
    session.flush()


def _limit_keys(email: str, client: str) -> tuple[str, str]:
    account = email.strip().lower().replace("\x00", "\ufffd")  # PostgreSQL refuses NUL
    return f"login:account:{account}", f"login:client:{client}"


def authenticate(
    database: Database,
    state: SharedState,
    settings: Settings,
    *,
    email: str,
    password: str,
    client: str,
) -> User:
    """Check a sign-in attempt against the rate limits and the password; commit the sign-in.

    Unknown email, inactive account and wrong password give the same error and
    cost the same Argon2 verification.
    """
    window = timedelta(minutes=settings.login_window_minutes)
    account_key, client_key = _limit_keys(email, client)
    # Every attempt counts before the password is looked at, so that parallel
    # guesses cannot slip past the limit; a success clears the account's count.
    for key, limit in (
        (account_key, settings.login_attempts_per_account),
        (client_key, settings.login_attempts_per_client),
    ):
        hit = state.hit(key, window)
        if hit.count > limit:
            raise RateLimited(hit.retry_after)
    with database.transaction() as session:
        user = find_user(session, email)
        ok = verify_password(user.password_hash if user else None, password)
        if not ok or user is None or not user.is_active:
            raise AccountError(AuthError.LOGIN_FAILED, field="email")
        if needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        user.last_login_at = utcnow()
    state.reset(account_key)
    return user

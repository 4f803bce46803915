"""Every message the accounts area shows to a person, in one place."""

from __future__ import annotations

from enum import Enum
from typing import Any


class AuthError(Enum):
    LOGIN_FAILED = "The email address or password is not right."
    LOGIN_RATE_LIMITED = "Too many sign-in attempts. Try again in {minutes} minute(s)."
    PASSWORD_TOO_SHORT = "The password must have at least {minimum} characters."
    PASSWORD_TOO_LONG = "The password may have at most {maximum} characters."
    PASSWORD_COMMON = (
        "This password is too common to be safe. A phrase of several unrelated words works well."
    )
    PASSWORD_IS_EMAIL = "The password must not be your email address."
    PASSWORDS_DIFFER = "The two passwords are not the same."
    CURRENT_PASSWORD_WRONG = "The current password is not right."
    EMAIL_INVALID = "“{email}” is not an email address."
    EMAIL_TAKEN = "An account with the email address {email} exists already."
    ROLE_UNKNOWN = "“{role}” is not a role. Roles: admin, researcher, coordinator, organiser."
    COUNTRY_REQUIRED = "A country coordinator needs a country (a two-letter code such as MY or DE)."
    COUNTRY_INVALID = "“{country}” is not a two-letter ISO 3166-1 country code."
    COUNTRY_ONLY_FOR_COORDINATORS = "Only country coordinators have a country."
    DISPLAY_NAME_INVALID = "The display name must have between 1 and 120 characters."
    DISPLAY_NAME_CONTROL = "The display name cannot hold control characters."
    USER_NOT_FOUND = "There is no account with that email address."
    LAST_ADMIN = "This is the last active admin account; create another admin first."
    TOKEN_NAME_INVALID = "Give the token a name of 1 to 120 characters (what the script does)."
    TOKEN_NOT_FOUND = "There is no such API token."
    TOKEN_INVALID = "The API token is not valid (unknown, revoked, or its account is inactive)."
    NOT_SIGNED_IN = "Sign in to see this page."
    NOT_ALLOWED = "Your role does not allow this."
    OTHER_COUNTRY = "Country coordinators can only work on their own country ({country})."

    def format(self, **values: Any) -> str:
        return self.value.format(**values)


class AccountError(Exception):
    """A request about accounts that cannot be carried out; ``field`` names the form field."""

    def __init__(self, error: AuthError, field: str | None = None, **values: Any) -> None:
        self.error = error
        self.field = field
        self.message = error.format(**values)
        super().__init__(self.message)


class PasswordRejected(AccountError):
    def __init__(self, error: AuthError, **values: Any) -> None:
        super().__init__(error, field="password", **values)


class RateLimited(AccountError):
    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(AuthError.LOGIN_RATE_LIMITED, minutes=max(1, -(-retry_after // 60)))


class NotFound(AccountError):
    pass


class Conflict(AccountError):
    pass

"""Password hashing (Argon2id) and the password rules of SECURITY.md.

Rules: at least 12 characters, at most 128, not a common password (the 30,000
most common ones, also with digits or symbols added before or after), not one
repeated character. No composition rules.
"""

from __future__ import annotations

import re
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from microcasa.auth.errors import AuthError, PasswordRejected

MIN_LENGTH = 12
MAX_LENGTH = 128

_hasher = PasswordHasher()  # argon2-cffi's defaults are Argon2id, RFC 9106 low-memory profile
# Verified against when the account does not exist, so that an unknown email
# costs the same time as a wrong password.
_DUMMY_HASH = _hasher.hash("microcasa-no-such-account")
_AFFIXES = re.compile(r"^[\d\W_]*(.*?)[\d\W_]*$")


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def check_password_rules(password: str, email: str | None = None) -> None:
    """Raise PasswordRejected (with a message for the person) if the password breaks a rule."""
    if len(password) < MIN_LENGTH:
        raise PasswordRejected(AuthError.PASSWORD_TOO_SHORT, minimum=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        raise PasswordRejected(AuthError.PASSWORD_TOO_LONG, maximum=MAX_LENGTH)
    lowered = password.lower()
    if len(set(lowered)) <= 2:
        raise PasswordRejected(AuthError.PASSWORD_COMMON)
    common = _common_passwords()
    stem = _AFFIXES.sub(r"\1", lowered)
    if lowered in common or stem in common or (stem and stem * 2 in common):
        raise PasswordRejected(AuthError.PASSWORD_COMMON)
    if email:
        local = email.lower().split("@", 1)[0]
        if len(local) >= 4 and (lowered == email.lower() or stem == local):
            raise PasswordRejected(AuthError.PASSWORD_IS_EMAIL)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches; always spends one Argon2 verification."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)

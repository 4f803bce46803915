from __future__ import annotations

import pytest

from microcasa.auth.errors import AuthError, PasswordRejected
from microcasa.auth.passwords import check_password_rules, hash_password, verify_password


def test_hash_is_argon2id_and_verifies() -> None:
    hashed = hash_password("a long enough passphrase")
    assert hashed.startswith("$argon2id$")
    assert "a long enough passphrase" not in hashed
    assert verify_password(hashed, "a long enough passphrase")
    assert not verify_password(hashed, "a long enough passphrasE")


def test_verify_without_an_account_is_false() -> None:
    assert not verify_password(None, "microcasa-no-such-account")
    assert not verify_password("not a hash", "whatever")


@pytest.mark.parametrize(
    ("password", "error"),
    [
        ("short", AuthError.PASSWORD_TOO_SHORT),
        ("elevenchars", AuthError.PASSWORD_TOO_SHORT),
        ("x" * 129, AuthError.PASSWORD_TOO_LONG),
        ("password1234", AuthError.PASSWORD_COMMON),
        ("qwerty123456", AuthError.PASSWORD_COMMON),
        ("Password!!!!2024", AuthError.PASSWORD_COMMON),
        ("1qaz2wsx3edc", AuthError.PASSWORD_COMMON),
        ("aaaaaaaaaaaaaaaa", AuthError.PASSWORD_COMMON),
        ("abababababababab", AuthError.PASSWORD_COMMON),
        ("maria.santos@univ.edu.ph", AuthError.PASSWORD_IS_EMAIL),
        ("maria.santos2026", AuthError.PASSWORD_IS_EMAIL),
    ],
)
def test_rules_reject(password: str, error: AuthError) -> None:
    with pytest.raises(PasswordRejected) as raised:
        check_password_rules(password, "maria.santos@univ.edu.ph")
    assert raised.value.error is error
    assert raised.value.field == "password"


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery staple",
        "Kuala Lumpur in June",
        "x" * 60 + "yzw",
        "ñandú-pingüino-2026",
        "12-char-okay",
        ("micro credentials across six countries " * 4)[:128],
    ],
)
def test_rules_accept_without_composition_rules(password: str) -> None:
    check_password_rules(password, "maria.santos@univ.edu.ph")

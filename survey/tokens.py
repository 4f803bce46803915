"""Secrets handed to respondents: invitation tokens and resume codes, kept only as HMACs."""

from __future__ import annotations

import hashlib
import hmac
import secrets

# 24 random bytes: 192 bits, comfortably past the 128 the study requires.
TOKEN_BYTES = 24
# Resume codes are typed by people: 12 characters from an alphabet without look-alikes.
RESUME_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
RESUME_LENGTH = 12  # 32**12 = 2**60 combinations, and guesses are rate-limited


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def new_resume_code() -> str:
    raw = "".join(secrets.choice(RESUME_ALPHABET) for _ in range(RESUME_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, RESUME_LENGTH, 4))


def normalise_resume_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch in RESUME_ALPHABET)


def digest(secret_key: str, purpose: str, value: str) -> str:
    """HMAC-SHA256 of a token under a key derived for one purpose."""
    key = hashlib.sha256(f"{purpose}:{secret_key}".encode()).digest()
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()

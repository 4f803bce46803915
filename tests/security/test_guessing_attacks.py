"""Token guessing and password spraying (SECURITY.md "auth" and "tokens" rows).

Guessed invitation tokens: 10,000 tries find nothing, the client is held at 429 after its
limit, and a right token then waits as well. Spraying one password over many accounts
from one client: the same answer for known and unknown accounts, 429 after the client's
limit even for a right password.
"""

from __future__ import annotations

import secrets

from litestar import Litestar
from litestar.testing import TestClient

from microcasa.app import create_app
from microcasa.db import Database
from microcasa.settings import Settings
from survey import invitations
from tests.conftest import PASSWORD, add_user, login, make_settings
from tests.security.support import tally
from tests.survey.respondents import invite

Client = TestClient[Litestar]
GUESSES = 10_000
TOKENS = tally("token guessing and password spraying")


def test_ten_thousand_token_guesses_find_nothing(database: Database, settings: Settings) -> None:
    invite(database, settings)
    key = settings.resolved_secret_key()
    with database.session() as session:
        hits = [
            guess
            for guess in (secrets.token_urlsafe(24) for _ in range(GUESSES))
            if invitations.check_token(session, key, guess) is not None
        ]
    TOKENS.tried += GUESSES
    assert hits == []


def test_guessing_over_http_is_held_at_429_and_a_right_token_waits_too(
    client: Client, database: Database, settings: Settings
) -> None:
    token = invite(database, settings)[0]
    statuses = [
        TOKENS.answered(
            client.get(f"/i/{secrets.token_urlsafe(24)}", follow_redirects=False), "guess"
        )
        for _ in range(GUESSES)
    ]
    assert 303 not in statuses, "a guess opened a questionnaire"
    first_limited = statuses.index(429)
    assert set(statuses[:first_limited]) == {404}
    assert set(statuses[first_limited:]) == {429}, "the limit holds for every later guess"
    right = client.get(f"/i/{token}", follow_redirects=False)
    assert TOKENS.answered(right, "right token while limited") == 429
    assert "mc_r" not in client.cookies
    TOKENS.assert_clean()


def test_spraying_one_password_over_many_accounts_is_limited_per_client(
    database_url: str, database: Database
) -> None:
    known = [add_user(database, f"staff{n}@uni.example").email for n in range(5)]
    limit = 20
    app = create_app(make_settings(database_url, login_attempts_per_client=limit))
    accounts = [*known, *(f"ghost{n}@uni.example" for n in range(limit - len(known)))]
    with TestClient(app) as client:
        answers = [login(client, email, "Summer2026!Summer2026!") for email in accounts]
        late = login(client, known[0], PASSWORD)  # the right password, after the limit
    statuses = [TOKENS.answered(a, "spray") for a in answers]
    assert statuses == [422] * limit
    bodies = {a.text.replace(email, "") for a, email in zip(answers, accounts, strict=True)}
    assert len(bodies) == 1, "known and unknown accounts get the same answer"
    assert TOKENS.answered(late, "right password after the spray") == 429
    assert int(late.headers["retry-after"]) > 0
    TOKENS.assert_clean()

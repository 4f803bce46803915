"""Without JavaScript, a follow-up that an answer makes relevant on the same page is shown first."""

from __future__ import annotations

import re

from litestar import Litestar
from litestar.testing import TestClient

from microcasa.db import Database
from microcasa.settings import Settings
from tests.survey.respondents import FORM, answer, begin, invite

Client = TestClient[Litestar]
PROFILE = {"a1": "ID", "a2": "public", "a4": "5k_15k", "a5": "registrar"}


def _shown(html: str) -> str:
    found = re.search(r'name="_shown" value="([^"]*)"', html)
    assert found, "the page lists the questions it shows"
    return found.group(1)


def test_next_shows_the_page_again_with_the_new_follow_up(
    client: Client, database: Database, settings: Settings
) -> None:
    begin(client, invite(database, settings)[0])
    page = client.get(f"{FORM}/p/a_profile?lang=id").text
    shown = _shown(page)
    assert "a3_other" not in shown.split()

    again = answer(client, "a_profile", {**PROFILE, "a3": "other", "_shown": shown})
    assert again.status_code == 200
    assert 'id="a3_other"' in again.text
    assert "a3_other" in _shown(again.text).split()

    moved = answer(
        client,
        "a_profile",
        {**PROFILE, "a3": "other", "a3_other": "Research institute", "_shown": _shown(again.text)},
    )
    assert moved.status_code == 303
    assert moved.headers["location"].startswith(f"{FORM}/p/b_awareness")


def test_no_new_question_means_next_moves_on(
    client: Client, database: Database, settings: Settings
) -> None:
    begin(client, invite(database, settings)[0])
    shown = _shown(client.get(f"{FORM}/p/a_profile?lang=id").text)
    moved = answer(client, "a_profile", {**PROFILE, "a3": "comprehensive", "_shown": shown})
    assert moved.status_code == 303

"""Bad input on respondent pages: a 4xx or a form error in their language, nothing half-stored."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from microcasa.db import Database
from microcasa.settings import Settings
from survey.engine import MAX_TEXT
from tests.survey.respondents import (
    ANSWERS_BY_PAGE,
    FORM,
    PROFILE,
    answer,
    begin,
    error_summary,
    invite,
    only_response,
)

Client = TestClient[Litestar]
NUL_ID = "Jawaban berisi karakter yang tidak dapat disimpan (karakter null)."
PAYLOADS = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "{{7*7}}")
ESCAPED = (
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;",
    "{{7*7}}",
)


@pytest.fixture
def respondent(client: Client, database: Database, settings: Settings) -> Client:
    """A respondent with an invitation in Bahasa Indonesia, past the notice."""
    begin(client, invite(database, settings)[0])
    return client


def test_a_nul_byte_is_refused_in_the_respondents_language(
    respondent: Client, database: Database
) -> None:
    given = {**PROFILE, "a1": "other", "a1_other": "Tim\x00or-Leste"}
    refused = answer(respondent, "a_profile", given)
    assert refused.status_code == 422
    listed = error_summary(refused.text)
    assert list(listed) == ["a1_other"] and listed["a1_other"].endswith(NUL_ID)
    stored = only_response(database).answers
    assert "a1_other" not in stored
    assert stored == {**PROFILE, "a1": "other"}  # the rest of the page is kept
    # "Save and continue later" with such an answer says so too, and keeps what was saved.
    saved = answer(respondent, "a_profile", {**given, "a2": "re\x00ligious"}, action="save")
    assert saved.status_code == 422
    assert set(error_summary(saved.text)) == {"a1_other", "a2"}
    stored = only_response(database).answers
    assert "a1_other" not in stored and stored["a2"] == PROFILE["a2"]
    refused = answer(respondent, "b_awareness", {"b4": ["other", "x\x00"]}, action="save")
    assert refused.status_code == 422
    assert "b4" not in only_response(database).answers


def test_markup_in_answers_is_stored_verbatim_and_shown_escaped(
    respondent: Client, database: Database
) -> None:
    _script, img, template = PAYLOADS
    profile = {**PROFILE, "a1": "other", "a1_other": img, "a3": "other", "a3_other": template}
    answer(respondent, "a_profile", profile, action="save")
    page = respondent.get(f"{FORM}/p/a_profile").text
    assert img not in page and 'value="&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"' in page
    pages = {**ANSWERS_BY_PAGE, "a_profile": profile, "i_barriers": {"i4": " ".join(PAYLOADS)}}
    for name, answers in pages.items():
        answer(respondent, name, answers)
    stored = only_response(database)
    assert stored.status == "complete"
    assert (stored.answers["a1_other"], stored.answers["a3_other"]) == (img, template)
    assert stored.answers["i4"] == " ".join(PAYLOADS)
    thanks = respondent.get(f"{FORM}/thanks").text
    for payload in PAYLOADS[:2]:
        assert payload not in thanks
    for escaped in ESCAPED:
        assert escaped in thanks
    assert "<script>" not in thanks.replace('<script src="/static/js/htmx-2.0.11.min.js"', "")


def test_a_post_without_the_csrf_token_is_refused(respondent: Client, database: Database) -> None:
    before = only_response(database)
    data = {**PROFILE, "action": "next"}
    missing = respondent.post(f"{FORM}/p/a_profile", data=data, follow_redirects=False)
    foreign = respondent.post(
        f"{FORM}/p/a_profile", data={**data, "_csrf_token": "0" * 64}, follow_redirects=False
    )
    live = respondent.post(f"{FORM}/p/a_profile/live", data=data)
    assert missing.status_code == foreign.status_code == live.status_code == 403
    after = only_response(database)
    assert (after.answers, after.updated_at) == (before.answers, before.updated_at)


def test_an_unknown_page_redirects_to_the_start(respondent: Client) -> None:
    for page in ("nowhere", "%00", "x" * 2000, "A_PROFILE", "intro%20"):
        shown = respondent.get(f"{FORM}/p/{page}", follow_redirects=False)
        posted = answer(respondent, page, {"a1": "ID"})
        for reply in (shown, posted):
            assert (reply.status_code, reply.headers["location"]) == (303, FORM), page
    # Slashes make another route (none), and other questionnaires do not exist: not found.
    assert respondent.get(f"{FORM}/p/..%2F..%2Fetc%2Fpasswd").status_code == 404
    for path in ("/s/nope", "/s/nope/p/intro", "/s/nope/thanks", "/s/nope/resume"):
        assert respondent.get(path, follow_redirects=False).status_code == 404


def test_answers_outside_the_page_or_the_form_are_not_kept(
    respondent: Client, database: Database
) -> None:
    given = {**PROFILE, "i4": "sneaked in", "nonsense": "x", "a6": "na"}
    assert answer(respondent, "a_profile", given).status_code == 303
    assert only_response(database).answers == {**PROFILE, "a6": "na"}


WRONG: list[tuple[str, dict[str, Any], str]] = [
    ("a_profile", {**PROFILE, "a1": "XX"}, "Pilih salah satu opsi yang tersedia."),
    ("a_profile", {**PROFILE, "a2": ["public", "religious"]}, "Pilih hanya satu opsi."),
    ("c_provision", {"c1": "mature", "c2": "12abc"}, "Masukkan bilangan bulat, misalnya 12."),
    ("c_provision", {"c1": "mature", "c2": "9" * 20}, "Angka ini terlalu besar."),
    ("f_recognition", {"f4": "NaN"}, "Masukkan angka, misalnya 12 atau 12.5."),
    ("i_barriers", {"i2": ["definition", "nqf", "funding", "register"]}, "Pilih paling banyak 3."),
]


def test_wrong_answers_get_messages_in_the_respondents_language(respondent: Client) -> None:
    for page, answers, message in WRONG:
        refused = answer(respondent, page, answers)
        assert refused.status_code == 422, answers
        assert message in refused.text, message


def test_oversized_answers_and_bodies_are_refused_and_not_kept(
    respondent: Client, database: Database
) -> None:
    refused = answer(respondent, "i_barriers", {"i4": "x" * (MAX_TEXT + 1)})
    assert refused.status_code == 422
    assert list(error_summary(refused.text)) == ["i4"]
    huge = answer(respondent, "i_barriers", {"i4": "x" * (11 * 1024 * 1024)})
    assert huge.status_code == 413
    assert only_response(database).answers == {}

"""The corpora through what respondents send: a free-text answer on the survey pages and the
JSON submissions API. Stored exactly or a clear 4xx; shown escaped; never a 5xx."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import col, select

from microcasa.db import Database
from microcasa.settings import Settings
from survey.models import Response
from tests.conftest import post_form
from tests.security import corpus
from tests.security.support import row_counts, tally
from tests.survey.fieldwork_support import ANSWERS, SUBMIT, bearer, publish, submission
from tests.survey.respondents import (
    ANSWERS_BY_PAGE,
    FORM,
    answer,
    begin,
    error_summary,
    invite,
    only_response,
)

Client = TestClient[Litestar]
PAGES = tally("respondent pages")
API = tally("JSON submissions API")


@pytest.fixture
def respondent(client: Client, database: Database, settings: Settings) -> Client:
    """A respondent with an invitation, past the privacy notice."""
    begin(client, invite(database, settings)[0], language="en")
    return client


def test_every_payload_in_a_free_text_answer_is_kept_exactly_and_shown_escaped(
    respondent: Client, database: Database
) -> None:
    kept: Any = None
    for payload in corpus.every():
        what = f"i4={payload!r}"
        given = {**ANSWERS_BY_PAGE["i_barriers"], "i4": payload}
        # Save keeps what is valid and drops the rest; Next shows the form errors.
        action = "next" if "\x00" in payload else "save"
        sent = answer(respondent, "i_barriers", given, action)
        status = PAGES.answered(sent, what)
        stored = only_response(database).answers.get("i4")
        if status == 200:  # "saved", with the way back to the page
            PAGES.kept(stored, payload, what)
            kept = payload
            page = respondent.get(f"{FORM}/p/i_barriers")
            PAGES.answered(page, f"page after {what}")
            PAGES.shown(page.text, payload, what)
        elif status == 422 and "\x00" in payload:
            # The page shows the error at the question; the NUL answer is never kept (the
            # rest of the page is, as the respondent pages promise).
            PAGES.kept(list(error_summary(sent.text)), ["i4"], f"errors of {what}")
            if stored not in (None, kept):
                PAGES.lost.append(f"{what}: stored {stored!r}")
        else:
            PAGES.lost.append(f"{what}: answered {status}")
    PAGES.assert_clean()


def test_payloads_in_every_other_field_of_the_respondent_pages_are_a_4xx_or_ignored(
    client: Client, database: Database, settings: Settings
) -> None:
    token = invite(database, settings)[0]
    assert client.get(f"/i/{token}", follow_redirects=False).status_code == 303
    before = row_counts(database)
    for payload in corpus.load("sql") + corpus.load("xss")[:8]:
        consent = post_form(client, f"{FORM}/consent", {"consent": payload, "language": payload})
        PAGES.answered(consent, f"consent {payload!r}")
        for field in ("action", "language", "lang"):
            posted = post_form(client, f"{FORM}/p/intro", {field: payload})
            PAGES.answered(posted, f"{field}={payload!r}")
        shown = client.get(f"{FORM}/p/intro", params={"lang": payload, "page": payload})
        PAGES.answered(shown, f"?lang={payload!r}")
        PAGES.shown(shown.text, payload, f"?lang={payload!r}", present=False)
        resumed = post_form(client, f"{FORM}/resume", {"code": payload, "token": payload})
        PAGES.answered(resumed, f"resume {payload!r}")
    after = row_counts(database)
    changed = {k for k, v in after.items() if before[k] != v and not k.startswith("state_")}
    assert changed <= {"response"}, after  # at most the respondent's own (rate limits aside)
    PAGES.assert_clean()


@pytest.fixture
def researcher(database: Database) -> dict[str, str]:
    """Headers of a researcher's API token, with the bundled questionnaire open."""
    publish(database)
    return bearer(database, "res@uni.example")


def _stored(database: Database) -> list[Response]:
    with database.session() as session:
        return list(session.exec(select(Response).order_by(col(Response.id))))


def _send(client: Client, body: bytes, headers: dict[str, str]) -> Any:
    return client.post(
        SUBMIT, content=body, headers={**headers, "content-type": "application/json"}
    )


def test_every_payload_in_text_answers_is_stored_exactly_or_a_422_naming_it(
    client: Client, database: Database, researcher: dict[str, str]
) -> None:
    for payload in corpus.every():
        what = f"i4, a1_other={payload!r}"
        before = len(_stored(database))
        body = submission({**ANSWERS, "a1": "other", "a1_other": payload, "i4": payload})
        sent = _send(client, corpus.json_bytes(body), researcher)
        status = API.answered(sent, what)
        rows = _stored(database)
        if status == 201:
            API.kept((rows[-1].answers["a1_other"], rows[-1].answers["i4"]), (payload,) * 2, what)
        elif status == 422 and "\x00" in payload:
            API.kept(sorted(sent.json()["errors"]), ["a1_other", "i4"], f"errors of {what}")
            API.kept(len(rows), before, f"rows after refusing {what}")
        else:
            API.lost.append(f"{what}: answered {status}")
    API.assert_clean()


def test_a_lone_surrogate_is_a_4xx_not_a_server_error(
    client: Client, database: Database, researcher: dict[str, str]
) -> None:
    for text in ("\ud800", "a\udfffb", "\udbff\udbff"):
        body = submission({**ANSWERS, "i4": text})
        sent = _send(client, json.dumps(body, ensure_ascii=True).encode(), researcher)
        status = API.answered(sent, f"i4={text!r}")
        assert 400 <= status < 500, sent.text
    assert _stored(database) == []
    API.assert_clean()


def test_wrong_types_are_a_422_naming_the_question(
    client: Client, database: Database, researcher: dict[str, str]
) -> None:
    for wrong in corpus.WRONG_TYPES:
        answers = {**ANSWERS, "c1": "mature", wrong.question: wrong.value}
        sent = _send(client, corpus.json_bytes(submission(answers)), researcher)
        status = API.answered(sent, wrong.why)
        if status == 400 and isinstance(wrong.value, float) and not math.isfinite(wrong.value):
            continue  # NaN and Infinity are not JSON: the body is refused whole
        if status != 422:
            API.lost.append(f"{wrong.why}: answered {sent.status_code}")
        elif list(sent.json()["errors"]) != [wrong.question]:
            API.lost.append(f"{wrong.why}: errors {sent.json()['errors']}")
    for name in ("instance_id", "country", "language"):
        for payload in (*corpus.load("sql"), 10**400, [], {}, True, 1.5):
            body = {**submission(), name: payload}
            sent = _send(client, corpus.json_bytes(body), researcher)
            if API.answered(sent, f"{name}={payload!r}") != 422:
                API.lost.append(f"{name}={payload!r}: answered {sent.status_code}")
    assert _stored(database) == []
    API.assert_clean()


def test_sizes_are_refused_with_413_or_422_and_nothing_is_stored(
    client: Client, database: Database, researcher: dict[str, str]
) -> None:
    cases: list[tuple[str, bytes, tuple[int, ...]]] = [
        (
            "a 10 MB field",
            corpus.json_bytes(submission({**ANSWERS, "i4": corpus.huge_text()})),
            (413, 422),
        ),
        ("a 50 MB body", corpus.huge_body(), (413,)),
        ("10k answers", corpus.json_bytes(submission({**ANSWERS, **corpus.many_fields()})), (422,)),
        (
            "10k top-level fields",
            corpus.json_bytes({**submission(), **corpus.many_fields()}),
            (422, 201),
        ),
        ("JSON nested 100k deep", corpus.nested_json(), (400, 422)),
        (
            "answers nested 100k deep",
            corpus.json_bytes(submission()).replace(b'"5k_15k"', corpus.nested_json()),
            (400, 422),
        ),
    ]
    for what, body, expected in cases:
        sent = _send(client, body, researcher)
        status = API.answered(sent, what)
        assert status in expected, (what, status, sent.text[:300])
    assert len(_stored(database)) <= 1  # only the 10k unknown top-level fields may be ignored
    API.assert_clean()

"""POST /api/forms/{form_id}/submissions: complete responses from scripts, stored exactly once."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import col, select

from microcasa.app import create_app
from microcasa.db import Database
from survey import invitations, versions
from survey.engine import MAX_TEXT
from survey.errors import Refused
from survey.models import FormVersion, Invitation, Response, VersionStatus
from survey.submissions import Accepted, judge, store
from tests.conftest import TEST_SECRET, csrf_token, make_settings
from tests.survey.fieldwork_support import (
    ANSWERS,
    FORM_ID,
    SUBMIT,
    bearer,
    invite_one,
    publish,
    staff,
    submission,
    token_headers,
)

Client = TestClient[Litestar]
PROBLEM = "application/problem+json"
PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{7*7}}",
    '=HYPERLINK("http://evil.example","click")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1)",
    "\t=1+1",
    "'; DROP TABLE response; --",
    "\u202eevil\u202c zero\u200bwidth 🎓 e\u0301",
]


@pytest.fixture
def researcher(database: Database) -> dict[str, str]:
    """Headers of a researcher's API token, with the bundled questionnaire open."""
    publish(database)
    return bearer(database, "res@uni.example")


def _rows(database: Database) -> list[Response]:
    with database.session() as session:
        return list(session.exec(select(Response).order_by(col(Response.id))))


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["detail"]
    return body


def _errors(client: Client, body: object, headers: dict[str, str]) -> dict[str, list[str]]:
    """The per-field errors of a submission that must be refused with 422."""
    errors: dict[str, list[str]] = _problem(client.post(SUBMIT, json=body, headers=headers), 422)[
        "errors"
    ]
    assert all(isinstance(m, list) and all(isinstance(t, str) for t in m) for m in errors.values())
    return errors


def test_a_submission_is_stored_once_retries_answer_200_and_changes_409(
    client: Client, database: Database
) -> None:
    publish(database)
    user = staff(database, "res@uni.example")
    headers = token_headers(database, user)
    body = submission(country="my", language="ms")
    created = client.post(SUBMIT, json=body, headers=headers)
    assert created.status_code == 201, created.text
    stored = created.json()
    assert stored == {"id": stored["id"], "instance_id": body["instance_id"], "status": "complete"}

    assert client.post(SUBMIT, json=body, headers=headers).json() == stored
    retried = client.post(SUBMIT, json=body, headers=headers)
    assert (retried.status_code, retried.json()) == (200, stored)
    # "uuid:" and capitals name the same submission (ODK sends "uuid:…").
    same = {**body, "instance_id": "uuid:" + body["instance_id"].upper()}
    assert client.post(SUBMIT, json=same, headers=headers).status_code == 200

    changed = {**body, "answers": {**ANSWERS, "a4": "over_30k"}}
    conflict = _problem(client.post(SUBMIT, json=changed, headers=headers), 409)
    assert body["instance_id"] in conflict["detail"]

    (row,) = _rows(database)
    assert row.id == stored["id"]
    assert (row.status, row.channel, row.country) == ("complete", "api", "MY")
    assert row.language == "Bahasa Melayu (ms)"
    assert row.answers == ANSWERS  # not the changed ones
    assert row.completed_at is not None
    assert row.submitted_by_id == user.id


def test_wrong_answers_are_a_422_naming_each_question_and_nothing_is_stored(
    client: Client, database: Database, researcher: dict[str, str]
) -> None:
    answers = {
        **ANSWERS,
        "no_such_question": "x",
        "a2": ["public"],  # a list for a select_one
        "a3": "university_of_everything",  # not in the list
        "c1": "mature",  # shows C2–C6, so that their answers are judged
        "c2": "twelve",  # text for an integer
        "c3": 2**60,  # beyond what JSON, SPSS and Stata hold exactly
        "f4": "NaN",
        "i2": ["definition", "nqf", "funding", "register"],  # max-pick=3
        "i4": "before\x00after",
    }
    del answers["a5"]  # required
    errors = _errors(client, submission(answers), researcher)
    assert set(errors) == {"no_such_question", "a2", "a3", "c2", "c3", "f4", "i2", "i4", "a5"}
    assert "no such question" in errors["no_such_question"][0]
    assert "whole number" in errors["c2"][0]
    assert "too large" in errors["c3"][0]
    assert "at most 3" in errors["i2"][0]
    assert "null character" in errors["i4"][0]
    assert errors["a5"] == ["This question is required."]

    alone: list[tuple[dict[str, Any], str]] = [
        ({"a4": 5}, "a4"),  # a number for a select_one
        ({"a4": {"name": "under_5k"}}, "a4"),
        ({"b4": [1, 2]}, "b4"),  # select_multiple items must be choice names
        ({"b4": "micro_credential not_a_term"}, "b4"),
        ({"f4": "Infinity"}, "f4"),
        ({"f4": 1e300}, "f4"),
        ({"f4": True}, "f4"),
        ({"f4": 101}, "f4"),  # the constraint: a percentage
        ({"c1": "mature", "c2": "9" * 25}, "c2"),
        ({"c1": "mature", "c2": -1}, "c2"),
        ({"c1": "mature", "c6": ["none", "industry"]}, "c6"),  # "none" with something
        ({"intro": "an answer to a note"}, "intro"),
        ({"i4": "x" * 2_000_000}, "i4"),  # a 2 MB text
    ]
    for change, question in alone:
        found = _errors(client, submission({**ANSWERS, **change}), researcher)
        assert list(found) == [question], change
    assert str(MAX_TEXT) in found["i4"][0].replace(",", "")
    assert _rows(database) == []


def test_a_bad_instance_id_country_language_or_answers_is_a_422_naming_it(
    client: Client, database: Database, researcher: dict[str, str]
) -> None:
    no_id = submission()
    del no_id["instance_id"]
    assert list(_errors(client, no_id, researcher)) == ["instance_id"]
    bad: list[tuple[str, object]] = [
        ("instance_id", "not-a-uuid"),
        ("instance_id", ""),
        ("instance_id", 42),
        ("instance_id", None),
        ("instance_id", "0b8f3c1e-7d2a-4c55-9a51-3f1f0e6a2bzz"),
        ("instance_id", "' OR 1=1 --"),
        ("country", "XX"),
        ("country", "MYS"),
        ("country", None),
        ("country", ["MY"]),
        ("language", "fr"),
        ("language", 7),
        ("answers", ["a1", "MY"]),
        ("answers", None),
    ]
    for field, value in bad:
        assert field in _errors(client, {**submission(), field: value}, researcher), value
    assert _rows(database) == []


def test_answers_are_stored_typed_without_hidden_questions_and_otherwise_verbatim(
    client: Client, database: Database, researcher: dict[str, str]
) -> None:
    as_list = submission({**ANSWERS, "i2": ["definition", "funding"], "b4": ["certificate"]})
    as_text = submission({**ANSWERS, "i2": " definition  funding ", "b4": "certificate"})
    hidden = {"a1_other": "Atlantis", "c2": 12, "d1": "always", "h2": "yes"}
    no_offer = submission({**ANSWERS, "c1": "none", **hidden})  # C2–C6, D, H2 stay hidden
    offer = submission({**ANSWERS, "c1": "established", "c2": "12", "d1": "always"})
    bodies = [as_list, as_text, no_offer, offer]
    bodies += [submission({**ANSWERS, "a1": "other", "a1_other": p, "i4": p}) for p in PAYLOADS]
    for body in bodies:
        assert client.post(SUBMIT, json=body, headers=researcher).status_code == 201
    listed, spaced, without, with_offer, *payloads = _rows(database)
    for row in (listed, spaced):
        assert row.answers["i2"] == ["definition", "funding"]
        assert row.answers["b4"] == ["certificate"]
    assert without.answers == {**ANSWERS, "c1": "none"}
    assert with_offer.answers == {**ANSWERS, "c1": "established", "c2": 12, "d1": "always"}
    assert [row.answers["i4"] for row in payloads] == PAYLOADS
    assert [row.answers["a1_other"] for row in payloads] == PAYLOADS


def test_who_may_submit_where(client: Client, database: Database) -> None:
    publish(database)
    for header in ("Bearer mcat_guessed", "Basic YWxhZGRpbjpvcGVuc2VzYW1l"):
        _problem(client.post(SUBMIT, json=submission(), headers={"Authorization": header}), 401)
    organiser = bearer(database, "org@uni.example", role="organiser")
    _problem(client.post(SUBMIT, json=submission(), headers=organiser), 403)

    coordinator = bearer(database, "koord@uni.example", role="coordinator", country="ID")
    own = client.post(SUBMIT, json=submission(country="ID"), headers=coordinator)
    assert own.status_code == 201, own.text
    other = _errors(client, submission(country="MY"), coordinator)
    assert list(other) == ["country"] and "(ID)" in other["country"][0]

    admin = bearer(database, "admin@uni.example", role="admin")
    missing = client.post("/api/forms/nope/submissions", json=submission(), headers=admin)
    _problem(missing, 404)
    with database.transaction() as session:
        version = session.exec(select(FormVersion)).one()
        version.status = VersionStatus.CLOSED.value
        session.add(version)
    closed = client.post(SUBMIT, json=submission(), headers=admin)
    assert closed.status_code == 422
    assert "no version open" in closed.json()["detail"]
    assert [row.country for row in _rows(database)] == ["ID"]


def test_a_script_without_cookies_submits_with_its_invitation_token(
    client: Client, database: Database
) -> None:
    publish(database)
    _, token = invite_one(database)
    response = client.post(SUBMIT, json=submission(), headers={"X-Invitation-Token": token})
    assert response.status_code == 201, response.text


def test_a_script_without_any_token_gets_401(client: Client, database: Database) -> None:
    publish(database)
    _problem(client.post(SUBMIT, json=submission()), 401)


def _with_invitation(client: Client, token: str) -> dict[str, str]:
    # A CSRF token as well, until the CSRF check lets invitation tokens through (see above).
    return {"X-Invitation-Token": token, "x-csrftoken": csrf_token(client)}


def test_an_invitation_token_submits_once_and_completes_its_invitation(
    client: Client, database: Database, researcher: dict[str, str]
) -> None:
    invitation_id, token = invite_one(database, "Universiti Sains Malaysia", "MY")
    first = submission(country="DE")  # the invitation's institution decides the country
    created = client.post(SUBMIT, json=first, headers=_with_invitation(client, token))
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "complete"
    with database.session() as session:
        invitation = session.get(Invitation, invitation_id)
        assert invitation is not None and invitation.completed_at is not None
    (row,) = _rows(database)
    assert (row.channel, row.invitation_id, row.country) == ("invitation", invitation_id, "MY")
    assert row.institution_name == "Universiti Sains Malaysia"
    assert row.submitted_by_id is None

    retried = client.post(SUBMIT, json=first, headers=_with_invitation(client, token))
    assert (retried.status_code, retried.json()) == (200, created.json())

    second = client.post(SUBMIT, json=submission(), headers=_with_invitation(client, token))
    unknown = client.post(SUBMIT, json=submission(), headers=_with_invitation(client, "guess"))
    assert second.status_code == unknown.status_code == 403
    assert second.json() == unknown.json()

    # Another token learns nothing about stored instance ids, whatever the content.
    staff_body = submission()
    assert client.post(SUBMIT, json=staff_body, headers=researcher).status_code == 201
    for body in (staff_body, first, {**first, "answers": {}}):
        probe = client.post(SUBMIT, json=body, headers=_with_invitation(client, "guess"))
        assert (probe.status_code, probe.json()) == (403, unknown.json())
    assert len(_rows(database)) == 2


def test_fifty_identical_submissions_at_once_store_one_response(
    client: Client, database: Database, researcher: dict[str, str]
) -> None:
    body = submission({**ANSWERS, "i4": "sent by a flaky connection"})

    def send(_: int) -> tuple[int, Any]:
        response = client.post(SUBMIT, json=body, headers=researcher)
        return response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(send, range(50)))
    statuses = [status for status, _ in results]
    assert set(statuses) <= {200, 201}, results
    assert statuses.count(201) == 1
    assert len({json.dumps(answer, sort_keys=True) for _, answer in results}) == 1
    assert len(_rows(database)) == 1


def test_a_body_that_is_not_a_json_object_is_a_4xx_problem(
    client: Client, database: Database, researcher: dict[str, str]
) -> None:
    valid = json.dumps(submission({**ANSWERS, "f4": 1.5}))
    bodies = [
        b"{",
        b"[]",
        b'[{"instance_id": "x"}]',
        b'"text"',
        b"null",
        b"42",
        b"\xff\xfe{}",
        b"",
        *(valid.replace("1.5", literal).encode() for literal in ("NaN", "Infinity", "-Infinity")),
        valid.replace('"5k_15k"', "[" * 5000 + "]" * 5000).encode(),  # deeply nested
    ]
    for content in bodies:
        response = client.post(
            SUBMIT, content=content, headers={**researcher, "Content-Type": "application/json"}
        )
        assert response.status_code in (400, 422), (content[:40], response.text)
        assert response.headers["content-type"].startswith(PROBLEM)
    assert _rows(database) == []


def test_a_body_over_the_upload_limit_is_a_413(database: Database, database_url: str) -> None:
    publish(database)
    headers = bearer(database, "res@uni.example")
    limit = 100_000
    app = create_app(make_settings(database_url, upload_max_bytes=limit))
    body = submission({**ANSWERS, "i4": "x" * (2 * limit)})
    with TestClient(app) as client:
        _problem(client.post(SUBMIT, json=body, headers=headers), 413)
    assert _rows(database) == []


def test_an_invitation_revoked_while_its_submission_is_judged_stores_nothing(
    database: Database,
) -> None:
    publish(database)
    invitation_id, token = invite_one(database, "Universiti Malaya", "MY")
    with database.session() as session:
        questionnaire = versions.get_questionnaire(session, FORM_ID)
        invitation = invitations.check_token(session, TEST_SECRET, token)
        judged = judge(
            session,
            questionnaire,
            submission(),
            invitation=invitation,
            country_scope=None,
            submitted_by_id=None,
        )
    assert isinstance(judged, Accepted)
    with database.transaction() as session:
        revoked = session.get(Invitation, invitation_id)
        assert revoked is not None
        invitations.revoke(session, revoked)
    with pytest.raises(Refused):
        database.group_commit(partial(store, accepted=judged))
    assert _rows(database) == []
    with database.session() as session:
        unchanged = session.get(Invitation, invitation_id)
        assert unchanged is not None and unchanged.completed_at is None


def test_invitation_token_guesses_are_limited_per_client_with_a_retry_after(
    client: Client, database: Database, researcher: dict[str, str]
) -> None:
    statuses = [
        client.post(
            SUBMIT, json=submission(), headers=_with_invitation(client, f"guess{n}")
        ).status_code
        for n in range(30)
    ]
    assert statuses == [403] * 30
    limited = client.post(SUBMIT, json=submission(), headers=_with_invitation(client, "guess"))
    body = _problem(limited, 429)
    assert "try again later" in body["detail"]
    assert 0 < int(limited.headers["retry-after"]) <= 15 * 60
    assert _rows(database) == []

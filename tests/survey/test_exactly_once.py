"""One complete response per invitation, however often and from however many browsers it is sent."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from microcasa.db import Database, utcnow
from microcasa.settings import Settings
from survey import invitations, responses, versions
from survey.models import FormVersion, Invitation, Response, ResponseStatus
from tests.conftest import Browser
from tests.survey.respondents import (
    ANSWERS_BY_PAGE,
    FORM,
    PROFILE,
    answer,
    begin,
    invite,
    only_response,
    responses_in,
)

Client = TestClient[Litestar]
THREADS = 10
LAST = "i_barriers"


def _up_to_the_last_page(client: Client) -> None:
    for page, answers in ANSWERS_BY_PAGE.items():
        if page != LAST:
            assert answer(client, page, answers).status_code == 303


def _complete(database: Database) -> list[Response]:
    return [r for r in responses_in(database) if r.status == ResponseStatus.COMPLETE.value]


def test_submitting_the_last_page_twice_completes_once(
    client: Client, database: Database, settings: Settings
) -> None:
    begin(client, invite(database, settings)[0])
    _up_to_the_last_page(client)
    first = answer(client, LAST, ANSWERS_BY_PAGE[LAST])
    done = only_response(database)
    second = answer(client, LAST, {"i4": "Sent again, changed."})
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"] == f"{FORM}/thanks"
    again = only_response(database)
    assert again.status == ResponseStatus.COMPLETE.value
    assert (again.answers, again.completed_at, again.content_hash) == (
        done.answers,
        done.completed_at,
        done.content_hash,
    )


def test_two_browsers_with_one_invitation_make_one_response(
    client: Client, database: Database, settings: Settings
) -> None:
    token = invite(database, settings)[0]
    begin(client, token)
    _up_to_the_last_page(client)
    office_browser = Browser(client)
    with office_browser as office:
        assert office.get(f"/i/{token}", follow_redirects=False).status_code == 303
        left = office.get(FORM, follow_redirects=False)
        assert left.headers["location"] == f"{FORM}/p/{LAST}?lang=id"
    assert answer(client, LAST, {"i4": "From the laptop."}).headers["location"] == (
        f"{FORM}/thanks"
    )
    with office_browser as office:
        late = answer(office, LAST, {"i4": "From the office."})
        assert late.headers["location"] == f"{FORM}/thanks"
        assert "From the laptop." in office.get(f"{FORM}/thanks").text
    (complete,) = _complete(database)
    assert complete.answers["i4"] == "From the laptop."
    assert len(responses_in(database)) == 1


def _race(work: Callable[[int], str]) -> list[str]:
    """Run ``work(n)`` in THREADS threads released together; their results."""
    start = threading.Barrier(THREADS)

    def run(n: int) -> str:
        start.wait(timeout=30)
        return work(n)

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(run, range(THREADS)))


def _invitation_with_partials(
    database: Database, settings: Settings, count: int
) -> tuple[int, list[int]]:
    """An invitation and ``count`` partial responses to it, each with valid answers."""
    token = invite(database, settings)[0]
    key = settings.resolved_secret_key()
    with database.transaction() as session:
        invitation = invitations.check_token(session, key, token)
        assert invitation is not None and invitation.id is not None
        questionnaire = versions.get_questionnaire(session, "microcasa_hei")
        version = responses.open_version(session, questionnaire)
        assert version is not None and version.id is not None
        partials = [
            Response(
                instance_id=str(uuid.uuid4()),
                form_version_id=version.id,
                channel="invitation",
                invitation_id=invitation.id,
                language="English (en)",
                answers={**PROFILE, "i4": f"device {n}"},
                consented_at=utcnow(),
            )
            for n in range(count)
        ]
        session.add_all(partials)
        session.flush()
        return invitation.id, [p.id for p in partials if p.id is not None]


def test_racing_partial_responses_of_one_invitation_complete_exactly_once(
    database: Database, settings: Settings
) -> None:
    invitation_id, ids = _invitation_with_partials(database, settings, THREADS)

    def submit(n: int) -> str:
        with database.session(write=True) as session:
            response = session.get(Response, ids[n])
            assert response is not None
            try:
                outcome = responses.submit_racing(session, response, "English (en)")
            except responses.AlreadyCompleted:
                return "already completed"
            session.commit()
            return "completed" if outcome.completed else "invalid"

    results = _race(submit)
    assert sorted(results) == ["already completed"] * (THREADS - 1) + ["completed"]
    (complete,) = _complete(database)
    assert complete.complete_invitation_id == invitation_id
    assert len(responses_in(database)) == THREADS  # the others stay partial
    with database.session() as session:
        invitation = session.get(Invitation, invitation_id)
        assert invitation is not None and invitation.completed_at is not None


def test_racing_submits_of_one_response_keep_the_first_acknowledged_answers(
    database: Database, settings: Settings
) -> None:
    _invitation_id, (response_id,) = _invitation_with_partials(database, settings, 1)
    with database.session() as session:
        form = versions.form_of(
            session.get_one(FormVersion, only_response(database).form_version_id)
        )

    def submit(n: int) -> str:
        with database.session(write=True) as session:
            response = session.get(Response, response_id)
            assert response is not None
            responses.save_page(
                session, response, form, LAST, {"i4": f"browser {n}"}, "English (en)"
            )
            try:
                outcome = responses.submit_racing(session, response, "English (en)")
            except responses.AlreadyCompleted:
                return "lost the race"
            session.commit()
            assert outcome.completed
            return str(outcome.response.answers["i4"])

    acknowledged = _race(submit)
    (complete,) = _complete(database)
    # Every browser was shown the answers that are stored: none was told of answers later replaced.
    assert set(acknowledged) == {complete.answers["i4"]}


def test_the_database_refuses_a_second_complete_response_for_an_invitation(
    database: Database, settings: Settings
) -> None:
    invitation_id, (first, second) = _invitation_with_partials(database, settings, 2)
    version_id = responses_in(database)[0].form_version_id
    with database.transaction() as session:
        response = session.get_one(Response, first)
        assert responses.submit(session, response, "English (en)").completed
    with (
        pytest.raises(IntegrityError, match="complete_invitation_id"),
        database.transaction() as session,
    ):
        other = session.get_one(Response, second)
        other.status = ResponseStatus.COMPLETE.value
        other.complete_invitation_id = invitation_id
        session.add(other)
    with (
        pytest.raises(IntegrityError, match="complete_invitation_id"),
        database.transaction() as session,
    ):
        session.add(
            Response(
                instance_id=str(uuid.uuid4()),
                form_version_id=version_id,
                channel="api",
                language="en",
                status=ResponseStatus.COMPLETE.value,
                complete_invitation_id=invitation_id,
            )
        )
    assert len(_complete(database)) == 1
    names = {c["name"] for c in inspect(database.engine).get_unique_constraints("response")}
    assert "uq_response_complete_invitation_id" in names

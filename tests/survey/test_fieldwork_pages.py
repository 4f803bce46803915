"""Staff pages that follow fieldwork: the monitor, the response viewer and erasure."""

from __future__ import annotations

import re
from typing import Any

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text
from sqlmodel import Session, SQLModel, col, select

from microcasa.db import Database
from survey import versions
from survey.models import Invitation, InvitationStatus, Response, ResponseEvent
from survey.submissions import submit_api
from tests.conftest import Browser, post_form
from tests.survey.fieldwork_support import (
    ANSWERS,
    FORM_ID,
    invite,
    publish,
    sign_in,
    staff,
    submission,
)

Client = TestClient[Litestar]
MONITOR = f"/forms/{FORM_ID}/responses"


def _store(
    session: Session,
    country: str = "MY",
    answers: dict[str, Any] | None = None,
    invitation: Invitation | None = None,
) -> Response:
    """A complete response, as the JSON API stores it."""
    questionnaire = versions.get_questionnaire(session, FORM_ID)
    body = submission(answers, country=country)
    stored = submit_api(
        session,
        questionnaire,
        body,
        invitation=invitation,
        country_scope=None,
        submitted_by_id=None,
    )
    return stored.response


def _open(client: Client, token: str) -> None:
    """A respondent follows the invitation link: a partial response begins."""
    with Browser(client) as respondent:
        assert respondent.get(f"/i/{token}", follow_redirects=False).status_code == 303


def _by_country(page: str) -> dict[str, tuple[int, int]]:
    """Country → (complete, partial), as the monitor's table shows them."""
    rows = re.findall(r'<th scope="row">(\w\w)</th><td>(\d+)</td><td>(\d+)</td>', page)
    return {country: (int(done), int(partial)) for country, done, partial in rows}


def _facts(page: str) -> dict[str, int]:
    return {name: int(n) for name, n in re.findall(r"<dt>(\w+)</dt><dd>(\d+)</dd>", page)}


def _listed(page: str) -> list[int]:
    return [int(n) for n in re.findall(rf'href="{MONITOR}/(\d+)"', page)]


def test_the_monitor_counts_what_is_stored_and_coordinators_see_their_country(
    client: Client, database: Database
) -> None:
    publish(database)
    researcher = staff(database, "res@uni.example")
    coordinator = staff(database, "koord@uni.example", role="coordinator", country="ID")
    with database.transaction() as session:
        stored = [_store(session, c) for c in ("MY", "MY", "ID", "DE")]
        links = invite(
            session, "name,country\nUniversiti Malaya,MY\nUniversitas Indonesia,ID\nITB,ID\n"
        )
    _open(client, links[0].token)
    _open(client, links[1].token)
    with database.transaction() as session:
        revoked = session.get(Invitation, links[2].invitation.id)
        assert revoked is not None
        revoked.status = InvitationStatus.REVOKED.value
        session.add(revoked)
    with database.session() as session:
        everything = list(session.exec(select(Response).order_by(col(Response.id))))
    assert len(everything) == 6

    sign_in(client, researcher)
    page = client.get(MONITOR)
    assert page.status_code == 200
    assert _by_country(page.text) == {"DE": (1, 0), "ID": (1, 1), "MY": (2, 1)}
    assert _facts(page.text) == {"sent": 3, "opened": 2, "partial": 2, "complete": 0, "revoked": 1}
    assert _listed(page.text) == [r.id for r in everything]
    per_day = re.findall(r'<th scope="row">\d{4}-\d\d-\d\d</th><td>(\d+)</td>', page.text)
    assert per_day == [str(len(stored))]  # all completed today

    with Browser(client) as browser:
        sign_in(browser, coordinator)
        scoped = browser.get(MONITOR)
    assert scoped.status_code == 200
    assert "Responses from ID" in scoped.text
    assert _by_country(scoped.text) == {"ID": (1, 1)}
    assert _facts(scoped.text) == {
        "sent": 2,
        "opened": 1,
        "partial": 1,
        "complete": 0,
        "revoked": 1,
    }
    assert _listed(scoped.text) == [r.id for r in everything if r.country == "ID"]


def test_who_may_see_and_erase_responses(client: Client, database: Database) -> None:
    publish(database)
    with database.transaction() as session:
        malaysian, indonesian = _store(session, "MY"), _store(session, "ID")
    users = {
        "coordinator": staff(database, "koord@uni.example", role="coordinator", country="ID"),
        "organiser": staff(database, "org@uni.example", role="organiser"),
    }
    with Browser(client) as browser:
        sign_in(browser, users["coordinator"])
        assert browser.get(f"{MONITOR}/{indonesian.id}").status_code == 200
        assert browser.get(f"{MONITOR}/{malaysian.id}").status_code == 403
        erase = post_form(browser, f"{MONITOR}/{indonesian.id}/erase", {"reason": "asked"})
        assert erase.status_code == 403
        assert browser.get(f"/forms/{FORM_ID}/invitations").status_code == 403
    with Browser(client) as browser:
        sign_in(browser, users["organiser"])
        for path in (MONITOR, f"{MONITOR}/{indonesian.id}", f"/forms/{FORM_ID}/invitations"):
            assert browser.get(path).status_code == 403, path
        assert (
            post_form(browser, f"{MONITOR}/{indonesian.id}/erase", {"reason": "x"}).status_code
            == 403
        )
    with database.session() as session:
        assert len(session.exec(select(Response)).all()) == 2
        assert session.exec(select(ResponseEvent)).all() == []


def test_the_viewer_and_monitor_show_payloads_as_text(client: Client, database: Database) -> None:
    publish(database)
    payloads = {
        "a1_other": "<script>alert('a1')</script>",
        "i4": '"><img src=x onerror=alert(1)> {{7*7}}',
    }
    with database.transaction() as session:
        (link,) = invite(session, "name,country\n<b onmouseover=alert(2)>Evil U</b>,MY\n")
        response = _store(
            session, answers={**ANSWERS, "a1": "other", **payloads}, invitation=link.invitation
        )
    sign_in(client, staff(database, "res@uni.example"))
    viewer = client.get(f"{MONITOR}/{response.id}")
    monitor = client.get(MONITOR)
    assert viewer.status_code == monitor.status_code == 200
    assert "&lt;script&gt;alert(&#39;a1&#39;)&lt;/script&gt;" in viewer.text
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt; {{7*7}}" in viewer.text
    for page in (viewer.text, monitor.text):
        assert "&lt;b onmouseover=alert(2)&gt;Evil U&lt;/b&gt;" in page
        assert (
            "<script>alert" not in page
            and "<img src=x" not in page
            and "<b onmouseover" not in page
        )


def test_erasure_needs_a_reason(client: Client, database: Database) -> None:
    publish(database)
    with database.transaction() as session:
        response = _store(session)
    sign_in(client, staff(database, "res@uni.example"))
    for reason in ({}, {"reason": ""}, {"reason": "   "}):
        refused = post_form(client, f"{MONITOR}/{response.id}/erase", reason)
        assert refused.status_code == 303
        assert refused.headers["location"] == f"{MONITOR}/{response.id}"
    assert post_form(client, f"{MONITOR}/999/erase", {"reason": "asked"}).status_code == 404
    with database.session() as session:
        assert len(session.exec(select(Response)).all()) == 1
        assert session.exec(select(ResponseEvent)).all() == []


def _everything(session: Session) -> str:
    """Every value of every table, as text."""
    values = []
    for table in SQLModel.metadata.sorted_tables:
        for row in session.execute(text(f'SELECT * FROM "{table.name}"')):  # noqa: S608
            values += [str(value) for value in row]
    return "\n".join(values)


def test_erasure_removes_answers_contact_details_and_link_and_keeps_ids(
    client: Client, database: Database
) -> None:
    publish(database)
    researcher = staff(database, "res@uni.example")
    with database.transaction() as session:
        (link,) = invite(
            session,
            "name,country,contact_email,contact_name\n"
            "Universiti Malaya,MY,siti.rahman@um.example,Siti Rahman\n",
        )
        other = _store(session, "ID", {**ANSWERS, "i4": "keep me"})
    _open(client, link.token)  # a partial response through the page …
    with database.transaction() as session:
        (partial,) = session.exec(
            select(Response).where(col(Response.invitation_id).is_not(None))
        ).all()
        invitation = session.get(Invitation, link.invitation.id)
        answers = {**ANSWERS, "i4": "Siti's own words"}
        complete = _store(session, answers=answers, invitation=invitation)  # … then the API
    sign_in(client, researcher)

    erased = post_form(client, f"{MONITOR}/{complete.id}/erase", {"reason": "Respondent's request"})
    assert erased.status_code == 303
    assert erased.headers["location"] == MONITOR

    with database.session() as session:
        assert [r.id for r in session.exec(select(Response))] == [other.id]
        invitation = session.get(Invitation, link.invitation.id)
        assert invitation is not None
        assert (invitation.contact_email, invitation.contact_name) == (None, None)
        assert invitation.status == InvitationStatus.REVOKED.value
        events = session.exec(select(ResponseEvent).order_by(col(ResponseEvent.id))).all()
        stored = _everything(session)
    # One history row per response removed, by id only.
    assert {e.response_id for e in events} == {partial.id, complete.id}
    assert len(events) == 2
    for event in events:
        assert (event.invitation_id, event.action) == (invitation.id, "erased")
        assert (event.actor, event.actor_id) == ("res@uni.example", researcher.id)
        assert event.reason == "Respondent's request"
        assert event.at is not None
    for gone in ("siti.rahman@um.example", "Siti Rahman", "Siti's own words"):
        assert gone not in stored
    assert "keep me" in stored

    with Browser(client) as respondent:
        old_link = respondent.get(f"/i/{link.token}", follow_redirects=False)
        unknown = respondent.get("/i/" + "x" * 32, follow_redirects=False)
    assert (old_link.status_code, old_link.text) == (unknown.status_code, unknown.text)
    assert client.get(f"{MONITOR}/{complete.id}").status_code == 404
    assert _listed(client.get(MONITOR).text) == [other.id]

    # A response without an invitation goes alone.
    assert (
        post_form(client, f"{MONITOR}/{other.id}/erase", {"reason": "test data"}).status_code == 303
    )
    with database.session() as session:
        assert session.exec(select(Response)).all() == []
        events = session.exec(select(ResponseEvent).order_by(col(ResponseEvent.id))).all()
    assert [(e.response_id, e.invitation_id, e.reason) for e in events][2:] == [
        (other.id, None, "test data")
    ]

"""Set-up shared by the respondent tests: the bundled questionnaire, invitations, answers.

A respondent is a test client (or a ``Browser`` on it); these helpers do what
their browser does: open the link, agree to the notice, post a page.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session, select

from microcasa.db import Database
from microcasa.settings import Settings
from survey import invitations, versions
from survey.demo import BUNDLED_FORM
from survey.models import FormVersion, Questionnaire, Response, VersionStatus
from tests.conftest import post_form

Client = TestClient[Litestar]
FORM = "/s/microcasa_hei"
MARKDOWN = BUNDLED_FORM.with_suffix(".md")

# One institution a line, as a fieldwork team uploads them.
INVITEES = (
    "name,country,type,contact_email,language\n"
    "Universitas Nusantara,ID,public,rektor@nusantara.example,id\n"
    "Universiti Sains Contoh,MY,public,vc@usc.example,ms\n"
    "Hochschule Beispiel,DE,public,praesidium@hs.example,de\n"
)

# Answers that complete the questionnaire for an institution with no micro-credentials.
PROFILE = {"a1": "ID", "a2": "public", "a3": "comprehensive", "a4": "5k_15k", "a5": "qa_officer"}
NO_PROVISION = {"c1": "none", "c7": "none", "c8": "start"}
ANSWERS_BY_PAGE: dict[str, dict[str, Any]] = {
    "intro": {},
    "a_profile": PROFILE,
    "b_awareness": {"b1": "3", "b4": ["micro_credential", "digital_badge"]},
    "c_provision": NO_PROVISION,
    "f_recognition": {},
    "g_stackability": {"g1": "ad_hoc"},
    "h_digital": {"h4": "4"},
    "i_barriers": {"i2": ["definition", "register"], "i4": "A shared national register."},
}
PAGES_WITHOUT_PROVISION = list(ANSWERS_BY_PAGE)


def publish_bundled(session: Session) -> FormVersion:
    """What ``publish_bundled_form`` publishes, read from the questionnaire's markdown twin.

    Reading the workbook takes most of a second; the markdown holds the same definition
    (``test_the_workbook_publishes_the_same_questionnaire`` checks), so the version is equal.
    """
    return versions.publish(
        session,
        MARKDOWN.read_bytes(),
        MARKDOWN.name,
        publisher="demo",
        status=VersionStatus.OPEN,
    ).version


def invite(
    database: Database,
    settings: Settings,
    invitees: str = INVITEES,
    expires_at: datetime | None = None,
) -> list[str]:
    """Publish the bundled questionnaire, invite the institutions; their tokens in file order."""
    with database.transaction() as session:
        version = publish_bundled(session)
        questionnaire = versions.get_questionnaire(session, "microcasa_hei")
        rows = invitations.read_invitee_file(invitees.encode(), "x.csv", versions.form_of(version))
        issued = invitations.invite(
            session, settings.resolved_secret_key(), questionnaire, rows, expires_at
        )
        return [link.token for link in issued.issued]


def allow_open_link(database: Database) -> None:
    with database.transaction() as session:
        questionnaire = session.exec(
            select(Questionnaire).where(Questionnaire.form_id == "microcasa_hei")
        ).one()
        questionnaire.open_link = True
        session.add(questionnaire)


def begin(client: Client, token: str, language: str = "id") -> None:
    """Open the invitation link and agree to the notice, as a respondent does."""
    assert client.get(f"/i/{token}", follow_redirects=False).status_code == 303
    agreed = post_form(client, f"{FORM}/consent", {"consent": "yes", "language": language})
    assert agreed.status_code == 303


def answer(client: Client, page: str, answers: dict[str, Any], action: str = "next"):  # type: ignore[no-untyped-def]
    """Post one page with a button (next, back, save, lang:<code>)."""
    return post_form(client, f"{FORM}/p/{page}", {**answers, "action": action})


def answer_all(client: Client, pages: dict[str, dict[str, Any]] = ANSWERS_BY_PAGE):  # type: ignore[no-untyped-def]
    """Answer every page in order with Next; the last post's response."""
    for page, answers in pages.items():
        last = answer(client, page, answers)
        assert last.status_code == 303, (page, last.text)
    return last


def error_summary(page: str) -> dict[str, str]:
    """The error summary at the top of a page: question name -> the text of its link."""
    if 'class="error-summary"' not in page:
        return {}
    start = page.index('class="error-summary"')
    summary = page[start : page.index("</div>", start)]
    return dict(re.findall(r'<li><a href="#q-(\w+)">([^<]*)</a></li>', summary))


def responses_in(database: Database) -> list[Response]:
    with database.session() as session:
        return list(session.exec(select(Response).order_by(Response.id)))  # type: ignore[arg-type]


def only_response(database: Database) -> Response:
    (response,) = responses_in(database)
    return response

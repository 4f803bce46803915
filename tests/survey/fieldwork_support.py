"""What the fieldwork tests share: the bundled questionnaire, staff, answers, invitations.

Staff accounts are written directly with one password hash computed once, and the
bundled questionnaire is read once per process: Argon2 and the workbook parser are
tested elsewhere, and here they would only make each test slower.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Sequence
from datetime import timedelta
from functools import cache
from typing import Any
from unittest import mock

from litestar import Litestar
from litestar.testing import TestClient
from openpyxl import Workbook
from sqlmodel import Session

from microcasa.auth import tokens
from microcasa.auth.models import User
from microcasa.auth.passwords import hash_password
from microcasa.auth.sessions import SESSION_COOKIE
from microcasa.db import Database, utcnow
from microcasa.platform import Platform
from survey import invitations, versions
from survey.demo import BUNDLED_FORM, publish_bundled_form
from survey.invitations import IssuedLink
from survey.xlsform import Form
from tests.conftest import PASSWORD, TEST_SECRET

FORM_ID = "microcasa_hei"
SUBMIT = f"/api/forms/{FORM_ID}/submissions"

# The shortest complete answer to the bundled questionnaire: section A's required questions.
ANSWERS: dict[str, Any] = {
    "a1": "MY",
    "a2": "public",
    "a3": "comprehensive",
    "a4": "5k_15k",
    "a5": "qa_officer",
}

_read_once = cache(versions.read_source)


def bundled_form() -> Form:
    """The bundled questionnaire as parsed (without a database)."""
    return _read_once(BUNDLED_FORM.read_bytes(), BUNDLED_FORM.name).form


def publish(database: Database) -> None:
    """The bundled questionnaire, published and open."""
    with mock.patch.object(versions, "read_source", _read_once), database.transaction() as session:
        publish_bundled_form(session)


@cache
def _password_hash() -> str:
    return hash_password(PASSWORD)


def staff(
    database: Database, email: str, role: str = "researcher", country: str | None = None
) -> User:
    """A staff account (its password is conftest's PASSWORD)."""
    with database.transaction() as session:
        user = User(
            email=email,
            display_name=email.split("@")[0],
            role=role,
            country=country,
            password_hash=_password_hash(),
        )
        session.add(user)
        session.flush()
        return user


def token_headers(database: Database, user: User) -> dict[str, str]:
    """Headers carrying a new API token of the account."""
    with database.transaction() as session:
        secret = tokens.create_token(session, user, "fieldwork script").secret
    return {"Authorization": f"Bearer {secret}"}


def bearer(
    database: Database, email: str, role: str = "researcher", country: str | None = None
) -> dict[str, str]:
    """Headers carrying a new API token of a new account with this role."""
    return token_headers(database, staff(database, email, role, country))


def sign_in(client: TestClient[Litestar], user: User) -> None:
    """The client's browser signed in as this account (as a login would leave it)."""
    platform: Platform = client.app.state.platform
    client.cookies.set(SESSION_COOKIE, platform.sessions.start(user), domain="testserver.local")


def submission(answers: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    """A submission body with a new instance_id (fields override language, country, …)."""
    body: dict[str, Any] = {
        "instance_id": str(uuid.uuid4()),
        "language": "en",
        "country": "MY",
        "answers": dict(ANSWERS if answers is None else answers),
    }
    body.update(fields)
    return body


def invite(session: Session, csv_text: str, days: int | None = None) -> tuple[IssuedLink, ...]:
    """Invite the institutions of a CSV text; the issued links (tokens shown once)."""
    questionnaire = versions.get_questionnaire(session, FORM_ID)
    version = versions.versions_of(session, questionnaire)[0]
    rows = invitations.read_invitee_file(
        csv_text.encode("utf-8"), "institutions.csv", versions.form_of(version)
    )
    expires = utcnow() + timedelta(days=days) if days is not None else None
    return invitations.invite(session, TEST_SECRET, questionnaire, rows, expires).issued


def invite_one(
    database: Database, name: str = "Universiti Sains Malaysia", country: str = "MY"
) -> tuple[int, str]:
    """One invitation: its id and its token."""
    with database.transaction() as session:
        (link,) = invite(
            session, f"name,country,contact_email\n{name},{country},dean@usm.example\n"
        )
        assert link.invitation.id is not None
        return link.invitation.id, link.token


def csv_file(rows: Sequence[Sequence[object]], delimiter: str = ",") -> bytes:
    """A CSV file as Excel saves it: UTF-8 with a byte order mark."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_file(rows: Sequence[Sequence[object]]) -> bytes:
    """A workbook whose first sheet holds these rows."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

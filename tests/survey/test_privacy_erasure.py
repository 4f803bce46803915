"""Erasing a respondent: contact data, token and answers gone everywhere; history keeps ids.

"Everywhere" is generated, not listed: every table the migrated database has (so
a table added later cannot escape), the analysis frame, the data files researchers
download, and the shared state that remembers respondents' browsers.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import MetaData, text
from sqlalchemy import select as select_rows
from sqlmodel import SQLModel, col, select

import microcasa.app  # noqa: F401  (every area's tables in SQLModel.metadata)
from analysis.frame import load_responses
from exports.data import write_data
from microcasa import schema
from microcasa.db import Database
from microcasa.settings import Settings
from survey import fieldwork, invitations, versions
from survey.models import Invitation, Response, ResponseEvent
from survey.submissions import submit_api
from survey.tokens import digest
from tests.conftest import TEST_SECRET, Browser, post_form
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
ERASED_EMAIL = "siti.rahman@um.example"
ERASED_NAME = "Siti Rahman"
ERASED_WORDS = "Siti's own words about stackable credentials"
KEPT_WORDS = "Budi keeps his words"


def stored_text(database: Database) -> str:
    """Every value of every table the database has (reflected, not listed), as text."""
    reflected = MetaData()
    reflected.reflect(database.engine)
    missing = set(SQLModel.metadata.tables) - set(reflected.tables)
    assert missing == set(), "every model's table is in the migrated database"
    values: list[str] = []
    with database.engine.connect() as connection:
        for table in reflected.sorted_tables:
            for row in connection.execute(select_rows(table)):
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        values.append(bytes(value).decode("utf-8", "replace"))
                    else:
                        values.append(str(value))
    return "\n".join(values)


def exported_text(database: Database, tmp_path: Path) -> str:
    """The data files of complete and partial responses (CSV and XLSX), as text."""
    with database.session() as session:
        frame = load_responses(session, FORM_ID, include_partial=True)
    texts = []
    for format in ("csv", "xlsx"):
        out = tmp_path / f"data.{format}"
        write_data(frame, out, format, secret=TEST_SECRET, labels=format == "xlsx")
        if format == "csv":
            texts.append(out.read_text(encoding="utf-8"))
        else:
            with zipfile.ZipFile(io.BytesIO(out.read_bytes())) as workbook:
                texts += [workbook.read(name).decode("utf-8") for name in workbook.namelist()]
    return "\n".join(texts)


def frame_text(database: Database) -> tuple[set[int], str]:
    """The analysis frames (complete only, kept as a columnar copy; and with partial ones)."""
    with database.session() as session:
        complete = load_responses(session, FORM_ID)
    with database.session() as session:
        frame = load_responses(session, FORM_ID, include_partial=True)
    assert set(complete.data.index) <= set(frame.data.index)
    return set(frame.data.index), complete.data.to_csv() + frame.data.to_csv()


def _complete(database: Database, invitation_id: int, words: str) -> Response:
    with database.transaction() as session:
        questionnaire = versions.get_questionnaire(session, FORM_ID)
        body = submission({**ANSWERS, "i4": words})
        return submit_api(
            session,
            questionnaire,
            body,
            invitation=session.get(Invitation, invitation_id),
            country_scope=None,
            submitted_by_id=None,
        ).response


def _setup(client: Client, database: Database) -> dict[str, Any]:
    """Two invited institutions with contacts, each answered; the first is to be erased."""
    publish(database)
    with database.transaction() as session:
        kept, erased = invite(
            session,
            "name,country,contact_email,contact_name\n"
            "Institut Teknologi Bandung,ID,budi@itb.example,Budi Santoso\n"
            f"Universiti Malaya,MY,{ERASED_EMAIL},{ERASED_NAME}\n",
        )
    other = _complete(database, kept.invitation.id or 0, KEPT_WORDS)
    browser = Browser(client)
    with browser as respondent:  # the respondent's browser: a partial response, remembered
        assert respondent.get(f"/i/{erased.token}", follow_redirects=False).status_code == 303
    complete = _complete(database, erased.invitation.id or 0, ERASED_WORDS)
    with database.session() as session:
        gone = session.exec(
            select(Response).where(col(Response.invitation_id) == erased.invitation.id)
        ).all()
        instance_ids = [r.instance_id for r in gone]
    return {
        "erased": erased,
        "other": other,
        "complete": complete,
        "browser": browser,
        "response_ids": {r.id for r in gone},
        "values": [
            ERASED_EMAIL,
            ERASED_NAME,
            ERASED_WORDS,
            erased.token,
            digest(TEST_SECRET, invitations.PURPOSE, erased.token),
            *instance_ids,
        ],
    }


def test_erasure_leaves_no_contact_token_or_answer_in_tables_exports_frames_or_state(
    client: Client, database: Database, tmp_path: Path
) -> None:
    case = _setup(client, database)
    erased_ids: set[int] = case["response_ids"]
    assert len(erased_ids) == 2  # the partial one from the pages and the complete one
    # Each value to erase is there before (so the checks below could fail).
    before = stored_text(database)
    (tmp_path / "b").mkdir()
    exported = exported_text(database, tmp_path / "b")
    for value in case["values"][:3] + case["values"][4:]:
        assert value in before, value
    assert ERASED_WORDS in exported and ERASED_WORDS in frame_text(database)[1]
    # Loading the frame kept a columnar copy of the answers: a table the erasure must reach.
    assert stored_text(database).count(ERASED_WORDS) == 2

    sign_in(client, staff(database, "res@uni.example"))
    reason = f"Request of {ERASED_NAME} ({ERASED_EMAIL.upper()}) on 28 November"
    erasure = post_form(client, f"{MONITOR}/{case['complete'].id}/erase", {"reason": reason})
    assert erasure.status_code == 303

    stored = stored_text(database)
    (tmp_path / "a").mkdir()
    exported = exported_text(database, tmp_path / "a")
    frame_ids, frame = frame_text(database)
    for value in case["values"]:
        for where, held in (("tables", stored), ("exports", exported), ("frame", frame)):
            assert value.lower() not in held.lower(), f"{value!r} still in {where}"
    assert frame_ids == {case["other"].id}
    assert KEPT_WORDS in stored and KEPT_WORDS in exported and KEPT_WORDS in frame
    assert "budi@itb.example" in stored  # nobody else's contact goes

    # History: one row per erased response, ids and the staff side only.
    with database.session() as session:
        events = session.exec(select(ResponseEvent)).all()
    assert {e.response_id for e in events} == erased_ids
    assert {e.invitation_id for e in events} == {case["erased"].invitation.id}
    for event in events:
        assert event.action == "erased"
        assert event.reason == "Request of [erased] ([erased]) on 28 November"
        kept = " ".join(str(v) for v in event.model_dump().values()).lower()
        for value in case["values"]:
            assert value.lower() not in kept


def test_an_erased_respondents_browser_never_reaches_a_later_response(
    client: Client, database: Database
) -> None:
    case = _setup(client, database)
    erased_ids: set[int] = case["response_ids"]
    with database.transaction() as session:
        response = session.get(Response, case["complete"].id)
        assert response is not None
        fieldwork.erase(session, response, actor="res@uni.example", actor_id=None, reason="asked")
        (later,) = invite(session, "name,country\nUniversitas Gadjah Mada,ID\n")
    with Browser(client) as newcomer:
        assert newcomer.get(f"/i/{later.token}", follow_redirects=False).status_code == 303
    with database.session() as session:
        (started,) = session.exec(
            select(Response).where(col(Response.invitation_id) == later.invitation.id)
        ).all()
    # An erased response's id is never handed to another one: old pseudonyms, history
    # rows and browsers that remember it point at nothing.
    assert started.id not in erased_ids
    with case["browser"] as old:
        seen = old.get(f"/s/{FORM_ID}", follow_redirects=False)
    with Browser(client) as stranger:
        fresh = stranger.get(f"/s/{FORM_ID}", follow_redirects=False)
    assert (seen.status_code, seen.text) == (fresh.status_code, fresh.text)


def test_the_upgrade_keeps_ids_erased_before_it_from_coming_back(settings: Settings) -> None:
    """Migration 0007 on an existing SQLite file: the next id comes after every erased one."""
    if not settings.is_sqlite:
        pytest.skip("PostgreSQL sequences never hand out an id twice")
    database = Database(settings)
    try:
        schema.upgrade(database, "0006")
        with database.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO response_event (response_id, action, reason, actor, at) "
                    "VALUES (41, 'erased', 'asked', 'res@uni.example', '2026-11-01 10:00:00')"
                )
            )
        schema.upgrade(database)
        with database.engine.connect() as connection:
            seq = connection.execute(
                text("SELECT seq FROM sqlite_sequence WHERE name = 'response'")
            ).scalar()
        assert seq == 41
        schema.downgrade(database, "0006")
        assert schema.current_revision(database) == "0006"
        schema.upgrade(database)
        assert schema.drift(database) == []
    finally:
        database.dispose()

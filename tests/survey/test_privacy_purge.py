"""The retention purge: contact data of a questionnaire's invitations cleared after fieldwork."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlmodel import col, select

from microcasa.cli import main
from microcasa.db import Database
from survey import privacy, versions
from survey.errors import Refused
from survey.models import Invitation, ResponseEvent, VersionStatus
from tests.conftest import TEST_SECRET
from tests.survey.fieldwork_support import FORM_ID, invite, publish
from tests.survey.test_privacy_erasure import stored_text

MICROCASA = str(Path(sys.executable).parent / "microcasa")
CONTACTS = {
    "Universiti Malaya": ("siti.rahman@um.example", "Siti Rahman"),
    "Institut Teknologi Bandung": ("budi@itb.example", "Budi Santoso"),
    "Universität Leipzig": ("anna.weber@uni-leipzig.example", ""),
}


def _fieldwork(database: Database) -> list[int]:
    """Four invitations, three with contact data; their ids."""
    publish(database)
    lines = [f"{name},XX,{email},{person}" for name, (email, person) in CONTACTS.items()]
    countries = iter(("MY", "ID", "DE"))
    rows = "\n".join(line.replace("XX", next(countries)) for line in lines)
    with database.transaction() as session:
        links = invite(
            session,
            f"name,country,contact_email,contact_name\n{rows}\nUniversidad de Salamanca,ES,,\n",
        )
    return [link.invitation.id or 0 for link in links]


def _close(database: Database) -> None:
    with database.transaction() as session:
        questionnaire = versions.get_questionnaire(session, FORM_ID)
        for version in versions.versions_of(session, questionnaire):
            versions.set_status(session, version, VersionStatus.CLOSED.value)


def _purge(database: Database, **options: object) -> privacy.Purge:
    with database.transaction() as session:
        questionnaire = versions.get_questionnaire(session, FORM_ID)
        return privacy.purge_contacts(
            session,
            questionnaire,
            reason=str(options.pop("reason", "Retention: 3 months after fieldwork")),
            actor="res@uni.example",
            **options,  # type: ignore[arg-type]
        )


def _events(database: Database) -> list[ResponseEvent]:
    with database.session() as session:
        return list(session.exec(select(ResponseEvent).order_by(col(ResponseEvent.id))))


def _contacts(database: Database) -> dict[int, tuple[str | None, str | None]]:
    with database.session() as session:
        return {
            i.id or 0: (i.contact_email, i.contact_name) for i in session.exec(select(Invitation))
        }


def test_the_purge_waits_for_fieldwork_to_end_then_clears_every_contact_once(
    database: Database,
) -> None:
    ids = _fieldwork(database)
    with pytest.raises(Refused, match="still open for responses") as refused:
        _purge(database)
    assert "\n" not in refused.value.message
    with pytest.raises(Refused, match="Give the reason"):
        _purge(database, reason="  ")
    assert _events(database) == []
    _close(database)

    preview = _purge(database, dry_run=True)
    assert (preview.invitations, preview.cleared, preview.dry_run) == (4, 3, True)
    assert _events(database) == []
    assert sum(1 for email, _ in _contacts(database).values() if email) == 3

    done = _purge(database, reason="Retention rule; Siti Rahman asked too")
    assert (done.invitations, done.cleared, done.without_contacts) == (4, 3, 1)
    assert set(_contacts(database).values()) == {(None, None)}
    stored = stored_text(database).lower()
    for email, person in CONTACTS.values():
        assert email not in stored
        assert not person or person.lower() not in stored
    events = _events(database)
    assert [(e.invitation_id, e.response_id, e.action) for e in events] == [
        (i, None, "contacts_purged") for i in ids[:3]
    ]
    assert events[0].reason == "Retention rule; [erased] asked too"
    assert {e.actor for e in events} == {"res@uni.example"}

    again = _purge(database)  # idempotent: nothing left, no new history
    assert (again.invitations, again.cleared) == (4, 0)
    assert len(_events(database)) == 3


def test_before_limits_the_purge_to_an_earlier_wave_even_while_open(database: Database) -> None:
    ids = _fieldwork(database)
    wave_one = datetime.now(UTC) - timedelta(days=120)
    with database.transaction() as session:
        for invitation_id in ids[:2]:
            invitation = session.get(Invitation, invitation_id)
            assert invitation is not None
            invitation.created_at = wave_one
            session.add(invitation)
    cutoff = datetime.now(UTC) - timedelta(days=30)
    done = _purge(database, before=cutoff)
    assert (done.invitations, done.cleared) == (2, 2)
    contacts = _contacts(database)
    assert [contacts[i] for i in ids] == [
        (None, None),
        (None, None),
        ("anna.weber@uni-leipzig.example", None),
        (None, None),
    ]
    assert [e.invitation_id for e in _events(database)] == ids[:2]


def _env(database_url: str) -> dict[str, str]:
    return {"MICROCASA_DATABASE_URL": database_url, "MICROCASA_SECRET_KEY": TEST_SECRET}


def test_the_command_refuses_in_one_line_while_open_and_prints_counts(
    database_url: str, database: Database
) -> None:
    _fieldwork(database)
    command = [MICROCASA, "fieldwork", "purge-contacts", "--form", FORM_ID, "--reason", "done"]
    refused = subprocess.run(
        command,
        capture_output=True,
        text=True,
        env={**os.environ, **_env(database_url)},
        timeout=120,
        check=False,
    )
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1
    assert refused.stderr.startswith(
        "microcasa: error: Questionnaire “microcasa_hei” is still open"
    )
    assert "--before" in refused.stderr
    _close(database)

    runner = CliRunner()
    args = ["fieldwork", "purge-contacts", "--form", FORM_ID, "--reason", "Retention rule"]
    dry = runner.invoke(main, [*args, "--dry-run"], env=_env(database_url))
    assert dry.exit_code == 0, dry.output
    assert dry.stdout == (
        "microcasa_hei: 4 invitation(s); contact data would clear on 3, 1 already without\n"
    )
    first = runner.invoke(main, args, env=_env(database_url))
    second = runner.invoke(main, args, env=_env(database_url))
    assert first.stdout == (
        "microcasa_hei: 4 invitation(s); contact data cleared on 3, 1 already without\n"
    )
    assert second.stdout == (
        "microcasa_hei: 4 invitation(s); contact data cleared on 0, 4 already without\n"
    )
    assert [e.actor for e in _events(database)] == ["command line"] * 3

    later = runner.invoke(
        main, [*args, "--before", "2000-01-01", "--form", "nope"], env=_env(database_url)
    )
    assert later.exit_code == 1
    assert later.stderr == "microcasa: error: There is no questionnaire “nope”.\n"

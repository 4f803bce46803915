"""Access requests: everything held about one respondent as JSON, never the token or its HMAC."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import TestClient

from microcasa.cli import main
from microcasa.db import Database
from survey import fieldwork, invitations
from survey.models import Response
from survey.tokens import digest
from tests.conftest import TEST_SECRET, Browser
from tests.survey.fieldwork_support import ANSWERS, FORM_ID, sign_in, staff
from tests.survey.test_privacy_erasure import ERASED_EMAIL, ERASED_WORDS, _complete, _setup

Client = TestClient[Litestar]


def _env(database_url: str) -> dict[str, str]:
    return {"MICROCASA_DATABASE_URL": database_url, "MICROCASA_SECRET_KEY": TEST_SECRET}


def _export(database_url: str, tmp_path: Path, *options: str) -> tuple[dict[str, Any], str]:
    out = tmp_path / "respondent.json"
    result = CliRunner().invoke(
        main, ["fieldwork", "export-respondent", *options, str(out)], env=_env(database_url)
    )
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text(encoding="utf-8")), result.stdout


def _secrets(case: dict[str, Any]) -> list[str]:
    token = case["erased"].token
    return [token, digest(TEST_SECRET, invitations.PURPOSE, token)]


def test_the_record_holds_contact_institution_answers_with_labels_and_history(
    client: Client, database: Database, database_url: str, tmp_path: Path
) -> None:
    case = _setup(client, database)
    invitation_id = case["erased"].invitation.id
    record, said = _export(database_url, tmp_path, "--invitation", str(invitation_id))
    assert said == f"wrote {tmp_path / 'respondent.json'}: 1 record(s), 2 response(s)\n"
    (item,) = record["records"]
    assert item["questionnaire"]["form_id"] == FORM_ID
    held = item["invitation"]
    assert (held["id"], held["contact_email"], held["contact_name"]) == (
        invitation_id,
        ERASED_EMAIL,
        "Siti Rahman",
    )
    assert held["institution"]["name"] == "Universiti Malaya"
    assert held["institution"]["country"] == "MY"
    assert held["status"] == "active" and held["first_opened_at"] and held["completed_at"]
    assert "token_hmac" not in held
    statuses = sorted(r["status"] for r in item["responses"])
    assert statuses == ["complete", "partial"]
    complete = next(r for r in item["responses"] if r["status"] == "complete")
    assert complete["id"] == case["complete"].id
    assert complete["form_version"] and complete["language"] and complete["completed_at"]
    answers = {a["question"]: a for a in complete["answers"]}
    assert answers["i4"]["value"] == ERASED_WORDS
    assert answers["i4"]["label"].startswith("What should a national micro-credential framework")
    assert answers["a2"]["value"] == ANSWERS["a2"]
    assert answers["a2"]["label"] == "What type of institution is yours?"
    assert answers["a2"]["choices"] and answers["a2"]["choices"][0] != ANSWERS["a2"]
    assert item["history"] == []
    text = (tmp_path / "respondent.json").read_text(encoding="utf-8")
    for secret in _secrets(case):
        assert secret not in text

    # The same respondent found by a response id or by the e-mail (any case).
    by_response, _ = _export(database_url, tmp_path, "--response", str(case["complete"].id))
    by_email, _ = _export(database_url, tmp_path, "--email", ERASED_EMAIL.upper())
    for other in (by_response, by_email):
        assert [r["invitation"] for r in other["records"]] == [held]


def test_after_erasure_the_record_shows_only_ids_and_the_history(
    client: Client, database: Database, database_url: str, tmp_path: Path
) -> None:
    case = _setup(client, database)
    with database.transaction() as session:
        response = session.get(Response, case["complete"].id)
        assert response is not None
        fieldwork.erase(session, response, actor="res@uni.example", actor_id=None, reason="asked")
    record, _ = _export(database_url, tmp_path, "--invitation", str(case["erased"].invitation.id))
    (item,) = record["records"]
    assert (item["invitation"]["contact_email"], item["invitation"]["contact_name"]) == (None, None)
    assert item["invitation"]["status"] == "revoked"
    assert item["responses"] == []
    assert sorted(e["response_id"] for e in item["history"]) == sorted(case["response_ids"])
    assert {(e["action"], e["reason"]) for e in item["history"]} == {("erased", "asked")}
    assert all("actor" not in e for e in item["history"])  # staff are not the respondent's data


def test_a_response_without_invitation_and_the_commands_mistakes(
    client: Client, database: Database, database_url: str, tmp_path: Path
) -> None:
    _setup(client, database)
    lone = _complete(database, 0, "Salamanca's words")  # through the API, no invitation
    assert lone.invitation_id is None
    record, _ = _export(database_url, tmp_path, "--response", str(lone.id))
    (item,) = record["records"]
    assert (item["questionnaire"]["form_id"], item["invitation"]) == (FORM_ID, None)
    ((held,),) = [item["responses"]]
    assert held["id"] == lone.id and held["channel"] == "api"
    assert {a["question"]: a["value"] for a in held["answers"]}["i4"] == "Salamanca's words"

    runner = CliRunner()
    out = str(tmp_path / "x.json")
    none = runner.invoke(main, ["fieldwork", "export-respondent", out], env=_env(database_url))
    assert none.exit_code == 2 and "exactly one of" in none.stderr
    unknown = runner.invoke(
        main,
        ["fieldwork", "export-respondent", "--email", "nobody@x.example", out],
        env=_env(database_url),
    )
    assert (unknown.exit_code, unknown.stderr) == (
        1,
        "microcasa: error: The platform holds nothing for that e-mail address.\n",
    )
    for option, value in (("--invitation", "2147483648"), ("--response", "-3")):
        beyond = runner.invoke(
            main, ["fieldwork", "export-respondent", option, value, out], env=_env(database_url)
        )
        assert beyond.exit_code == 1
        assert beyond.stderr.startswith("microcasa: error: The platform holds nothing for ")
    assert not (tmp_path / "x.json").exists()


def test_only_admins_download_the_record_from_the_web(client: Client, database: Database) -> None:
    case = _setup(client, database)
    invitation_id = case["erased"].invitation.id
    path = f"/forms/{FORM_ID}/invitations/{invitation_id}/data.json"
    for role in ("researcher", "coordinator", "organiser"):
        with Browser(client) as browser:
            sign_in(browser, staff(database, f"{role}@uni.example", role, "MY"))
            assert browser.get(path, follow_redirects=False).status_code == 403
    sign_in(client, staff(database, "admin@uni.example", "admin"))
    download = client.get(path)
    assert download.status_code == 200
    assert download.headers["cache-control"] == "no-store"
    assert download.headers["content-disposition"].startswith(
        f'attachment; filename="respondent-{FORM_ID}-{invitation_id}-'
    )
    assert download.headers["content-type"].startswith("application/json")
    (item,) = download.json()["records"]
    assert item["invitation"]["contact_email"] == ERASED_EMAIL
    for secret in _secrets(case):
        assert secret not in download.text
    for unknown in ("999", "0", "-1", "2147483648", "99999999999999999999"):
        assert client.get(f"/forms/{FORM_ID}/invitations/{unknown}/data.json").status_code == 404
    assert client.get(f"/forms/nope/invitations/{invitation_id}/data.json").status_code == 404

"""The open link: anyone answers after naming country and institution, and resumes with a code."""

from __future__ import annotations

import re

from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import select

from microcasa.db import Database
from survey.models import Institution
from tests.conftest import Browser, post_form
from tests.survey.respondents import (
    FORM,
    allow_open_link,
    answer,
    only_response,
    publish_bundled,
    responses_in,
)

Client = TestClient[Litestar]
CODE = re.compile(r"<strong>([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})</strong>")
START = {
    "consent": "yes",
    "country": "ID",
    "institution": "  Universitas   Terbuka Contoh ",
    "language": "id",
}
NUL_ID = "Jawaban berisi karakter yang tidak dapat disimpan (karakter null)."
WRONG_CODE = (
    "Kode ini tidak dapat membuka jawaban mana pun. Periksa kembali kode tersebut dan coba lagi."
)


def _open(database: Database) -> None:
    with database.transaction() as session:
        publish_bundled(session)
    allow_open_link(database)


def _start(client: Client, fields: dict[str, str] = START) -> str:
    started = post_form(client, f"{FORM}/consent", fields)
    assert started.status_code == 201, started.text
    found = CODE.search(started.text)
    assert found is not None
    return found.group(1)


def test_without_the_open_link_the_form_address_is_an_unusable_link(
    client: Client, database: Database
) -> None:
    with database.transaction() as session:
        publish_bundled(session)
    invalid = client.get("/i/not-a-token")
    start = client.get(FORM)
    consent = post_form(client, f"{FORM}/consent", START)
    assert start.status_code == consent.status_code == invalid.status_code == 404
    assert start.text == consent.text == invalid.text
    assert responses_in(database) == []
    with database.session() as session:
        assert session.exec(select(Institution)).all() == []


def test_start_page_asks_for_consent_country_and_institution(
    client: Client, database: Database
) -> None:
    _open(database)
    page = client.get(f"{FORM}?lang=id")
    assert page.status_code == 200
    assert 'name="consent"' in page.text
    assert 'name="institution"' in page.text
    assert '<select id="country" name="country"' in page.text
    assert '<option value="PH">Filipina</option>' in page.text
    assert 'value="other"' not in page.text  # "another country" has no code to register
    assert f'href="{FORM}/resume?lang=id"' in page.text

    empty = post_form(client, f"{FORM}/consent", {"language": "id", "institution": "Uni"})
    assert empty.status_code == 422
    assert '<a href="#consent">Mohon konfirmasi' in empty.text
    assert '<a href="#country">Pilih negara Anda.</a>' in empty.text
    assert "Tuliskan nama institusi Anda." not in empty.text
    assert 'value="Uni"' in empty.text  # what was typed is kept
    nameless = post_form(client, f"{FORM}/consent", {**START, "institution": " \t "})
    assert nameless.status_code == 422
    assert '<a href="#institution">Tuliskan nama institusi Anda.</a>' in nameless.text
    unknown = post_form(client, f"{FORM}/consent", {**START, "country": "XX"})
    assert unknown.status_code == 422 and "Pilih negara Anda." in unknown.text
    nul = post_form(client, f"{FORM}/consent", {**START, "institution": "Uni\x00versitas"})
    assert nul.status_code == 422
    assert f'<a href="#institution">{NUL_ID}</a>' in nul.text
    assert responses_in(database) == []
    with database.session() as session:
        assert session.exec(select(Institution)).all() == []


def test_starting_registers_the_institution_and_shows_a_resume_code(
    client: Client, database: Database
) -> None:
    _open(database)
    started = post_form(client, f"{FORM}/consent", START)
    assert started.status_code == 201
    assert "Kode Anda untuk melanjutkan nanti" in started.text
    assert CODE.search(started.text) is not None
    assert f'href="{FORM}/p/intro?lang=id"' in started.text
    assert "mc_r" in client.cookies
    response = only_response(database)
    assert (response.channel, response.country) == ("open_link", "ID")
    assert response.institution_name == "Universitas Terbuka Contoh"
    assert response.consented_at is not None and response.notice_version
    assert response.resume_code_hmac and CODE.search(started.text).group(1) not in (  # type: ignore[union-attr]
        response.resume_code_hmac
    )
    with database.session() as session:
        (institution,) = session.exec(select(Institution)).all()
    assert (institution.source, institution.country) == ("open_link", "ID")
    assert institution.name == "Universitas Terbuka Contoh"
    assert institution.id == response.institution_id
    assert client.get(f"{FORM}/p/intro?lang=id").status_code == 200

    with Browser(client) as colleague:  # the same institution, written differently
        _start(colleague, {**START, "institution": "universitas terbuka contoh"})
    with database.session() as session:
        assert len(session.exec(select(Institution)).all()) == 1
    assert len(responses_in(database)) == 2


def test_the_code_continues_the_same_response_in_another_browser(
    client: Client, database: Database
) -> None:
    _open(database)
    code = _start(client)
    answer(client, "intro", {})
    answer(client, "a_profile", {"a1": "ID", "a2": "public"}, action="save")
    with Browser(client) as phone:
        form = phone.get(f"{FORM}/resume?lang=id")
        assert form.status_code == 200 and 'name="code"' in form.text
        typed = code.lower().replace("-", " ")  # as a person might type it
        resumed = post_form(phone, f"{FORM}/resume", {"code": typed, "language": "id"})
        assert (resumed.status_code, resumed.headers["location"]) == (303, FORM)
        page = phone.get(FORM, follow_redirects=False)
        assert page.headers["location"] == f"{FORM}/p/a_profile?lang=id"
        assert 'value="public" checked' in phone.get(page.headers["location"]).text
        answer(phone, "a_profile", {"a1": "ID", "a2": "religious"}, action="save")
    stored = only_response(database)
    assert stored.answers == {"a1": "ID", "a2": "religious"}


def test_a_wrong_code_always_gets_the_same_answer(client: Client, database: Database) -> None:
    _open(database)
    _start(client)
    with Browser(client) as stranger:
        answers = [
            post_form(stranger, f"{FORM}/resume", {"code": code, "language": "id"})
            for code in ("ABCD-EFGH-JKMN", "ABCD-EFGH-JKMN", "x", "", "' OR 1=1 --")
        ]
        assert "mc_r" not in stranger.cookies
    assert {a.status_code for a in answers} == {422}
    assert {a.text for a in answers} == {answers[0].text}
    assert WRONG_CODE in answers[0].text


def test_resume_attempts_are_limited_per_client(client: Client, database: Database) -> None:
    _open(database)
    code = _start(client)
    with Browser(client) as guesser:
        statuses = [
            post_form(guesser, f"{FORM}/resume", {"code": f"ABCD-EFGH-{n:04d}"}).status_code
            for n in range(30)
        ]
        assert statuses == [422] * 30
        limited = post_form(guesser, f"{FORM}/resume", {"code": code})
        assert limited.status_code == 429  # even the right code waits for the window
        assert "mc_r" not in guesser.cookies

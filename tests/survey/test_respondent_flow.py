"""A respondent with an invitation: the link, the notice, page by page in their language, submit."""

from __future__ import annotations

from datetime import timedelta

from litestar import Litestar
from litestar.testing import TestClient

from microcasa.app import create_app
from microcasa.db import Database, utcnow
from microcasa.settings import Settings
from survey import invitations, responses, versions
from survey.demo import publish_bundled_form
from survey.models import Invitation, ResponseStatus
from tests.conftest import Browser, make_settings, post_form
from tests.survey.respondents import (
    ANSWERS_BY_PAGE,
    FORM,
    PROFILE,
    answer,
    answer_all,
    begin,
    error_summary,
    invite,
    only_response,
    publish_bundled,
)

Client = TestClient[Litestar]
REQUIRED_ID = "Pertanyaan ini wajib dijawab."  # the form's own required message in Indonesian


def test_the_workbook_publishes_the_same_questionnaire(database: Database) -> None:
    with database.transaction() as session:
        twin = publish_bundled(session)
        workbook = publish_bundled_form(session)  # same version and definition: no new row
        assert workbook.id == twin.id
        assert versions.form_of(workbook).languages[1] == "Bahasa Indonesia (id)"


def _cookie(response, name: str) -> str:  # type: ignore[no-untyped-def]
    (header,) = [h for h in response.headers.get_list("set-cookie") if h.startswith(name + "=")]
    return str(header)


def test_invitation_link_moves_the_token_into_a_cookie(
    client: Client, database: Database, database_url: str, settings: Settings
) -> None:
    token = invite(database, settings)[0]
    opened = client.get(f"/i/{token}", follow_redirects=False)
    assert opened.status_code == 303
    assert opened.headers["location"] == FORM
    cookie = _cookie(opened, "mc_r")
    attributes = [part.strip().lower() for part in cookie.split(";")]
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    assert "path=/s/microcasa_hei" in attributes
    assert "secure" not in attributes  # plain HTTP in tests; production turns it on
    assert token not in cookie and token not in opened.headers["location"]
    assert opened.headers["referrer-policy"] == "no-referrer"
    with database.session() as session:
        invitation = invitations.check_token(session, settings.resolved_secret_key(), token)
        assert invitation is not None and invitation.first_opened_at is not None
        assert token not in invitation.token_hmac
    with TestClient(create_app(make_settings(database_url, cookie_secure=True))) as secure:
        again = secure.get(f"/i/{token}", follow_redirects=False)
    assert "secure" in [part.strip().lower() for part in _cookie(again, "mc_r").split(";")]


def test_the_privacy_notice_comes_first_and_consent_is_recorded(
    client: Client, database: Database, settings: Settings
) -> None:
    token = invite(database, settings)[0]
    client.get(f"/i/{token}", follow_redirects=False)
    notice = client.get(FORM, follow_redirects=False)
    assert notice.status_code == 200
    assert 'lang="id"' in notice.text  # the invitation's language
    assert "Sebelum Anda mulai" in notice.text and "Pemberitahuan privasi" in notice.text
    skipped = client.get(f"{FORM}/p/a_profile", follow_redirects=False)
    assert (skipped.status_code, skipped.headers["location"]) == (303, FORM)

    unticked = post_form(client, f"{FORM}/consent", {"language": "id"})
    assert unticked.status_code == 422
    assert "Mohon konfirmasi bahwa Anda telah membaca pemberitahuan" in unticked.text
    assert only_response(database).consented_at is None

    agreed = post_form(client, f"{FORM}/consent", {"consent": "yes", "language": "id"})
    assert (agreed.status_code, agreed.headers["location"]) == (303, f"{FORM}?lang=id")
    stored = only_response(database)
    assert stored.consented_at is not None
    assert stored.notice_version == "2026112810:default"
    first = client.get(FORM, follow_redirects=False)
    assert first.headers["location"] == f"{FORM}/p/intro?lang=id"


def test_unusable_links_all_get_the_same_answer(
    client: Client, database: Database, settings: Settings
) -> None:
    reissued, revoked, used = invite(database, settings)
    (expired,) = invite(
        database,
        settings,
        "name,country\nUniversidad Caducada,ES\n",
        expires_at=utcnow() - timedelta(days=1),
    )
    key = settings.resolved_secret_key()
    with database.transaction() as session:
        invitation = invitations.check_token(session, key, revoked)
        assert invitation is not None
        invitations.revoke(session, invitation)
        replaced = invitations.check_token(session, key, reissued)
        assert replaced is not None
        invitations.reissue(session, key, replaced)  # the old link stops working
        invitation = invitations.check_token(session, key, used)
        assert invitation is not None
        questionnaire = versions.get_questionnaire(session, "microcasa_hei")
        version = responses.open_version(session, questionnaire)
        assert version is not None
        response = responses.response_for_invitation(session, invitation, version, "en")
        response.answers = dict(PROFILE)
        assert responses.submit(session, response, "English (en)").completed

    answers = []
    for token in ("x" * 32, revoked, expired, used, reissued, "%00", "a" * 500):
        with Browser(client) as browser:
            page = browser.get(f"/i/{token}", follow_redirects=False)
            answers.append((page.status_code, page.text, page.headers.get("location")))
            assert "mc_r" not in browser.cookies
    assert all(a == answers[0] for a in answers), [a[0] for a in answers]
    assert answers[0][0] == 404
    assert "Tautan ini tidak dapat digunakan" in answers[0][1]  # every study language
    assert "This link cannot be used" in answers[0][1]


def test_token_attempts_are_limited_per_client(
    client: Client, database: Database, settings: Settings
) -> None:
    token = invite(database, settings)[0]
    statuses = [client.get(f"/i/wrong{n}", follow_redirects=False).status_code for n in range(30)]
    assert statuses == [404] * 30
    limited = client.get(f"/i/{token}", follow_redirects=False)
    assert limited.status_code == 429
    assert "mc_r" not in client.cookies  # even a right token waits for the window
    retry_after = int(limited.headers["retry-after"])
    assert 0 < retry_after <= 15 * 60
    minutes = -(-retry_after // 60)
    assert f"Please try again in {minutes} minutes." in limited.text
    assert f"Silakan coba lagi dalam {minutes} menit." in limited.text  # every study language
    assert "This link cannot be used" not in limited.text


def test_pages_speak_indonesian_and_list_errors_at_the_top(
    client: Client, database: Database, settings: Settings
) -> None:
    begin(client, invite(database, settings)[0])
    intro = client.get(f"{FORM}/p/intro?lang=id")
    assert "Selamat datang di survei MICROCASA" in intro.text
    assert "Halaman 1 dari 8" in intro.text and "Berikutnya" in intro.text
    moved = answer(client, "intro", {})
    assert moved.headers["location"] == f"{FORM}/p/a_profile?lang=id"

    refused = answer(client, "a_profile", {"a1": "ID"})
    assert refused.status_code == 422
    text = refused.text
    assert "Di negara mana institusi Anda berada?" in text
    assert "Mohon periksa jawaban berikut" in text
    summary = text.index('class="error-summary"')
    assert summary < text.index('id="q-a1"')  # the summary comes before the questions
    listed = error_summary(text)
    assert set(listed) == {"a2", "a3", "a4", "a5"}  # not a1 (answered) nor a6 (optional)
    assert listed["a2"].startswith("Apa jenis institusi Anda?")
    for name, link in listed.items():
        assert link.endswith(REQUIRED_ID)
        assert f'id="{name}-error">{REQUIRED_ID}</p>' in text
    assert 'value="ID" checked' in text  # the answer given is kept
    assert only_response(database).answers == {"a1": "ID"}

    accepted = answer(client, "a_profile", PROFILE)
    assert accepted.headers["location"] == f"{FORM}/p/b_awareness?lang=id"


def test_back_keeps_the_answers_of_both_pages(
    client: Client, database: Database, settings: Settings
) -> None:
    begin(client, invite(database, settings)[0])
    answer(client, "intro", {})
    answer(client, "a_profile", PROFILE)
    back = answer(client, "b_awareness", {"b1": "4"}, action="back")
    assert back.headers["location"] == f"{FORM}/p/a_profile?lang=id"
    profile = client.get(back.headers["location"]).text
    assert 'id="a2-public" name="a2" value="public" checked' in profile
    awareness = client.get(f"{FORM}/p/b_awareness").text
    assert 'id="b1-4" name="b1" value="4" checked' in awareness
    assert only_response(database).answers == {**PROFILE, "b1": "4"}
    first = answer(client, "intro", {}, action="back")
    assert first.headers["location"] == f"{FORM}/p/intro?lang=id"


def test_skip_logic_skips_design_pages_and_submit_drops_hidden_answers(
    client: Client, database: Database, settings: Settings
) -> None:
    begin(client, invite(database, settings)[0])
    for page in ("intro", "a_profile", "b_awareness"):
        answer(client, page, ANSWERS_BY_PAGE[page])
    offering = answer(client, "c_provision", {"c1": "established", "c2": "12"})
    assert offering.headers["location"] == f"{FORM}/p/d_design?lang=id"
    assert "Halaman 5 dari 10" in client.get(offering.headers["location"]).text
    answer(client, "d_design", {"d1": "always"})
    answer(client, "e_qa", {"e1": "same"}, action="back")
    answer(client, "d_design", {"d1": "always"}, action="back")

    skipping = answer(client, "c_provision", {"c1": "none", "c2": "12"})
    assert skipping.headers["location"] == f"{FORM}/p/f_recognition?lang=id"
    hidden = client.get(f"{FORM}/p/d_design", follow_redirects=False)
    assert (hidden.status_code, hidden.headers["location"]) == (303, FORM)
    assert "Halaman 5 dari 8" in client.get(skipping.headers["location"]).text
    back = answer(client, "f_recognition", {}, action="back")
    assert back.headers["location"] == f"{FORM}/p/c_provision?lang=id"
    assert only_response(database).answers["d1"] == "always"  # kept while partial

    for page in ("f_recognition", "g_stackability", "h_digital", "i_barriers"):
        done = answer(client, page, ANSWERS_BY_PAGE[page])
    assert done.headers["location"] == f"{FORM}/thanks"
    stored = only_response(database)
    assert stored.status == ResponseStatus.COMPLETE.value
    assert stored.answers["c1"] == "none"
    assert not {"c2", "d1", "e1"} & set(stored.answers)


def test_live_block_shows_a_follow_up_question_and_saves_nothing(
    client: Client, database: Database, settings: Settings
) -> None:
    begin(client, invite(database, settings)[0])
    answer(client, "a_profile", {"a1": "ID"}, action="save")
    assert 'id="q-a1_other"' not in client.get(f"{FORM}/p/a_profile").text
    token = client.cookies["mc_csrf"]
    other = client.post(f"{FORM}/p/a_profile/live", data={"a1": "other", "_csrf_token": token})
    assert other.status_code == 200
    assert other.text.startswith('<div id="questions">') and "<html" not in other.text
    assert 'id="q-a1_other"' in other.text and "Sebutkan nama negaranya." in other.text
    assert 'value="other" checked' in other.text
    known = client.post(f"{FORM}/p/a_profile/live", data={"a1": "MY", "_csrf_token": token})
    assert 'id="q-a1_other"' not in known.text
    assert only_response(database).answers == {"a1": "ID"}
    gone = client.post(f"{FORM}/p/nowhere/live", data={"_csrf_token": token})
    assert gone.status_code == 409


def test_language_switch_keeps_the_answers(
    client: Client, database: Database, settings: Settings
) -> None:
    begin(client, invite(database, settings)[0])
    switched = answer(client, "a_profile", {"a1": "ID", "a2": "public"}, action="lang:de")
    assert switched.headers["location"] == f"{FORM}/p/a_profile?lang=de"
    page = client.get(switched.headers["location"]).text
    assert 'lang="de"' in page
    assert "In welchem Land befindet sich Ihre Hochschule?" in page
    assert 'value="ID" checked' in page and 'value="public" checked' in page
    assert "Weiter" in page and "Mohon periksa" not in page  # switching checks nothing
    stored = only_response(database)
    assert stored.answers == {"a1": "ID", "a2": "public"}
    assert stored.language == "Deutsch (de)"
    onwards = answer(client, "a_profile", PROFILE)
    assert onwards.headers["location"] == f"{FORM}/p/b_awareness?lang=de"
    unknown = answer(client, "b_awareness", {}, action="lang:xx")
    assert unknown.headers["location"] == f"{FORM}/p/b_awareness?lang=de"


def test_save_and_come_back_to_the_same_page(
    client: Client, database: Database, settings: Settings
) -> None:
    token = invite(database, settings)[0]
    begin(client, token)
    answer(client, "intro", {})
    saved = answer(client, "a_profile", {"a1": "ID", "a2": "public"}, action="save")
    assert saved.status_code == 200
    assert "Jawaban Anda telah disimpan" in saved.text
    assert f'href="{FORM}/p/a_profile?lang=id"' in saved.text
    assert only_response(database).page == "a_profile"

    again = client.get(FORM, follow_redirects=False)
    assert again.headers["location"] == f"{FORM}/p/a_profile?lang=id"
    with Browser(client) as laptop:
        assert laptop.get(f"/i/{token}", follow_redirects=False).status_code == 303
        resumed = laptop.get(FORM, follow_redirects=False)  # no second notice
        assert resumed.headers["location"] == f"{FORM}/p/a_profile?lang=id"
        assert 'value="public" checked' in laptop.get(resumed.headers["location"]).text


def test_coming_back_after_next_opens_the_page_reached(
    client: Client, database: Database, settings: Settings
) -> None:
    begin(client, invite(database, settings)[0])
    answer(client, "intro", {})
    answer(client, "a_profile", PROFILE)
    assert client.get(FORM, follow_redirects=False).headers["location"] == (
        f"{FORM}/p/b_awareness?lang=id"
    )
    answer(client, "b_awareness", {}, action="back")
    assert client.get(FORM, follow_redirects=False).headers["location"] == (
        f"{FORM}/p/a_profile?lang=id"
    )


def test_submit_shows_a_printable_copy_and_closes_the_response(
    client: Client, database: Database, settings: Settings
) -> None:
    token = invite(database, settings)[0]
    begin(client, token)
    last = client.get(f"{FORM}/p/i_barriers").text
    assert "Kirim" in last and "Berikutnya" not in last
    assert answer_all(client).headers["location"] == f"{FORM}/thanks"
    stored = only_response(database)
    assert stored.status == ResponseStatus.COMPLETE.value and stored.completed_at is not None
    assert stored.answers["b4"] == ["micro_credential", "digital_badge"]
    with database.session() as session:
        invitation = session.get(Invitation, stored.invitation_id)
        assert invitation is not None and invitation.completed_at is not None

    thanks = client.get(f"{FORM}/thanks")
    assert thanks.status_code == 200
    for text in (
        "Terima kasih",
        "A. Profil institusi",
        "Negeri (publik)",
        "Pengelola penjaminan mutu",
        "Kredensial mikro; Lencana digital (digital badge)",
        "A shared national register.",
    ):
        assert text in thanks.text, text
    assert "D. Desain kredensial mikro" not in thanks.text  # a page never shown
    assert "Vielen Dank" in client.get(f"{FORM}/thanks?lang=de").text

    for path in (FORM, f"{FORM}/p/a_profile", f"{FORM}/p/i_barriers"):
        moved = client.get(path, follow_redirects=False)
        assert (moved.status_code, moved.headers["location"]) == (303, f"{FORM}/thanks")
    late = answer(client, "a_profile", {**PROFILE, "a2": "religious"})
    assert late.headers["location"] == f"{FORM}/thanks"
    consent = post_form(client, f"{FORM}/consent", {"consent": "yes"})
    assert consent.headers["location"] == f"{FORM}/thanks"
    after = only_response(database)
    assert after.answers == stored.answers
    assert (after.updated_at, after.consented_at) == (stored.updated_at, stored.consented_at)
    assert client.get(f"/i/{token}", follow_redirects=False).status_code == 404


def test_submit_with_an_earlier_answer_missing_shows_that_page(
    client: Client, database: Database, settings: Settings
) -> None:
    begin(client, invite(database, settings)[0])
    jumped = answer(client, "i_barriers", ANSWERS_BY_PAGE["i_barriers"])  # a bookmarked page
    assert jumped.status_code == 422
    assert "A. Profil institusi" in jumped.text
    assert set(error_summary(jumped.text)) == {"a1", "a2", "a3", "a4", "a5"}
    assert only_response(database).status == ResponseStatus.PARTIAL.value


def test_revoking_stops_a_browser_that_opened_the_link_before(
    client: Client, database: Database, settings: Settings
) -> None:
    token = invite(database, settings)[0]
    begin(client, token)
    answer(client, "a_profile", {"a1": "ID"}, action="save")
    with database.transaction() as session:
        invitation = invitations.check_token(session, settings.resolved_secret_key(), token)
        assert invitation is not None
        invitations.revoke(session, invitation)
    unusable = client.get("/i/unknown-token")
    stopped = client.get(FORM)
    assert (stopped.status_code, stopped.text) == (unusable.status_code, unusable.text)
    posted = answer(client, "a_profile", PROFILE)
    assert (posted.status_code, posted.headers["location"]) == (303, FORM)
    assert only_response(database).answers == {"a1": "ID"}


def test_a_language_chosen_on_the_notice_stays_for_the_pages(
    client: Client, database: Database, settings: Settings
) -> None:
    client.get(f"/i/{invite(database, settings)[0]}")  # invited in Bahasa Indonesia
    notice = client.get(f"{FORM}?lang=de")
    assert "Bevor Sie beginnen" in notice.text
    post_form(client, f"{FORM}/consent", {"consent": "yes", "language": "de"})
    assert only_response(database).language == "Deutsch (de)"
    moved = answer(client, "intro", {})
    assert moved.headers["location"] == f"{FORM}/p/a_profile?lang=de"
    refused = answer(client, "a_profile", {"a1": "DE"})
    assert "Bitte beantworten Sie diese Frage." in refused.text

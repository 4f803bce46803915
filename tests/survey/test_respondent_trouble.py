"""When a questionnaire page fails, the respondent reads why in their own language first.

The pages come from the running app: a questionnaire that does not exist, a form
sent without its CSRF token, and a database that cannot be reached (the platform
pointed at a port where nothing listens). Staff pages keep the platform's error page.
"""

from __future__ import annotations

import re

from litestar.testing import TestClient

from microcasa.app import create_app
from microcasa.db import Database
from survey.demo import publish_bundled_form
from survey.respondent_trouble import kind_of
from tests.conftest import make_settings

FORM_ID = "microcasa_hei"


def _languages(html: str) -> list[str]:
    return re.findall(r'<section lang="(\w+)">', html)


def test_an_unknown_questionnaire_answers_in_the_browsers_language(client: TestClient) -> None:  # type: ignore[type-arg]
    page = client.get("/s/no-such-form", headers={"accept-language": "ms-MY,ms;q=0.9,en;q=0.5"})
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert _languages(page.text) == ["ms", "en", "id", "fil", "de", "it", "es"]
    assert '<html lang="ms">' in page.text
    assert page.text.index("Halaman ini tidak wujud") < page.text.index("This page does not exist")


def test_a_form_without_its_token_says_the_page_is_stale(
    client: TestClient,  # type: ignore[type-arg]
    database: Database,
) -> None:
    with database.transaction() as session:
        publish_bundled_form(session)  # published and open
    page = client.post(f"/s/{FORM_ID}/consent?lang=de", data={"consent": "yes"})
    assert page.status_code == 403
    assert _languages(page.text)[0] == "de"
    assert "nicht mehr aktuell" in page.text


def test_an_unreachable_database_is_a_503_in_the_respondents_language() -> None:
    settings = make_settings("postgresql+psycopg://postgres@127.0.0.1:1/test")
    with TestClient(create_app(settings)) as client:
        page = client.get(f"/s/{FORM_ID}?lang=id", headers={"accept-language": "es"})
        staff = client.get("/login")  # a staff page: the platform's own error page
    assert page.status_code == 503
    assert page.headers["retry-after"] == "5"
    assert _languages(page.text)[:2] == ["id", "en"]  # ?lang= before the browser's language
    assert "Kuesioner tidak tersedia saat ini" in page.text
    assert "The answers you saved before are kept" in page.text
    assert "<section lang=" not in staff.text


def test_each_status_has_its_words() -> None:
    assert kind_of(503, cannot_write=True) == "storage"
    assert kind_of(503, cannot_write=False) == "unavailable"
    assert kind_of(500, cannot_write=False) == "failure"
    assert kind_of(403, cannot_write=False) == "stale"
    assert kind_of(404, cannot_write=False) == "missing"
    assert kind_of(429, cannot_write=False) == "attempts"
    assert kind_of(413, cannot_write=False) == "refused"

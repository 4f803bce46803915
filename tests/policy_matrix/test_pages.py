"""Staff pages of the policy matrix: the grid, a cell, editing, changes, compare, add a country."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html import unescape
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import select

from microcasa.auth.models import User
from microcasa.db import Database, utcnow
from policy_matrix import indicators, service
from policy_matrix.models import PolicyChange, PolicyEntry, PolicyJurisdiction
from tests.conftest import Browser, csrf_token
from tests.survey.fieldwork_support import sign_in, staff

Client = TestClient[Litestar]
DE_PM01 = "/policy/cell/DE/PM01"
MY_PM09 = "/policy/cell/MY/PM09"


@pytest.fixture
def bundled(database: Database) -> Database:
    with database.transaction() as session:
        service.load_bundled(session)
    return database


@pytest.fixture
def researcher(client: Client, bundled: Database) -> User:
    user = staff(bundled, "res@uni.example")
    sign_in(client, user)
    return user


class _FormReader(HTMLParser):
    """What a browser would send for the page's form with the given id."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.fields: list[tuple[str, str]] = []
        self.select: str | None = None
        self.options: list[tuple[str, bool]] = []
        self.textarea: str | None = None
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside:
            return
        if tag == "input" and a.get("name"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self.select, self.options = a["name"], []
        elif tag == "option" and self.select is not None:
            self.options.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea":
            self.textarea, self.text = a["name"], ""

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            self.text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select" and self.select is not None:
            chosen = [v for v, selected in self.options if selected] or [self.options[0][0]]
            self.fields.append((self.select, chosen[0]))
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            self.fields.append((self.textarea, unescape(self.text)))
            self.textarea = None


def _edit_form(client: Client, cell: str) -> dict[str, Any]:
    """The cell's edit form as loaded, as name → value (a list for checkboxes)."""
    page = client.get(f"{cell}/edit")
    assert page.status_code == 200, page.text
    reader = _FormReader("cell-form")
    reader.feed(page.text)
    form: dict[str, Any] = {}
    for name, value in reader.fields:
        if name in form:
            form[name] = [*([form[name]] if isinstance(form[name], str) else form[name]), value]
        else:
            form[name] = value
    return form


def _post(client: Client, path: str, form: dict[str, Any]) -> httpx.Response:
    data = {**form, "_csrf_token": csrf_token(client)}
    return client.post(path, data=data, follow_redirects=False)


def _history(database: Database, code: str = "DE", dimension: str = "PM01") -> list[PolicyChange]:
    with database.session() as session:
        return list(
            session.exec(
                select(PolicyChange).where(
                    PolicyChange.jurisdiction == code, PolicyChange.dimension == dimension
                )
            )
        )


def _entry(database: Database, code: str, dimension: str) -> PolicyEntry:
    with database.session() as session:
        entry = session.exec(
            select(PolicyEntry).where(
                PolicyEntry.jurisdiction == code, PolicyEntry.dimension == dimension
            )
        ).one()
        return entry


def _day(moment: datetime) -> str:
    return moment.date().isoformat()


def _grid_cell(page: str, code: str, dimension: str) -> str:
    """The words shown in one cell of the grid, with its status class."""
    link = f'<a href="/policy/cell/{code}/{dimension}"'
    found = re.search(rf'<td class="pm-cell ([\w -]+)">{link}[^>]*>([^<]+)</a>', page)
    assert found, f"no cell {code}/{dimension}"
    return f"{found.group(2)} [{found.group(1).strip()}]"


def _columns(page: str) -> list[str]:
    return re.findall(r'<th scope="col"[^>]*><abbr title="[^"]*">(\w+)</abbr>', page)


def _rows(page: str) -> list[str]:
    return re.findall(r'<th scope="row"><span class="pm-id">(PM\d\d)</span>', page)


def test_the_grid_shows_statuses_in_words_and_filters_by_theme_and_region(
    client: Client, bundled: Database
) -> None:
    sign_in(client, staff(bundled, "org@uni.example", role="organiser"))
    page = client.get("/policy")
    assert page.status_code == 200
    assert _columns(page.text) == ["MY", "ID", "PH", "DE", "IT", "ES", "EU", "ASEAN"]
    assert page.text.count('<span class="pm-reference-mark">reference</span>') == 2
    assert _grid_cell(page.text, "MY", "PM01") == "adopted [pm-status-adopted]"
    assert _grid_cell(page.text, "DE", "PM01") == "under discussion [pm-status-under_discussion]"
    assert _grid_cell(page.text, "DE", "PM03") == "unknown [pm-status-unknown]"
    assert len(_rows(page.text)) == 25
    assert indicators.MATURITY_RULE in unescape(page.text)
    assert 'href="/policy/compare?c=MY">' in page.text
    for link in ("/policy/compare", "/policy/changes", "/policy/workbook"):
        assert f'href="{link}"' in page.text
    assert 'href="/policy/import"' not in page.text  # organisers do not import
    assert 'href="/policy/add-country"' not in page.text

    credits = client.get("/policy", params={"theme": "credits"})
    assert _rows(credits.text) == ["PM08", "PM09"]

    asean = client.get("/policy", params={"region": "ASEAN"})
    assert _columns(asean.text) == ["MY", "ID", "PH", "EU", "ASEAN"]
    assert re.findall(r'<th scope="row">[^<]+\((\w+)\)</th>', asean.text) == ["MY", "ID", "PH"]

    wrong = client.get("/policy", params={"theme": "astrology", "as_of": "2026-13-01"})
    assert wrong.status_code == 422
    text = unescape(wrong.text)
    assert "There is no theme “astrology”" in text
    assert "As of: Give a date as YYYY-MM-DD" in text
    assert len(_rows(wrong.text)) == 25  # shown without the filters


def test_the_grid_as_of_a_date_shows_the_matrix_as_it_stood(
    client: Client, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded = utcnow() - timedelta(days=10)
    with monkeypatch.context() as patch, database.transaction() as session:
        patch.setattr(service, "utcnow", lambda: loaded)
        service.load_bundled(session)
        for row in session.exec(select(PolicyJurisdiction)):
            row.created_at = loaded
            session.add(row)
    user = staff(database, "res@uni.example")
    sign_in(client, user)
    form = _edit_form(client, DE_PM01)
    form.update(status="adopted", reason="KMK resolution adopted")
    assert _post(client, DE_PM01, form).status_code == 303

    now = client.get("/policy")
    assert _grid_cell(now.text, "DE", "PM01") == "adopted [pm-status-adopted]"
    before = client.get("/policy", params={"as_of": _day(loaded + timedelta(days=5))})
    assert before.status_code == 200
    assert "The matrix as it stood at the end of" in before.text
    assert _grid_cell(before.text, "DE", "PM01") == "under discussion [pm-status-under_discussion]"
    empty = client.get("/policy", params={"as_of": _day(loaded - timedelta(days=1))})
    assert _columns(empty.text) == []
    assert "The matrix had no jurisdictions on that date" in empty.text
    future = client.get("/policy", params={"as_of": _day(utcnow() + timedelta(days=2))})
    assert future.status_code == 422
    assert "is in the future" in future.text


def test_a_cell_shows_its_value_evidence_and_history(client: Client, bundled: Database) -> None:
    organiser = staff(bundled, "org@uni.example", role="organiser")
    sign_in(client, organiser)
    page = client.get("/policy/cell/MY/PM01")
    assert page.status_code == 200
    text = unescape(page.text)
    assert "National MC definition" in text
    assert "EU reference:" in text
    assert "<dt>Definition, quoted or paraphrased</dt>" in text
    assert '<a href="https://umtlife.umt.edu.my/en/?p=3333" rel="noopener noreferrer">' in text
    assert "Malaysian Qualifications Agency (MQA)" in text
    history = re.findall(r"<td>(bundled)</td>\s*<td>(Bundled research data[^<]*)</td>", text)
    assert len(history) == 1
    assert "/edit" not in page.text  # organisers read only

    lists = client.get("/policy/cell/MY/PM02").text
    assert "<li>APEL.M (APEL for micro-credentials), MQA Notification Letter 1/2023</li>" in lists
    assert "agency guideline" in lists

    assert client.get("/policy/cell/XX/PM01").status_code == 404
    missing = client.get("/policy/cell/MY/PM99")
    assert missing.status_code == 404
    assert "There is no dimension" in unescape(missing.text)


def test_a_researcher_edits_a_cell_and_its_history_gains_the_reason(
    client: Client, researcher: User, bundled: Database
) -> None:
    assert 'href="/policy/cell/DE/PM01/edit"' in client.get(DE_PM01).text
    sources = _entry(bundled, "DE", "PM01").evidence
    form = _edit_form(client, DE_PM01)
    assert form["status"] == "under_discussion"
    assert form["revision"] == "1"
    form.update(
        {
            "status": "adopted",
            "value.eu_alignment": "partial",
            "notes": "Adopted by the KMK.",
            "reason": "KMK resolution of 2026",
        }
    )
    response = _post(client, DE_PM01, form)
    assert response.status_code == 303
    assert response.headers["location"] == DE_PM01

    entry = _entry(bundled, "DE", "PM01")
    assert (entry.status, entry.revision, entry.notes) == ("adopted", 2, "Adopted by the KMK.")
    assert entry.value is not None and entry.value["eu_alignment"] == "partial"
    assert entry.evidence == sources  # kept as they were; the two blank ones left out
    page = client.get(DE_PM01)
    assert "Saved DE/PM01" in page.text
    rows = re.findall(r"<tr>\s*<td>[\d: -]+</td>\s*<td>([^<]+)</td>(.*?)</tr>", page.text, re.S)
    assert [who for who, _ in rows] == ["res@uni.example", service.BUNDLED_ACTOR]
    newest = rows[0][1]
    assert "KMK resolution of 2026" in newest
    assert "status, value, notes" in newest
    assert "under discussion</span> → <span" in newest

    unchanged = _post(client, DE_PM01, {**_edit_form(client, DE_PM01), "reason": "again"})
    assert unchanged.status_code == 303
    assert "Nothing changed" in client.get(DE_PM01).text
    assert len(_history(bundled)) == 2


def test_lists_bodies_and_booleans_go_through_the_form(
    client: Client, researcher: User, bundled: Database
) -> None:
    path = "/policy/cell/DE/PM03"
    form = _edit_form(client, path)
    assert "value.bodies[6].name" in form and "value.bodies[7].name" not in form  # six blank
    form.update(
        {
            "status": "adopted",
            "value.bodies[2].name": "ANVUR",
            "value.bodies[2].role": "qa_agency",
            "value.bodies[5].name": "MUR",
            "value.bodies[5].role": "ministry",
            "evidence[1].title": "ANVUR",
            "evidence[1].url": "https://www.anvur.it/",
            "reason": "Bodies named",
        }
    )
    assert _post(client, path, form).status_code == 303
    entry = _entry(bundled, "DE", "PM03")
    assert entry.value == {
        "bodies": [{"name": "ANVUR", "role": "qa_agency"}, {"name": "MUR", "role": "ministry"}]
    }
    page = client.get(path).text
    assert "name: ANVUR; role: qa agency" in page

    path = "/policy/cell/IT/PM21"
    form = _edit_form(client, path)
    form.update(
        {
            "status": "implemented",
            "value.exists": "yes",
            "value.url": "https://example.org/register",
            "evidence[1].title": "Register",
            "evidence[1].url": "https://example.org/register",
            "reason": "Register found",
        }
    )
    assert _post(client, path, form).status_code == 303
    assert _entry(bundled, "IT", "PM21").value == {
        "exists": True,
        "url": "https://example.org/register",
    }
    assert "<dd>yes</dd>" in client.get(path).text
    assert _edit_form(client, path)["value.exists"] == "yes"

    path = "/policy/cell/MY/PM20"
    form = _edit_form(client, path)
    assert "value.standards" not in form  # no box ticked yet
    form.update({"value.standards": ["w3c_vc", "ebsi"], "reason": "Standards named"})
    assert _post(client, path, form).status_code == 303
    assert _entry(bundled, "MY", "PM20").value == {
        "infrastructure": "national_platform",
        "standards": ["w3c_vc", "ebsi"],
    }
    assert "<dd>w3c vc, ebsi</dd>" in client.get(path).text
    assert _edit_form(client, path)["value.standards"] == ["w3c_vc", "ebsi"]

    path = "/policy/cell/MY/PM02"
    form = _edit_form(client, path)
    assert len(form["value.instruments"].splitlines()) == 3
    form.update({"value.instruments": "Act 1\n\n  Act 2  \n", "reason": "Instruments renamed"})
    assert _post(client, path, form).status_code == 303
    value = _entry(bundled, "MY", "PM02").value
    assert value is not None and value["instruments"] == ["Act 1", "Act 2"]


def test_a_coordinator_edits_their_own_country_only(client: Client, bundled: Database) -> None:
    sign_in(client, staff(bundled, "koord@uni.example", role="coordinator", country="MY"))
    form = _edit_form(client, "/policy/cell/MY/PM07")
    form["reason"] = "Checked with MQA"
    form["notes"] = "Checked."
    assert _post(client, "/policy/cell/MY/PM07", form).status_code == 303
    assert _entry(bundled, "MY", "PM07").notes == "Checked."

    assert 'href="/policy/cell/DE/PM01/edit"' not in client.get(DE_PM01).text
    for code in ("DE", "EU"):
        path = f"/policy/cell/{code}/PM01"
        history = len(_history(bundled, code))
        assert client.get(f"{path}/edit").status_code == 403
        refused = _post(client, path, {"status": "none", "reason": "mine now", "revision": "1"})
        assert refused.status_code == 403
        assert "Not allowed" in refused.text
        assert len(_history(bundled, code)) == history
    assert client.get("/policy/add-country").status_code == 403


def test_a_missing_reason_is_shown_at_the_reason_with_the_field_errors(
    client: Client, researcher: User, bundled: Database
) -> None:
    form = _edit_form(client, MY_PM09)
    form.update({"value.min": "forty", "value.max": "400", "reason": "  "})
    response = _post(client, MY_PM09, form)
    assert response.status_code == 422
    page = response.text
    assert '<p class="field-error" id="reason-error">Say why you make this change' in page
    assert '<p class="field-error" id="value.min-error">Give a number.</p>' in page
    assert 'href="#reason"' in page and 'href="#value.min"' in page
    assert 'value="forty"' in page  # the input is kept
    assert len(_history(bundled, "MY", "PM09")) == 1
    assert _entry(bundled, "MY", "PM09").revision == 1


def test_source_errors_land_at_the_source_as_numbered_in_the_form(
    client: Client, researcher: User, bundled: Database
) -> None:
    form = _edit_form(client, DE_PM01)
    last = max(int(n) for n in re.findall(r"evidence\[(\d+)\]\.title", " ".join(form)))
    form.update(
        {
            f"evidence[{last}].title": "KMK",  # the source before it stays blank
            f"evidence[{last}].url": "kmk.org",
            "as_of": "2026-02-30",
            "reason": "More sources",
        }
    )
    response = _post(client, DE_PM01, form)
    assert response.status_code == 422
    assert f'id="evidence[{last}].url-error">Give a web address' in response.text
    assert 'id="as_of-error">Give a date as YYYY-MM-DD' in response.text
    assert f'href="#evidence[{last}].url">Source {last}: Web address (URL)' in response.text


def test_an_edit_on_an_outdated_copy_is_refused(
    client: Client, researcher: User, bundled: Database
) -> None:
    mine = _edit_form(client, DE_PM01)
    theirs = _edit_form(client, DE_PM01)
    theirs.update(notes="First.", reason="first")
    assert _post(client, DE_PM01, theirs).status_code == 303
    mine.update(notes="Second.", reason="second")
    response = _post(client, DE_PM01, mine)
    assert response.status_code == 409
    assert "was changed by someone else after you opened it" in response.text
    assert f'<a href="{DE_PM01}">Open DE · PM01' in response.text
    assert "Second." in response.text  # kept to copy
    assert _entry(bundled, "DE", "PM01").notes == "First."


def test_a_post_without_the_csrf_token_changes_nothing(
    client: Client, researcher: User, bundled: Database
) -> None:
    form = {**_edit_form(client, DE_PM01), "notes": "forged", "reason": "forged"}
    del form["_csrf_token"]
    response = client.post(DE_PM01, data=form, follow_redirects=False)
    assert response.status_code == 403
    assert len(_history(bundled)) == 1
    assert _entry(bundled, "DE", "PM01").notes != "forged"


def test_notes_are_shown_escaped(client: Client, researcher: User, bundled: Database) -> None:
    attack = "<script>alert(1)</script>"
    form = {**_edit_form(client, DE_PM01), "notes": attack, "reason": f"test {attack}"}
    assert _post(client, DE_PM01, form).status_code == 303
    for page in (client.get(DE_PM01).text, client.get("/policy").text):
        assert attack not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert attack not in client.get("/policy/changes").text


def test_the_changes_page_lists_the_edits_between_two_dates(
    client: Client, researcher: User, bundled: Database
) -> None:
    form = {**_edit_form(client, DE_PM01), "status": "draft", "reason": "Draft published"}
    assert _post(client, DE_PM01, form).status_code == 303
    page = client.get("/policy/changes")
    assert page.status_code == 200
    rows = re.findall(r'<a href="/policy/cell/(\w+)/(PM\d\d)">', page.text)
    assert len(rows) == 8 * 24 + 1  # the bundled load and the edit
    edit = page.text[page.text.index("Draft published") - 400 :]
    assert f'<a href="{DE_PM01}">DE · PM01</a>' in edit
    assert "res@uni.example" in edit and "<td>web</td>" in edit
    assert 'under discussion</span> → <span class="pm-status pm-status-draft">draft' in edit

    today = _day(utcnow())
    old = client.get("/policy/changes", params={"from": "2020-01-01", "to": "2020-01-31"})
    assert "0 change(s) from 2020-01-01 to 2020-01-31" in old.text
    backwards = client.get("/policy/changes", params={"from": today, "to": "2020-01-01"})
    assert backwards.status_code == 422
    assert f"The first date ({today}) comes after the second (2020-01-01)." in backwards.text
    wrong = client.get("/policy/changes", params={"from": "yesterday"})
    assert wrong.status_code == 422
    assert "From: Give a date as YYYY-MM-DD" in wrong.text


def test_compare_marks_the_rows_where_the_chosen_countries_differ(
    client: Client, researcher: User, bundled: Database
) -> None:
    page = client.get("/policy/compare", params={"c": ["MY", "DE"]})
    assert page.status_code == 200
    rows = dict(
        re.findall(
            r'<tr class="([\w-]*)">\s*<th scope="row"><span class="pm-id">(PM\d\d)</span>',
            page.text,
        )[i][::-1]
        for i in range(25)
    )
    assert rows["PM01"] == "pm-differs"  # adopted vs under discussion
    assert rows["PM25"] == ""  # computed: stored for neither
    assert page.text.count("<strong>differs</strong>") == list(rows.values()).count("pm-differs")
    headers = re.findall(r'<th scope="col"[^>]*>([^<]+)', page.text)
    assert headers[2:] == ["Malaysia (MY)", "Germany (DE)", "EU"]
    assert "<h3>Malaysia (MY)</h3>" in page.text and "<h3>Germany (DE)</h3>" in page.text
    assert "Gaps to the EU reference:" in page.text

    every = client.get("/policy/compare")
    assert len(re.findall(r"<h3>", every.text)) == 6
    unknown = client.get("/policy/compare", params={"c": "XX"})
    assert unknown.status_code == 404
    assert "There is no jurisdiction “XX”" in unescape(unknown.text)


def test_a_researcher_adds_a_country(client: Client, researcher: User, bundled: Database) -> None:
    assert client.get("/policy/add-country").status_code == 200
    wrong = _post(client, "/policy/add-country", {"code": "XX", "name": "", "region": "ASEAN"})
    assert wrong.status_code == 422
    assert '<p class="field-error" id="code-error">Give the two-letter ISO 3166-1 code' in (
        wrong.text
    )
    assert 'value="XX"' in wrong.text

    added = _post(client, "/policy/add-country", {"code": "th", "name": "", "region": "ASEAN"})
    assert added.status_code == 303
    assert added.headers["location"] == "/policy"
    grid = client.get("/policy")
    assert "Thailand (TH) is now a column of the matrix." in grid.text
    assert _columns(grid.text) == ["MY", "ID", "PH", "DE", "IT", "ES", "TH", "EU", "ASEAN"]
    assert _grid_cell(grid.text, "TH", "PM01") == "not entered [pm-empty]"

    again = _post(client, "/policy/add-country", {"code": "TH", "name": "", "region": "ASEAN"})
    assert again.status_code == 409
    assert 'id="code-error">The matrix has a jurisdiction TH already.' in again.text


def test_a_computed_dimension_is_not_edited(
    client: Client, researcher: User, bundled: Database
) -> None:
    page = client.get("/policy/cell/MY/PM25")
    assert page.status_code == 200
    assert "/edit" not in page.text
    refused = client.get("/policy/cell/MY/PM25/edit")
    assert refused.status_code == 422
    assert "computed by the platform" in refused.text


def test_pages_work_on_an_empty_matrix(client: Client, database: Database) -> None:
    with Browser(client) as browser:
        sign_in(browser, staff(database, "admin@uni.example", role="admin"))
        for path in ("/policy", "/policy/changes", "/policy/compare", "/policy/add-country"):
            assert browser.get(path).status_code == 200, path
        assert browser.get(DE_PM01).status_code == 404
        posted = browser.post(
            DE_PM01,
            data={"_csrf_token": csrf_token(browser)},
            follow_redirects=False,
        )
        assert posted.status_code == 404

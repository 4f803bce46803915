"""The analysis pages: forms, comparative tables, a table as CSV, and response progress."""

from __future__ import annotations

import csv
import io
import re
from html import unescape

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import col, select

from analysis import service
from analysis.frame import load_responses
from analysis.report import build_report
from analysis.synthetic import load_synthetic
from analysis.table_model import Table
from microcasa.auth.models import User
from microcasa.db import Database
from survey import versions
from survey.models import Response
from survey.submissions import submit_api
from tests.survey.fieldwork_support import ANSWERS, FORM_ID, sign_in, staff, submission

Client = TestClient[Litestar]
REPORT = f"/analysis/{FORM_ID}"


@pytest.fixture
def responses(database: Database) -> Database:
    with database.transaction() as session:
        load_synthetic(session, 90, seed=11)
    service.FRAMES.clear()
    service.REPORTS.clear()
    return database


def _as(client: Client, database: Database, role: str, country: str | None = None) -> User:
    user = staff(database, f"{role}@uni.example", role=role, country=country)
    sign_in(client, user)
    return user


def _reference(database: Database, **options: str) -> tuple[Table, ...]:
    with database.session() as session:
        frame = load_responses(session, FORM_ID)
    return build_report(frame, **options).tables  # type: ignore[arg-type]


def _cells(html: str, question: str) -> list[list[str]]:
    """The text of every body row of a question's table on the page."""
    article = re.search(rf'<article class="an-item" id="q-{question}".*?</article>', html, re.S)
    assert article, f"no table for {question}"
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", article.group(0), re.S)
    return [
        [" ".join(unescape(re.sub(r"<[^>]+>", " ", cell)).split()) for cell in cells]
        for cells in (re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S) for row in rows)
    ]


def test_the_synthetic_flag_marks_demo_responses(responses: Database) -> None:
    with responses.session() as session:
        flags = session.exec(select(col(Response.synthetic))).all()
        forms = service.analysable_forms(session)
    assert len(flags) == 90 and all(flags)
    assert [(f.form_id, f.complete, f.synthetic) for f in forms] == [(FORM_ID, 90, 90)]


def test_researchers_see_every_count_with_the_reports_numbers(
    client: Client, responses: Database
) -> None:
    _as(client, responses, "researcher")
    page = client.get(REPORT, params={"section": "all"})
    assert page.status_code == 200
    assert "SYNTHETIC DEMO DATA" in page.text
    tables = _reference(responses)
    checked = 0
    for table in tables:
        if table.kind not in ("categorical", "likert"):
            continue
        rows = _cells(page.text, table.question)
        header = rows[0]
        assert header[-1].startswith("Total")  # and "low base" when it is one
        for row, cells in zip(table.rows, rows[1:], strict=False):
            assert cells[0].startswith(row.label)
            for group, cell in zip(table.groups, cells[1:], strict=True):
                assert f"({row.counts[group]})" in cell or cell == str(row.counts[group])
        valid = next(cells for cells in rows if cells[0] == "Valid N")
        assert valid[1:] == [f"{table.n_valid[g]:,}" for g in table.groups]
        checked += 1
    assert checked >= 20
    assert page.text.count("<svg") >= len(tables)
    assert "Method notes" in page.text


def test_organisers_see_small_counts_hidden(client: Client, responses: Database) -> None:
    small = [
        (table, row, group)
        for table in _reference(responses)
        if table.kind in ("categorical", "likert")
        for row in table.rows
        for group in table.groups
        if 0 < (row.counts[group] or 0) < 5
    ]
    assert small, "the synthetic sample has small cells"
    _as(client, responses, "organiser")
    page = client.get(REPORT, params={"section": "all"})
    assert page.status_code == 200
    assert "hidden (small count)" in page.text
    table, row, group = small[0]
    rows = _cells(page.text, table.question)
    column = table.groups.index(group) + 1
    cells = next(cells for cells in rows[1:] if cells[0].startswith(row.label))
    assert cells[column].startswith("–")
    # and the organiser may not lift it
    again = client.get(REPORT, params={"section": "all", "view": ""})
    assert "hidden (small count)" in again.text


def test_a_table_downloads_as_csv(client: Client, responses: Database) -> None:
    _as(client, responses, "researcher")
    table = next(t for t in _reference(responses) if t.kind == "likert")
    reply = client.get(f"{REPORT}/tables/{table.question}/csv")
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/csv")
    assert reply.headers["content-disposition"].startswith("attachment; filename=")
    assert reply.headers["cache-control"] == "no-store"
    rows = list(csv.reader(io.StringIO(reply.text.removeprefix("\ufeff"))))
    assert rows[0] == [table.label]
    first = table.rows[0]
    line = next(r for r in rows if r[:1] == [first.value])
    assert int(line[2]) == first.counts[table.groups[0]]
    assert float(line[3]) == pytest.approx(first.percent[table.groups[0]])
    valid = next(r for r in rows if r[1:2] == ["Valid N"])
    assert int(valid[-4]) == table.n_valid["Total"]


def test_bad_choices_are_named_and_change_nothing(client: Client, responses: Database) -> None:
    _as(client, responses, "researcher")
    bad_filter = client.get(REPORT, params={"filter": "nosuch=1"})
    assert bad_filter.status_code == 422
    assert "Filter:" in bad_filter.text and "nosuch" in bad_filter.text
    bad_by = client.get(REPORT, params={"by": "drop table"})
    assert bad_by.status_code == 422
    assert "There is no column “drop table”" in unescape(bad_by.text)
    text = next(t.question for t in _reference(responses) if t.kind == "numeric")
    not_single = client.get(REPORT, params={"by": text})
    assert not_single.status_code == 422
    assert "single-choice" in not_single.text
    bad_language = client.get(REPORT, params={"lang": "xx"})
    assert bad_language.status_code == 422
    assert client.get("/analysis/no_such_form").status_code == 404
    missing = client.get(f"{REPORT}/tables/no_question/csv")
    assert missing.status_code == 404 and "no question" in missing.text


def test_a_filter_and_another_grouping(client: Client, responses: Database) -> None:
    _as(client, responses, "researcher")
    reference = _reference(responses, by="a2", filter="country in MY,ID")
    page = client.get(REPORT, params={"by": "a2", "filter": "country in MY,ID", "section": "all"})
    assert page.status_code == 200
    table = reference[0]
    rows = _cells(page.text, table.question)
    valid = next(cells for cells in rows if cells[0] == "Valid N")
    assert valid[1:] == [f"{table.n_valid[g]:,}" for g in table.groups]
    assert "country in MY,ID" in unescape(page.text)


def test_the_tables_follow_new_responses(client: Client, responses: Database) -> None:
    _as(client, responses, "researcher")
    before = client.get(REPORT)
    assert "90 of 90" in before.text
    with responses.transaction() as session:
        questionnaire = versions.get_questionnaire(session, FORM_ID)
        body = submission(dict(ANSWERS), country="MY")
        submit_api(
            session, questionnaire, body, invitation=None, country_scope=None, submitted_by_id=None
        )
    after = client.get(REPORT)
    assert "91 of 91" in after.text


def test_no_responses_yet(client: Client, database: Database) -> None:
    with database.transaction() as session:
        load_synthetic(session, 0)
    _as(client, database, "researcher")
    page = client.get(REPORT)
    assert page.status_code == 200
    assert "has no complete responses yet" in unescape(page.text)


def test_progress_by_country_and_a_coordinators_own(client: Client, responses: Database) -> None:
    with responses.session() as session:
        per_country = {
            c: n
            for c, n in session.exec(select(col(Response.country), col(Response.id))).all()
            if c
        }
        counted: dict[str, int] = {}
        for country in session.exec(select(col(Response.country))).all():
            counted[country] = counted.get(country, 0) + 1
    assert per_country
    _as(client, responses, "organiser")
    page = client.get(f"{REPORT}/progress")
    assert page.status_code == 200
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", page.text)).split())
    for country, n in counted.items():
        assert re.search(rf"{country} 0 0 0 0 {n} 0", text), country
    assert re.search(rf"Total 0 0 0 0 {sum(counted.values())} 0", text)

    client.cookies.clear()
    _as(client, responses, "coordinator", country="MY")
    own = client.get(f"{REPORT}/progress")
    body = " ".join(unescape(re.sub(r"<[^>]+>", " ", own.text)).split())
    assert own.status_code == 200
    assert f"MY 0 0 0 0 {counted['MY']} 0" in body
    assert "ID 0" not in body and "Total 0" not in body
    assert client.get(REPORT).status_code == 403
    listing = client.get("/analysis")
    assert "Progress" in listing.text and f'href="{REPORT}"' not in listing.text


def test_policy_beside_survey(client: Client, responses: Database) -> None:
    from policy_matrix import service as matrix_service

    with responses.transaction() as session:
        matrix_service.load_bundled(session)
    _as(client, responses, "researcher")
    page = client.get(f"{REPORT}/policy")
    assert page.status_code == 200
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", page.text)).split())
    assert "Malaysia (MY)" in text and "Rank correlations between countries" in text
    assert "descriptive: fewer than 10 countries" in text
    assert "SYNTHETIC DEMO DATA" in text


def test_scales_appear_with_their_section(client: Client, responses: Database) -> None:
    with responses.session() as session:
        frame = load_responses(session, FORM_ID)
    report = build_report(frame)
    scales = report.scales
    assert scales, "the bundled questionnaire has Likert grids"
    _as(client, responses, "researcher")
    page = client.get(REPORT, params={"section": "all"})
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", page.text)).split())
    assert text.count("Scale reliability:") == len(scales)
    for scale in scales:
        assert scale.alpha is not None
        assert f"All {scale.n:,} {scale.alpha:.2f}" in text
        assert all(f"({', '.join(scale.items)})" in text for scale in scales)


def test_organisers_do_not_see_policy_shares_on_few_answers(
    client: Client, responses: Database
) -> None:
    from analysis.policy_survey import policy_survey
    from policy_matrix import service as matrix_service

    with responses.transaction() as session:
        matrix_service.load_bundled(session)
    with responses.session() as session:
        found = policy_survey(load_responses(session, FORM_ID), matrix_service.matrix(session))
    shares = [
        share
        for row in found.rows
        for share in (row.offering, row.awareness, row.recognising)
        if share is not None
    ]
    small = sum(1 for s in shares if 0 < s.k < 5 or 0 < s.n - s.k < 5)
    assert 0 < small < len(shares), "the sample has shares on few answers, and others"
    _as(client, responses, "organiser")
    page = client.get(f"{REPORT}/policy")
    assert page.status_code == 200
    assert page.text.count("hidden (small count)") == small


def test_a_newer_response_set_drops_the_older_reports(client: Client, responses: Database) -> None:
    _as(client, responses, "researcher")
    client.get(REPORT)
    client.get(REPORT, params={"by": "a2"})
    assert len(service.FRAMES.items) == 1 and len(service.REPORTS.items) == 2
    with responses.transaction() as session:
        questionnaire = versions.get_questionnaire(session, FORM_ID)
        body = submission(dict(ANSWERS), country="ID")
        submit_api(
            session, questionnaire, body, invitation=None, country_scope=None, submitted_by_id=None
        )
    client.get(REPORT)
    assert len(service.FRAMES.items) == 1 and len(service.REPORTS.items) == 1

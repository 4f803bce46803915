"""Country summaries for roundtables: numbers, ranks, quotable comments, workbook, pages, CLI."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import TestClient
from openpyxl import load_workbook
from sqlmodel import select

from analysis import service
from analysis.policy_survey import policy_survey
from analysis.synthetic import load_synthetic
from exports.country import CountryUnknown, country_summary
from exports.country_comments import REMOVED, remove_names
from exports.country_workbook import country_workbook
from microcasa.cli import main
from microcasa.db import Database
from policy_matrix import service as matrix_service
from survey import versions
from survey.institutions import find_or_add
from survey.models import Response
from survey.submissions import submit_api
from tests.conftest import PASSWORD, TEST_SECRET, post_form
from tests.survey.fieldwork_support import ANSWERS, FORM_ID, sign_in, staff, submission

Client = TestClient[Litestar]
REGISTRY = ("Universiti Kebangsaan Malaysia", "Technische Universität München")
NAMED = (
    "Prof. Dr. Ahmad Ismail of Universiti Kebangsaan Malaysia says we need funding; "
    "write to ahmad.ismail@ukm.edu.my or see https://www.ukm.my/microcredentials. "
    "Kolej Contoh Jaya agrees, and so does Technische Universität München."
)
FORMULAS = ('=HYPERLINK("http://evil.example","click")', "+1", "@x", "-2+3", "\t=1+1")
SCRIPT = "<script>alert('canary')</script> {{7*7}}"


def _respond(session: Any, country: str, answers: dict[str, Any]) -> int:
    questionnaire = versions.get_questionnaire(session, FORM_ID)
    listed = country in ("MY", "ID", "PH", "DE", "IT", "ES")
    body = submission({**ANSWERS, "a1": country if listed else "other", **answers}, country=country)
    stored = submit_api(
        session, questionnaire, body, invitation=None, country_scope=None, submitted_by_id=None
    )
    response = session.exec(select(Response).where(Response.instance_id == body["instance_id"]))
    found = response.one()
    assert stored.created and found.status == "complete"
    return int(found.id)


@pytest.fixture
def study(database: Database) -> Database:
    """The bundled matrix, 240 synthetic responses and a few written for these tests."""
    with database.transaction() as session:
        matrix_service.load_bundled(session)
        load_synthetic(session, 240, seed=7)
        for name, country in zip(REGISTRY, ("MY", "DE"), strict=True):
            find_or_add(session, country=country, name=name)
        own, _ = find_or_add(session, country="MY", name="Kolej Contoh Jaya")
        named = _respond(session, "MY", {"i4": NAMED, "i5": "yes"})
        row = session.get(Response, named)
        assert row is not None
        row.institution_id, row.institution_name = own.id, "Kolej Contoh Jaya"
        session.add(row)
        _respond(session, "MY", {"i4": "SECRET-REFUSED to be quoted", "i5": "no"})
        _respond(session, "MY", {"i4": "SECRET-NOT-ASKED whether to quote"})
        _respond(session, "ID", {"i4": "SECRET-OTHER-COUNTRY", "i5": "yes"})
        for text in (*FORMULAS, SCRIPT):
            _respond(session, "MY", {"i4": text, "i5": "yes"})
        # Singapore: three answers only, so its shares rest on counts of 1 and 2.
        for stage in ("established", "mature", "none"):
            _respond(session, "SG", {"c1": stage})
    service.FRAMES.clear()
    service.REPORTS.clear()
    return database


def test_the_numbers_are_the_analysis_numbers(study: Database) -> None:
    with study.session() as session:
        summary = country_summary(session, FORM_ID, "my", language="ms")
        analysis = service.analyse(session, FORM_ID, language="ms", suppress_below=5)
        found = policy_survey(
            service.frame_of(session, FORM_ID), matrix_service.matrix(session), language="ms"
        )
    assert (summary.code, summary.name, summary.language) == ("MY", "Malaysia", "ms")
    assert summary.synthetic == 240 and summary.responses == 40 + 4 + len(FORMULAS)
    rows = {row.code: row for row in found.rows}
    headlines = {h.name: h for h in summary.headlines}
    for name in ("offering", "awareness", "recognising"):
        share = getattr(rows["MY"], name)
        shown = headlines[name]
        assert not shown.hidden
        assert (shown.k, shown.n) == (share.k, share.n)
        assert shown.value == pytest.approx(share.share * 100)
        others = [getattr(r, name).share for r in found.rows if getattr(r, name).share is not None]
        assert shown.rank == 1 + sum(other > share.share for other in others)
        assert shown.ranked == len(others)
        pooled = [getattr(r, name) for r in found.rows if getattr(r, name).share is not None]
        total = sum(s.k for s in pooled) / sum(s.n for s in pooled)
        assert shown.all_value == pytest.approx(total * 100)
    maturity = headlines["maturity"]
    assert maturity.value == rows["MY"].maturity
    scores = [r.maturity for r in found.rows if r.maturity is not None]
    assert maturity.rank == 1 + sum(score > rows["MY"].maturity for score in scores)
    # Barriers and measures: the suppressed tables' own figures, highest first.
    for item in summary.barriers:
        table = service.table_in(analysis, item.name)
        assert item.share == table.summary["MY"].top_box
        assert item.all_share == table.summary["Total"].top_box
        assert item.label == table.label  # in Malay, from the form
    shown = [item.share for item in summary.barriers if item.share is not None]
    assert shown == sorted(shown, reverse=True) and shown
    measures = service.table_in(analysis, "i2")
    for item in summary.measures:
        option = next(o for o in measures.options if o.value == item.name)
        assert (item.share, item.all_share) == (option.percent["MY"], option.percent["Total"])
    assert summary.barriers_label.startswith("Sejauh manakah")
    # The matrix column beside the EU reference and the five other countries.
    assert [code for code, _ in summary.others] == ["ID", "PH", "DE", "IT", "ES"]
    first = summary.matrix[0]
    assert first.dimension == "PM01" and len(first.others) == 5
    assert all(g.words for g in summary.gaps)


def test_small_cells_are_hidden(study: Database) -> None:
    with study.session() as session:
        summary = country_summary(session, FORM_ID, "SG")
    assert summary.responses == 3 and not summary.in_matrix and summary.matrix == ()
    offering = next(h for h in summary.headlines if h.name == "offering")
    assert offering.hidden and offering.value is None and offering.k is None
    assert offering.rank is None and offering.ci is None
    for h in summary.headlines:  # nothing shown rests on 1–4 answers
        if h.k is not None and h.n is not None:
            assert not (0 < h.k < 5 or 0 < h.n - h.k < 5)


def test_only_consented_comments_appear_with_names_removed(study: Database) -> None:
    with study.session() as session:
        summary = country_summary(session, FORM_ID, "MY")
    texts = [c.text for c in summary.comments]
    joined = "\n".join(texts)
    for secret in ("SECRET-REFUSED", "SECRET-NOT-ASKED", "SECRET-OTHER-COUNTRY"):
        assert secret not in joined
    named = next(t for t in texts if "says we need funding" in t)
    for name in (
        "Ahmad",
        "Ismail",
        "Kebangsaan",
        "ahmad.ismail",
        "ukm.",
        "https",
        "Kolej Contoh Jaya",
        "München",
    ):
        assert name not in named
    assert named.startswith(REMOVED) and named.count(REMOVED) >= 4
    assert all(text.startswith("[synthetic]") or "[synthetic]" not in text for text in texts)
    assert "+1" in texts and "@x" in texts


def test_name_removal_rules() -> None:
    registry = ["Universiti Malaya", "Institut Teknologi Bandung"]
    assert remove_names("Dato' Lim and Ir. Tan Wei Ming helped.", registry) == f"{REMOVED} helped."
    assert remove_names("We asked universiti  malaya.", registry) == f"We asked {REMOVED}."
    assert remove_names("ITB was first.", registry) == f"{REMOVED} was first."
    assert remove_names("The University of Santo Tomas", ()) == f"The {REMOVED}"
    kept = "Die Hochschule braucht eine nationale Definition. University rules are unclear."
    assert remove_names(kept, registry) == kept
    assert remove_names("Mail me: a.b@x.org.", ()) == f"Mail me: {REMOVED}."


def test_unknown_countries_and_languages_are_refused(study: Database) -> None:
    from analysis.errors import AnalysisProblem

    with study.session() as session:
        with pytest.raises(CountryUnknown):
            country_summary(session, FORM_ID, "XX")
        with pytest.raises(CountryUnknown):
            country_summary(session, FORM_ID, "MYS")
        with pytest.raises(AnalysisProblem):
            country_summary(session, FORM_ID, "MY", language="xx")


def test_the_workbook_reads_back_clean(study: Database, tmp_path: Path) -> None:
    with study.session() as session:
        summary = country_summary(session, FORM_ID, "MY")
    path = tmp_path / "my.xlsx"
    country_workbook(summary).save(path)
    book = load_workbook(path)
    assert book.sheetnames == [
        "Summary",
        "Policy matrix",
        "Gaps",
        "Barriers",
        "Measures",
        "Comments",
        "Notes",
    ]
    assert {"mc_title", "mc_header", "mc_percent", "mc_text"} <= set(book.named_styles)
    values = []
    for sheet in book.worksheets:
        assert sheet.page_setup.orientation == "landscape"
        assert sheet.page_setup.fitToWidth == 1 and sheet.sheet_properties.pageSetUpPr.fitToPage
        assert sheet.freeze_panes == "B4"
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                values.append(cell.value)
    for text in ("+1", "@x", "-2+3", "=1+1"):  # comments are shown stripped
        assert text in values
    assert any(isinstance(v, str) and v.startswith("=HYPERLINK(") for v in values)
    summary_sheet = book["Summary"]
    assert summary_sheet["B4"].number_format == "0.0%"
    assert summary_sheet["B4"].value == pytest.approx(summary.headlines[0].value / 100)
    assert "SYNTHETIC DEMO DATA" in "".join(str(v) for v in values if v)


def _sign_in_with_password(client: Client, database: Database, email: str, role: str) -> None:
    staff(database, email, role=role)
    client.get("/login")
    answer = post_form(client, "/login", {"email": email, "password": PASSWORD})
    assert answer.status_code == 303 and not answer.headers["location"].startswith("/login")


def test_an_organiser_logs_in_and_downloads_the_malaysia_summary(
    client: Client, study: Database
) -> None:
    _sign_in_with_password(client, study, "organiser@uni.example", "organiser")
    listing = client.get("/exports")
    assert listing.status_code == 200
    assert 'href="/exports/country/MY"' in listing.text
    assert 'href="/exports/country/MY/xlsx"' in listing.text
    assert "microcasa export data" not in listing.text  # no raw data for organisers
    page = client.get("/exports/country/MY", params={"lang": "ms"})
    assert page.status_code == 200
    assert "Country summary: Malaysia (MY)" in page.text
    assert "SYNTHETIC DEMO DATA" in page.text and "Kekurangan dana" in page.text
    assert "<svg" in page.text and 'role="img"' in page.text
    assert "SECRET-REFUSED" not in page.text and "Ahmad" not in page.text
    assert "<script>alert" not in page.text
    assert "&lt;script&gt;alert(&#39;canary&#39;)&lt;/script&gt; {{7*7}}" in page.text
    download = client.get("/exports/country/MY/xlsx")
    assert download.status_code == 200
    assert download.headers["content-disposition"] == (
        'attachment; filename="microcasa-country-MY.xlsx"'
    )
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["cache-control"] == "no-store"
    assert download.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    book = load_workbook(io.BytesIO(download.content))
    assert book["Summary"]["A1"].value.startswith("Malaysia (MY)")


def test_coordinators_open_their_own_country_only(client: Client, study: Database) -> None:
    sign_in(client, staff(study, "coord@uni.example", role="coordinator", country="ID"))
    assert client.get("/exports/country/MY").status_code == 403
    assert client.get("/exports/country/MY/xlsx").status_code == 403
    assert client.get("/exports/country/ID").status_code == 200
    assert client.get("/exports/country/id/xlsx").status_code == 200
    listing = client.get("/exports").text
    assert "/exports/country/ID" in listing and "/exports/country/MY" not in listing


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, study: Database) -> None:
    for path in ("/exports", "/exports/country/MY", "/exports/country/MY/xlsx"):
        answer = client.get(path, follow_redirects=False, headers={"accept": "text/html"})
        assert answer.status_code in (302, 303) and answer.headers["location"].startswith("/login")


def test_unknown_country_form_and_language(client: Client, study: Database) -> None:
    sign_in(client, staff(study, "researcher@uni.example", role="researcher"))
    assert client.get("/exports/country/XX").status_code == 404
    assert client.get("/exports/country/MYS/xlsx").status_code == 404
    assert client.get("/exports/country/MY", params={"form": "nope"}).status_code == 404
    assert client.get("/exports/country/MY", params={"lang": "xx"}).status_code == 422
    assert client.get("/exports/country/MY/xlsx", params={"lang": "xx"}).status_code == 422
    listing = client.get("/exports").text
    assert "microcasa export data" in listing and "microcasa export codebook" in listing


def test_the_page_works_before_any_response(client: Client, database: Database) -> None:
    with database.transaction() as session:
        matrix_service.load_bundled(session)
    from survey.demo import publish_bundled_form

    with database.transaction() as session:
        publish_bundled_form(session)
    sign_in(client, staff(database, "organiser@uni.example", role="organiser"))
    page = client.get("/exports/country/MY")
    assert page.status_code == 200 and "No complete responses yet" in page.text
    assert client.get("/exports/country/MY", params={"lang": "xx"}).status_code == 422


def test_the_cli_writes_the_workbook(database_url: str, study: Database, tmp_path: Path) -> None:
    out = tmp_path / "MY.xlsx"
    env = {"MICROCASA_DATABASE_URL": database_url, "MICROCASA_SECRET_KEY": TEST_SECRET}
    runner = CliRunner()
    result = runner.invoke(main, ["export", "country", "MY", str(out), "--language", "ms"], env=env)
    assert result.exit_code == 0, result.stderr
    assert "Malaysia (MY)" in result.stderr and out.exists()
    assert load_workbook(out)["Barriers"]["B4"].value
    unknown = runner.invoke(main, ["export", "country", "XX", str(out)], env=env)
    assert unknown.exit_code == 1 and "XX" in unknown.stderr
    wrong = runner.invoke(main, ["export", "country", "MY", str(tmp_path / "x.csv")], env=env)
    assert wrong.exit_code == 1

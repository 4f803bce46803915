"""Frames from the database: one typed row per response, every version of a questionnaire."""

from __future__ import annotations

import uuid
from typing import Any

import pandas as pd
import pytest
from sqlmodel import Session

from analysis.answers import Answers
from analysis.frame import META_COLUMNS, Frame, frame_data, load_responses
from analysis.variables import MISSING_NAMES, Kind, scores, variables_of
from microcasa.db import Database
from survey import invitations, versions
from survey.demo import BUNDLED_FORM
from survey.errors import Missing
from survey.models import Response, VersionStatus
from survey.submissions import submit_api
from survey.xlsform import read_markdown_form
from tests.conftest import TEST_SECRET
from tests.survey.fieldwork_support import ANSWERS, FORM_ID, publish, submission

OFFERS = {"c1": "emerging", "c2": 4, "c3": 120, "c4": ["online", "blended"]}


def _store(session: Session, answers: dict[str, Any], **fields: Any) -> int:
    """A complete response through the JSON API; its id."""
    questionnaire = versions.get_questionnaire(session, FORM_ID)
    stored = submit_api(
        session,
        questionnaire,
        submission({**ANSWERS, **answers}, **fields),
        invitation=None,
        country_scope=None,
        submitted_by_id=None,
    )
    assert stored.response.id is not None
    return stored.response.id


def _frame(database: Database, **options: bool) -> Frame:
    with database.session() as session:
        return load_responses(session, FORM_ID, **options)


def test_columns_are_typed_by_question(database: Database) -> None:
    publish(database)
    with database.transaction() as session:
        first = _store(session, {"b1": "4", "b4": ["short_course", "certificate"], **OFFERS})
        second = _store(session, {"b1": "dk", "a6": "na", "f4": 2.5})
        third = _store(session, {"b1": "2", "b4": ["other"], "b4_other": "Microcertificates"})
    frame = _frame(database)
    data = frame.data
    assert list(data.index) == [first, second, third]
    assert data.index.name == "response"

    likert = data["b1"].dtype
    assert isinstance(likert, pd.CategoricalDtype) and likert.ordered
    assert list(likert.categories) == ["1", "2", "3", "4", "5", "dk"]
    assert data["b1"].tolist() == ["4", "dk", "2"]
    assert frame.variable("b1").kind is Kind.LIKERT
    assert frame.variable("b1").missing == ("dk",)
    assert frame.valid("b1").isna().tolist() == [False, True, False]
    assert list(frame.valid("b1").cat.categories) == ["1", "2", "3", "4", "5"]
    assert scores(data["b1"], frame.variable("b1")).tolist()[::2] == [4.0, 2.0]

    country = data["a1"].dtype
    assert isinstance(country, pd.CategoricalDtype) and not country.ordered
    assert list(country.categories) == ["MY", "ID", "PH", "DE", "IT", "ES", "other"]
    assert frame.variable("a6").missing == ("na",)  # "Not applicable", by the naming rule
    assert frame.variable("e2").missing == ("dk",)
    assert frame.variable("c1").missing == ()

    assert frame.variable("b4").kind is Kind.MULTIPLE
    assert data["b4"].tolist()[0] == "short_course certificate"
    assert str(data["b4/short_course"].dtype) == "Int8"
    assert data["b4/short_course"].tolist() == [1, pd.NA, 0]
    assert data["b4/other"].tolist() == [0, pd.NA, 1]
    assert frame.variable("b4").columns[:2] == ("b4/micro_credential", "b4/short_course")
    assert data["b4_other"].tolist()[2] == "Microcertificates"

    assert str(data["c2"].dtype) == "Int64"
    assert data["c2"].tolist() == [4, pd.NA, pd.NA]  # shown only to institutions that offer
    assert data["c4/blended"].tolist() == [1, pd.NA, pd.NA]
    assert data["f4"].dtype == "float64"
    assert data["f4"].tolist()[1] == 2.5
    assert "intro" not in data.columns  # notes hold no answers
    assert frame.notes == ()


def test_meta_columns_say_where_and_how_each_response_came(database: Database) -> None:
    publish(database)
    with database.transaction() as session:
        _store(session, {"a1": "DE", "a2": "private_nonprofit"}, country="DE", language="de")
        _store(session, {}, country="MY", language="ms")
    frame = _frame(database)
    data = frame.data
    assert list(data.columns[: len(frame.meta)]) == list(frame.meta.values())
    assert data["synthetic"].tolist() == [False, False]  # stored through the API, not made up
    assert data["country"].tolist() == ["DE", "MY"]
    assert data["institution_type"].tolist() == ["private_nonprofit", "public"]
    assert list(data["institution_type"].cat.categories)[:2] == ["public", "private_nonprofit"]
    assert data["language"].tolist() == ["Deutsch (de)", "Bahasa Melayu (ms)"]
    assert data["form_version"].tolist() == ["2026112810", "2026112810"]
    assert str(data["completed_at"].dt.tz) == "UTC"
    assert data["completed_at"].notna().all()
    assert frame.versions == ("2026112810",)
    assert frame.differences == ()
    assert frame.source.kind == "database"
    assert "2 complete responses" in frame.source.description


def test_partial_responses_only_on_request(database: Database) -> None:
    publish(database)
    with database.transaction() as session:
        complete = _store(session, {"b1": "5"})
        version_id = session.get(Response, complete).form_version_id  # type: ignore[union-attr]
        partial = Response(
            instance_id=str(uuid.uuid4()),
            form_version_id=version_id,
            channel="open_link",
            country="ID",
            language="Bahasa Indonesia (id)",
            answers={"a1": "ID", "b1": "3", "c2": "12"},  # as a page saves them: text
        )
        session.add(partial)
        session.flush()
        partial_id = partial.id
    assert list(_frame(database).data.index) == [complete]
    both = _frame(database, include_partial=True)
    assert list(both.data.index) == [complete, partial_id]
    assert both.data["status"].tolist() == ["complete", "partial"]
    assert both.data["b1"].tolist() == ["5", "3"]
    assert both.data["c2"].tolist() == [pd.NA, 12]
    assert both.data["country"].tolist() == ["MY", "ID"]
    assert both.data["completed_at"].isna().tolist() == [False, True]
    assert "complete and partial" in both.source.description


def _second_version() -> bytes:
    """The bundled questionnaire, version 2026112811: c9 added, and a choice for a4."""
    text = BUNDLED_FORM.with_suffix(".md").read_text(encoding="utf-8")
    text = text.replace("| 2026112810 |", "| 2026112811 |")
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("| integer | c3 |"))
    lines.insert(at + 1, lines[at].replace("| integer | c3 |", "| integer | c9 |"))
    at = next(i for i, line in enumerate(lines) if line.startswith("| enrolment | over_30k |"))
    lines.insert(at + 1, lines[at].replace("| over_30k |", "| over_50k |"))
    return "\n".join(lines).encode()


def test_versions_are_joined_and_their_differences_named(database: Database) -> None:
    publish(database)
    with database.transaction() as session:
        old = _store(session, {**OFFERS, "a4": "over_30k"})
    with database.transaction() as session:
        versions.publish(
            session,
            _second_version(),
            "microcasa_hei.md",
            publisher="tester",
            status=VersionStatus.OPEN,
        )
    with database.transaction() as session:
        new = _store(session, {**OFFERS, "a4": "over_50k", "c9": 7})
    frame = _frame(database)
    assert frame.versions == ("2026112810", "2026112811")
    assert list(frame.data.index) == [old, new]
    assert frame.data["form_version"].tolist() == ["2026112810", "2026112811"]
    assert frame.data["form_version"].cat.ordered
    assert frame.data["c9"].tolist() == [pd.NA, 7]
    assert str(frame.data["c9"].dtype) == "Int64"
    assert frame.data["a4"].tolist() == ["over_30k", "over_50k"]
    assert list(frame.data.columns).index("c9") == list(frame.data.columns).index("c3") + 1
    assert frame.variable("c9").versions == ("2026112811",)
    assert frame.variable("c3").versions == ("2026112810", "2026112811")
    assert frame.differences == (
        "a4: choice “over_50k” is offered only in version 2026112811.",
        "c9 is asked only in version 2026112811 (not in version 2026112810); "
        "it is empty for responses to the others.",
    )
    assert "versions 2026112810, 2026112811" in frame.source.description


def test_a_questionnaire_without_responses_gives_an_empty_frame(database: Database) -> None:
    publish(database)
    frame = _frame(database)
    assert frame.data.empty
    assert {"b1", "b4/short_course", "c2", "country"} <= set(frame.data.columns)
    assert isinstance(frame.data["b1"].dtype, pd.CategoricalDtype)
    assert frame.versions == ("2026112810",)


def test_an_unknown_questionnaire_is_missing(database: Database) -> None:
    with pytest.raises(Missing), database.session() as session:
        load_responses(session, "no_such_form")


REGISTRY_FORM = """
## survey
| type | name | label |
| --- | --- | --- |
| select_one sure | q1 | Is your institution ready? |
| integer | staff | How many staff? |

## choices
| list_name | name | label | missing |
| --- | --- | --- | --- |
| sure | yes | Yes | |
| sure | no | No | |
| sure | dk | Don't know | no |
| sure | unsure | Cannot say | yes |

## settings
| form_id | version |
| --- | --- |
| readiness | 1 |
"""


def test_institution_type_from_the_registry_and_missing_from_the_choices_sheet(
    database: Database,
) -> None:
    institutions_csv = "name,country,type\nUniversität Wien,AT,public\n"
    with database.transaction() as session:
        version = versions.publish(
            session,
            REGISTRY_FORM.encode(),
            "readiness.md",
            publisher="tester",
            status=VersionStatus.OPEN,
        ).version
        form = versions.form_of(version)
        questionnaire = versions.get_questionnaire(session, "readiness")
        rows = invitations.read_invitee_file(institutions_csv.encode(), "i.csv", form)
        (link,) = invitations.invite(session, TEST_SECRET, questionnaire, rows).issued
        for answers, invitation in (({"q1": "dk"}, link.invitation), ({"q1": "unsure"}, None)):
            body = submission(answers, language=None, country="PT")
            submit_api(
                session,
                questionnaire,
                body,
                invitation=invitation,
                country_scope=None,
                submitted_by_id=None,
            )
    with database.session() as session:
        frame = load_responses(session, "readiness")
    assert frame.data["institution_type"].tolist()[0] == "public"
    assert pd.isna(frame.data["institution_type"].tolist()[1])
    assert frame.data["country"].tolist() == ["AT", "PT"]
    # The missing column decides for its list: "dk" is a real answer here, "unsure" is not.
    assert frame.variable("q1").missing == ("unsure",)
    assert frame.valid("q1").tolist()[0] == "dk"
    assert pd.isna(frame.valid("q1").tolist()[1])


LIKERT_FORM = """
## survey
| type | name | label | appearance |
| --- | --- | --- | --- |
| select_one down | falling | Falling | |
| select_one two | binary | Two points | |
| select_one gap | gap | Gap | |
| select_one words | freq | Frequency | likert |
| select_one words | plain | Frequency | |
| select_multiple down | many | Many | |
| select_one countries | country | Country | |

## choices
| list_name | name | label |
| --- | --- | --- |
| down | 5 | Five |
| down | 4 | Four |
| down | 3 | Three |
| down | 2 | Two |
| down | 1 | One |
| down | refused | Refused |
| two | 1 | One |
| two | 2 | Two |
| gap | 1 | One |
| gap | 2 | Two |
| gap | 4 | Four |
| words | never | Never |
| words | sometimes | Sometimes |
| words | always | Always |
| words | prefer_not | Prefer not to say |
| countries | MY | Malaysia |
| countries | NA | Namibia |
"""


def test_likert_items_are_told_by_their_choices_or_appearance() -> None:
    form = read_markdown_form(LIKERT_FORM, "likert").form
    variables, differences = variables_of([("1", form)])
    by_name = {variable.name: variable for variable in variables}
    assert differences == []
    assert by_name["falling"].kind is Kind.LIKERT
    assert by_name["falling"].valid_choices == ("1", "2", "3", "4", "5")  # by number
    assert by_name["falling"].missing == ("refused",)
    assert by_name["binary"].kind is Kind.CATEGORICAL  # two points are not a scale
    assert by_name["gap"].kind is Kind.CATEGORICAL  # 1, 2, 4 are not consecutive
    assert by_name["freq"].kind is Kind.LIKERT
    assert by_name["freq"].valid_choices == ("never", "sometimes", "always")
    assert by_name["freq"].missing == ("prefer_not",)
    assert by_name["plain"].kind is Kind.CATEGORICAL
    assert by_name["many"].kind is Kind.MULTIPLE
    assert by_name["many"].columns[-1] == "many/refused"
    assert by_name["country"].missing == ()  # NA is Namibia: the rule takes exact names
    assert {"dk", "dont_know", "na", "not_applicable", "refused", "prefer_not"} <= MISSING_NAMES


def _form(version: str, rows: str) -> tuple[str, Any]:
    text = (
        "## survey\n| type | name | label |\n| --- | --- | --- |\n"
        + rows
        + "\n## choices\n| list_name | name | label |\n| --- | --- | --- |\n"
        + "| ab | a | A |\n| ab | b | B |\n"
    )
    return version, read_markdown_form(text, "changing").form


def test_an_answer_that_does_not_fit_a_changed_type_is_left_empty_and_counted() -> None:
    forms = [
        _form("1", "| select_multiple ab | q | Q |\n| text | n | N |\n"),
        _form("2", "| select_one ab | q | Q |\n| integer | n | N |\n"),
    ]
    variables, differences = variables_of(forms)
    assert differences == [
        "q changes type (select_multiple in version 1; select_one in version 2); every "
        "response is read as select_one, as in the newest version.",
        "n changes type (text in version 1; integer in version 2); every response is read "
        "as integer, as in the newest version.",
    ]
    answers = Answers(variables)
    answers.add([{"q": ["a", "b"], "n": "many"}, {"q": "a", "n": 5}])
    data, notes = frame_data(answers, pd.RangeIndex(2), dict.fromkeys(META_COLUMNS, [None] * 2))
    assert data["q"].tolist()[1] == "a" and pd.isna(data["q"].tolist()[0])
    assert data["n"].tolist() == [pd.NA, 5]
    assert notes == [
        "1 answer to q left empty: the value is not one of its choices "
        "(select_one in the newest version).",
        "1 answer to n left empty: the value is not a number (integer in the newest version).",
    ]

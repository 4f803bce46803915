"""The normalised JSON definition of a form, and the Form read back from it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings

from survey.engine import evaluate_form
from survey.xlsform import Form, FormInvalid, read_markdown_form
from survey.xlsform.definition import FORMAT, from_definition, to_definition
from tests.survey import test_engine, test_engine_types
from tests.survey.test_engine_hei import ANSWERS, COMPLETE, HEI

# Every column a definition carries: hints, defaults, appearances, parameters,
# an unknown column, nested groups with relevants, choice filters on an extra
# column, a bare label column next to translations, and an extra setting.
RICH = read_markdown_form(
    """
## survey

| type | name | label | label::Bahasa Melayu (ms) | hint | hint::Bahasa Melayu (ms) | required | required_message | relevant | constraint | constraint_message | appearance | default | parameters | choice_filter | calculation | media::image |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
| note | welcome | Welcome | Selamat datang | | | | | | | | | | | | | logo.png |
| begin_group | outer | Outer | Luar | | | | | | | | field-list | | | | | |
| select_one region | region | Region | Wilayah | Where? | Di mana? | yes | Pick one. | | | | minimal | north | | | | |
| select_multiple town | towns | Towns | Bandar | | | | | | | | | | max-pick=2 | region = ${region} | | |
| begin_group | inner | Inner | Dalam | | | | | ${region} != 'south' | | | | | | | | |
| integer | people | People | Orang | | | ${region} = 'north' | Count them. | | . > 0 | At least one. | | | | | | |
| date | since | Since | Sejak | | | | | | . <= today() | | | | | | | |
| end_group | inner | | | | | | | | | | | | | | | |
| calculate | per_town | | | | | | | | | | | | | | ${people} div count-selected(${towns}) | |
| end_group | outer | | | | | | | | | | | | | | | |
| decimal | share | Share | Bahagian | | | | | ${per_town} > 10 | . <= 100 | | | | | | | |
| text | notes | Notes | Nota | | | | | | | | multiline | | | | | |
| acknowledge | agree | Agree | Setuju | | | yes | | | | | | | | | | |

## choices

| list_name | name | label | label::Bahasa Melayu (ms) | region | size |
| --- | --- | --- | --- | --- | --- |
| region | north | North | Utara | | |
| region | south | South | Selatan | | |
| town | alor | Alor Setar | Alor Setar | north | 2 |
| town | kangar | Kangar | Kangar | north | 1 |
| town | johor | Johor Bahru | Johor Bahru | south | 3 |

## settings

| form_id | form_title | version | style |
| --- | --- | --- | --- |
| rich | A rich form | 2026010101 | pages |
""",  # noqa: E501 (a questionnaire row is one line, as in the spreadsheet)
    "rich",
).form

FORMS_DIR = Path(__file__).parent / "forms"


def _shared_forms() -> list[tuple[str, Form]]:
    """The test questionnaires of tests/survey/forms that read without errors."""
    forms = []
    for path in sorted(FORMS_DIR.glob("**/*.md")):
        try:
            forms.append((path.name, read_markdown_form(path.read_text("utf-8"), path.stem).form))
        except FormInvalid:
            continue
    return forms


FORMS: list[tuple[str, Form]] = [
    ("microcasa_hei", HEI),
    ("rich", RICH),
    ("visibility", test_engine.VISIBILITY),
    ("messages", test_engine.MESSAGES),
    ("paged", test_engine.PAGED),
    ("calculations", test_engine.CALCULATIONS),
    ("types", test_engine_types.FORM),
    *_shared_forms(),
]


def round_trip(form: Form) -> Form:
    return from_definition(json.loads(json.dumps(to_definition(form))))


def sample_answers(form: Form, pick: int) -> dict[str, object]:
    """Plausible answers to every question: the first choices (pick=0) or the last (pick=-1)."""
    values: dict[str, object] = {
        "integer": 3 if pick == 0 else "40",
        "decimal": "2.5" if pick == 0 else 99,
        "date": "2026-01-31",
        "text": "some text",
        "acknowledge": "OK",
    }
    answers: dict[str, object] = {}
    for question in form.questions:
        if question.is_select:
            names = form.choices_for(question).names()
            chosen = names[pick]
            answers[question.name] = chosen if question.type == "select_one" else [chosen]
        elif question.type in values:
            answers[question.name] = values[question.type]
    return answers


@pytest.mark.parametrize(("name", "form"), FORMS, ids=[name for name, _ in FORMS])
def test_round_trip_keeps_every_field(name: str, form: Form) -> None:
    again = round_trip(form)
    assert again.questions == form.questions
    assert again.groups == form.groups
    assert dict(again.choices) == dict(form.choices)
    assert again.pages == form.pages
    assert again.languages == form.languages
    assert again.default_language == form.default_language
    assert dict(again.settings) == dict(form.settings)
    assert (again.form_id, again.version, again.title) == (form.form_id, form.version, form.title)
    assert dict(again.expressions) == dict(form.expressions)
    assert again == form


@pytest.mark.parametrize(("name", "form"), FORMS, ids=[name for name, _ in FORMS])
def test_round_trip_evaluates_alike(name: str, form: Form) -> None:
    again = round_trip(form)
    examples = [{}, sample_answers(form, 0), sample_answers(form, -1)]
    for answers in examples:
        for language in (None, form.languages[-1]):
            assert evaluate_form(again, answers, language) == evaluate_form(form, answers, language)


def test_round_trip_evaluates_the_bundled_form_alike() -> None:
    again = round_trip(HEI)
    for answers in (COMPLETE, {**COMPLETE, "c1": "none"}, {**COMPLETE, "a1": "ID", "d2": "sks"}):
        assert evaluate_form(again, answers) == evaluate_form(HEI, answers)


HEI_AGAIN = round_trip(HEI)


@settings(max_examples=40, deadline=None)
@given(answers=ANSWERS)
def test_round_trip_evaluates_any_answers_alike(answers: dict[str, object]) -> None:
    assert evaluate_form(HEI_AGAIN, answers) == evaluate_form(HEI, answers)


def test_definition_is_idempotent() -> None:
    for _, form in FORMS:
        definition = json.loads(json.dumps(to_definition(form)))
        assert to_definition(from_definition(definition)) == definition


# What the CLI promises (microcasa form inspect --json)


def test_definition_has_the_promised_keys() -> None:
    definition = json.loads(json.dumps(to_definition(HEI)))
    assert definition["format"] == FORMAT
    assert definition["form_id"] == "microcasa_hei"
    assert definition["version"] == "2026112810"
    assert definition["title"].startswith("MICROCASA Survey")
    assert definition["default_language"] == "English (en)"
    assert definition["languages"][0] == "English (en)"
    assert len(definition["languages"]) == 7
    promised = {
        "name",
        "type",
        "list_name",
        "group",
        "required",
        "relevant",
        "constraint",
        "choice_filter",
        "appearance",
        "calculation",
        "labels",
        "hints",
    }
    for question in definition["questions"]:
        assert promised <= set(question)
    assert [q["name"] for q in definition["questions"]] == list(HEI.names())


def test_definition_questions_in_detail() -> None:
    questions = {q["name"]: q for q in to_definition(HEI)["questions"]}
    a1 = questions["a1"]
    assert (a1["type"], a1["list_name"], a1["group"], a1["required"]) == (
        "select_one",
        "country",
        "a_profile",
        "true",
    )
    assert a1["labels"]["Deutsch (de)"] == "In welchem Land befindet sich Ihre Hochschule?"
    assert questions["a1_other"]["relevant"] == "selected(${a1}, 'other')"
    assert questions["c2"]["constraint"] == ". >= 0"
    assert questions["c2"]["group"] == "c_offer"
    assert questions["c2"]["groups"] == ["c_provision", "c_offer"]
    assert questions["d2"]["choice_filter"] == "country = ${a1} or country = 'any'"
    assert questions["i2"]["parameters"] == {"max-pick": "3"}
    assert questions["i4"]["appearance"] == "multiline"
    assert questions["a4"]["hints"]["English (en)"].startswith("Total number")
    assert questions["intro"]["list_name"] is None
    assert questions["intro"]["group"] is None


def test_definition_choices_carry_labels_and_extra_columns() -> None:
    choices = to_definition(HEI)["choices"]
    assert [c["name"] for c in choices["maturity"]] == [
        "none",
        "exploring",
        "emerging",
        "established",
        "mature",
    ]
    units = {c["name"]: c for c in choices["credit_unit"]}
    assert units["sks"]["country"] == "ID"
    assert units["hours"]["country"] == "any"
    assert set(units["sks"]) == {"name", "labels", "country"}
    assert units["sks"]["labels"]["English (en)"]
    assert set(choices["maturity"][0]) == {"name", "labels"}


def test_definition_of_the_rich_form() -> None:
    definition = to_definition(RICH)
    questions = {q["name"]: q for q in definition["questions"]}
    assert questions["region"]["default"] == "north"
    assert questions["region"]["required_messages"] == {"default": "Pick one."}
    assert questions["people"]["constraint_messages"] == {"default": "At least one."}
    assert questions["people"]["required"] == "${region} = 'north'"
    assert questions["welcome"]["extra"] == {"media::image": "logo.png"}
    assert questions["per_town"]["calculation"] == "${people} div count-selected(${towns})"
    assert questions["people"]["groups"] == ["outer", "inner"]
    assert definition["groups"][1] == {
        "name": "inner",
        "row": RICH.group("inner").row,
        "labels": {"default": "Inner", "Bahasa Melayu (ms)": "Dalam"},
        "relevant": "${region} != 'south'",
        "appearance": "",
        "parent": "outer",
    }
    assert definition["choices"]["town"][0] == {
        "name": "alor",
        "labels": {"default": "Alor Setar", "Bahasa Melayu (ms)": "Alor Setar"},
        "region": "north",
        "size": "2",
    }
    assert definition["settings"]["style"] == "pages"
    assert definition["pages"][:2] == [
        {"name": "welcome", "group": None, "questions": ["welcome"]},
        {
            "name": "outer",
            "group": "outer",
            "questions": ["region", "towns", "people", "since", "per_town"],
        },
    ]


def test_the_rich_form_behaves_the_same_after_the_round_trip() -> None:
    again = round_trip(RICH)
    answers: dict[str, Any] = {"region": "north", "towns": "alor kangar", "people": "50"}
    for form in (RICH, again):
        result = evaluate_form(form, {**answers, "share": "12.5", "agree": True})
        assert result.errors == {}
        assert result.answers["per_town"] == "25"
        assert result.answers["share"] == 12.5
        assert [c.name for c in result.choices["towns"]] == ["alor", "kangar"]
        south = evaluate_form(form, {"region": "south", "people": 5, "agree": "OK"}, "ms")
        assert "people" not in south.visible
        assert [c.name for c in south.choices["towns"]] == ["johor"]
        assert south.errors == {}


def test_a_minimal_hand_written_definition() -> None:
    form = from_definition(
        {
            "form_id": "tiny",
            "default_language": "default",
            "languages": ["default"],
            "questions": [
                {"name": "age", "type": "integer", "required": "true", "constraint": ". < 150"},
                {
                    "name": "pet",
                    "type": "select_one",
                    "list_name": "pets",
                    "relevant": "${age} > 5",
                },
            ],
            "choices": {"pets": [{"name": "cat", "labels": {"default": "Cat"}}]},
        }
    )
    assert form.title == "tiny"
    assert form.version == ""
    assert [page.name for page in form.pages] == ["age", "pet"]
    assert evaluate_form(form, {}).errors == {"age": ("This question needs an answer.",)}
    assert evaluate_form(form, {"age": 200}).errors == {"age": ("This answer is not valid.",)}
    result = evaluate_form(form, {"age": 3, "pet": "cat"})
    assert dict(result.answers) == {"age": 3}
    assert evaluate_form(form, {"age": 30, "pet": "cat"}).answers["pet"] == "cat"

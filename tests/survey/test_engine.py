"""The questionnaire engine: visibility, required, constraints, calculations and pages."""

from __future__ import annotations

import pytest

from survey.engine import evaluate_form
from survey.messages import Message
from survey.xlsform import Form, read_markdown_form


def read(text: str) -> Form:
    return read_markdown_form(text).form


YES_NO = """
## choices

| list_name | name | label::English (en) | label::Deutsch (de) |
| --- | --- | --- | --- |
| yes_no | yes | Yes | Ja |
| yes_no | no | No | Nein |

## settings

| form_id | version | default_language |
| --- | --- | --- |
| test | 1 | English (en) |
"""

# q1 opens the group g (a page) and q2; q3 and q4 look at q2; the group inner
# inside g looks at g_text.
VISIBILITY = read(
    """
## survey

| type | name | label::English (en) | label::Deutsch (de) | required | relevant |
| --- | --- | --- | --- | --- | --- |
| select_one yes_no | q1 | Continue? | Weiter? | yes | |
| integer | q2 | How many? | Wie viele? | yes | ${q1} = 'yes' |
| text | q3 | Why none? | Warum keine? | | ${q2} = '' |
| text | q4 | Which? | Welche? | | ${q2} > 5 |
| begin_group | g | Details | Details | | ${q1} = 'yes' |
| text | g_text | Detail | Detail | yes | |
| begin_group | inner | Inner | Innen | | ${g_text} != 'skip' |
| integer | inner_n | Number | Zahl | yes | |
| note | inner_note | Thanks | Danke | | |
| end_group | inner | | | | |
| text | g_after | After | Danach | | |
| end_group | g | | | | |
| text | last | Last | Zuletzt | | |
"""
    + YES_NO
)

# Messages per language: both languages, the default language only, none at all.
MESSAGES = read(
    """
## survey

| type | name | label::English (en) | label::Deutsch (de) | required | required_message::English (en) | required_message::Deutsch (de) | constraint | constraint_message::English (en) | constraint_message::Deutsch (de) |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
| text | both | Name | Name | yes | Please give your name. | Bitte den Namen angeben. | | | |
| text | english_only | City | Stadt | true | Please give a city. | | | | |
| text | platform | Street | Straße | yes | | | | | |
| select_one yes_no | consent | Consent? | Einverstanden? | | | | | | |
| text | reason | Why not? | Warum nicht? | ${consent} = 'no' | Say why. | Sagen Sie warum. | | | |
| integer | age | Age | Alter | | | | . >= 18 and . < 130 | Adults only. | Nur Erwachsene. |
| integer | count | Count | Anzahl | | | | . > 0 | | |
| text | code | Code | Code | | | | regex(., '^[A-Z]{3}$') | Three capitals. | |
"""  # noqa: E501 (a questionnaire row is one line, as in the spreadsheet)
    + YES_NO
)

PAGED = read(
    """
## survey

| type | name | label::English (en) | label::Deutsch (de) | required | relevant | constraint |
| --- | --- | --- | --- | --- | --- | --- |
| note | hello | Hello | Hallo | | | |
| begin_group | p1 | One | Eins | | | |
| select_one yes_no | more | More? | Mehr? | yes | | |
| integer | size | Size | Größe | yes | | . < 100 |
| end_group | p1 | | | | | |
| begin_group | p2 | Two | Zwei | | ${more} = 'yes' | |
| text | detail | Detail | Detail | yes | | |
| integer | big | Big | Groß | | ${size} != '' | |
| end_group | p2 | | | | | |
| text | alone | Alone | Allein | yes | | |
"""
    + YES_NO
)

CALCULATIONS = read(
    """
## survey

| type | name | label::English (en) | label::Deutsch (de) | relevant | calculation |
| --- | --- | --- | --- | --- | --- |
| integer | a | A | A | | |
| decimal | b | B | B | | |
| calculate | total | | | | ${a} + ${b} |
| calculate | double | | | | ${total} * 2 |
| calculate | size | | | | if(${double} > 10, 'big', 'small') |
| calculate | greeting | | | | concat('n=', ${a}) |
| select_one yes_no | extra | Extra? | Extra? | | |
| begin_group | more | More | Mehr | ${extra} = 'yes' | |
| calculate | hidden_calc | | | | ${a} * 10 |
| integer | c | C | C | | |
| end_group | more | | | | |
| calculate | uses_hidden | | | | coalesce(${hidden_calc}, 'none') |
| text | show | Show | Zeigen | ${total} > 3 | |
"""
    + YES_NO
)


# visibility


def test_all_visible_when_the_gates_open() -> None:
    answers = {"q1": "yes", "q2": "7", "q4": "x", "g_text": "a", "inner_n": 3, "last": "z"}
    result = evaluate_form(VISIBILITY, answers)
    assert result.errors == {}
    assert result.valid
    shown = {"q1", "q2", "q4", "g_text", "inner_n", "inner_note", "g_after", "last"}
    assert result.visible == shown
    assert result.pages == ("q1", "q2", "q4", "g", "last")
    assert dict(result.answers) == {
        "q1": "yes",
        "q2": 7,
        "q4": "x",
        "g_text": "a",
        "inner_n": 3,
        "last": "z",
    }


def test_pages_list_only_visible_pages_in_form_order() -> None:
    result = evaluate_form(VISIBILITY, {"q1": "yes", "q2": "7", "g_text": "a", "inner_n": 1})
    # q3 is hidden (q2 is answered), so its page is not listed.
    assert result.pages == ("q1", "q2", "q4", "g", "last")
    assert [page.name for page in VISIBILITY.pages] == ["q1", "q2", "q3", "q4", "g", "last"]


def test_a_hidden_question_is_not_required_and_its_answer_is_dropped() -> None:
    result = evaluate_form(VISIBILITY, {"q1": "no", "q2": "12", "g_text": "secret"})
    assert "q2" not in result.visible
    assert "q2" not in result.answers
    assert "g_text" not in result.answers
    assert result.errors == {}
    assert dict(result.answers) == {"q1": "no"}


def test_a_group_relevant_hides_the_whole_page() -> None:
    result = evaluate_form(VISIBILITY, {"q1": "no", "inner_n": "5", "g_after": "x"})
    assert "g" not in result.pages
    assert not {"g_text", "inner_n", "inner_note", "g_after"} & result.visible
    assert "inner_n" not in result.answers
    assert "g_after" not in result.answers
    assert result.errors == {}


def test_nested_group_hidden_inside_a_visible_page() -> None:
    result = evaluate_form(
        VISIBILITY, {"q1": "yes", "q2": 1, "g_text": "skip", "inner_n": 4, "g_after": "x"}
    )
    assert "g" in result.pages
    assert {"g_text", "g_after"} <= result.visible
    assert not {"inner_n", "inner_note"} & result.visible
    assert "inner_n" not in result.answers
    # inner_n is required, but hidden with its group.
    assert result.errors == {}
    assert result.answers["g_after"] == "x"


def test_nested_group_visible_requires_its_questions() -> None:
    result = evaluate_form(VISIBILITY, {"q1": "yes", "q2": 1, "g_text": "go"})
    assert "inner_n" in result.visible
    assert result.errors == {"inner_n": (Message.REQUIRED.text("en"),)}


def test_a_chain_sees_a_hidden_question_as_unanswered() -> None:
    # q2 is answered but hidden: q3 (shown when q2 = '') sees '' and is shown,
    # q4 (shown when q2 > 5) sees '' and stays hidden.
    result = evaluate_form(VISIBILITY, {"q1": "no", "q2": "12", "q3": "none", "q4": "x"})
    assert "q3" in result.visible
    assert "q4" not in result.visible
    assert result.answers["q3"] == "none"
    assert "q4" not in result.answers
    assert result.pages == ("q1", "q3", "last")


def test_a_type_error_in_a_hidden_question_is_not_reported() -> None:
    result = evaluate_form(VISIBILITY, {"q1": "no", "q2": "many", "inner_n": [1, 2]})
    assert result.errors == {}
    shown = evaluate_form(VISIBILITY, {"q1": "yes", "q2": "many"})
    assert shown.errors["q2"] == (Message.INTEGER.text("en"),)
    # A wrong answer does not also count as missing.
    assert len(shown.errors["q2"]) == 1


def test_visible_includes_notes_but_answers_do_not() -> None:
    result = evaluate_form(VISIBILITY, {"q1": "yes", "q2": 1, "g_text": "a", "inner_n": 2})
    assert "inner_note" in result.visible
    assert "inner_note" not in result.answers


def test_invalid_answer_is_dropped_and_counts_as_unanswered_downstream() -> None:
    # q2 fails its type check: later questions see it as unanswered.
    result = evaluate_form(VISIBILITY, {"q1": "yes", "q2": "1.5"})
    assert "q2" in result.errors
    assert "q2" not in result.answers
    assert "q3" in result.visible


# required


def test_required_true_reports_missing_answers() -> None:
    result = evaluate_form(MESSAGES, {})
    assert result.errors == {
        "both": ("Please give your name.",),
        "english_only": ("Please give a city.",),
        "platform": (Message.REQUIRED.text("en"),),
    }
    assert not result.valid


def test_empty_values_count_as_unanswered() -> None:
    for empty in ("", None, [], ()):
        result = evaluate_form(MESSAGES, {"both": empty, "english_only": "x", "platform": "y"})
        assert result.errors == {"both": ("Please give your name.",)}
        assert "both" not in result.answers


def test_required_messages_in_the_requested_language() -> None:
    for language in ("Deutsch (de)", "de"):
        result = evaluate_form(MESSAGES, {}, language)
        assert result.errors["both"] == ("Bitte den Namen angeben.",)
        # No German text: the form's default language.
        assert result.errors["english_only"] == ("Please give a city.",)
        # No text in the form at all: the platform's own message, in German.
        assert result.errors["platform"] == (Message.REQUIRED.text("de"),)
        assert result.errors["platform"] == ("Diese Frage muss beantwortet werden.",)


def test_unknown_language_falls_back_to_the_default_language() -> None:
    result = evaluate_form(MESSAGES, {}, "Klingon (tlh)")
    assert result.errors["both"] == ("Please give your name.",)
    assert result.errors["platform"] == (Message.REQUIRED.text("en"),)


def test_platform_messages_follow_every_study_language() -> None:
    result = evaluate_form(MESSAGES, {}, "Bahasa Melayu (ms)")
    assert result.errors["platform"] == ("Soalan ini perlu dijawab.",)
    result = evaluate_form(MESSAGES, {}, "fil")
    assert result.errors["platform"] == (Message.REQUIRED.text("fil"),)


def test_required_expression() -> None:
    base = {"both": "a", "english_only": "b", "platform": "c"}
    assert evaluate_form(MESSAGES, {**base, "consent": "yes"}).errors == {}
    result = evaluate_form(MESSAGES, {**base, "consent": "no"})
    assert result.errors == {"reason": ("Say why.",)}
    german = evaluate_form(MESSAGES, {**base, "consent": "no"}, "de")
    assert german.errors == {"reason": ("Sagen Sie warum.",)}
    assert evaluate_form(MESSAGES, {**base, "consent": "no", "reason": "busy"}).valid
    assert evaluate_form(MESSAGES, base).errors == {}


def test_a_whitespace_only_choice_is_unanswered() -> None:
    result = evaluate_form(VISIBILITY, {"q1": "   "})
    assert result.errors == {"q1": (Message.REQUIRED.text("en"),)}


# constraints


def test_constraint_on_the_answer_with_messages_per_language() -> None:
    base = {"both": "a", "english_only": "b", "platform": "c"}
    assert evaluate_form(MESSAGES, {**base, "age": 40}).valid
    result = evaluate_form(MESSAGES, {**base, "age": "12"})
    assert result.errors == {"age": ("Adults only.",)}
    assert "age" not in result.answers
    assert evaluate_form(MESSAGES, {**base, "age": 12}, "de").errors == {
        "age": ("Nur Erwachsene.",)
    }
    assert evaluate_form(MESSAGES, {**base, "age": 130}).errors == {"age": ("Adults only.",)}


def test_constraint_without_message_uses_the_platform_message() -> None:
    base = {"both": "a", "english_only": "b", "platform": "c"}
    assert evaluate_form(MESSAGES, {**base, "count": 0}, "es").errors == {
        "count": (Message.CONSTRAINT.text("es"),)
    }
    # Only an English message: German respondents get the English text.
    assert evaluate_form(MESSAGES, {**base, "code": "abc"}, "de").errors == {
        "code": ("Three capitals.",)
    }
    assert evaluate_form(MESSAGES, {**base, "code": "ABC"}).answers["code"] == "ABC"


def test_constraint_not_checked_when_unanswered() -> None:
    base = {"both": "a", "english_only": "b", "platform": "c"}
    assert evaluate_form(MESSAGES, {**base, "age": "", "count": None, "code": ""}).valid


def test_constraint_sees_the_typed_answer() -> None:
    base = {"both": "a", "english_only": "b", "platform": "c"}
    # " 18 " is the number 18, not the text.
    result = evaluate_form(MESSAGES, {**base, "age": " 18 "})
    assert result.valid
    assert result.answers["age"] == 18


# calculate


def test_calculations_are_computed_as_strings_and_chained() -> None:
    result = evaluate_form(CALCULATIONS, {"a": "2", "b": "2.5"})
    assert result.answers["total"] == "4.5"
    assert result.answers["double"] == "9"
    assert result.answers["size"] == "small"
    assert result.answers["greeting"] == "n=2"
    assert "show" in result.visible
    bigger = evaluate_form(CALCULATIONS, {"a": 4, "b": 2})
    assert (bigger.answers["total"], bigger.answers["double"], bigger.answers["size"]) == (
        "6",
        "12",
        "big",
    )


def test_calculation_on_unanswered_questions() -> None:
    result = evaluate_form(CALCULATIONS, {})
    assert result.answers["total"] == "NaN"
    assert result.answers["greeting"] == "n="
    # NaN > 3 is false: the question that depends on the total stays hidden.
    assert "show" not in result.visible


def test_a_calculate_hidden_by_relevant_gives_no_value() -> None:
    hidden = evaluate_form(CALCULATIONS, {"a": 3, "extra": "no", "c": 5})
    assert "hidden_calc" not in hidden.answers
    assert "hidden_calc" not in hidden.visible
    assert "c" not in hidden.answers
    assert hidden.answers["uses_hidden"] == "none"
    shown = evaluate_form(CALCULATIONS, {"a": 3, "extra": "yes", "c": 5})
    assert shown.answers["hidden_calc"] == "30"
    assert shown.answers["uses_hidden"] == "30"
    assert shown.answers["c"] == 5


def test_a_calculation_uses_only_valid_answers() -> None:
    result = evaluate_form(CALCULATIONS, {"a": "two", "b": 1})
    assert result.errors == {"a": (Message.INTEGER.text("en"),)}
    assert result.answers["total"] == "NaN"


def test_calculated_pages_are_not_pages() -> None:
    result = evaluate_form(CALCULATIONS, {"a": 2, "b": 2})
    assert result.pages == ("a", "b", "extra", "show")
    assert evaluate_form(CALCULATIONS, {}).pages == ("a", "b", "extra")


# unknown names, notes and calculations


def test_unknown_question_names_are_errors_under_that_name() -> None:
    result = evaluate_form(MESSAGES, {"nope": "x", "both": "a"}, "de")
    assert result.errors["nope"] == (Message.UNKNOWN_QUESTION.text("de"),)
    assert "nope" not in result.answers
    assert "nope" not in result.visible


def test_answers_to_notes_and_calculations_are_errors() -> None:
    result = evaluate_form(CALCULATIONS, {"total": "99", "a": 1, "b": 1})
    assert result.errors == {"total": (Message.NOT_ANSWERABLE.text("en"),)}
    assert result.answers["total"] == "2"
    notes = evaluate_form(VISIBILITY, {"q1": "yes", "q2": 1, "g_text": "a", "inner_note": "x"})
    assert notes.errors == {
        "inner_note": (Message.NOT_ANSWERABLE.text("en"),),
        "inner_n": (Message.REQUIRED.text("en"),),
    }


def test_an_empty_answer_to_a_note_is_harmless() -> None:
    result = evaluate_form(PAGED, {"hello": "", "more": "no", "size": 1, "alone": "x"})
    assert result.valid


# pages


def test_pages_limit_which_pages_report_errors() -> None:
    result = evaluate_form(PAGED, {}, pages=["p1"])
    assert set(result.errors) == {"more", "size"}
    result = evaluate_form(PAGED, {}, pages=["alone"])
    assert set(result.errors) == {"alone"}
    everything = evaluate_form(PAGED, {})
    assert set(everything.errors) == {"more", "size", "alone"}
    assert evaluate_form(PAGED, {}, pages=[]).errors == {}


def test_visibility_is_computed_over_all_pages() -> None:
    # Only p2 is checked, but its relevant reads the answer on p1.
    hidden = evaluate_form(PAGED, {"more": "no"}, pages=["p2"])
    assert hidden.errors == {}
    assert "p2" not in hidden.pages
    shown = evaluate_form(PAGED, {"more": "yes", "size": 5}, pages=["p2"])
    assert shown.errors == {"detail": (Message.REQUIRED.text("en"),)}
    assert "big" in shown.visible
    assert shown.pages == ("hello", "p1", "p2", "alone")


def test_errors_on_unchecked_pages_still_drop_the_answer() -> None:
    answers = {"more": "yes", "size": 500, "detail": "d", "big": "x"}
    result = evaluate_form(PAGED, answers, pages=["alone"])
    assert set(result.errors) == {"alone"}
    # size broke its constraint on p1: it is not kept, and p2's big sees ''.
    assert "size" not in result.answers
    assert "big" not in result.visible
    assert "big" not in result.answers


def test_type_errors_are_filtered_by_page_too() -> None:
    answers = {"more": "yes", "size": "x", "detail": "d", "alone": "a"}
    assert evaluate_form(PAGED, answers, pages=["p2"]).errors == {}
    assert evaluate_form(PAGED, answers, pages=["p1"]).errors == {
        "size": (Message.INTEGER.text("en"),)
    }


def test_unknown_names_are_reported_whatever_the_pages() -> None:
    result = evaluate_form(PAGED, {"ghost": 1}, pages=["p2"])
    assert result.errors == {"ghost": (Message.UNKNOWN_QUESTION.text("en"),)}


def test_evaluation_is_read_only() -> None:
    result = evaluate_form(PAGED, {"more": "no", "size": 1, "alone": "x"})
    for mapping in (result.answers, result.errors, result.choices):
        with pytest.raises(TypeError):
            mapping["x"] = 1  # type: ignore[index]


FORWARD = """
## survey
| type | name | label | relevant | calculation |
| --- | --- | --- | --- | --- |
| calculate | early | | | ${q2} |
| text | q1 | Q1 | | |
| text | q3 | Q3 | ${early} != '' | |
| text | q2 | Q2 | ${q1} = 'yes' | |
"""


def test_expressions_never_see_answers_that_end_up_dropped() -> None:
    form = read_markdown_form(FORWARD).form
    hidden = evaluate_form(form, {"q1": "no", "q2": "secret", "q3": "x"})
    assert dict(hidden.answers) == {"early": "", "q1": "no"}
    assert "q3" not in hidden.visible
    shown = evaluate_form(form, {"q1": "yes", "q2": "secret", "q3": "x"})
    assert dict(shown.answers) == {"early": "secret", "q1": "yes", "q2": "secret", "q3": "x"}

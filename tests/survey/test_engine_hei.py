"""The engine on the bundled MICROCASA HEI questionnaire, with examples and a property."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import survey
from survey.engine import Evaluation, evaluate_form
from survey.messages import Message
from survey.xlsform import Form, read_markdown_form

HEI_PATH = Path(survey.__file__).parent / "forms" / "microcasa_hei.md"
HEI: Form = read_markdown_form(HEI_PATH.read_text(encoding="utf-8"), "microcasa_hei").form
OFFERING = ("emerging", "established", "mature")

# An institution in Malaysia that offers micro-credentials, answering everything.
COMPLETE: dict[str, object] = {
    "a1": "MY",
    "a2": "public",
    "a3": "comprehensive",
    "a4": "15k_30k",
    "a5": "qa_officer",
    "a6": "accredited",
    "b1": "4",
    "b2_eu": "3",
    "b2_microbol": "2",
    "b2_unesco": "dk",
    "b2_national": "5",
    "b2_aqrf": "1",
    "b3": "yes",
    "b4": ["micro_credential", "digital_badge"],
    "c1": "established",
    "c2": "24",
    "c3": 6,
    "c4": "online blended",
    "c5": ["own_students", "employees"],
    "c6": ["industry", "prof_bodies"],
    "c7": "approved",
    "c8": "expand",
    "d1": "mostly",
    "d2": ["mqa_credit", "hours"],
    "d3": "1_5",
    "d4": "always",
    "d5": ["exam", "project"],
    "d6": "supervised_id",
    "d7": ["learner_id", "title", "learning_outcomes", "workload"],
    "e1": "same",
    "e2": "prog_accreditation",
    "e3": "4",
    "e4": "2",
    "f1": "case_by_case",
    "f2_national": "routinely",
    "f2_foreign": "case_by_case",
    "f3": ["credit_transfer", "rpl"],
    "f4": "12,5",
    "f5": "4",
    "g1": "ad_hoc",
    "g2": "with_agreements",
    "g3": "planned",
    "h1": ["signed_pdf", "open_badges"],
    "h2": "no",
    "h3": "some",
    "h4": "3",
    "i1_definition": "4",
    "i1_qa_rules": "3",
    "i1_recognition": "5",
    "i1_funding": "5",
    "i1_staff": "2",
    "i1_it": "3",
    "i1_employer": "4",
    "i1_demand": "2",
    "i1_curriculum": "1",
    "i1_accreditation": "dk",
    "i2": ["nqf", "recognition", "funding"],
    "i3": "4",
    "i4": "A national register would help us most.",
}


def choice_names(result: Evaluation, name: str) -> list[str]:
    return [choice.name for choice in result.choices[name]]


def constraint_message(name: str, language: str = "English (en)") -> tuple[str]:
    return (HEI.question(name).constraint_messages[language],)


def test_a_complete_answer_set_is_valid() -> None:
    result = evaluate_form(HEI, COMPLETE)
    assert result.errors == {}
    assert result.pages == tuple(page.name for page in HEI.pages)
    assert set(result.answers) == set(COMPLETE)
    assert result.answers["c2"] == 24
    assert result.answers["c4"] == ("online", "blended")
    assert result.answers["f4"] == 12.5
    assert result.answers["i4"] == COMPLETE["i4"]


def test_the_complete_answer_set_is_valid_in_every_language() -> None:
    for language in HEI.languages:
        assert evaluate_form(HEI, COMPLETE, language).valid


def test_required_profile_questions_use_the_forms_messages() -> None:
    result = evaluate_form(HEI, {}, "Deutsch (de)")
    assert set(result.errors) == {"a1", "a2", "a3", "a4", "a5"}
    assert result.errors["a1"] == ("Bitte beantworten Sie diese Frage.",)
    assert evaluate_form(HEI, {}, "ms").errors["a2"] == ("Soalan ini wajib dijawab.",)


def test_an_institution_without_micro_credentials_skips_design_and_quality() -> None:
    answers = {**COMPLETE, "c1": "none"}
    result = evaluate_form(HEI, answers)
    assert result.errors == {}
    assert "d_design" not in result.pages
    assert "e_qa" not in result.pages
    assert "c_provision" in result.pages
    dropped = {"c2", "c3", "c4", "c5", "c6", "d1", "d2", "d3", "d4", "d5", "d6", "d7"}
    dropped |= {"e1", "e2", "e3", "e4", "f1", "h1", "h2", "h3"}
    assert not dropped & set(result.answers)
    assert not dropped & result.visible
    assert set(result.answers) == set(COMPLETE) - dropped
    assert result.answers["c1"] == "none"


def test_every_offering_level_shows_design_and_quality() -> None:
    for level in OFFERING:
        result = evaluate_form(HEI, {**COMPLETE, "c1": level})
        assert {"d_design", "e_qa"} <= set(result.pages)
    for level in ("none", "exploring", ""):
        result = evaluate_form(HEI, {**COMPLETE, "c1": level})
        assert not {"d_design", "e_qa"} & set(result.pages)


def test_other_answers_open_their_follow_up() -> None:
    hidden = evaluate_form(HEI, {**COMPLETE, "a1_other": "Thailand"})
    assert "a1_other" not in hidden.visible
    assert "a1_other" not in hidden.answers
    shown = evaluate_form(HEI, {**COMPLETE, "a1": "other", "a1_other": "Thailand"})
    assert shown.answers["a1_other"] == "Thailand"


def test_credit_units_depend_on_the_country() -> None:
    expected = {
        "MY": ["mqa_credit", "hours", "none"],
        "ID": ["sks", "hours", "none"],
        "DE": ["ects_de", "hours", "none"],
        "other": ["ects_other", "national_other", "hours", "none"],
    }
    for country, units in expected.items():
        result = evaluate_form(HEI, {"a1": country, "c1": "mature"})
        assert choice_names(result, "d2") == units


def test_a_credit_unit_of_another_country_is_refused() -> None:
    result = evaluate_form(HEI, {**COMPLETE, "a1": "MY", "d2": ["sks"]})
    assert result.errors == {"d2": (Message.CHOICE.text("en"),)}
    assert "d2" not in result.answers


def test_none_excludes_other_picks() -> None:
    result = evaluate_form(HEI, {**COMPLETE, "c6": ["none", "industry"]})
    assert result.errors == {"c6": constraint_message("c6")}
    german = evaluate_form(HEI, {**COMPLETE, "c6": "industry none"}, "de")
    assert german.errors == {"c6": constraint_message("c6", "Deutsch (de)")}
    assert evaluate_form(HEI, {**COMPLETE, "c6": "none"}).valid


def test_at_most_three_national_measures() -> None:
    four = ["nqf", "recognition", "funding", "register"]
    result = evaluate_form(HEI, {**COMPLETE, "i2": four}, "id")
    assert result.errors == {"i2": (Message.TOO_MANY_PICKS.text("id", count=3),)}


def test_numbers_have_their_ranges() -> None:
    assert evaluate_form(HEI, {**COMPLETE, "c2": -1}).errors == {"c2": constraint_message("c2")}
    assert evaluate_form(HEI, {**COMPLETE, "f4": "100.5"}).errors == {
        "f4": constraint_message("f4")
    }
    assert evaluate_form(HEI, {**COMPLETE, "f4": 100}).answers["f4"] == 100.0


# Any answers at all: the engine judges, it never raises.

ANSWERABLE = {q.name for q in HEI.questions if q.is_answerable or q.type == "calculate"}
NAMES = st.sampled_from(HEI.names()) | st.text(max_size=12)
LEAVES = (
    st.none()
    | st.text(max_size=30)
    | st.sampled_from([c.name for cl in HEI.choices.values() for c in cl.choices])
    | st.sampled_from(["", "  ", "12", " 7 ", "-1", "1.5", "1e300", "2026-02-30", "none hours"])
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.booleans()
)
VALUES = (
    LEAVES
    | st.lists(st.text(max_size=12) | st.sampled_from(["none", "hours", "MY"]), max_size=5)
    | st.dictionaries(st.text(max_size=5), LEAVES, max_size=3)
)
ANSWERS = st.dictionaries(NAMES, VALUES, max_size=25)
LANGUAGES = st.sampled_from([*HEI.languages, "de", "xx", ""]) | st.none()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answers=ANSWERS, language=LANGUAGES)
def test_evaluate_form_never_raises_and_keeps_only_visible_answers(
    answers: dict[str, object], language: str | None
) -> None:
    result = evaluate_form(HEI, answers, language)
    assert set(result.answers) <= result.visible
    assert set(result.answers) <= ANSWERABLE
    assert result.visible <= set(HEI.names())
    assert set(result.pages) <= {page.name for page in HEI.pages}
    for name, messages in result.errors.items():
        assert messages
        assert all(isinstance(message, str) and message for message in messages)
        assert name in answers or name in result.visible
    for name, value in result.answers.items():
        assert name not in result.errors
        assert value not in ("", ()), "an empty answer is no answer"
    assert result.valid == (not result.errors)
    # The kept answers are a fixed point: judged again, they are all kept.
    again = evaluate_form(HEI, dict(result.answers), language)
    assert again.answers == result.answers
    assert set(again.errors) <= set(result.errors)

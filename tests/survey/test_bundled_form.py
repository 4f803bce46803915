"""The bundled MICROCASA questionnaire for higher education institutions."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from survey.engine import evaluate_form
from survey.xlsform import Form, read_markdown_form

SOURCE = Path(__file__).parents[2] / "survey" / "forms" / "microcasa_hei.md"
LANGUAGES = (
    "English (en)",
    "Bahasa Indonesia (id)",
    "Bahasa Melayu (ms)",
    "Filipino (fil)",
    "Deutsch (de)",
    "Italiano (it)",
    "Español (es)",
)
SECTIONS = {
    "a_profile": "A.",
    "b_awareness": "B.",
    "c_provision": "C.",
    "d_design": "D.",
    "e_qa": "E.",
    "f_recognition": "F.",
    "g_stackability": "G.",
    "h_digital": "H.",
    "i_barriers": "I.",
}


@pytest.fixture(scope="module")
def form() -> Form:
    result = read_markdown_form(SOURCE.read_text(encoding="utf-8"), "microcasa_hei")
    assert result.warnings == ()
    return result.form


def test_it_reads_without_errors_or_warnings(form: Form) -> None:
    assert form.form_id == "microcasa_hei"
    assert form.version.isdigit() and len(form.version) == 10  # yyyymmddrr
    assert form.title.startswith("MICROCASA")


def test_it_has_exactly_the_seven_languages(form: Form) -> None:
    assert form.languages == LANGUAGES
    assert form.default_language == "English (en)"


def every_text(form: Form) -> Iterator[tuple[str, Mapping[str, str]]]:
    """(where, texts) for every translatable cell that has any text."""
    for question in form.questions:
        for kind in ("labels", "hints", "required_messages", "constraint_messages"):
            texts = getattr(question, kind)
            if texts:
                yield f"{question.name} {kind}", texts
    for group in form.groups:
        if group.labels:
            yield f"group {group.name}", group.labels
    for choice_list in form.choices.values():
        for choice in choice_list.choices:
            yield f"{choice_list.name}/{choice.name}", choice.labels


def test_every_text_is_in_all_seven_languages(form: Form) -> None:
    incomplete = [
        where
        for where, texts in every_text(form)
        if tuple(texts) != LANGUAGES or not all(t.strip() for t in texts.values())
    ]
    assert incomplete == []
    assert sum(1 for _ in every_text(form)) > 250  # the check looked at something


def test_every_question_and_group_but_calculations_has_a_label(form: Form) -> None:
    assert all(q.labels for q in form.questions if q.type != "calculate")
    assert all(g.labels for g in form.groups)


def test_pages_are_the_introduction_and_sections_a_to_i(form: Form) -> None:
    assert [page.name for page in form.pages] == ["intro", *SECTIONS]
    assert form.pages[0].group is None
    for name, letter in SECTIONS.items():
        assert form.group(name).labels["English (en)"].startswith(letter)
        assert form.group(name).parent is None


def test_it_has_a_likert_grid(form: Form) -> None:
    grids = [g for g in form.groups if g.appearance == "table-list"]
    assert grids
    for grid in grids:
        members = [q for q in form.questions if q.group == grid.name]
        assert len(members) >= 2
        assert len({q.list_name for q in members}) == 1  # one scale for the whole grid
        assert all(q.type == "select_one" for q in members)


def test_scales_offer_dont_know(form: Form) -> None:
    with_dk = [name for name, choices in form.choices.items() if "dk" in choices.names()]
    assert {"familiar5", "agree5", "extent5"} <= set(with_dk)
    dont_know = form.choices["agree5"].get("dk")
    assert dont_know is not None and dont_know.labels["English (en)"].startswith("Don't know")


def test_one_question_asks_for_at_most_three_answers(form: Form) -> None:
    (question,) = [q for q in form.questions if q.max_pick is not None]
    assert question.type == "select_multiple"
    assert question.max_pick == 3 and dict(question.parameters) == {"max-pick": "3"}
    too_many = form.choices_for(question).names()[:4]
    evaluation = evaluate_form(form, {question.name: list(too_many)})
    assert question.name in evaluation.errors


def test_the_credit_unit_list_is_filtered_by_country(form: Form) -> None:
    (question,) = [q for q in form.questions if q.list_name == "credit_unit"]
    assert question.choice_filter == "country = ${a1} or country = 'any'"
    assert form.expression(question.name, "choice_filter") is not None
    answers = {"c1": "established", "a1": "DE"}
    offered = evaluate_form(form, answers).choices[question.name]
    assert [c.name for c in offered] == ["ects_de", "hours", "none"]
    offered = evaluate_form(form, {**answers, "a1": "ID"}).choices[question.name]
    assert [c.name for c in offered] == ["sks", "hours", "none"]


@pytest.mark.parametrize(
    ("stage", "shown"),
    [
        ("none", False),
        ("exploring", False),
        ("emerging", True),
        ("established", True),
        ("mature", True),
    ],
)
def test_design_and_quality_pages_only_for_institutions_that_offer_micro_credentials(
    form: Form, stage: str, shown: bool
) -> None:
    pages = evaluate_form(form, {"c1": stage}).pages
    assert ("d_design" in pages, "e_qa" in pages) == (shown, shown)
    assert {"intro", "a_profile", "c_provision", "i_barriers"} <= set(pages)


def test_answers_to_hidden_pages_are_dropped(form: Form) -> None:
    evaluation = evaluate_form(form, {"c1": "none", "d1": "always"})
    assert "d1" not in evaluation.answers and "d1" not in evaluation.visible

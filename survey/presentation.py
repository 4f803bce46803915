"""What a page shows, in one language: plain view objects the templates render.

The preview for staff and (later) the respondent pages both build pages here,
so a questionnaire looks the same in both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from survey.engine import Answer, Evaluation
from survey.xlsform.model import Choice, Form, Question, language_code, text_in


@dataclass(frozen=True)
class ChoiceView:
    name: str
    label: str


@dataclass(frozen=True)
class QuestionView:
    name: str
    type: str
    label: str
    hint: str
    required: bool  # always required (a conditional requirement is shown in the logic)
    appearance: str
    choices: tuple[ChoiceView, ...]
    value: Answer | None
    errors: tuple[str, ...]
    logic: tuple[str, ...]  # conditions in words, for staff previews

    @property
    def input_type(self) -> str:
        return {"integer": "number", "decimal": "number", "date": "date"}.get(self.type, "text")

    def is_selected(self, choice: str) -> bool:
        if isinstance(self.value, tuple):
            return choice in self.value
        return self.value == choice


@dataclass(frozen=True)
class Block:
    """One question, or a grid (table-list group) of questions sharing their choices."""

    questions: tuple[QuestionView, ...]
    grid_label: str = ""
    grid_name: str = ""

    @property
    def is_grid(self) -> bool:
        return bool(self.grid_name)

    @property
    def columns(self) -> tuple[ChoiceView, ...]:
        return self.questions[0].choices if self.questions else ()


@dataclass(frozen=True)
class PageView:
    name: str
    number: int
    total: int
    title: str
    blocks: tuple[Block, ...]
    logic: tuple[str, ...]


def language_for(form: Form, requested: str | None) -> str:
    """The form language matching a requested code or label, else the default."""
    if requested:
        for language in form.languages:
            if requested in (language, language_code(language)):
                return language
    return form.default_language


def _choices(
    form: Form, question: Question, language: str, allowed: tuple[Choice, ...] | None
) -> tuple[ChoiceView, ...]:
    if not question.is_select:
        return ()
    choices = allowed if allowed is not None else form.choices_for(question).choices
    return tuple(
        ChoiceView(
            choice.name, text_in(choice.labels, language, form.default_language) or choice.name
        )
        for choice in choices
    )


def _logic(question: Question) -> tuple[str, ...]:
    words = []
    if question.relevant:
        words.append(f"shown if {question.relevant}")
    if question.required and question.required != "true":
        words.append(f"required if {question.required}")
    if question.constraint:
        words.append(f"valid if {question.constraint}")
    if question.choice_filter:
        words.append(f"choices where {question.choice_filter}")
    if question.max_pick:
        words.append(f"at most {question.max_pick} choices")
    return tuple(words)


def question_view(
    form: Form,
    question: Question,
    language: str,
    evaluation: Evaluation | None = None,
    values: Mapping[str, Answer] | None = None,
) -> QuestionView:
    allowed = evaluation.choices.get(question.name) if evaluation else None
    return QuestionView(
        name=question.name,
        type=question.type,
        label=text_in(question.labels, language, form.default_language),
        hint=text_in(question.hints, language, form.default_language),
        required=question.required == "true",
        appearance=question.appearance,
        choices=_choices(form, question, language, allowed),
        value=(values or {}).get(question.name),
        errors=evaluation.errors.get(question.name, ()) if evaluation else (),
        logic=_logic(question),
    )


def page_view(
    form: Form,
    page_name: str,
    language: str,
    evaluation: Evaluation | None = None,
    values: Mapping[str, Answer] | None = None,
) -> PageView:
    """A page's blocks; with an evaluation, only visible questions and their filtered choices."""
    index = next(i for i, page in enumerate(form.pages) if page.name == page_name)
    page = form.pages[index]
    blocks: list[Block] = []
    grid: list[QuestionView] = []
    grid_group: str | None = None

    def close_grid() -> None:
        nonlocal grid, grid_group
        if grid and grid_group:
            group = form.group(grid_group)
            label = text_in(group.labels, language, form.default_language)
            blocks.append(Block(tuple(grid), grid_label=label, grid_name=grid_group))
        grid, grid_group = [], None

    for name in page.questions:
        question = form.question(name)
        if question.type == "calculate":
            continue
        if evaluation is not None and name not in evaluation.visible:
            continue
        view = question_view(form, question, language, evaluation, values)
        in_grid = (
            question.group is not None and "table-list" in form.group(question.group).appearance
        )
        if in_grid and question.is_select:
            if grid_group != question.group:
                close_grid()
                grid_group = question.group
            grid.append(view)
            continue
        close_grid()
        blocks.append(Block((view,)))
    close_grid()
    title = ""
    logic: tuple[str, ...] = ()
    if page.group:
        group = form.group(page.group)
        title = text_in(group.labels, language, form.default_language)
        logic = (f"page shown if {group.relevant}",) if group.relevant else ()
    return PageView(page.name, index + 1, len(form.pages), title, tuple(blocks), logic)

"""The parsed questionnaire: immutable, the single description every other part reads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType

from survey.logic import Expression

# Types as XLSForm writes them, without the list name.
INPUT_TYPES = frozenset({"text", "integer", "decimal", "date", "acknowledge"})
SELECT_TYPES = frozenset({"select_one", "select_multiple"})
ANSWERABLE_TYPES = INPUT_TYPES | SELECT_TYPES
QUESTION_TYPES = ANSWERABLE_TYPES | {"note", "calculate"}

Texts = Mapping[str, str]  # language label (e.g. "English (en)") -> text


def frozen(mapping: Mapping[str, str] | None = None) -> Texts:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class Choice:
    name: str
    labels: Texts
    extra: Texts = field(default_factory=frozen)  # further columns (used by choice_filter)


@dataclass(frozen=True)
class ChoiceList:
    name: str
    choices: tuple[Choice, ...]

    def names(self) -> tuple[str, ...]:
        return tuple(choice.name for choice in self.choices)

    def get(self, name: str) -> Choice | None:
        return next((choice for choice in self.choices if choice.name == name), None)


@dataclass(frozen=True)
class Question:
    """One row of the survey sheet that is not a group boundary."""

    name: str
    type: str
    row: int
    labels: Texts = field(default_factory=frozen)
    hints: Texts = field(default_factory=frozen)
    list_name: str | None = None
    group: str | None = None  # innermost enclosing group
    groups: tuple[str, ...] = ()  # every enclosing group, outermost first
    required: str = ""  # "true", "" or an expression
    required_messages: Texts = field(default_factory=frozen)
    relevant: str = ""
    constraint: str = ""
    constraint_messages: Texts = field(default_factory=frozen)
    choice_filter: str = ""
    appearance: str = ""
    calculation: str = ""
    default: str = ""
    parameters: Texts = field(default_factory=frozen)
    extra: Texts = field(default_factory=frozen)  # unknown columns, kept

    @property
    def is_select(self) -> bool:
        return self.type in SELECT_TYPES

    @property
    def is_answerable(self) -> bool:
        return self.type in ANSWERABLE_TYPES

    @property
    def max_pick(self) -> int | None:
        value = self.parameters.get("max-pick") or self.parameters.get("max_pick")
        return int(value) if value and value.isdecimal() else None


@dataclass(frozen=True)
class Group:
    name: str
    row: int
    labels: Texts = field(default_factory=frozen)
    relevant: str = ""
    appearance: str = ""
    parent: str | None = None


@dataclass(frozen=True)
class Page:
    """A page the respondent sees: a top-level group, or a question outside any group."""

    name: str
    group: str | None  # None for a lone question's page
    questions: tuple[str, ...]


@dataclass(frozen=True)
class Form:
    form_id: str
    version: str
    title: str
    default_language: str
    languages: tuple[str, ...]
    questions: tuple[Question, ...]
    groups: tuple[Group, ...]
    choices: Mapping[str, ChoiceList]
    pages: tuple[Page, ...]
    settings: Texts = field(default_factory=frozen)
    expressions: Mapping[tuple[str, str], Expression] = field(
        default_factory=lambda: MappingProxyType({})
    )  # (name, column) -> parsed expression, for every non-empty expression cell

    def question(self, name: str) -> Question:
        return self._questions[name]

    @cached_property
    def _questions(self) -> Mapping[str, Question]:
        return MappingProxyType({question.name: question for question in self.questions})

    @cached_property
    def looks_back_only(self) -> bool:
        """Whether every expression refers only to questions before the one it belongs to.

        A group's expressions belong to its first question. Such a form's logic is
        settled in one pass from top to bottom; otherwise the engine passes again.
        """
        position = {question.name: index for index, question in enumerate(self.questions)}
        for index, question in reversed(list(enumerate(self.questions))):
            for group in question.groups:
                position[group] = index  # ends as the group's first question
        for (name, _column), expression in self.expressions.items():
            at = position.get(name)
            if at is None:
                continue  # a group without questions is never evaluated
            if any(position.get(ref, at) >= at for ref in expression.references()):
                return False
        return True

    def group(self, name: str) -> Group:
        for group in self.groups:
            if group.name == name:
                return group
        raise KeyError(name)

    def names(self) -> tuple[str, ...]:
        return tuple(question.name for question in self.questions)

    def choices_for(self, question: Question) -> ChoiceList:
        assert question.list_name is not None
        return self.choices[question.list_name]

    def expression(self, name: str, column: str) -> Expression | None:
        return self.expressions.get((name, column))


def language_code(language: str) -> str:
    """'Bahasa Melayu (ms)' -> 'ms'; a label without a code is its own code."""
    if language.endswith(")") and "(" in language:
        return language[language.rindex("(") + 1 : -1].strip()
    return language


def text_in(texts: Texts, language: str, default_language: str) -> str:
    """The text in a language (label or bare code), else the default language's, else any."""
    if texts.get(language):
        return texts[language]
    code = language_code(language)
    for key, value in texts.items():
        if value and language_code(key) == code:
            return value
    if texts.get(default_language):
        return texts[default_language]
    return next((value for value in texts.values() if value), "")

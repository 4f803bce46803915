"""The one judge of answers: visibility, calculations, and per-question errors.

Given a Form and answers (strings from a web page, or typed values from JSON or
a spreadsheet), :func:`evaluate_form` says which questions and pages are
visible, computes calculations, checks every visible question (type, choice in
the filtered list, number of picks, required, constraint) and returns the
cleaned answers: typed, with answers to hidden questions dropped. The pages,
the JSON API and imports of responses collected elsewhere all call it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from types import MappingProxyType

from survey.logic import evaluate, local_today, to_string, truthy
from survey.messages import Message
from survey.xlsform.model import Choice, Form, Question, text_in

Answer = str | int | float | tuple[str, ...]
MAX_TEXT = 10_000
MAX_INTEGER = 2**53  # integers beyond this lose precision in JSON, SPSS and Stata
_INTEGER = re.compile(r"^[+-]?[0-9]+$")
_DECIMAL = re.compile(r"^[+-]?([0-9]+([.,][0-9]*)?|[.,][0-9]+)([eE][+-]?[0-9]+)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Evaluation:
    answers: Mapping[str, Answer]  # visible answered questions and calculations, typed
    visible: frozenset[str]  # visible questions (any type)
    pages: tuple[str, ...]  # visible pages, in order
    errors: Mapping[str, tuple[str, ...]]  # question name -> messages
    choices: Mapping[str, tuple[Choice, ...]]  # select question -> choices after the filter

    @property
    def valid(self) -> bool:
        return not self.errors


def is_empty(value: object) -> bool:
    return value is None or value == "" or (isinstance(value, list | tuple) and not value)


def _expression_value(answer: Answer | None) -> object:
    if isinstance(answer, tuple):
        return " ".join(answer)
    return answer


class _Run:
    def __init__(self, form: Form, language: str, today: date | None) -> None:
        self.form = form
        self.language = language
        self.today = today
        self.values: dict[str, object] = {}
        self.errors: dict[str, list[str]] = {}

    def message(self, message: Message, **values: object) -> str:
        return message.text(self.language, **values)

    def text(self, texts: Mapping[str, str]) -> str:
        return text_in(texts, self.language, self.form.default_language)

    def holds(self, name: str, column: str, current: object = None) -> bool:
        expression = self.form.expression(name, column)
        if expression is None:
            return True
        return truthy(evaluate(expression, self.values, current, self.today))

    def group_visible(self, question: Question, cache: dict[str, bool]) -> bool:
        for group in question.groups:
            if group not in cache:
                cache[group] = self.holds(group, "relevant")
            if not cache[group]:
                return False
        return True

    def filtered(self, question: Question) -> tuple[Choice, ...]:
        choices = self.form.choices_for(question).choices
        expression = self.form.expression(question.name, "choice_filter")
        if expression is None:
            return choices
        return tuple(
            choice
            for choice in choices
            if truthy(
                evaluate(
                    expression,
                    self.values,
                    today=self.today,
                    choice={"name": choice.name, **dict(choice.extra)},
                )
            )
        )

    def add_error(self, name: str, text: str) -> None:
        self.errors.setdefault(name, []).append(text)


def convert(
    question: Question, raw: object, language: str = "en"
) -> tuple[Answer | None, str | None]:
    """A raw answer as the question's type, or an error message; (None, None) when empty."""
    if is_empty(raw) or (isinstance(raw, str) and not raw.strip()):
        return None, None
    kind = question.type
    if kind == "integer":
        return _integer(raw, language)
    if kind == "decimal":
        return _decimal(raw, language)
    if kind == "date":
        return _date(raw, language)
    if kind == "select_multiple":
        items = raw.split() if isinstance(raw, str) else raw
        if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
            return None, Message.CHOICE.text(language)
        picks = tuple(dict.fromkeys(item.strip() for item in items if item.strip()))
        return (picks or None), None
    if kind == "acknowledge":
        return ("OK", None) if raw in (True, "OK", "ok", "true", "1", 1) else (None, None)
    if kind == "text" and isinstance(raw, int | float | Decimal) and not isinstance(raw, bool):
        # Spreadsheets turn codes such as postcodes into numbers; the text is what was meant.
        raw = str(int(raw)) if isinstance(raw, float) and raw.is_integer() else str(raw)
    if not isinstance(raw, str):
        if kind == "select_one":
            return None, Message.SINGLE_CHOICE.text(language)
        return None, Message.TEXT.text(language)
    if "\x00" in raw:
        return None, Message.CONTROL_CHARACTER.text(language)
    if len(raw) > MAX_TEXT:
        return None, Message.TEXT_TOO_LONG.text(language, limit=MAX_TEXT)
    if kind == "select_one":
        return (raw.strip() or None), None
    return raw, None


def _integer(raw: object, language: str) -> tuple[Answer | None, str | None]:
    value: int | None = None
    if isinstance(raw, bool):
        value = None
    elif isinstance(raw, int):
        value = raw
    elif isinstance(raw, float) and math.isfinite(raw) and raw.is_integer():
        value = int(raw)
    elif isinstance(raw, str) and _INTEGER.match(raw.strip()) and len(raw.strip()) < 30:
        value = int(raw.strip())
    if value is None:
        return None, Message.INTEGER.text(language)
    if abs(value) > MAX_INTEGER:
        return None, Message.NUMBER_TOO_LARGE.text(language)
    return value, None


def _decimal(raw: object, language: str) -> tuple[Answer | None, str | None]:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str | Decimal):
        return None, Message.DECIMAL.text(language)
    if isinstance(raw, str) and not _DECIMAL.match(raw.strip()):
        return None, Message.DECIMAL.text(language)
    try:
        number = float(Decimal(raw.strip().replace(",", ".")) if isinstance(raw, str) else raw)
    except (InvalidOperation, ValueError, OverflowError):
        return None, Message.DECIMAL.text(language)
    if not math.isfinite(number):
        return None, Message.DECIMAL.text(language)
    if abs(number) > 1e15:
        return None, Message.NUMBER_TOO_LARGE.text(language)
    return number, None


def _date(raw: object, language: str) -> tuple[Answer | None, str | None]:
    if isinstance(raw, datetime):
        # Spreadsheets give dates as datetimes at midnight; a date question keeps the day.
        raw = raw.date()
    if isinstance(raw, date):
        return raw.isoformat(), None
    if isinstance(raw, str) and _DATE.match(raw.strip()):
        try:
            return date.fromisoformat(raw.strip()).isoformat(), None
        except ValueError:
            pass
    return None, Message.DATE.text(language)


# Passes over the form until visibility and values settle; a form whose logic
# still changes after this many is oscillating, and the last pass stands.
MAX_PASSES = 8


def evaluate_form(
    form: Form,
    answers: Mapping[str, object],
    language: str | None = None,
    *,
    pages: Collection[str] | None = None,
    today: date | None = None,
) -> Evaluation:
    """Judge answers against the form; ``pages`` limits which pages report errors.

    Expressions may refer to questions further down the form, so the form is
    evaluated again, from the answers, until no question changes visibility or
    value: then no expression has seen an answer that is finally dropped.
    """
    lang = language or form.default_language
    today = today or local_today()  # one date for every expression of this evaluation
    typed, input_errors = _typed_answers(form, answers, lang)
    dropped: frozenset[str] = frozenset()
    carried: dict[str, object] = {}
    for _ in range(MAX_PASSES):
        run = _Run(form, lang, today)
        run.errors = {name: list(messages) for name, messages in input_errors.items()}
        run.values = {
            name: _expression_value(value) for name, value in typed.items() if name not in dropped
        }
        run.values.update(carried)
        outcome = _pass(run, typed, pages)
        if form.looks_back_only:
            break  # no expression saw an answer of a question it comes before
        settled = frozenset(typed) - frozenset(outcome.answers)
        calculated = {
            name: value
            for name, value in outcome.answers.items()
            if form.question(name).type == "calculate"
        }
        if settled == dropped and calculated == carried:
            break
        dropped, carried = settled, dict(calculated)
    return outcome


def _typed_answers(
    form: Form, answers: Mapping[str, object], language: str
) -> tuple[dict[str, Answer], dict[str, list[str]]]:
    known = {q.name: q for q in form.questions}
    typed: dict[str, Answer] = {}
    errors: dict[str, list[str]] = {}
    for name, raw in answers.items():
        question = known.get(name)
        if question is None:
            errors.setdefault(name, []).append(Message.UNKNOWN_QUESTION.text(language))
            continue
        if not question.is_answerable:
            if not is_empty(raw):
                errors.setdefault(name, []).append(Message.NOT_ANSWERABLE.text(language))
            continue
        value, error = convert(question, raw, language)
        if error:
            errors.setdefault(name, []).append(error)
        elif value is not None:
            typed[name] = value
    return typed, errors


def _pass(run: _Run, typed: Mapping[str, Answer], pages: Collection[str] | None) -> Evaluation:
    form = run.form
    checked_pages = set(pages) if pages is not None else None
    page_of = {q: page.name for page in form.pages for q in page.questions}
    groups: dict[str, bool] = {}
    visible: set[str] = set()
    cleaned: dict[str, Answer] = {}
    filtered: dict[str, tuple[Choice, ...]] = {}
    for question in form.questions:
        name = question.name
        shown = run.group_visible(question, groups) and run.holds(name, "relevant")
        if not shown:
            # A hidden question's answer is dropped, and so is any complaint about it.
            run.values.pop(name, None)
            run.errors.pop(name, None)
            continue
        visible.add(name)
        if question.type == "calculate":
            expression = form.expression(name, "calculation")
            if expression is not None:
                result = to_string(evaluate(expression, run.values, today=run.today))
                run.values[name] = result
                cleaned[name] = result
            continue
        if not question.is_answerable:
            continue
        report = checked_pages is None or page_of.get(name) in checked_pages
        if question.is_select:
            filtered[name] = run.filtered(question)
        value = typed.get(name)
        if value is None:
            if report and name not in run.errors and _required(run, question):
                run.add_error(
                    name, run.text(question.required_messages) or run.message(Message.REQUIRED)
                )
            continue
        problem = _check_choices(run, question, value, filtered.get(name, ()))
        if problem is None and not run.holds(name, "constraint", _expression_value(value)):
            problem = run.text(question.constraint_messages) or run.message(Message.CONSTRAINT)
        if problem is not None:
            if report:
                run.add_error(name, problem)
            run.values.pop(name, None)
            continue
        cleaned[name] = value
    visible_pages = tuple(
        page.name
        for page in form.pages
        if any(q in visible and form.question(q).type != "calculate" for q in page.questions)
    )
    errors = {
        name: tuple(messages)
        for name, messages in run.errors.items()
        if checked_pages is None or name not in page_of or page_of[name] in checked_pages
    }
    return Evaluation(
        answers=MappingProxyType(cleaned),
        visible=frozenset(visible),
        pages=visible_pages,
        errors=MappingProxyType(errors),
        choices=MappingProxyType(filtered),
    )


def _required(run: _Run, question: Question) -> bool:
    if question.required == "true":
        return True
    if not question.required:
        return False
    return run.holds(question.name, "required")


def _check_choices(
    run: _Run, question: Question, value: Answer, allowed: tuple[Choice, ...]
) -> str | None:
    if not question.is_select:
        return None
    names = {choice.name for choice in allowed}
    picked = value if isinstance(value, tuple) else (str(value),)
    if any(item not in names for item in picked):
        return run.message(Message.CHOICE)
    limit = question.max_pick
    if limit is not None and len(picked) > limit:
        return run.message(Message.TOO_MANY_PICKS, count=limit)
    return None

"""What each column of a frame stands for: the question, its kind, choices and user-missing codes.

Two decisions live here, both documented in docs/analysis.md:

* **User-missing** ("don't know", "not applicable", "refused") is declared per
  choice list. A list that has a ``missing`` cell on any of its choices in the
  choices sheet is declared by that column: the choices marked yes / true / 1 are
  user-missing, all others valid. A list without such cells follows the naming
  rule: a choice whose name is one of :data:`MISSING_NAMES` is user-missing.
* **Likert items** are the select_one questions whose valid (not user-missing)
  choice names are at least three consecutive integers (1..5, 0..10, 5..1), or
  whose ``appearance`` says ``likert``. Their column is an ordered categorical:
  by number for integer scales, in choice order for ``appearance = likert``.

User-missing choices stay categories of their column, after the valid ones, so
a table counts them as their own rows; :func:`valid` drops them (to NaN) before
anything is ranked, averaged or tested.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd

from survey.xlsform.model import Choice, Form, Question, Texts, frozen, text_in

# Choice names that mean "no substantive answer" when a list does not say otherwise.
MISSING_NAMES = frozenset(
    {
        "dk",
        "dont_know",
        "na",
        "n_a",
        "not_applicable",
        "refused",
        "prefer_not",
        "prefer_not_to_say",
    }
)
MISSING_COLUMN = "missing"
TRUE_WORDS = frozenset({"yes", "true", "1"})
MIN_LIKERT_POINTS = 3
_INTEGER = re.compile(r"^-?[0-9]+$")
# The question that says what type an institution is, when a form has one.
INSTITUTION_TYPE_NAMES = frozenset({"institution_type"})
INSTITUTION_TYPE_LISTS = frozenset({"inst_type", "institution_type"})


class Kind(StrEnum):
    CATEGORICAL = "categorical"  # select_one, unordered
    LIKERT = "likert"  # select_one, ordered
    MULTIPLE = "multiple"  # select_multiple: the raw answer and one 0/1 column per choice
    NUMERIC = "numeric"  # integer (nullable Int64) and decimal (float64)
    TEXT = "text"  # text, acknowledge, calculate
    DATE = "date"


@dataclass(frozen=True)
class VariableChoice:
    name: str
    labels: Texts = field(default_factory=frozen)
    missing: bool = False  # user-missing: outside the valid base


@dataclass(frozen=True)
class Variable:
    """One question of the questionnaire as it appears in a frame."""

    name: str
    kind: Kind
    type: str  # the XLSForm type: select_one, integer, …
    labels: Texts = field(default_factory=frozen)
    choices: tuple[VariableChoice, ...] = ()  # in the frame's category order
    versions: tuple[str, ...] = ()  # form versions that ask it
    group: str | None = None

    @property
    def missing(self) -> tuple[str, ...]:
        """The user-missing choice names ("dk", "na", …)."""
        return tuple(choice.name for choice in self.choices if choice.missing)

    @property
    def valid_choices(self) -> tuple[str, ...]:
        return tuple(choice.name for choice in self.choices if not choice.missing)

    @property
    def columns(self) -> tuple[str, ...]:
        """The 0/1 columns of a select_multiple question, one per choice; () otherwise."""
        if self.kind is not Kind.MULTIPLE:
            return ()
        return tuple(option_column(self.name, choice.name) for choice in self.choices)

    def label(self, language: str, default_language: str = "") -> str:
        return text_in(self.labels, language, default_language) or self.name

    def choice_label(self, name: str, language: str, default_language: str = "") -> str:
        for choice in self.choices:
            if choice.name == name:
                return text_in(choice.labels, language, default_language) or name
        return name


def option_column(question: str, choice: str) -> str:
    """The 0/1 column of one choice of a select_multiple (``b4/short_course``, as Kobo names it)."""
    return f"{question}/{choice}"


def valid(series: pd.Series, variable: Variable) -> pd.Series:
    """The answers without user-missing ones: those become NaN, and leave the categories."""
    if variable.kind in (Kind.CATEGORICAL, Kind.LIKERT) and variable.missing:
        present = [name for name in variable.missing if name in series.cat.categories]
        return series.cat.remove_categories(present)
    return series


def scores(series: pd.Series, variable: Variable) -> pd.Series:
    """A Likert item as numbers (the scale point for integer scales, else its rank from 1)."""
    if variable.kind is not Kind.LIKERT:
        raise ValueError(f"{variable.name} is not a Likert item")
    points = valid(series, variable)
    categories = list(points.cat.categories)
    if all(_integer(name) is not None for name in categories):
        values = [float(name) for name in categories]
    else:
        values = [float(rank) for rank in range(1, len(categories) + 1)]
    mapping = dict(zip(categories, values, strict=True))
    return points.map(mapping).astype("float64")


def category_scores(variable: Variable, categories: Sequence[str]) -> list[float]:
    """What ``scores`` gives each of a Likert column's categories (NaN: user-missing),
    without a Series: for tables that work on the counts of each category."""
    if variable.kind is not Kind.LIKERT:
        raise ValueError(f"{variable.name} is not a Likert item")
    missing = set(variable.missing)
    kept = [name for name in categories if name not in missing]
    if all(_integer(name) is not None for name in kept):
        values = [float(name) for name in kept]
    else:
        values = [float(rank) for rank in range(1, len(kept) + 1)]
    mapping = dict(zip(kept, values, strict=True))
    return [mapping.get(name, math.nan) for name in categories]


def missing_choices(choices: Sequence[Choice]) -> frozenset[str]:
    """The user-missing names of one choice list (the ``missing`` column, else the naming rule)."""
    if any(MISSING_COLUMN in choice.extra for choice in choices):
        return frozenset(
            choice.name
            for choice in choices
            if choice.extra.get(MISSING_COLUMN, "").strip().lower() in TRUE_WORDS
        )
    # Exact names: "NA" is Namibia in a list of country codes, not "not applicable".
    return frozenset(choice.name for choice in choices if choice.name in MISSING_NAMES)


def _integer(name: str) -> int | None:
    return int(name) if _INTEGER.match(name) else None


def likert_order(question: Question, names: Sequence[str]) -> tuple[str, ...] | None:
    """The order of a Likert item's valid choices, or None when the question is not one."""
    numbers = [_integer(name) for name in names]
    if len(names) >= MIN_LIKERT_POINTS and all(n is not None for n in numbers):
        values = sorted(n for n in numbers if n is not None)
        if values == list(range(values[0], values[0] + len(values))):
            return tuple(sorted(names, key=lambda name: int(name)))
    if "likert" in question.appearance.split() and names:
        return tuple(names)
    return None


def _kind(question: Question) -> Kind:
    if question.type == "select_one":
        return Kind.CATEGORICAL
    if question.type == "select_multiple":
        return Kind.MULTIPLE
    if question.type in ("integer", "decimal"):
        return Kind.NUMERIC
    if question.type == "date":
        return Kind.DATE
    return Kind.TEXT


def in_frame(question: Question) -> bool:
    """Questions that hold data: every answerable type and calculations (not notes)."""
    return question.is_answerable or question.type == "calculate"


def _choices(forms: Sequence[tuple[str, Form]], name: str) -> tuple[Choice, ...]:
    """The union of a select question's choices, newest version first, then older extras."""
    merged: dict[str, Choice] = {}
    for _version, form in reversed(forms):
        if name not in form.names():
            continue
        question = form.question(name)
        if question.is_select:
            for choice in form.choices_for(question).choices:
                merged.setdefault(choice.name, choice)
    return tuple(merged.values())


def _missing_of(forms: Sequence[tuple[str, Form]], name: str) -> frozenset[str]:
    for _version, form in reversed(forms):
        if name in form.names() and form.question(name).is_select:
            return missing_choices(form.choices_for(form.question(name)).choices)
    return frozenset()


def _order(forms: Sequence[tuple[str, Form]]) -> list[str]:
    """Question names, newest version's order; older-only ones after their predecessor."""
    names: list[str] = []
    for _version, form in reversed(forms):
        previous: str | None = None
        for question in form.questions:
            if not in_frame(question):
                continue
            if question.name not in names:
                at = names.index(previous) + 1 if previous is not None else 0
                names.insert(at, question.name)
            previous = question.name
    return names


def variables_of(forms: Sequence[tuple[str, Form]]) -> tuple[tuple[Variable, ...], list[str]]:
    """Variables for the union of the versions' questions (oldest version first), and in words
    what differs between versions: questions not in every version, changed types, choices."""
    differences: list[str] = []
    all_versions = [version for version, _form in forms]
    variables: list[Variable] = []
    for name in _order(forms):
        asked = [(version, form.question(name)) for version, form in forms if name in form.names()]
        newest = asked[-1][1]
        versions = tuple(version for version, _question in asked)
        if len(versions) < len(all_versions):
            others = [v for v in all_versions if v not in versions]
            differences.append(
                f"{name} is asked only in {_versions_words(versions)} "
                f"(not in {_versions_words(others)}); it is empty for responses to the others."
            )
        types = {question.type for _version, question in asked}
        if len(types) > 1:
            described = "; ".join(f"{q.type} in version {v}" for v, q in asked)
            differences.append(
                f"{name} changes type ({described}); every response is read as "
                f"{newest.type}, as in the newest version."
            )
        kind = _kind(newest)
        choices: tuple[VariableChoice, ...] = ()
        if newest.is_select:
            merged = _choices(forms, name)
            differences.extend(_choice_differences(forms, name, merged))
            missing = _missing_of(forms, name)
            valid_names = [c.name for c in merged if c.name not in missing]
            order = likert_order(newest, valid_names) if kind is Kind.CATEGORICAL else None
            if order is not None:
                kind = Kind.LIKERT
                valid_names = list(order)
            by_name = {c.name: c for c in merged}
            choices = tuple(
                VariableChoice(n, by_name[n].labels, missing=False) for n in valid_names
            ) + tuple(
                VariableChoice(c.name, c.labels, missing=True) for c in merged if c.name in missing
            )
        variables.append(
            Variable(
                name=name,
                kind=kind,
                type=newest.type,
                labels=newest.labels,
                choices=choices,
                versions=versions,
                group=newest.group,
            )
        )
    return tuple(variables), differences


def _choice_differences(
    forms: Sequence[tuple[str, Form]], name: str, merged: Sequence[Choice]
) -> list[str]:
    if len(forms) < 2:
        return []
    offered: dict[str, list[str]] = {}
    asking = []
    for version, form in forms:
        if name in form.names() and form.question(name).is_select:
            asking.append(version)
            for choice in form.choices_for(form.question(name)).choices:
                offered.setdefault(choice.name, []).append(version)
    return [
        f"{name}: choice “{choice.name}” is offered only in "
        f"{_versions_words(offered[choice.name])}."
        for choice in merged
        if len(offered[choice.name]) < len(asking)
    ]


def _versions_words(versions: Sequence[str]) -> str:
    if len(versions) == 1:
        return f"version {versions[0]}"
    return "versions " + ", ".join(versions[:-1]) + " and " + versions[-1]


def institution_type_question(form: Form) -> str | None:
    """The question naming the institution's type: ``institution_type``, or a select_one
    on a list named ``inst_type`` / ``institution_type`` (a2 in the bundled questionnaire)."""
    for question in form.questions:
        if question.name in INSTITUTION_TYPE_NAMES:
            return question.name
    for question in form.questions:
        if question.type == "select_one" and question.list_name in INSTITUTION_TYPE_LISTS:
            return question.name
    return None


def institution_type_of(forms: Sequence[tuple[str, Form]]) -> str | None:
    """The institution-type question of the newest version that has one."""
    return next(
        (name for _v, form in reversed(forms) if (name := institution_type_question(form))), None
    )


def institution_types(
    forms: Sequence[tuple[str, Form]],
    answers: Iterable[Any],
    fallback: Sequence[str | None] | None = None,
) -> pd.Categorical:
    """Each response's institution type: its answer, else ``fallback`` (the registry's).

    Categories: the type question's choices in order, then other values found, sorted.
    """
    values = _texts(answers)
    if fallback is not None:
        missing = pd.isna(values)
        if missing.any():
            values = np.where(missing, _texts(fallback), values)
    order: list[str] = []
    question = institution_type_of(forms)
    for _version, form in reversed(forms):
        if question is not None and question in form.names():
            if form.question(question).is_select:
                order = [c.name for c in form.choices_for(form.question(question)).choices]
            break
    found = pd.unique(values[~pd.isna(values)])
    categories = [*order, *sorted(v for v in found if v not in order)]
    codes = pd.Index(categories, dtype=object).get_indexer(values)
    return pd.Categorical.from_codes(codes, categories=categories)


def _texts(values: Iterable[Any]) -> np.ndarray:
    """Non-empty strings as they are, anything else None: an object array, worked out
    once per distinct value (100,000 answers have a handful)."""
    items = values if isinstance(values, np.ndarray) else list(values)
    array = np.empty(len(items), dtype=object)
    array[:] = items
    try:
        codes, distinct = pd.factorize(array)
    except TypeError:  # an unhashable answer (a list): one by one
        codes, distinct = np.arange(len(array)), array
    kept = np.empty(len(distinct) + 1, dtype=object)  # the last, None, for code -1 (missing)
    kept[:-1] = [v if isinstance(v, str) and v else None for v in distinct]
    result: np.ndarray = kept[codes]
    return result

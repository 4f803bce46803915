"""A small filter language for the rows a report counts, parsed without ``eval``.

A filter is one or more conditions joined by `` and ``; each condition is
``QUESTION=VALUE``, ``QUESTION!=VALUE`` or ``QUESTION in V1,V2``. QUESTION is a
choice question (or a column about the response: country, language, …) and
VALUE a choice name. For a select-multiple question ``=`` means "picked",
``!=`` "answered without picking it" and ``in`` "picked any of them".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from analysis.frame import Frame
from analysis.variables import Kind, option_column

_CONDITION = re.compile(r"^\s*([^\s=!]+)\s*(!=|=|\s+in\s+)\s*(.+?)\s*$")
_AND = re.compile(r"\s+and\s+")
_CHOICE_KINDS = (Kind.CATEGORICAL, Kind.LIKERT, Kind.MULTIPLE)


class FilterInvalid(ValueError):
    """A filter that cannot be applied; ``message`` names the question or value at fault."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class Condition:
    question: str
    operator: str  # "=", "!=" or "in"
    values: tuple[str, ...]

    def __str__(self) -> str:
        if self.operator == "in":
            return f"{self.question} in {','.join(self.values)}"
        return f"{self.question}{self.operator}{self.values[0]}"


def parse_filter(text: str) -> tuple[Condition, ...]:
    """The conditions of a filter expression, or FilterInvalid."""
    if not text.strip():
        raise FilterInvalid("the filter is empty; write QUESTION=VALUE")
    conditions = []
    for part in _AND.split(text.strip()):
        match = _CONDITION.match(part)
        if match is None:
            raise FilterInvalid(
                f"cannot read the filter condition “{part}”: "
                "write QUESTION=VALUE, QUESTION!=VALUE or QUESTION in V1,V2"
            )
        question, operator, value = match.groups()
        operator = operator.strip()
        values = tuple(v.strip() for v in value.split(",")) if operator == "in" else (value,)
        if any(not v for v in values):
            raise FilterInvalid(f"the filter condition “{part.strip()}” has an empty value")
        conditions.append(Condition(question, operator, values))
    return tuple(conditions)


def filter_mask(frame: Frame, text: str) -> pd.Series:
    """The rows of ``frame`` that meet the filter: a boolean Series aligned with its data."""
    keep = pd.Series(True, index=frame.data.index)
    for condition in parse_filter(text):
        keep &= _mask(frame, condition)
    return keep


def _mask(frame: Frame, condition: Condition) -> pd.Series:
    names = {variable.name for variable in frame.variables}
    if condition.question in names:
        variable = frame.variable(condition.question)
        if variable.kind not in _CHOICE_KINDS:
            raise FilterInvalid(
                f"the filter can use choice questions only; {condition.question} is {variable.type}"
            )
        known: tuple[str, ...] = tuple(choice.name for choice in variable.choices)
    elif condition.question in frame.meta:
        column = frame.data[frame.meta[condition.question]]
        known = tuple(str(value) for value in pd.unique(column.dropna()))
        variable = None
    else:
        raise FilterInvalid(f"the filter names an unknown question: {condition.question}")
    unknown = [value for value in condition.values if value not in known]
    if unknown:
        listed = ", ".join(known) or "none"
        raise FilterInvalid(
            f"{condition.question} has no value {unknown[0]} (its values: {listed})"
        )
    if variable is not None and variable.kind is Kind.MULTIPLE:
        picked = pd.Series(False, index=frame.data.index)
        for value in condition.values:
            picked |= frame.data[option_column(variable.name, value)].fillna(0).astype(bool)
        if condition.operator == "!=":
            answered = frame.data[list(variable.columns)].notna().any(axis=1)
            return answered & ~picked
        return picked
    column = frame.data[condition.question if variable else frame.meta[condition.question]]
    chosen = column.astype("object").isin(condition.values)
    if condition.operator == "!=":
        return column.notna() & ~chosen
    return chosen

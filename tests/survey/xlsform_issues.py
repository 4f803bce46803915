"""Helpers for tests of refused questionnaires: the errors, and where they point."""

from __future__ import annotations

import re

import pytest

from survey.xlsform import FormInvalid, FormIssue, read_markdown_form


def errors_of(text: str) -> list[FormIssue]:
    """Every error of a questionnaire that must be refused."""
    with pytest.raises(FormInvalid) as caught:
        read_markdown_form(text)
    assert caught.value.errors, "FormInvalid without errors"
    return caught.value.errors


def the_error(text: str, code: str) -> FormIssue:
    """The one error of a questionnaire that has exactly one, with this code."""
    errors = errors_of(text)
    assert [e.code for e in errors] == [code], [e.message for e in errors]
    return errors[0]


def assert_place(
    found: FormIssue, sheet: str | None, row: int | None = None, column: str | None = None
) -> None:
    """The issue points at this place, and its message says so in words."""
    assert (found.sheet, found.row, found.column) == (sheet, row, column)
    if sheet is not None:
        assert f"{sheet} sheet" in found.message, found.message
    if row is not None:
        assert re.search(rf"\brow {row}\b", found.message), found.message
    if column is not None:
        assert column in found.message, found.message

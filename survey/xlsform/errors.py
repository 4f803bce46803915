"""Every message a questionnaire author can get, in one catalogue.

Each message names where the problem is (sheet, row, column) and what to do,
in the words of someone who writes forms in Excel — not in Python's.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, StrEnum, unique
from typing import Any


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@unique  # two codes with the same text would silently be one member
class FormError(Enum):
    # The file itself
    NOT_XLSX = "The file is not an Excel workbook (.xlsx). Save it as .xlsx and upload it again."
    TOO_LARGE = "The file is {size} MB; the largest questionnaire accepted is {limit} MB."
    CORRUPT = "The workbook cannot be opened ({reason}). Open it in Excel, save it again as .xlsx."
    ZIP_BOMB = (
        "The workbook unpacks to more than {limit} MB; it cannot be a questionnaire. "
        "Remove embedded pictures or data and save it again."
    )
    TOO_MANY_ROWS = (
        "The {sheet} sheet has more than {limit} rows; "
        "split the questionnaire or remove empty rows."
    )
    # Sheets and headers
    NO_SURVEY_SHEET = "The workbook has no sheet named “survey”. Sheets found: {sheets}."
    NO_CHOICES_SHEET = (
        "survey sheet, row {row}, column “type”: question “{name}” uses the choice list "
        "“{list}”, but the workbook has no “choices” sheet."
    )
    MISSING_COLUMN = "The {sheet} sheet has no “{column}” column; add it to the first row."
    DUPLICATE_COLUMN = (
        "The {sheet} sheet has the column “{column}” twice (columns {first} and {second}); "
        "delete one."
    )
    IGNORED_SHEET = "The sheet “{sheet}” is not part of XLSForm and is ignored."
    UNKNOWN_COLUMN = (
        "The {sheet} sheet, column {column} (“{header}”), is not a column this platform "
        "reads; it is kept but has no effect."
    )
    # survey rows
    NULL_CHARACTER = (
        "{sheet} sheet, row {row}, column “{column}”: the cell holds a null character, which "
        "cannot be stored; delete it."
    )
    MISSING_TYPE = "survey sheet, row {row}: the row has a name but no type in the “type” column."
    MISSING_NAME = "survey sheet, row {row}: a “{type}” needs a name in the “name” column."
    BAD_NAME = (
        "survey sheet, row {row}, column “name”: “{name}” is not a valid name. Names start "
        "with a letter or _, and use only letters, digits, -, _ and ."
    )
    DUPLICATE_NAME = (
        "survey sheet, row {row}, column “name”: “{name}” is already used on row {first}. "
        "Every question and group needs its own name."
    )
    UNSUPPORTED_TYPE = (
        "survey sheet, row {row}, column “type”: “{type}” is not supported. Supported types: "
        "{supported}."
    )
    UNKNOWN_TYPE = (
        "survey sheet, row {row}, column “type”: “{type}” is not an XLSForm type. Supported "
        "types: {supported}."
    )
    SELECT_WITHOUT_LIST = (
        "survey sheet, row {row}, column “type”: “{type}” needs the name of a choice list, "
        "e.g. “{type} yes_no”."
    )
    UNKNOWN_LIST = (
        "survey sheet, row {row}, column “type”: the choice list “{list}” is not on the "
        "choices sheet."
    )
    MISSING_LABEL = "survey sheet, row {row}: the {type} “{name}” has no label in any language."
    UNMATCHED_END = (
        "survey sheet, row {row}, column “type”: this end_group has no begin_group before it."
    )
    UNCLOSED_GROUP = (
        "survey sheet, row {row}, column “type”: the group “{name}” is never closed; "
        "add an end_group row."
    )
    CALCULATE_WITHOUT_CALCULATION = (
        "survey sheet, row {row}, column “calculation”: the calculate “{name}” needs a calculation."
    )
    BAD_REQUIRED = (
        "survey sheet, row {row}, column “required”: “{value}” is neither yes/no nor an "
        "expression. {detail}"
    )
    BAD_EXPRESSION = (
        "survey sheet, row {row}, column “{column}”: the expression cannot be read. {detail}"
    )
    EXPRESSION_PROBLEM = "survey sheet, row {row}, column “{column}”: {detail}"
    CYCLE = (
        "survey sheet, column “calculation”: the calculations {cycle} depend on each other "
        "in a circle; at least one must not refer back."
    )
    BAD_PARAMETER = (
        "survey sheet, row {row}, column “parameters”: “{value}” is not understood. "
        "Write e.g. max-pick=3."
    )
    BAD_APPEARANCE = (
        "survey sheet, row {row}, column “appearance”: “{value}” is not supported here. "
        "Supported: {supported}."
    )
    MISSING_TRANSLATION = (
        "{sheet} sheet, column “{column}”: no {language} text on {rows}; respondents "
        "see the {default} text there."
    )
    # choices rows
    CHOICE_WITHOUT_LIST = "choices sheet, row {row}: the choice has no list_name."
    CHOICE_WITHOUT_NAME = "choices sheet, row {row}: the choice in list “{list}” has no name."
    DUPLICATE_CHOICE = (
        "choices sheet, row {row}, column “name”: “{name}” is already in the list “{list}” "
        "(row {first})."
    )
    CHOICE_WITH_SPACE = (
        "choices sheet, row {row}, column “name”: “{name}” contains a space; choices of a "
        "select_multiple are stored space-separated, so names cannot contain spaces."
    )
    CHOICE_WITHOUT_LABEL = "choices sheet, row {row}: the choice “{name}” has no label."
    EMPTY_LIST = "choices sheet: the list “{list}” has no choices."
    # settings
    BAD_VERSION = (
        "settings sheet, column “version”: “{value}” should be digits such as 2026112801 "
        "(yyyymmddrr), so that each revision sorts after the last."
    )
    BAD_DEFAULT_LANGUAGE = (
        "settings sheet, column “default_language”: “{value}” matches no label column. "
        "Languages found: {languages}."
    )
    BAD_FORM_ID = (
        "settings sheet, column “form_id”: “{value}” is not a valid id; use letters, digits and _."
    )
    NO_QUESTIONS = "survey sheet: the questionnaire has no questions."

    def format(self, **values: Any) -> str:
        return self.value.format(**values)


@dataclass(frozen=True)
class FormIssue:
    """One error or warning, with its place in the workbook."""

    code: str
    message: str
    severity: Severity
    sheet: str | None = None
    row: int | None = None
    column: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "severity": self.severity.value,
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
        }


def issue(
    error: FormError,
    severity: Severity = Severity.ERROR,
    *,
    sheet: str | None = None,
    row: int | None = None,
    column: str | None = None,
    **values: Any,
) -> FormIssue:
    if sheet is not None:
        values.setdefault("sheet", sheet)
    if row is not None:
        values.setdefault("row", row)
    if column is not None:
        values.setdefault("column", column)
    return FormIssue(error.name, error.format(**values), severity, sheet, row, column)


class FormInvalid(Exception):
    """The questionnaire cannot be used; ``issues`` lists every error (and warning)."""

    def __init__(self, issues: list[FormIssue]) -> None:
        self.issues = issues
        self.errors = [i for i in issues if i.severity is Severity.ERROR]
        super().__init__("; ".join(i.message for i in self.errors[:3]))

"""Every message a matrix editor can get about an uploaded workbook, each with its place."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum, unique
from typing import Any

from openpyxl.utils import get_column_letter

from policy_matrix.workbook_layout import EVIDENCE, MATRIX

SHEET_ORDER = (MATRIX, EVIDENCE)  # the sheets the import reads, in the order issues are listed


@unique
class WorkbookError(Enum):
    """What a matrix editor can get wrong in a workbook, and what to do about it."""

    NOT_XLSX = "The file is not an Excel workbook (.xlsx). Save it as .xlsx and upload it again."
    TOO_LARGE = "The file is {size} MB; the largest matrix workbook accepted is {limit} MB."
    CORRUPT = "The workbook cannot be opened ({reason}). Open it in Excel, save it again as .xlsx."
    ZIP_BOMB = (
        "The workbook unpacks to more than {limit} MB; a matrix workbook is far smaller. "
        "Remove embedded pictures or data and save it again."
    )
    TOO_MANY_ROWS = "The sheet has more than {limit} rows; delete the rows that are not needed."
    MISSING_SHEET = (
        "The workbook has no “{sheet}” sheet (it has: {found}). Download the workbook again "
        "and make the changes in it."
    )
    HEADER = "This column should be headed “{expected}”, as in the downloaded workbook."
    MISSING_COLUMN = "The sheet has no “{column}” column; add it to the first row."
    UNKNOWN_COLUMN = "“{header}” is not a column of this sheet; its columns are {columns}."
    DUPLICATE_COLUMN = "The column “{header}” is there twice (also column {first}); delete one."
    UNKNOWN_JURISDICTION = (
        "There is no jurisdiction “{code}” in the matrix. Add the country on the matrix pages "
        "first, or delete this column."
    )
    NO_JURISDICTION = "This column has entries but no jurisdiction code in row 1."
    NO_DIMENSION = "This row has entries but no dimension (such as PM09) in column A."
    UNKNOWN_DIMENSION = "There is no dimension “{dimension}”; the catalogue has {first}–{last}."
    COMPUTED_DIMENSION = (
        "{dimension} is computed by the platform from other dimensions; delete its rows."
    )
    UNKNOWN_PART = "{dimension} has no part “{part}”; its parts are {parts}."
    COMPUTED_PART = "{part} of {dimension} is computed by the platform; delete this row."
    DUPLICATE_PART = "{dimension} {part} is there twice (also row {first}); delete one."
    SOURCE_NUMBER = "Give n, the order of the source within its cell, as a whole number from 1."
    NOT_YOURS = "You may not change this cell: {reason}"

    def format(self, **values: Any) -> str:
        return self.value.format(**values)


@dataclass(frozen=True)
class Issue:
    """One problem in a workbook, with its place: ``Matrix!F12`` (or the sheet, or the file)."""

    message: str
    sheet: str = ""
    row: int | None = None
    column: int | None = None
    about: str = ""  # the cell and part concerned, e.g. "MY PM09 value.max"

    @property
    def place(self) -> str:
        if not self.sheet:
            return "file"
        letters = get_column_letter(self.column) if self.column else ""
        return f"{self.sheet}!{letters}{self.row or ''}" if letters or self.row else self.sheet

    def __str__(self) -> str:
        about = f" ({self.about})" if self.about else ""
        return f"{self.place}{about}: {self.message}"

    def sort_key(self) -> tuple[int, int, int]:
        sheet = SHEET_ORDER.index(self.sheet) + 1 if self.sheet in SHEET_ORDER else 0
        return (sheet, self.row or 0, self.column or 0)


class WorkbookInvalid(Exception):
    """The workbook cannot be imported; ``issues`` lists every problem, in sheet order."""

    def __init__(self, issues: Sequence[Issue]) -> None:
        self.issues = tuple(sorted(issues, key=Issue.sort_key))
        super().__init__("; ".join(str(i) for i in self.issues[:3]))

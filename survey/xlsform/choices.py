"""The choices sheet: lists of options, with their translations and extra columns."""

from __future__ import annotations

from dataclasses import dataclass, field

from survey.xlsform.columns import CHOICE_COLUMNS, DEFAULT, Header, read_headers, translations
from survey.xlsform.errors import FormError, FormIssue, issue
from survey.xlsform.model import Choice, ChoiceList, frozen
from survey.xlsform.sheets import Sheet

SHEET = "choices"


@dataclass
class ChoicesSheet:
    lists: dict[str, ChoiceList] = field(default_factory=dict)
    rows: dict[str, list[int]] = field(default_factory=dict)  # list -> row of each choice
    headers: list[Header] = field(default_factory=list)
    extra_columns: frozenset[str] = frozenset()
    issues: list[FormIssue] = field(default_factory=list)


def read_choices(sheet: Sheet | None, bare: str = DEFAULT) -> ChoicesSheet:
    result = ChoicesSheet()
    if sheet is None:
        return result
    headers, issues = read_headers(sheet, CHOICE_COLUMNS, warn_unknown=False, bare=bare)
    result.headers, result.issues = headers, issues
    present = {h.base for h in headers}
    for required in ("list_name", "name"):
        if required not in present:
            result.issues.append(issue(FormError.MISSING_COLUMN, sheet=SHEET, column=required))
    if result.issues:
        return result
    by_base = {h.base: h.text for h in headers if h.language is None}
    extra_headers = [h for h in headers if h.language is None and h.base not in CHOICE_COLUMNS]
    result.extra_columns = frozenset(h.base for h in extra_headers)
    building: dict[str, list[Choice]] = {}
    first_row: dict[tuple[str, str], int] = {}
    for row in sheet.rows:
        list_name = row.cells.get(by_base["list_name"], "")
        name = row.cells.get(by_base["name"], "")
        if not list_name:
            result.issues.append(
                issue(
                    FormError.CHOICE_WITHOUT_LIST, sheet=SHEET, row=row.number, column="list_name"
                )
            )
            continue
        if not name:
            result.issues.append(
                issue(
                    FormError.CHOICE_WITHOUT_NAME,
                    sheet=SHEET,
                    row=row.number,
                    column="name",
                    list=list_name,
                )
            )
            continue
        key = (list_name, name)
        if key in first_row:
            result.issues.append(
                issue(
                    FormError.DUPLICATE_CHOICE,
                    sheet=SHEET,
                    row=row.number,
                    column="name",
                    name=name,
                    list=list_name,
                    first=first_row[key],
                )
            )
            continue
        first_row[key] = row.number
        labels = translations(row.cells, headers, "label")
        extra = {h.base: row.cells[h.text] for h in extra_headers if row.cells.get(h.text)}
        building.setdefault(list_name, []).append(Choice(name, frozen(labels), frozen(extra)))
        result.rows.setdefault(list_name, []).append(row.number)
    result.lists = {name: ChoiceList(name, tuple(items)) for name, items in building.items()}
    return result


def check_choice_labels(choices: ChoicesSheet, used: dict[str, str]) -> list[FormIssue]:
    """Errors for choices without labels, and spaces in select_multiple choice names.

    ``used`` maps each list a question uses to the type of its first question.
    """
    issues: list[FormIssue] = []
    for list_name, question_type in used.items():
        choice_list = choices.lists.get(list_name)
        if choice_list is None:
            continue
        for choice, row in zip(choice_list.choices, choices.rows[list_name], strict=True):
            if not any(choice.labels.values()):
                issues.append(
                    issue(
                        FormError.CHOICE_WITHOUT_LABEL,
                        sheet=SHEET,
                        row=row,
                        column="label",
                        name=choice.name,
                    )
                )
            if question_type == "select_multiple" and " " in choice.name:
                issues.append(
                    issue(
                        FormError.CHOICE_WITH_SPACE,
                        sheet=SHEET,
                        row=row,
                        column="name",
                        name=choice.name,
                    )
                )
    return issues

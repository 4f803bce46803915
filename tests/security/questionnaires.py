"""Questionnaires whose labels are payloads, and their upload as a researcher does it."""

from __future__ import annotations

import io
from typing import Any

from litestar import Litestar
from litestar.testing import TestClient
from openpyxl import Workbook

from tests.conftest import csrf_token

Client = TestClient[Litestar]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsform(
    labels: list[str], title: str, extra_sheet: str | None = None, questions: int | None = None
) -> bytes:
    """A questionnaire whose question labels, choice labels and title are the payloads
    (the first ``questions`` labels as questions, every label as a choice)."""
    book = Workbook()
    survey = book.active
    assert survey is not None
    survey.title = "survey"
    rows: list[list[str]] = [["type", "name", "label"]]
    asked = labels[:questions] if questions is not None else labels
    rows += [["select_one pick", f"q{n}", label] for n, label in enumerate(asked)]
    rows += [["text", "t_free", labels[0]]]
    choices = [["list_name", "name", "label"]]
    choices += [["pick", f"c{n}", label] for n, label in enumerate(labels)]
    settings = [["form_id", "form_title", "version"], ["attack_form", title, "1"]]
    for sheet, values in (
        (survey, rows),
        (book.create_sheet("choices"), choices),
        (book.create_sheet("settings"), settings),
    ):
        for values_row in values:
            sheet.append(values_row)
        for line in sheet.iter_rows():
            for cell in line:
                cell.data_type = "s"  # text as typed, never a formula
    if extra_sheet is not None:
        book.create_sheet(extra_sheet)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def strings(value: object) -> list[str]:
    """Every text inside a JSON value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for item in value.values() for t in strings(item)]
    if isinstance(value, list):
        return [t for item in value for t in strings(item)]
    return []


def upload(client: Client, content: bytes, action: str, name: str = "attack.xlsx") -> Any:
    """Check or publish a questionnaire through the upload page."""
    return client.post(
        "/forms/upload",
        files={"file": (name, content, XLSX)},
        data={"action": action, "_csrf_token": csrf_token(client)},
        follow_redirects=False,
    )


def markdown(label: str, version: int) -> bytes:
    """A questionnaire written as markdown tables (a spreadsheet cannot hold control characters)."""
    cell = label.replace("|", "\\|").replace("\n", " ")
    return (
        "## settings\n| form_id | form_title | version |\n| --- | --- | --- |\n"
        f"| control_form | {cell} | {version} |\n\n"
        "## survey\n| type | name | label |\n| --- | --- | --- |\n"
        f"| text | q1 | {cell} |\n| select_one pick | q2 | ok |\n\n"
        f"## choices\n| list_name | name | label |\n| --- | --- | --- |\n| pick | c1 | {cell} |\n"
    ).encode()

"""A frame from data collected elsewhere: an XLSForm and a CSV or XLSX of its answers.

The data file has a header row of question names (KoboToolbox's "XML values and
headers" export: choice names, not labels; select_multiple picks separated by
spaces). Every row is judged by the questionnaire engine, exactly as an answer
submitted through the platform would be. A row with any error is left out and
reported with its spreadsheet row number (the header is row 1) and the engine's
messages per column; nothing is corrected or guessed.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from pathlib import PurePath
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
import pycountry

from analysis.answers import Answers
from analysis.frame import (
    Frame,
    RejectedRow,
    Source,
    frame_data,
    meta_names,
)
from analysis.variables import institution_type_of, institution_types, variables_of
from survey.engine import evaluate_form
from survey.versions import read_source
from survey.xlsform.model import Form, language_code

MAX_DATA_BYTES = 10 * 1024 * 1024
MAX_DATA_ROWS = 100_000
MAX_UNPACKED_BYTES = 200 * 1024 * 1024  # an .xlsx of 10 MB unpacks to far less than this
META_INPUT = ("country", "language")  # columns a data file may carry besides the questions
_CHUNK = 2000


class DataError(Enum):
    """Why a data file cannot be read at all (a problem of a row is reported with the row)."""

    TOO_LARGE = "The data file is {size} MB; files up to {limit} MB can be read."
    TOO_MANY_ROWS = (
        "The data file has more than {limit} rows of answers; split it into smaller files."
    )
    NOT_UTF8 = (
        "The CSV file is not UTF-8 text ({reason}). Save it as “CSV UTF-8” and upload it again."
    )
    UNREADABLE = "The data file cannot be read: {reason}."
    OLD_EXCEL = "Save the workbook as .xlsx (Excel 97–2003 .xls files are not read)."
    EMPTY = "The data file has no header row."
    DUPLICATE_COLUMN = "Column “{column}” appears more than once in the header row."
    NO_QUESTIONS = (
        "No column of the header row is a question of “{form_id}”. The header row must "
        "hold question names (e.g. {example}), as KoboToolbox exports them with "
        "“XML values and headers”."
    )
    COUNTRY = "Give the two-letter ISO country code of the institution, e.g. MY."
    LANGUAGE = "Use one of the questionnaire's languages: {codes}."

    def format(self, **values: object) -> str:
        return self.value.format(**values)


class DataRefused(Exception):
    """The whole data file is refused; ``message`` says why, for the researcher."""

    def __init__(self, error: DataError, **values: object) -> None:
        self.error = error
        self.message = error.format(**values)
        super().__init__(self.message)


@dataclass(frozen=True)
class SheetRows:
    headers: tuple[str, ...]
    rows: Iterator[tuple[int, tuple[Any, ...]]]  # spreadsheet row number, cells


@dataclass
class _Accepted:
    rows: list[int] = field(default_factory=list)
    countries: list[str | None] = field(default_factory=list)
    languages: list[str | None] = field(default_factory=list)


def load_external(
    form_source: bytes,
    form_filename: str,
    data: bytes,
    data_filename: str,
    *,
    language: str = "en",
) -> Frame:
    """The frame of a data file judged against an XLSForm (.xlsx or .md).

    Raises FormInvalid for a broken form and DataRefused for an unreadable or too
    large data file; a bad row is reported in ``Frame.rejected``, in ``language``.
    """
    form = read_source(form_source, form_filename).form
    if len(data) > MAX_DATA_BYTES:
        raise DataRefused(
            DataError.TOO_LARGE,
            size=round(len(data) / 1048576, 1),
            limit=MAX_DATA_BYTES // 1048576,
        )
    table = read_table(data, data_filename)
    columns, notes = _columns(form, table.headers)
    forms = [(form.version, form)]
    variables, _differences = variables_of(forms)
    collected = Answers(variables)
    accepted = _Accepted()
    rejected: list[RejectedRow] = []
    questions = set(form.names())
    pending: list[Mapping[str, Any]] = []
    for number, values in _responses(table, columns):
        errors, country, row_language = _meta(form, values)
        answers = {k: _answer(form, k, v) for k, v in values.items() if k in questions}
        evaluation = evaluate_form(form, answers, language)
        errors.update(evaluation.errors)
        if errors:
            rejected.append(RejectedRow(number, MappingProxyType(errors)))
            continue
        accepted.rows.append(number)
        accepted.countries.append(country)
        accepted.languages.append(row_language)
        pending.append(evaluation.answers)
        if len(pending) == _CHUNK:
            collected.add(pending)
            pending = []
    collected.add(pending)
    type_question = institution_type_of(forms)
    meta = {
        "country": pd.Categorical(accepted.countries),
        "institution_type": institution_types(
            forms, collected.raw(type_question) if type_question else [None] * collected.rows
        ),
        "language": pd.Categorical(accepted.languages),
        "form_version": pd.Categorical([form.version] * collected.rows, ordered=True),
        "completed_at": pd.array([pd.NaT] * collected.rows, dtype="datetime64[us, UTC]"),
        "synthetic": np.zeros(collected.rows, dtype=bool),  # a data file: its own responses
    }
    data_frame, lost = frame_data(
        collected, pd.Index(accepted.rows, dtype="int64", name="row"), meta
    )
    kept = len(accepted.rows)
    source = Source(
        kind="file",
        form_id=form.form_id,
        description=(
            f"{kept + len(rejected)} rows of {PurePath(data_filename).name} judged against "
            f"“{form.form_id}” version {form.version or '(none)'} "
            f"({PurePath(form_filename).name}): {kept} kept, {len(rejected)} rejected."
        ),
    )
    return Frame(
        data=data_frame,
        variables=variables,
        versions=(form.version,),
        differences=(),
        source=source,
        rejected=tuple(rejected),
        notes=tuple(notes + lost),
        meta=meta_names(variables),
    )


def _responses(table: SheetRows, columns: Mapping[int, str]) -> list[tuple[int, dict[str, Any]]]:
    """Each non-blank row's cells by question: all read (and counted) before any is judged."""
    responses: list[tuple[int, dict[str, Any]]] = []
    for number, cells in table.rows:
        values = {name: cells[at] for at, name in columns.items() if not _blank(cells[at])}
        if not values:
            continue  # a blank row is no response
        if len(responses) == MAX_DATA_ROWS:
            raise DataRefused(DataError.TOO_MANY_ROWS, limit=MAX_DATA_ROWS)
        responses.append((number, values))
    return responses


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _columns(form: Form, headers: tuple[str, ...]) -> tuple[dict[int, str], list[str]]:
    """Column index -> question (or meta) name, and what was ignored, in words."""
    answerable = {q.name for q in form.questions if q.is_answerable}
    computed = {q.name for q in form.questions if not q.is_answerable}
    seen: set[str] = set()
    columns: dict[int, str] = {}
    unknown: list[str] = []
    ignored: list[str] = []
    for at, header in enumerate(headers):
        if not header:
            continue
        if header in seen:
            raise DataRefused(DataError.DUPLICATE_COLUMN, column=header)
        seen.add(header)
        if header in answerable or header in META_INPUT:
            columns[at] = header
        elif header in computed:
            ignored.append(header)
        else:
            unknown.append(header)
    if not any(name in answerable for name in columns.values()):
        example = ", ".join(q.name for q in form.questions if q.is_answerable)
        raise DataRefused(
            DataError.NO_QUESTIONS, form_id=form.form_id, example=example[:60] or "q1"
        )
    notes = []
    if unknown:
        notes.append(
            "Columns that are not questions of the form, ignored: " + ", ".join(unknown) + "."
        )
    if ignored:
        notes.append(
            "Columns of calculations and notes, ignored (the engine computes calculations "
            "itself): " + ", ".join(ignored) + "."
        )
    return columns, notes


def _answer(form: Form, name: str, value: Any) -> Any:
    """A cell as the engine takes it: trimmed text, and a select's numeric cell as its name."""
    if isinstance(value, str):
        return value.strip()
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if number and form.question(name).is_select and float(value).is_integer():
        return str(int(value))  # a spreadsheet turns the choice "3" into the number 3
    return value


def _meta(
    form: Form, values: Mapping[str, Any]
) -> tuple[dict[str, tuple[str, ...]], str | None, str | None]:
    errors: dict[str, tuple[str, ...]] = {}
    country: str | None = None
    language: str | None = None
    names = form.names()
    raw_country = values.get("country") if "country" not in names else None
    if raw_country is not None:
        code = str(raw_country).strip().upper()
        if len(code) == 2 and pycountry.countries.get(alpha_2=code) is not None:
            country = code
        else:
            errors["country"] = (DataError.COUNTRY.value,)
    raw_language = values.get("language") if "language" not in names else None
    if raw_language is not None:
        text = str(raw_language).strip()
        language = next(
            (lang for lang in form.languages if text in (lang, language_code(lang))), None
        )
        if language is None:
            codes = ", ".join(language_code(lang) for lang in form.languages)
            errors["language"] = (DataError.LANGUAGE.format(codes=codes),)
    return errors, country, language


def read_table(data: bytes, filename: str) -> SheetRows:
    """The header and rows of a CSV (UTF-8, with or without BOM) or of an .xlsx's first sheet."""
    suffix = PurePath(filename).suffix.lower()
    if suffix == ".xls":
        raise DataRefused(DataError.OLD_EXCEL)
    if suffix in (".xlsx", ".xlsm") or data[:4] == b"PK\x03\x04":
        return _read_xlsx(data)
    return _read_csv(data)


def _read_csv(data: bytes) -> SheetRows:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataRefused(DataError.NOT_UTF8, reason=f"byte {exc.start + 1}") from None
    first = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first.count) if first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise DataRefused(DataError.UNREADABLE, reason=str(exc)) from None
    if not header or not any(cell.strip() for cell in header):
        raise DataRefused(DataError.EMPTY)
    headers = tuple(cell.strip() for cell in header)

    def rows() -> Iterator[tuple[int, tuple[Any, ...]]]:
        number = 1
        try:
            for record in reader:
                number += 1
                yield number, _fit(record, len(headers))
        except csv.Error as exc:
            raise DataRefused(DataError.UNREADABLE, reason=f"row {number + 1}: {exc}") from None

    return SheetRows(headers, rows())


def _fit(cells: list[Any] | tuple[Any, ...], width: int) -> tuple[Any, ...]:
    """A row cut or padded to the header's width (cells beyond the header have no column)."""
    return tuple(cells[:width]) + (None,) * (width - len(cells))


def _read_xlsx(data: bytes) -> SheetRows:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except zipfile.BadZipFile:
        raise DataRefused(DataError.UNREADABLE, reason="it is not an .xlsx workbook") from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise DataRefused(DataError.UNREADABLE, reason="it unpacks to more than 200 MB")
    # openpyxl parses with defusedxml (a dependency of the platform): no entity expansion.
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for broken files
        raise DataRefused(DataError.UNREADABLE, reason=str(exc)[:200] or "damaged") from None
    sheet = workbook.worksheets[0]
    cells = sheet.iter_rows(values_only=True)
    header = next(cells, None)
    if not header or not any(not _blank(cell) for cell in header):
        workbook.close()
        raise DataRefused(DataError.EMPTY)
    headers = tuple(_header(cell) for cell in header)

    def rows() -> Iterator[tuple[int, tuple[Any, ...]]]:
        try:
            for number, record in enumerate(cells, start=2):
                yield number, _fit(tuple(_cell(value) for value in record), len(headers))
        finally:
            workbook.close()

    return SheetRows(headers, rows())


def _header(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _cell(value: Any) -> Any:
    """A cell's value as the engine takes it (a date cell stays a date: it checks the type)."""
    if isinstance(value, date | int | float | str | bool) or value is None:
        return value
    return str(value)  # a time or a duration

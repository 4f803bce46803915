"""Data files of a frame for re-analysis: CSV, XLSX, SPSS .sav and Stata .dta.

Every file has the same columns as the codebook (:func:`exports.codebook.codebook`):
``respondent``, the meta columns, then each question (a select_multiple as its raw
answer and one 0/1 column per choice), then ``status`` when partial responses are
in the frame. Decisions, documented in docs/exports.md:

* **Respondent ids are pseudonyms**: the first 12 hex digits of
  HMAC-SHA256(platform secret, ``form_id:response id``). The same response keeps
  its pseudonym in every export (files can be merged); without the secret the
  database id cannot be recovered or confirmed.
* **Contact data is never written**: the frame has none, and a column named like
  contact data (email, name, phone) stops the export.
* **CSV and XLSX** hold choice names (or labels with ``labels=True``), streamed a
  chunk of rows at a time; no text becomes a formula (``microcasa.spreadsheet``).
* **.sav and .dta** hold numeric codes with value labels (see
  :func:`exports.codebook.choice_values`); in .sav the user-missing codes are
  declared missing; in .dta they are Stata's extended missing values ``.a``,
  ``.b``, … (in choice order), labelled. Column names become valid Stata/SPSS
  names (:func:`exports.codebook.stats_names`; ``b4/short_course`` ->
  ``b4_short_course``); the codebook lists both.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import os
import string
import zipfile
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd

from analysis.frame import Frame
from analysis.variables import Kind
from exports import xlsx_stream
from exports.codebook import CodebookEntry, codebook, stats_names
from microcasa.spreadsheet import safe_csv_cell

FORMATS = ("csv", "xlsx", "sav", "dta")
CHUNK = 5000  # rows converted at a time: memory stays bounded however many responses
_XML_ROWS = 500  # rows of sheet XML built as one string
PSEUDONYM_DIGITS = 12
CONTACT_NAMES = frozenset(
    {"email", "e_mail", "mail", "name", "full_name", "first_name", "last_name", "phone"}
)
OPTION_LABELS = {0: "not selected", 1: "selected"}
_DTA_LABEL = 80  # Stata's limit on a variable label
_SAV_LABEL = 120  # bytes, SPSS's limit on a value label
_EPOCH = pd.Timestamp("1899-12-30")
Progress = Callable[[int], None]  # rows written so far
Path = str | os.PathLike[str]


class ContactData(ValueError):
    """The frame has a column that looks like contact data; nothing is written."""


def pseudonyms(frame: Frame, secret: str | bytes) -> list[str]:
    """Each response's pseudonym (see the module docstring), in the frame's row order."""
    key = secret.encode() if isinstance(secret, str) else secret
    form_id = frame.source.form_id
    digests = (hmac.new(key, f"{form_id}:{i}".encode(), hashlib.sha256) for i in frame.data.index)
    return [digest.hexdigest()[:PSEUDONYM_DIGITS] for digest in digests]


def check_no_contact(frame: Frame) -> None:
    """Refuse a frame with a column named like contact data (email, name, phone)."""
    for column in frame.data.columns:
        words = str(column).lower().replace("-", "_").split("/")[-1]
        if words in CONTACT_NAMES or "email" in words:
            raise ContactData(f"column {column!r} looks like contact data; it is never exported")


def write_data(
    frame: Frame,
    out: Path,
    format: str,
    *,
    secret: str | bytes,
    labels: bool = False,
    language: str = "",
    bom: bool = False,
    progress: Progress | None = None,
) -> int:
    """Write ``frame`` to ``out`` in one of :data:`FORMATS`; the number of rows written.

    ``labels`` (CSV, XLSX) writes choice labels in ``language`` instead of choice
    names; .sav and .dta always hold codes, with labels in ``language``. ``bom``
    starts a CSV with a byte-order mark, for Excel.
    """
    if format not in FORMATS:
        raise ValueError(f"unknown format {format!r}; one of {', '.join(FORMATS)}")
    check_no_contact(frame)
    entries = codebook(frame, ())
    ids = pseudonyms(frame, secret)
    report = progress or (lambda _rows: None)
    if format == "csv":
        return _write_csv(frame, entries, ids, out, labels, language, bom, report)
    if format == "xlsx":
        return _write_xlsx(frame, entries, ids, out, labels, language, report)
    table, meta = _stats_table(frame, entries, ids, language, stata=format == "dta")
    import pyreadstat

    if format == "sav":
        pyreadstat.write_sav(table, os.fspath(out), **meta)
    else:
        pyreadstat.write_dta(table, os.fspath(out), **meta)
    report(len(table))
    return len(table)


# CSV and XLSX: rows streamed from column-wise conversions of one chunk at a time.

Converter = Callable[[pd.Series], list[Any]]


def rows(
    frame: Frame,
    entries: Sequence[CodebookEntry],
    ids: Sequence[str],
    *,
    labels: bool = False,
    language: str = "",
    for_csv: bool = False,
) -> Iterator[list[tuple[Any, ...]]]:
    """The frame's rows as Python values, a chunk at a time, in the codebook's column order.

    Missing values are None. ``for_csv``: dates as ISO 8601 text and formula-like text
    with a leading apostrophe; else dates as spreadsheet serial numbers (days since
    1899-12-30, in UTC) and text as it is.
    """
    converters = [_converter(frame, entry, labels, language, for_csv) for entry in entries[1:]]
    series = [frame.data[entry.column] for entry in entries[1:]]
    for start in range(0, len(frame.data), CHUNK):
        stop = start + CHUNK
        values = [
            convert(s.iloc[start:stop]) for convert, s in zip(converters, series, strict=True)
        ]
        yield list(zip(ids[start:stop], *values, strict=True))


def _converter(
    frame: Frame, entry: CodebookEntry, labels: bool, language: str, for_csv: bool
) -> Converter:
    convert = _values(frame, entry, labels, language, for_csv)
    if for_csv and _is_text(frame, entry):
        return lambda s: [safe_csv_cell(value) for value in convert(s)]
    return convert


def _values(
    frame: Frame, entry: CodebookEntry, labels: bool, language: str, for_csv: bool
) -> Converter:
    data = frame.data[entry.column]
    dtype = data.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        names = [str(name) for name in dtype.categories]
        if labels and entry.choices:
            by_name = {choice.name: choice for choice in entry.choices}
            names = [
                _label(by_name[name].labels, language, name) if name in by_name else name
                for name in names
            ]
        lookup = np.array([*names, None], dtype=object)
        return lambda s: lookup[s.cat.codes.to_numpy()].tolist()
    if entry.kind == Kind.MULTIPLE.value and labels:
        texts = {c.name: _label(c.labels, language, c.name) for c in entry.choices}
        return lambda s: [
            None if v is None else "; ".join(texts.get(p, p) for p in v.split())
            for v in s.to_numpy(dtype=object, na_value=None)
        ]
    if pd.api.types.is_numeric_dtype(dtype):
        return lambda s: s.astype(object).where(s.notna(), None).tolist()
    if pd.api.types.is_datetime64_any_dtype(dtype):
        aware = getattr(dtype, "tz", None) is not None
        day = entry.kind == Kind.DATE.value
        if for_csv:
            pattern = "%Y-%m-%d" if day else "%Y-%m-%dT%H:%M:%S.%f" + ("Z" if aware else "")
            return lambda s: s.dt.strftime(pattern).astype(object).where(s.notna(), None).tolist()
        return lambda s: (
            ((_naive(s) - _EPOCH) / pd.Timedelta(days=1)).astype(object).where(s.notna(), None)
        ).tolist()
    return lambda s: s.to_numpy(dtype=object, na_value=None).tolist()


def _naive(series: pd.Series) -> pd.Series:
    """Datetimes in UTC without a time zone (workbooks and .sav/.dta have none)."""
    if getattr(series.dtype, "tz", None) is not None:
        return series.dt.tz_convert("UTC").dt.tz_localize(None)
    return series


def _label(labels: Any, language: str, name: str) -> str:
    from survey.xlsform.model import text_in

    return text_in(labels, language, "") or name


def _write_csv(
    frame: Frame,
    entries: Sequence[CodebookEntry],
    ids: Sequence[str],
    out: Path,
    labels: bool,
    language: str,
    bom: bool,
    progress: Progress,
) -> int:
    written = 0
    with open(out, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow([safe_csv_cell(entry.column) for entry in entries])
        for chunk in rows(frame, entries, ids, labels=labels, language=language, for_csv=True):
            writer.writerows(chunk)
            written += len(chunk)
            progress(written)
    return written


def _is_text(frame: Frame, entry: CodebookEntry) -> bool:
    """Whether a column holds text (which could look like a formula); the pseudonym does."""
    if entry.column not in frame.data.columns:
        return True
    dtype = frame.data[entry.column].dtype
    return not (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_datetime64_any_dtype(dtype))


def _write_xlsx(
    frame: Frame,
    entries: Sequence[CodebookEntry],
    ids: Sequence[str],
    out: Path,
    labels: bool,
    language: str,
    progress: Progress,
) -> int:
    """A workbook of one sheet, "data", its XML streamed into the zip a chunk at a time.

    Written directly rather than through openpyxl: its per-cell XML serialisation is
    as slow as DataFrame.to_excel's (docs/exports.md). Text is always an inline string
    cell and no formula element is ever written, so no cell can become a formula.
    """
    styles = [_xlsx_style(frame, entry) for entry in entries]
    letters = [xlsx_stream.letters(at) for at in range(len(entries))]
    written = 0
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        for name, part in xlsx_stream.PARTS.items():
            book.writestr(name, part)
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            extent = f"A1:{letters[-1]}{len(frame.data) + 1}"
            sheet.write(xlsx_stream.SHEET_START.format(extent=extent).encode())
            header = "".join(
                xlsx_stream.text_cell(f"{letter}1", entry.column, ' s="3"')
                for letter, entry in zip(letters, entries, strict=True)
            )
            sheet.write(f'<row r="1">{header}</row>'.encode())
            for chunk in rows(frame, entries, ids, labels=labels, language=language):
                for start in range(0, len(chunk), _XML_ROWS):
                    number = written + start + 2
                    block = chunk[start : start + _XML_ROWS]
                    sheet.write(xlsx_stream.rows_xml(block, number, letters, styles).encode())
                written += len(chunk)
                progress(written)
            sheet.write(xlsx_stream.SHEET_END.encode())
    return written


def _xlsx_style(frame: Frame, entry: CodebookEntry) -> str | None:
    """A column's cell style attribute: None for text, a date style, or "" for numbers."""
    if _is_text(frame, entry):
        return None
    if pd.api.types.is_datetime64_any_dtype(frame.data[entry.column].dtype):
        return ' s="2"' if entry.kind == Kind.DATE.value else ' s="1"'
    return ""


# SPSS and Stata: one table of numbers and text, with labels and missing values.


def _stats_table(
    frame: Frame, entries: Sequence[CodebookEntry], ids: Sequence[str], language: str, stata: bool
) -> tuple[pd.DataFrame, dict[str, Any]]:
    names = stats_names([entry.column for entry in entries])
    columns: dict[str, Any] = {names[entries[0].column]: np.array(ids, dtype=object)}
    column_labels: dict[str, str] = {}
    value_labels: dict[str, dict[Any, str]] = {}
    missing: dict[str, list[Any]] = {}
    measures: dict[str, str] = {}
    for entry in entries:
        name = names[entry.column]
        column_labels[name] = _cut(entry.label(language), _DTA_LABEL if stata else 255)
        measures[name] = entry.measure
        if entry.column not in frame.data.columns:
            continue
        data = frame.data[entry.column]
        if entry.kind in (Kind.CATEGORICAL.value, Kind.LIKERT.value):
            columns[name], value_labels[name], missing[name] = _coded(data, entry, language, stata)
        elif entry.kind == "option":
            columns[name] = data.astype("float64").to_numpy(na_value=np.nan)
            value_labels[name] = dict(OPTION_LABELS)
        elif pd.api.types.is_numeric_dtype(data.dtype):
            columns[name] = data.astype("float64").to_numpy(na_value=np.nan)
        elif pd.api.types.is_datetime64_any_dtype(data.dtype):
            columns[name] = _naive(data).to_numpy()
        else:
            columns[name] = data.astype(object).where(data.notna(), "").to_numpy()
            measures[name] = "nominal"
    table = pd.DataFrame(columns)
    if not stata:
        value_labels = {
            k: {v: _cut(t, _SAV_LABEL, True) for v, t in m.items()} for k, m in value_labels.items()
        }
    meta: dict[str, Any] = {
        "file_label": _cut(frame.source.description, _DTA_LABEL),
        "column_labels": column_labels,
        "variable_value_labels": value_labels,
    }
    if stata:
        meta["missing_user_values"] = {k: v for k, v in missing.items() if v}
    else:
        meta["missing_ranges"] = {k: _ranges(v) for k, v in missing.items() if v}
        meta["variable_measure"] = measures
    return table, meta


def _coded(
    data: pd.Series, entry: CodebookEntry, language: str, stata: bool
) -> tuple[np.ndarray, dict[Any, str], list[Any]]:
    """A select_one's numeric codes, their labels and its user-missing codes."""
    by_name = {choice.name: choice for choice in entry.choices}
    letters = iter(string.ascii_lowercase)
    codes: list[Any] = []
    labels: dict[Any, str] = {}
    missing: list[Any] = []
    for name in data.cat.categories:
        choice = by_name[str(name)]
        code: Any = float(choice.value or 0)
        # Stata has 26 extended missing values; a further user-missing code stays a number.
        letter = next(letters, None) if stata and choice.missing else None
        if choice.missing and (letter or not stata):
            code = letter or code
            missing.append(code)
        codes.append(code)
        labels[code] = _label(choice.labels, language, choice.name)
    kind = object if stata and missing else "float64"
    lookup = np.array([*codes, np.nan], dtype=kind)
    return lookup[data.cat.codes.to_numpy()], labels, missing


def _ranges(codes: Sequence[Any]) -> list[Any]:
    """SPSS takes three discrete missing values, or a range (user-missing codes are contiguous)."""
    if len(codes) <= 3:
        return list(codes)
    return [{"lo": min(codes), "hi": max(codes)}]


def _cut(text: str, limit: int, as_bytes: bool = False) -> str:
    if not as_bytes:
        return text if len(text) <= limit else text[: limit - 1] + "…"
    encoded = text.encode()
    return text if len(encoded) <= limit else encoded[:limit].decode(errors="ignore")

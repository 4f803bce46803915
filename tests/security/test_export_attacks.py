"""Every export read back with the formula corpus stored in answers, matrix cells and
questionnaire labels: no formula cell in any workbook, formula-like CSV cells prefixed
with an apostrophe, numbers still numbers, .sav/.dta text exact."""

from __future__ import annotations

import csv
import io
import re
import time
from pathlib import Path
from typing import Any

import pyreadstat
import pytest
from litestar import Litestar
from litestar.testing import TestClient
from openpyxl import load_workbook

from analysis import service as analysis_service
from analysis.synthetic import load_synthetic
from microcasa.db import Database
from policy_matrix import service as matrix_service
from tests.conftest import csrf_token
from tests.security import corpus
from tests.security.questionnaires import upload, xlsform
from tests.security.support import tally
from tests.survey.fieldwork_support import (
    ANSWERS,
    SUBMIT,
    sign_in,
    staff,
    submission,
    token_headers,
)

Client = TestClient[Litestar]
EXPORTS = tally("exports")
FORMULAS = corpus.load("formula")
NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")


@pytest.fixture
def stored(client: Client, database: Database) -> Database:
    """Synthetic responses, and the formula corpus in answers, matrix cells and labels."""
    with database.transaction() as session:
        load_synthetic(session, 30, seed=4)
        matrix_service.load_bundled(session)
    analysis_service.FRAMES.clear()
    analysis_service.REPORTS.clear()
    researcher = staff(database, "res@uni.example")
    headers = token_headers(database, researcher)
    for number, payload in enumerate(FORMULAS):
        answers = {
            **ANSWERS,
            "a1": "other",
            "a1_other": payload,
            "i4": payload,
            "c1": "mature",
            "c2": number,
            "f4": number + 0.5,
        }
        sent = client.post(SUBMIT, json=submission(answers), headers=headers)
        assert EXPORTS.answered(sent, f"answer {payload!r}") == 201, sent.text
    for code, payload in zip(("MY", "ID", "PH", "DE", "IT", "ES"), FORMULAS, strict=False):
        cell = {
            "status": "adopted",
            "notes": payload,
            "reason": payload,
            "evidence": [{"title": payload, "url": "https://ok.example/"}],
        }
        sent = client.put(f"/api/policy/{code}/PM01", json=cell, headers=headers)
        assert EXPORTS.answered(sent, f"matrix {payload!r}") == 200, sent.text
    sign_in(client, researcher)
    labels = [p for p in FORMULAS if p.strip()]
    published = upload(client, xlsform(labels, FORMULAS[0]), "publish")
    assert EXPORTS.answered(published, "formula questionnaire") == 303, published.text[-500:]
    return database


def _workbook(content: bytes, what: str) -> list[Any]:
    """Every cell of a workbook; formula cells are noted."""
    book = load_workbook(io.BytesIO(content))
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    for cell in cells:
        if cell.data_type == "f":
            EXPORTS.executed.append(f"{what}: formula cell {cell.coordinate} {cell.value!r}")
    return cells


def _csv_cells(text: str, what: str) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    for row in rows:
        for cell in row:
            if corpus.looks_like_formula(cell) and not NUMBER.fullmatch(cell.strip()):
                EXPORTS.executed.append(f"{what}: CSV cell {cell!r} not prefixed")
    return rows


def _download(client: Client, path: str, what: str, **params: str) -> bytes:
    reply = client.get(path, params=params)
    assert EXPORTS.answered(reply, what) == 200, (what, reply.text[:300])
    assert reply.headers["content-disposition"].startswith("attachment")
    return reply.content


def _data_file(client: Client, file_format: str, **fields: str) -> bytes:
    started = client.post(
        "/exports/data",
        data={"format": file_format, **fields, "_csrf_token": csrf_token(client)},
        follow_redirects=False,
    )
    assert EXPORTS.answered(started, f"data {file_format}") == 303, started.text
    location = started.headers["location"]
    for _ in range(600):  # the job runs in a thread; at most about a minute
        if "The file is ready" in client.get(location).text:
            return _download(client, f"{location}/file", f"data {file_format} file")
        time.sleep(0.1)
    raise AssertionError(f"the {file_format} export did not finish")


def test_data_files_keep_text_as_text_and_numbers_as_numbers(
    client: Client, stored: Database, tmp_path: Path
) -> None:
    for labels in ("0", "1"):
        rows = _csv_cells(_data_file(client, "csv", labels=labels).decode("utf-8"), "data csv")
        header, body = rows[0], rows[1:]
        texts = [row[header.index("i4")] for row in body if row[header.index("i4")]]
        for payload in FORMULAS:
            prefixed = "'" + payload if corpus.looks_like_formula(payload) else payload
            if prefixed not in texts:
                EXPORTS.lost.append(f"data csv: {payload!r} not written as {prefixed!r}")
        numbers = [row[header.index("c2")] for row in body if row[header.index("c2")]]
        if not numbers or not all(NUMBER.fullmatch(n) for n in numbers):
            EXPORTS.lost.append(f"data csv: c2 not numbers: {numbers[:5]}")
        cells = _workbook(_data_file(client, "xlsx", labels=labels), "data xlsx")
        written = {c.value for c in cells if isinstance(c.value, str)}
        for payload in FORMULAS:
            EXPORTS.kept(payload in written, True, f"data xlsx holds {payload!r}")
        book = load_workbook(io.BytesIO(_data_file(client, "xlsx")))
        sheet = book.worksheets[0]
        heads = [c.value for c in next(sheet.iter_rows(max_row=1))]
        c2 = [row[heads.index("c2")] for row in sheet.iter_rows(min_row=2)]
        if not all(c.data_type == "n" for c in c2):
            EXPORTS.lost.append("data xlsx: c2 cells are not numbers")
    for file_format, read in (("sav", pyreadstat.read_sav), ("dta", pyreadstat.read_dta)):
        path = tmp_path / f"data.{file_format}"
        path.write_bytes(_data_file(client, file_format))
        frame, _meta = read(str(path))
        kept = set(frame["i4"])
        for payload in FORMULAS:
            EXPORTS.kept(payload in kept, True, f"{file_format} holds {payload!r}")
    EXPORTS.assert_clean()


def test_codebook_white_paper_country_and_matrix_workbooks_hold_no_formula(
    client: Client, stored: Database
) -> None:
    for form in ("microcasa_hei", "attack_form"):
        _workbook(
            _download(client, "/exports/codebook", f"codebook {form}", form=form),
            f"codebook {form}",
        )
        codebook_csv = _download(
            client, "/exports/codebook", "codebook csv", form=form, format="csv"
        )
        _csv_cells(codebook_csv.decode("utf-8"), f"codebook csv {form}")
    cells = _workbook(_download(client, "/exports/whitepaper", "white paper"), "white paper")
    numbers = [c for c in cells if c.data_type == "n" and c.value is not None]
    EXPORTS.kept(bool(numbers), True, "white paper numbers stay numbers")
    texts = {c.value for c in cells if isinstance(c.value, str)}
    for payload in FORMULAS[:6]:
        if not any(payload.strip() in text for text in texts):
            EXPORTS.lost.append(f"white paper: matrix note {payload!r} missing")
    for code in ("MY", "ID"):
        content = _download(client, f"/exports/country/{code}/xlsx", f"country {code}")
        _workbook(content, f"country workbook {code}")
    matrix = _workbook(_download(client, "/policy/workbook", "matrix workbook"), "matrix")
    held = {c.value for c in matrix if isinstance(c.value, str)}
    for payload in FORMULAS[:6]:
        EXPORTS.kept(payload.strip() in held, True, f"matrix workbook holds {payload!r}")
    table = client.get("/analysis/microcasa_hei/tables/a1/csv")
    if EXPORTS.answered(table, "analysis table csv") == 200:
        _csv_cells(table.text, "analysis table csv")
    EXPORTS.assert_clean()

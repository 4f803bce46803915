"""Downloads of the exports page: white paper, codebook, data files as export jobs."""

from __future__ import annotations

import csv
import io
import re
import time
from pathlib import Path

import pyreadstat
import pytest
from litestar import Litestar
from litestar.testing import TestClient
from openpyxl import load_workbook

from analysis import service
from analysis.synthetic import load_synthetic
from microcasa.db import Database
from tests.conftest import csrf_token
from tests.survey.fieldwork_support import sign_in, staff

Client = TestClient[Litestar]


@pytest.fixture
def responses(database: Database) -> Database:
    with database.transaction() as session:
        load_synthetic(session, 60, seed=4)
    service.FRAMES.clear()
    service.REPORTS.clear()
    return database


def _as(client: Client, database: Database, role: str, email: str | None = None) -> None:
    sign_in(client, staff(database, email or f"{role}@uni.example", role=role))


def _attachment(reply: object) -> None:
    headers = reply.headers  # type: ignore[attr-defined]
    assert headers["content-disposition"].startswith("attachment; filename=")
    assert headers["cache-control"] == "no-store"
    assert headers["x-content-type-options"] == "nosniff"


def _counts(content: bytes, sheet: str) -> list[object]:
    book = load_workbook(io.BytesIO(content))
    return [cell.value for row in book[sheet].iter_rows() for cell in row]


def test_organisers_get_the_white_paper_with_small_counts_hidden(
    client: Client, responses: Database
) -> None:
    _as(client, responses, "researcher")
    full = client.get("/exports/whitepaper")
    assert full.status_code == 200
    _attachment(full)
    client.cookies.clear()
    _as(client, responses, "organiser")
    hidden = client.get("/exports/whitepaper", params={"view": "all"})  # cannot lift it
    assert hidden.status_code == 200
    assert "organisers" in hidden.headers["content-disposition"]
    book = load_workbook(io.BytesIO(hidden.content))
    assert {"Cover", "Contents"} <= set(book.sheetnames)
    sheets = [name for name in book.sheetnames if name.startswith("a2")]
    assert sheets, book.sheetnames
    # the organisers' copy has "–" where the full copy has a small count
    assert "–" in _counts(hidden.content, sheets[0])
    assert "–" not in _counts(full.content, sheets[0])


def test_raw_data_and_the_codebook_are_not_for_organisers_or_coordinators(
    client: Client, responses: Database
) -> None:
    _as(client, responses, "organiser")
    token = csrf_token(client)
    assert client.get("/exports/codebook").status_code == 403
    refused = client.post(
        "/exports/data", data={"format": "csv", "_csrf_token": token}, follow_redirects=False
    )
    assert refused.status_code == 403
    client.cookies.clear()
    sign_in(client, staff(responses, "coord@uni.example", role="coordinator", country="MY"))
    assert client.get("/exports/whitepaper").status_code == 403
    assert client.get("/exports/codebook").status_code == 403


def _job(client: Client, fields: dict[str, str]) -> str:
    token = csrf_token(client)
    started = client.post(
        "/exports/data", data={**fields, "_csrf_token": token}, follow_redirects=False
    )
    assert started.status_code == 303, started.text
    location = started.headers["location"]
    assert re.fullmatch(r"/exports/jobs/[A-Za-z0-9_-]{24}", location)
    for _ in range(300):
        page = client.get(location)
        assert page.status_code == 200
        if "The file is ready" in page.text:
            return location
        assert "could not be written" not in page.text, page.text
        time.sleep(0.05)
    raise AssertionError("the export job did not finish")


def test_a_researcher_writes_a_data_file_and_downloads_it_once(
    client: Client, responses: Database, tmp_path: Path
) -> None:
    _as(client, responses, "researcher")
    location = _job(client, {"format": "sav"})
    reply = client.get(f"{location}/file")
    assert reply.status_code == 200
    _attachment(reply)
    saved = tmp_path / "data.sav"
    saved.write_bytes(reply.content)
    data, meta = pyreadstat.read_sav(str(saved), user_missing=True)
    assert len(data) == 60
    assert "b1" in meta.column_names and meta.variable_value_labels["b1"]
    assert data["synthetic"].astype(int).eq(1).all()  # demo responses say so, row by row
    assert client.get(f"{location}/file").status_code == 404  # once only
    assert client.get(location).status_code == 404


def test_a_job_is_its_owners_only(client: Client, responses: Database) -> None:
    _as(client, responses, "researcher", "first@uni.example")
    location = _job(client, {"format": "csv", "labels": "1", "bom": "1"})
    client.cookies.clear()
    _as(client, responses, "researcher", "second@uni.example")
    assert client.get(location).status_code == 404
    assert client.get(f"{location}/file").status_code == 404


def test_bad_requests_are_named(client: Client, responses: Database) -> None:
    _as(client, responses, "researcher")
    token = csrf_token(client)
    bad = client.post("/exports/data", data={"format": "exe", "_csrf_token": token})
    assert bad.status_code == 422 and "Choose a file type" in bad.text
    unknown = client.post(
        "/exports/data", data={"format": "csv", "form": "nope", "_csrf_token": token}
    )
    assert unknown.status_code == 404
    assert client.get("/exports/codebook", params={"format": "pdf"}).status_code == 422
    assert client.get("/exports/whitepaper", params={"form": "nope"}).status_code == 404
    assert client.get("/exports/jobs/../../etc/passwd").status_code == 404


def test_the_codebook_downloads_as_csv(client: Client, responses: Database) -> None:
    _as(client, responses, "researcher")
    reply = client.get("/exports/codebook", params={"format": "csv"})
    assert reply.status_code == 200
    _attachment(reply)
    rows = list(csv.reader(io.StringIO(reply.content.decode("utf-8-sig"))))
    names = [row[0] for row in rows[1:]]
    assert "b1" in names and "i5" in names

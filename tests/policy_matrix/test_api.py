"""/api/policy/…: the matrix (now and as of a date), a cell with history, updates, changes."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import func, select

from microcasa.db import Database, utcnow
from policy_matrix import service
from policy_matrix.models import PolicyChange
from tests.survey.fieldwork_support import bearer

Client = TestClient[Litestar]
PROBLEM = "application/problem+json"
MY_PM09 = "/api/policy/MY/PM09"
SOURCE = {"title": "MQA GGP:MC (2020)", "url": "https://www.mqa.gov.my/", "confidence": "high"}


@pytest.fixture
def bundled(database: Database) -> Database:
    with database.transaction() as session:
        service.load_bundled(session)
    return database


def _history_rows(database: Database) -> int:
    with database.session() as session:
        return int(session.exec(select(func.count()).select_from(PolicyChange)).one())


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["detail"]
    return body


def _size_limits(low: float, high: float, reason: str = "MQA update") -> dict[str, Any]:
    return {
        "status": "adopted",
        "value": {"min": low, "max": high, "unit": "hours"},
        "as_of": "2026-01-15",
        "notes": "Notional learning hours.",
        "evidence": [SOURCE],
        "reason": reason,
    }


def test_the_matrix_lists_jurisdictions_dimensions_and_entries(
    client: Client, bundled: Database
) -> None:
    headers = bearer(bundled, "org@uni.example", role="organiser")
    body = client.get("/api/policy/matrix", headers=headers).json()
    codes = [j["code"] for j in body["jurisdictions"]]
    assert codes[:6] == ["MY", "ID", "PH", "DE", "IT", "ES"]
    assert {j["code"]: j["kind"] for j in body["jurisdictions"]}["EU"] == "reference"
    assert [d["id"] for d in body["dimensions"]][:3] == ["PM01", "PM02", "PM03"]
    assert body["as_of"] is None
    entries = {(e["jurisdiction"], e["dimension"]): e for e in body["entries"]}
    my_definition = entries[("MY", "PM01")]
    assert my_definition["status"] == "adopted"
    assert my_definition["evidence"][0]["url"].startswith("https://")
    assert len(entries) == 8 * 24  # PM25 is computed, never stored


def test_a_cell_is_replaced_with_a_reason_and_its_history_grows(
    client: Client, bundled: Database
) -> None:
    headers = bearer(bundled, "res@uni.example")
    before = client.get(MY_PM09, headers=headers).json()
    rows = _history_rows(bundled)

    response = client.put(
        MY_PM09, json={**_size_limits(40, 400), "revision": before["revision"]}, headers=headers
    )
    assert response.status_code == 200, response.text
    cell = response.json()
    assert cell["value"] == {"min": 40, "max": 400, "unit": "hours"}
    assert cell["revision"] == before["revision"] + 1
    newest = cell["history"][0]
    assert (newest["actor"], newest["reason"], newest["source"]) == (
        "res@uni.example",
        "MQA update",
        "api",
    )
    assert "value" in newest["changed"]
    assert newest["old"]["status"] == before["status"]
    assert _history_rows(bundled) == rows + 1

    # The same content again changes nothing and adds no history.
    again = client.put(MY_PM09, json=_size_limits(40, 400, "again"), headers=headers)
    assert again.status_code == 200
    assert again.json()["revision"] == cell["revision"]
    assert _history_rows(bundled) == rows + 1


def test_an_update_on_an_outdated_copy_is_a_409_and_changes_nothing(
    client: Client, bundled: Database
) -> None:
    headers = bearer(bundled, "res@uni.example")
    revision = client.get(MY_PM09, headers=headers).json()["revision"]
    assert client.put(MY_PM09, json=_size_limits(40, 400), headers=headers).status_code == 200
    stale = client.put(MY_PM09, json={**_size_limits(1, 2), "revision": revision}, headers=headers)
    assert "changed by someone else" in _problem(stale, 409)["detail"]
    assert client.get(MY_PM09, headers=headers).json()["value"]["max"] == 400


def test_bad_values_are_a_422_naming_each_place_and_nothing_is_stored(
    client: Client, bundled: Database
) -> None:
    headers = bearer(bundled, "res@uni.example")
    rows = _history_rows(bundled)
    body = {
        "status": "finished",
        "value": {"min": "forty", "max": 10, "unit": "weeks", "colour": "red"},
        "as_of": "28/11/2026",
        "evidence": [{"title": "", "url": "javascript:alert(1)"}],
        "reason": "",
    }
    errors = _problem(client.put(MY_PM09, json=body, headers=headers), 422)["errors"]
    assert list(errors) == ["reason"]  # the reason is asked for first
    body["reason"] = "a correction"
    errors = _problem(client.put(MY_PM09, json=body, headers=headers), 422)["errors"]
    assert set(errors) >= {
        "status",
        "as_of",
        "value.min",
        "value.unit",
        "value.colour",
        "evidence[1].title",
        "evidence[1].url",
    }
    assert errors["value.min"] == ["Give a number."]
    assert _history_rows(bundled) == rows


def test_min_above_max_is_refused(client: Client, bundled: Database) -> None:
    headers = bearer(bundled, "res@uni.example")
    errors = _problem(client.put(MY_PM09, json=_size_limits(50, 10), headers=headers), 422)
    assert "larger than the maximum" in errors["errors"]["value.max"][0]


def test_coordinators_update_their_own_country_only(client: Client, bundled: Database) -> None:
    headers = bearer(bundled, "coord@uni.example", role="coordinator", country="MY")
    assert client.put(MY_PM09, json=_size_limits(40, 400), headers=headers).status_code == 200
    for path in ("/api/policy/DE/PM09", "/api/policy/EU/PM09"):
        _problem(client.put(path, json=_size_limits(1, 2), headers=headers), 403)
        assert client.get(path, headers=headers).status_code == 200  # reading is allowed
    organiser = bearer(bundled, "org@uni.example", role="organiser")
    assert client.put(MY_PM09, json=_size_limits(1, 2), headers=organiser).status_code == 403


def test_unknown_cells_and_computed_dimensions(client: Client, bundled: Database) -> None:
    headers = bearer(bundled, "res@uni.example")
    _problem(client.get("/api/policy/XX/PM01", headers=headers), 404)
    _problem(client.get("/api/policy/MY/PM99", headers=headers), 404)
    computed = client.put("/api/policy/MY/PM25", json=_size_limits(1, 2), headers=headers)
    assert "computed by the platform" in _problem(computed, 422)["detail"]


def test_the_matrix_as_of_a_date_and_the_changes_between_dates(
    client: Client, bundled: Database
) -> None:
    headers = bearer(bundled, "res@uni.example")
    today = utcnow().date()
    assert client.put(MY_PM09, json=_size_limits(40, 400), headers=headers).status_code == 200

    def cell(as_of: date) -> dict[str, Any] | None:
        body = client.get(f"/api/policy/matrix?as_of={as_of}", headers=headers).json()
        assert body["as_of"] == as_of.isoformat()
        found = [
            e for e in body["entries"] if (e["jurisdiction"], e["dimension"]) == ("MY", "PM09")
        ]
        return found[0] if found else None

    assert cell(today - timedelta(days=1)) is None  # nothing was recorded before today
    now = cell(today)
    assert now is not None and now["value"]["max"] == 400

    changes = client.get(f"/api/policy/changes?from={today}&to={today}", headers=headers).json()
    assert changes[-1]["reason"] == "MQA update"
    assert len(changes) == _history_rows(bundled)
    assert (
        client.get("/api/policy/changes?from=2020-01-01&to=2020-12-31", headers=headers).json()
        == []
    )
    errors = _problem(client.get("/api/policy/matrix?as_of=yesterday", headers=headers), 422)
    assert "as_of" in errors["errors"]
    backwards = client.get("/api/policy/changes?from=2026-02-01&to=2026-01-01", headers=headers)
    assert "comes after" in _problem(backwards, 422)["detail"]


def test_the_indicators_come_per_country_with_their_rule(client: Client, bundled: Database) -> None:
    headers = bearer(bundled, "res@uni.example")
    rows = client.get("/api/policy/indicators", headers=headers).json()
    assert [row["jurisdiction"] for row in rows] == ["MY", "ID", "PH", "DE", "IT", "ES"]
    for row in rows:
        assert row["maturity"] is None or 0 <= row["maturity"] <= 4
        assert row["maturity_rule"]


def test_the_api_is_in_the_openapi_document(client: Client) -> None:
    paths = client.get("/schema/openapi.json").json()["paths"]
    assert {"get", "put"} <= set(paths["/api/policy/{code}/{dimension}"])
    assert "get" in paths["/api/policy/matrix"]


def test_scripts_without_a_token_get_401(client: Client, bundled: Database) -> None:
    assert client.get("/api/policy/matrix").status_code == 401
    assert client.put(MY_PM09, json=_size_limits(1, 2)).status_code == 401

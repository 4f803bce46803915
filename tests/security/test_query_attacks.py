"""SQL (and markup) payloads in every query parameter, every path parameter and unknown
sort/filter keys of every GET route, taken from the app's route table so that a new
route cannot escape: 4xx or the payload taken as literal text, row counts unchanged."""

from __future__ import annotations

from urllib.parse import quote

from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import TestClient

from microcasa.db import Database
from policy_matrix import service
from tests.security import corpus
from tests.security.support import row_counts, tally
from tests.survey.fieldwork_support import (
    ANSWERS,
    FORM_ID,
    SUBMIT,
    invite_one,
    publish,
    sign_in,
    staff,
    submission,
    token_headers,
)

Client = TestClient[Litestar]
QUERIES = tally("query and path parameters")
INJECTED = {"request", "db", "platform", "data", "state", "headers", "cookies", "scope", "query"}
# Values that reach a real record, so that each parameter is judged on a page that exists.
PATH_VALUES = {
    "form_id": FORM_ID,
    "version": "2026112810",
    "page": "a_profile",
    "code": "MY",
    "dimension": "PM01",
    "question": "a2",
    "user_id": "1",
    "response_id": "1",
    "invitation_id": "1",
    "job_id": "x",
    "token": "x",
}
SKIPPED = ("/static", "/schema")  # files served as they are; the OpenAPI document
EXTRA_KEYS = ("sort", "order", "order_by", "q", "country", "status", "limit", "offset")


def _records(database: Database) -> dict[str, int]:
    """Row counts of the records (rate-limit state and the analysis frame cache aside)."""
    caches = ("state_", "frame_snapshot")
    return {k: v for k, v in row_counts(database).items() if not k.startswith(caches)}


def _get_routes(app: Litestar) -> list[tuple[str, list[str], list[str]]]:
    """(path template, path parameters, query parameters) of every GET route."""
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or route.path.startswith(SKIPPED):
            continue
        for handler in route.route_handlers:
            if "GET" not in handler.http_methods:
                continue
            injected = INJECTED | set(handler.resolve_dependencies())
            names = handler.parsed_fn_signature.parameters
            query = [n for n in names if n not in injected and n not in route.path_parameters]
            found.append((route.path, list(route.path_parameters), query))
    return found


def _path(template: str, values: dict[str, str]) -> str:
    path = template
    for name, value in values.items():
        for kind in ("str", "int", "path"):
            path = path.replace(f"{{{name}:{kind}}}", quote(value, safe=""))
    return path


def test_sql_payloads_in_every_parameter_are_a_4xx_or_literal_text(
    client: Client, database: Database
) -> None:
    publish(database)
    with database.transaction() as session:
        service.load_bundled(session)
    admin = staff(database, "admin@uni.example", role="admin")
    api = token_headers(database, admin)
    for country in ("MY", "ID"):
        sent = client.post(SUBMIT, json=submission({**ANSWERS}, country=country), headers=api)
        assert sent.status_code == 201
    invite_one(database)
    sign_in(client, admin)
    routes = _get_routes(client.app)
    assert len(routes) > 40, "the route table was read"
    before = _records(database)
    payloads = corpus.load("sql") + corpus.load("xss")[:3]
    for template, path_names, query_names in routes:
        valid = _path(template, {n: PATH_VALUES.get(n, "x") for n in path_names})
        for payload in payloads:
            extras = dict.fromkeys(EXTRA_KEYS, payload) | {payload: "1"}
            attempts = [(valid, extras)]
            attempts += [(valid, {name: payload}) for name in query_names]
            for name in path_names:
                values = {n: PATH_VALUES.get(n, "x") for n in path_names} | {name: payload}
                attempts.append((_path(template, values), {}))
            for path, params in attempts:
                answer = client.get(path, params=params, follow_redirects=False)
                QUERIES.answered(answer, f"GET {path} {params}")
                if answer.headers.get("content-type", "").startswith("text/html"):
                    QUERIES.shown(answer.text, payload, f"GET {path}", present=False)
    QUERIES.kept(_records(database), before, "row counts after every GET")
    QUERIES.assert_clean()

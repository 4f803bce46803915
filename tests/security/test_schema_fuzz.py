"""schemathesis against the OpenAPI document (``/schema/openapi.json``) as each role: cases
generated from every operation's schema, sent to the app; not one server error.

Bounded (a few dozen cases per operation and role) and deterministic (derandomized), so
a failure found once is found again.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from litestar import Litestar
from litestar.testing import TestClient
from schemathesis.core.result import Ok

from microcasa.db import Database
from policy_matrix import service
from tests.security.support import tally
from tests.survey.fieldwork_support import bearer, publish

Client = TestClient[Litestar]
FUZZ = tally("schemathesis, every role")
ROLES = ("anonymous", "admin", "researcher", "coordinator", "organiser")
EXAMPLES = 25


def _transport(case: Any, headers: dict[str, str]) -> dict[str, Any]:
    """The case as keyword arguments of the test client (httpx)."""
    sent = case.as_transport_kwargs(base_url="http://testserver.local", headers=headers)
    request: dict[str, Any] = {"method": sent["method"], "url": sent["url"]}
    for key in ("headers", "params", "json"):
        if sent.get(key) is not None:
            request[key] = sent[key]
    if sent.get("cookies"):
        cookies = "; ".join(f"{k}={v}" for k, v in sent["cookies"].items())
        request["headers"] = {**request.get("headers", {}), "Cookie": cookies}
    if sent.get("data") is not None:
        data = sent["data"]
        request["content" if isinstance(data, (bytes, str)) else "data"] = data
    return request


def _fuzz(
    client: Client, operation: Any, role: str, headers: dict[str, str], statuses: set[int]
) -> None:
    """Send the generated cases of one operation as one role; note every status."""

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def send(case: Any) -> None:
        answer = client.request(**_transport(case, headers))
        statuses.add(FUZZ.answered(answer, f"{role} {case.method} {case.formatted_path}"))

    send()


def test_no_operation_answers_a_server_error_for_any_role(
    client: Client, database: Database
) -> None:
    publish(database)
    with database.transaction() as session:
        service.load_bundled(session)
    headers: dict[str, dict[str, str]] = {"anonymous": {}}
    for role in ROLES[1:]:
        country = "MY" if role == "coordinator" else None
        headers[role] = bearer(database, f"{role}@uni.example", role=role, country=country)
    document = client.get("/schema/openapi.json").json()
    schema = schemathesis.openapi.from_dict(document)
    operations = [r.ok() for r in schema.get_all_operations() if isinstance(r, Ok)]
    assert len(operations) >= 10, "every JSON API operation is fuzzed"
    statuses: dict[str, set[int]] = {role: set() for role in ROLES}
    for operation in operations:
        for role in ROLES:
            _fuzz(client, operation, role, headers[role], statuses[role])
    # The cases reach the handlers: answers, refusals of bad input, not only 401s.
    assert statuses["anonymous"] <= {200, 401, 404, 405}, statuses["anonymous"]  # 200: /healthz
    for role in ROLES[1:]:
        assert {200, 422} <= statuses[role] or {200, 400} <= statuses[role], (role, statuses)
    FUZZ.assert_clean()

"""One place that turns errors into responses: problem details under /api, pages elsewhere.

Domain errors of every area map to HTTP here (not found → 404, conflict → 409,
not allowed → 403, bad input → 422); an unreachable database, or one that
refuses writes (read-only, disk full) → 503 with a retry hint; anything
unexpected → a 500 that shows no internals.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.response import Redirect, Template
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_401_UNAUTHORIZED,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_429_TOO_MANY_REQUESTS,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE,
)
from sqlalchemy.exc import DBAPIError

from microcasa.auth.errors import AccountError, Conflict, NotFound, RateLimited
from microcasa.db import DatabaseUnavailable, cannot_write
from policy_matrix.errors import (
    EntryInvalid,
    MatrixConflict,
    MatrixForbidden,
    MatrixNotFound,
    MatrixProblem,
)
from survey.errors import Missing, Refused, SurveyProblem
from survey.respondent_trouble import is_respondent_page, trouble_page
from survey.submissions import SubmissionInvalid
from survey.xlsform.errors import FormInvalid

log = logging.getLogger("microcasa")

PROBLEM_JSON = "application/problem+json"
RETRY_AFTER_DB = "5"
RETRY_AFTER_STORAGE = "60"  # a full or read-only disk takes a person to fix

TITLES = {
    400: "Bad request",
    401: "Sign-in needed",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Too large",
    422: "Invalid input",
    429: "Too many requests",
    500: "Something went wrong",
    503: "Temporarily unavailable",
}


@dataclass(frozen=True)
class Problem:
    status: int
    detail: str
    errors: dict[str, list[str]] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "type": "about:blank",
            "title": TITLES.get(self.status, "Error"),
            "status": self.status,
            "detail": self.detail,
        }
        if self.errors:
            data["errors"] = self.errors
        return data


def problem_for(exc: Exception) -> Problem:
    """The status, words and field errors for any exception."""
    if isinstance(exc, RateLimited):
        return Problem(
            HTTP_429_TOO_MANY_REQUESTS, exc.message, headers={"Retry-After": str(exc.retry_after)}
        )
    if isinstance(exc, NotFound):
        return Problem(HTTP_404_NOT_FOUND, exc.message)
    if isinstance(exc, AccountError):
        status = HTTP_409_CONFLICT if isinstance(exc, Conflict) else HTTP_422_UNPROCESSABLE_ENTITY
        errors = {exc.field: [exc.message]} if exc.field else {}
        return Problem(status, exc.message, errors)
    if isinstance(exc, RecursionError):
        return Problem(HTTP_400_BAD_REQUEST, "The request is nested too deeply to be read.")
    if isinstance(exc, SubmissionInvalid):
        return Problem(HTTP_422_UNPROCESSABLE_ENTITY, "The submission has errors.", exc.errors)
    if isinstance(exc, SurveyProblem):
        status = {Missing: HTTP_404_NOT_FOUND, Refused: HTTP_409_CONFLICT}.get(
            type(exc), HTTP_422_UNPROCESSABLE_ENTITY
        )
        return Problem(status, exc.message)
    if isinstance(exc, EntryInvalid):
        return Problem(HTTP_422_UNPROCESSABLE_ENTITY, "The entry has errors.", exc.errors)
    if isinstance(exc, MatrixProblem):
        status = {
            MatrixNotFound: HTTP_404_NOT_FOUND,
            MatrixForbidden: HTTP_403_FORBIDDEN,
            MatrixConflict: HTTP_409_CONFLICT,
        }.get(type(exc), HTTP_422_UNPROCESSABLE_ENTITY)
        return Problem(status, exc.message)
    if isinstance(exc, FormInvalid):
        located: dict[str, list[str]] = {}
        for item in exc.errors:
            place = ":".join(str(p) for p in (item.sheet, item.row, item.column) if p) or "file"
            located.setdefault(place, []).append(item.message)
        return Problem(HTTP_422_UNPROCESSABLE_ENTITY, "The questionnaire has errors.", located)
    if isinstance(exc, ValidationException):
        return Problem(exc.status_code, "The request is not valid.", _validation_errors(exc))
    if isinstance(exc, HTTPException):
        headers = {k: v for k, v in (exc.headers or {}).items() if k.lower() == "retry-after"}
        detail = exc.detail if exc.detail else TITLES.get(exc.status_code, "Error")
        return Problem(exc.status_code, detail, headers=headers)
    if _out_of_range(exc):  # an id larger than the database's integers names nothing
        return Problem(HTTP_404_NOT_FOUND, "Not found: no record has a number that large.")
    if isinstance(exc, DatabaseUnavailable | DBAPIError) and _is_unavailable(exc):
        log.warning("database unavailable: %s", _first_line(exc))
        if cannot_write(exc):
            return Problem(
                HTTP_503_SERVICE_UNAVAILABLE,
                "Nothing could be saved just now: the platform's database is read-only or its "
                "disk is full. Please try again later.",
                headers={"Retry-After": RETRY_AFTER_STORAGE},
            )
        return Problem(
            HTTP_503_SERVICE_UNAVAILABLE,
            "The database cannot be reached at the moment. Please try again in a few seconds.",
            headers={"Retry-After": RETRY_AFTER_DB},
        )
    log.exception("unexpected error", exc_info=exc)
    return Problem(HTTP_500_INTERNAL_SERVER_ERROR, "An unexpected error occurred; it was logged.")


def _out_of_range(exc: Exception) -> bool:
    """A number too large for the database's integer columns (in an address, say)."""
    if isinstance(exc, OverflowError):  # SQLite's driver, beyond 64 bits
        return "SQLite INTEGER" in str(exc)
    original = getattr(exc, "orig", None)
    return isinstance(exc, DBAPIError) and getattr(original, "sqlstate", None) == "22003"


def _is_unavailable(exc: Exception) -> bool:
    if isinstance(exc, DatabaseUnavailable):
        return True
    assert isinstance(exc, DBAPIError)
    if exc.connection_invalidated or cannot_write(exc):
        return True
    name = type(exc).__name__
    return name in {"OperationalError", "InterfaceError"}


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _validation_errors(exc: ValidationException) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    extra = exc.extra if isinstance(exc.extra, list) else []
    for item in extra:
        if isinstance(item, dict):
            key = str(item.get("key") or item.get("source") or "request")
            errors.setdefault(key, []).append(str(item.get("message", "is not valid")))
    return errors


def wants_json(request: Request[Any, Any, Any]) -> bool:
    if request.url.path.startswith(("/api/", "/healthz")) or request.url.path == "/api":
        return True
    accept = request.headers.get("accept", "")
    return "json" in accept and "html" not in accept


def handle_exception(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    problem = problem_for(exc)
    if wants_json(request):
        return Response(
            content=problem.body(),
            status_code=problem.status,
            media_type=PROBLEM_JSON,
            headers=problem.headers,
        )
    if is_respondent_page(request.url.path):  # in the respondent's language
        return trouble_page(request, problem.status, problem.headers, cannot_write(exc))
    if problem.status == HTTP_401_UNAUTHORIZED and request.method == "GET":
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return Redirect(path=f"/login?next={quote(target, safe='')}")
    return Template(
        template_name="error.html",
        context={"problem": problem, "title": TITLES.get(problem.status, "Error")},
        status_code=problem.status,
        headers=problem.headers,
        media_type=MediaType.HTML,
    )

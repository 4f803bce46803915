"""Complete responses arriving through the JSON API (collected elsewhere, or offline).

Retries are safe: the client names each submission with its own ``instance_id``
(as ODK does). The same id with the same content gives back the original
result; the same id with other content is a conflict; nothing is ever stored
twice.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import pycountry
from sqlalchemy import insert, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from microcasa.db import utcnow
from survey.engine import evaluate_form
from survey.errors import Refused, SurveyError, SurveyProblem
from survey.models import (
    Institution,
    Invitation,
    InvitationStatus,
    Questionnaire,
    Response,
    ResponseStatus,
)
from survey.responses import _storable, content_hash, open_version
from survey.versions import form_of
from survey.xlsform.model import language_code

_INSTANCE = re.compile(r"^(uuid:)?[0-9a-fA-F-]{32,40}$")


class SubmissionInvalid(Exception):
    """Per-field or per-question errors; nothing was stored."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v[0]}" for k, v in list(errors.items())[:3]))


@dataclass(frozen=True)
class Stored:
    response: Response
    created: bool  # False for an identical retry


@dataclass(frozen=True)
class Receipt:
    """What the API answers about a stored submission."""

    id: int
    instance_id: str
    status: str
    created: bool  # False for an identical retry

    @classmethod
    def of(cls, stored: Stored) -> Receipt:
        response = stored.response
        assert response.id is not None
        return cls(response.id, response.instance_id, response.status, stored.created)


@dataclass(frozen=True)
class Accepted:
    """A submission judged valid, ready to insert: the columns of its Response row."""

    columns: Mapping[str, Any]
    invitation_id: int | None

    @property
    def instance_id(self) -> str:
        return str(self.columns["instance_id"])

    @property
    def digest(self) -> str:
        return str(self.columns["content_hash"])


def _instance_id(value: object) -> str:
    if not isinstance(value, str) or not _INSTANCE.match(value.strip()):
        raise SubmissionInvalid(
            {"instance_id": ["Give a UUID, e.g. 0b8f3c1e-…, for this submission."]}
        )
    text = value.strip().lower().removeprefix("uuid:")
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise SubmissionInvalid({"instance_id": ["This is not a UUID."]}) from None


def submit_api(
    session: Session,
    questionnaire: Questionnaire,
    body: dict[str, Any],
    *,
    invitation: Invitation | None,
    country_scope: str | None,
    submitted_by_id: int | None,
) -> Stored:
    """Judge and store one complete response in ``session``; raise SubmissionInvalid / Refused."""
    judged = judge(
        session,
        questionnaire,
        body,
        invitation=invitation,
        country_scope=country_scope,
        submitted_by_id=submitted_by_id,
    )
    if isinstance(judged, Stored):
        return judged
    receipt = _insert(session, judged)
    response = session.get(Response, receipt.id)
    assert response is not None
    return Stored(response, receipt.created)


def judge(
    session: Session,
    questionnaire: Questionnaire,
    body: dict[str, Any],
    *,
    invitation: Invitation | None,
    country_scope: str | None,
    submitted_by_id: int | None,
) -> Stored | Accepted:
    """Everything before the write: a retry's original result, or the row to insert.

    Only reads, so the API judges on a read session and keeps the write (see
    :func:`store`) to the insert itself. Raises SubmissionInvalid (422) or Refused (409).
    """
    instance_id = _instance_id(body.get("instance_id"))
    payload = {
        "language": body.get("language"),
        "country": body.get("country"),
        "answers": body.get("answers"),
    }
    digest = content_hash(payload)
    existing = session.exec(select(Response).where(Response.instance_id == instance_id)).first()
    if existing is not None:
        return _retry(existing, digest)
    version = open_version(session, questionnaire)
    if version is None:
        raise SurveyProblem(SurveyError.NOT_OPEN, form_id=questionnaire.form_id)
    form = form_of(version)
    errors: dict[str, list[str]] = {}
    institution = session.get(Institution, invitation.institution_id) if invitation else None
    language = _language(body.get("language"), form.languages, form.default_language, errors)
    country = _country(body.get("country"), invitation, country_scope, errors)
    answers = body.get("answers")
    if not isinstance(answers, dict):
        errors["answers"] = ['Give the answers as an object: {"question_name": value, …}.']
        raise SubmissionInvalid(errors)
    evaluation = evaluate_form(form, answers, language)
    for name, messages in evaluation.errors.items():
        errors[name] = list(messages)
    if errors:
        raise SubmissionInvalid(errors)
    assert version.id is not None
    return Accepted(
        columns=MappingProxyType(
            {
                "instance_id": instance_id,
                "form_version_id": version.id,
                "channel": "invitation" if invitation else "api",
                "invitation_id": invitation.id if invitation else None,
                "complete_invitation_id": invitation.id if invitation else None,
                "institution_id": invitation.institution_id if invitation else None,
                "institution_name": institution.name if institution else "",
                "country": institution.country if institution else country,
                "language": language,
                "status": ResponseStatus.COMPLETE.value,
                "answers": _storable(evaluation.answers),
                "content_hash": digest,
                "submitted_by_id": submitted_by_id,
                "completed_at": utcnow(),
            }
        ),
        invitation_id=invitation.id if invitation else None,
    )


def store(session: Session, accepted: Accepted) -> Receipt:
    """Insert a judged submission; made for :meth:`microcasa.db.Database.group_commit`."""
    return _insert(session, accepted)


_RESPONSES = Response.__table__  # type: ignore[attr-defined]


def _insert(session: Session, accepted: Accepted) -> Receipt:
    # A Core insert: the row is complete here, and building an ORM object for it
    # costs more than the insert itself.
    at = accepted.columns["completed_at"]
    row = {**accepted.columns, "page": "", "notice_version": "", "created_at": at, "updated_at": at}
    try:
        with session.begin_nested():
            result = session.execute(insert(_RESPONSES).values(row))
            if accepted.invitation_id is not None and not _complete(session, accepted):
                raise _Withdrawn  # revoked or expired since it was judged
    except _Withdrawn:
        raise Refused(SurveyError.INVITATION_USED) from None
    except IntegrityError:
        # A concurrent request stored this instance (or completed this invitation) first.
        again = session.exec(
            select(Response).where(Response.instance_id == accepted.instance_id)
        ).first()
        if again is not None:
            return Receipt.of(_retry(again, accepted.digest))
        raise Refused(SurveyError.INVITATION_USED) from None
    (response_id,) = result.inserted_primary_key  # type: ignore[attr-defined]
    return Receipt(response_id, accepted.instance_id, ResponseStatus.COMPLETE.value, True)


class _Withdrawn(Exception):
    pass


def _complete(session: Session, accepted: Accepted) -> bool:
    """Mark the invitation used, if it is still usable; False when it no longer is."""
    now = accepted.columns["completed_at"]
    result = session.execute(
        update(Invitation)
        .where(
            col(Invitation.id) == accepted.invitation_id,
            col(Invitation.status) == InvitationStatus.ACTIVE.value,
            col(Invitation.completed_at).is_(None),
            or_(col(Invitation.expires_at).is_(None), col(Invitation.expires_at) > now),
        )
        .values(completed_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _retry(existing: Response, digest: str) -> Stored:
    if existing.content_hash != digest:
        raise Refused(SurveyError.INSTANCE_CONFLICT, instance_id=existing.instance_id)
    return Stored(existing, created=False)


def _language(
    value: object, languages: tuple[str, ...], default: str, errors: dict[str, list[str]]
) -> str:
    if value in (None, ""):
        return default
    if isinstance(value, str):
        for language in languages:
            if value in (language, language_code(language)):
                return language
    codes = ", ".join(language_code(language) for language in languages)
    errors["language"] = [f"Use one of the questionnaire's languages: {codes}."]
    return default


def _country(
    value: object, invitation: Invitation | None, scope: str | None, errors: dict[str, list[str]]
) -> str:
    if invitation is not None:
        return ""  # filled from the institution registry by the caller
    if (
        not isinstance(value, str)
        or len(value) != 2
        or pycountry.countries.get(alpha_2=value.upper()) is None
    ):
        errors["country"] = ["Give the two-letter ISO country code of the institution, e.g. MY."]
        return ""
    if scope is not None and value.upper() != scope:
        errors["country"] = [f"Country coordinators submit for their own country ({scope}) only."]
    return value.upper()

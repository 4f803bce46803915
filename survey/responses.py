"""Responses: started, saved page by page, submitted exactly once.

Answers are kept as the respondent gave them while a response is partial (so a
question hidden and shown again keeps its answer); the final submit judges the
whole form again and stores only the cleaned answers.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from microcasa.db import utcnow
from survey.engine import MAX_TEXT, Answer, Evaluation, evaluate_form
from survey.models import (
    FormVersion,
    Institution,
    Invitation,
    Questionnaire,
    Response,
    ResponseStatus,
    VersionStatus,
)
from survey.tokens import digest, new_resume_code, normalise_resume_code
from survey.versions import form_of, version_key
from survey.xlsform.model import Form

RESUME_PURPOSE = "resume"
Raw = str | list[str]


@dataclass(frozen=True)
class Submitted:
    response: Response
    evaluation: Evaluation
    completed: bool  # False when the answers have errors (nothing changed)


def open_version(session: Session, questionnaire: Questionnaire) -> FormVersion | None:
    """The newest version open for responses (its definition and file loaded only if needed)."""
    versions = session.exec(
        select(FormVersion)
        .options(defer(FormVersion.definition), defer(FormVersion.source))  # type: ignore[arg-type]
        .where(
            FormVersion.questionnaire_id == questionnaire.id,
            FormVersion.status == VersionStatus.OPEN.value,
        )
    ).all()
    return max(versions, key=lambda v: version_key(v.version), default=None)


def response_for_invitation(
    session: Session, invitation: Invitation, version: FormVersion, language: str
) -> Response:
    """The invitation's response (complete first, else the newest partial), or a new one."""
    now = utcnow()
    invitation.first_opened_at = invitation.first_opened_at or now
    invitation.last_opened_at = now
    session.add(invitation)
    existing = session.exec(
        select(Response)
        .where(Response.invitation_id == invitation.id)
        .order_by(col(Response.status), col(Response.id).desc())
    ).first()
    if existing is not None:
        return existing
    assert version.id is not None
    institution = session.get(Institution, invitation.institution_id)
    response = Response(
        instance_id=str(uuid.uuid4()),
        form_version_id=version.id,
        channel="invitation",
        country=institution.country if institution else "",
        institution_name=institution.name if institution else "",
        invitation_id=invitation.id,
        institution_id=invitation.institution_id,
        language=invitation.language or language,
    )
    session.add(response)
    session.flush()
    return response


def start_open_link(
    session: Session,
    secret_key: str,
    version: FormVersion,
    *,
    country: str,
    institution_id: int | None,
    institution_name: str,
    language: str,
) -> tuple[Response, str]:
    """A new response through the open link, and its resume code (shown once)."""
    assert version.id is not None
    code = new_resume_code()
    response = Response(
        instance_id=str(uuid.uuid4()),
        form_version_id=version.id,
        channel="open_link",
        institution_id=institution_id,
        institution_name=institution_name,
        country=country,
        language=language,
        resume_code_hmac=digest(secret_key, RESUME_PURPOSE, normalise_resume_code(code)),
    )
    session.add(response)
    session.flush()
    return response, code


def find_by_resume_code(session: Session, secret_key: str, code: str) -> Response | None:
    normalised = normalise_resume_code(code)
    if len(normalised) < 12:
        return None
    return session.exec(
        select(Response).where(
            Response.resume_code_hmac == digest(secret_key, RESUME_PURPOSE, normalised)
        )
    ).first()


def record_consent(session: Session, response: Response, notice_version: str) -> None:
    response.consented_at = utcnow()
    response.notice_version = notice_version[:80]
    session.add(response)
    session.flush()


def _lock(session: Session, response: Response) -> None:
    """Read the response again, locking its row until the transaction ends.

    Two browsers may post the same response at once. On PostgreSQL each would
    otherwise write over the other, even over a response the other has just
    completed; the lock makes the second wait and then see it complete. (On
    SQLite a write transaction holds the database's write lock from its start.)
    """
    session.flush()
    session.refresh(response, with_for_update=True)


def save_page(
    session: Session,
    response: Response,
    form: Form,
    page: str,
    submitted: Mapping[str, Raw],
    language: str,
) -> Evaluation:
    """Keep the page's answers as given (unanswered ones removed) and judge that page.

    An answer that cannot be kept at all (a NUL, longer than any answer may be) is judged
    and refused; the answer saved before to that question stays.
    """
    _lock(session, response)
    if response.status == ResponseStatus.COMPLETE.value:
        return evaluate_form(form, response.answers, language, pages=[page])
    page_questions = next(p.questions for p in form.pages if p.name == page)
    answers = {k: v for k, v in response.answers.items() if k not in page_questions}
    kept = dict(answers)
    for name in page_questions:
        value = submitted.get(name)
        if value not in (None, "", []):
            answers[name] = value
            if _keepable(value):
                kept[name] = value
            elif name in response.answers:  # refused: what was saved before stays
                kept[name] = response.answers[name]
    response.answers = kept
    response.page = page
    response.language = language
    response.updated_at = utcnow()
    session.add(response)
    session.flush()
    return evaluate_form(form, answers, language, pages=[page])


def unkeepable(submitted: Mapping[str, Raw]) -> list[str]:
    """The questions whose posted answers cannot be kept at all (see ``_keepable``)."""
    return [n for n, v in submitted.items() if v not in (None, "", []) and not _keepable(v)]


def _keepable(value: Raw) -> bool:
    """Whether a raw answer may be kept until submit: not with a NUL (PostgreSQL's text and
    jsonb cannot hold one), not longer than any answer may be. Either way it is judged."""
    items = [value] if isinstance(value, str) else value
    return all(isinstance(i, str) and "\x00" not in i and len(i) <= MAX_TEXT for i in items)


def _storable(answers: Mapping[str, Answer]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in answers.items()}


def content_hash(payload: Mapping[str, Any]) -> str:
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def submit(session: Session, response: Response, language: str) -> Submitted:
    """Judge the whole form; when valid, complete the response (once, whatever happens).

    A second submit of a complete response changes nothing. Two responses racing
    to complete one invitation: the database's unique constraint lets one win;
    the other is left partial and the caller shows the thank-you page.
    """
    _lock(session, response)
    version = session.get(FormVersion, response.form_version_id)
    assert version is not None
    form = form_of(version)
    if response.status == ResponseStatus.COMPLETE.value:
        return Submitted(response, evaluate_form(form, response.answers, language), True)
    evaluation = evaluate_form(form, response.answers, language)
    if not evaluation.valid:
        return Submitted(response, evaluation, False)
    now = utcnow()
    response.answers = _storable(evaluation.answers)
    response.status = ResponseStatus.COMPLETE.value
    response.completed_at = now
    response.updated_at = now
    response.language = language
    response.complete_invitation_id = response.invitation_id
    response.content_hash = content_hash(response.answers)
    if response.invitation_id is not None:
        invitation = session.get(Invitation, response.invitation_id)
        if invitation is not None:
            invitation.completed_at = now
            session.add(invitation)
    session.add(response)
    session.flush()
    return Submitted(response, evaluation, True)


class AlreadyCompleted(Exception):
    """The invitation has a complete response already (another submit won)."""


def submit_racing(session: Session, response: Response, language: str) -> Submitted:
    """submit(), turning a lost race for the invitation into AlreadyCompleted."""
    try:
        return submit(session, response, language)
    except IntegrityError:
        session.rollback()
        raise AlreadyCompleted from None

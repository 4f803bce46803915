"""Respondents' privacy: the retention purge of contact data and the access-request record.

Erasure of one respondent is :func:`survey.fieldwork.erase`. Every change here
leaves one history row per invitation in ``response_event`` that keeps ids only
(see docs/privacy.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, func, or_, select

from microcasa.db import utcnow
from survey import responses, versions
from survey.errors import Missing, Refused, SurveyError
from survey.models import (
    FormVersion,
    Institution,
    Invitation,
    Questionnaire,
    Response,
    ResponseEvent,
)
from survey.xlsform.model import Form, text_in

PURGED = "contacts_purged"
ERASED_MARK = "[erased]"
CONTACT_FIELDS = ("contact_email", "contact_name")  # what an invitation holds about a person
LARGEST_ID = 2**31 - 1  # ids are 32-bit integers in the database; larger ones name nothing


def redact(text: str, *values: str | None) -> str:
    """``text`` with each of ``values`` (any case) replaced, so history never quotes them."""
    quoted = {v.strip() for v in values if v and v.strip() and v.strip().lower() in text.lower()}
    for value in sorted(quoted, key=len, reverse=True):
        pattern = rf"(?<!\w){re.escape(value)}(?!\w)"  # whole words: "Li" leaves "Lisbon"
        text = re.sub(pattern, ERASED_MARK, text, flags=re.IGNORECASE)
    return text


@dataclass(frozen=True)
class Purge:
    """What a retention purge found and did (``dry_run``: would do)."""

    form_id: str
    invitations: int  # invitations in scope
    cleared: int  # invitations whose contact data went (or would go)
    dry_run: bool

    @property
    def without_contacts(self) -> int:
        return self.invitations - self.cleared


def purge_contacts(
    session: Session,
    questionnaire: Questionnaire,
    *,
    reason: str,
    actor: str,
    actor_id: int | None = None,
    before: datetime | None = None,
    dry_run: bool = False,
) -> Purge:
    """Clear the contact data of a questionnaire's invitations once fieldwork is over.

    Refused while a version is open for responses, unless ``before`` limits the purge
    to invitations created before that moment (an earlier wave). Running it again
    changes nothing: invitations already without contact data get no second event.
    """
    if not reason.strip():
        raise Refused(SurveyError.REASON_MISSING)
    if before is None and responses.open_version(session, questionnaire) is not None:
        raise Refused(SurveyError.STILL_OPEN, form_id=questionnaire.form_id)
    scope = select(Invitation).where(Invitation.questionnaire_id == questionnaire.id)
    if before is not None:
        scope = scope.where(col(Invitation.created_at) < before)
    total = session.exec(select(func.count()).select_from(scope.subquery())).one()
    holding = list(
        session.exec(
            scope.where(
                or_(
                    col(Invitation.contact_email).is_not(None),
                    col(Invitation.contact_name).is_not(None),
                )
            ).order_by(col(Invitation.id))
        )
    )
    if not dry_run:
        # One reason for all: it must quote none of the people whose contacts go.
        reason = redact(reason, *(getattr(i, f) for i in holding for f in CONTACT_FIELDS))[:1000]
        for invitation in holding:
            session.add(
                ResponseEvent(
                    invitation_id=invitation.id,
                    action=PURGED,
                    reason=reason,
                    actor=actor[:254],
                    actor_id=actor_id,
                )
            )
            invitation.contact_email = None
            invitation.contact_name = None
            session.add(invitation)
        session.flush()
    return Purge(questionnaire.form_id, int(total), len(holding), dry_run)


# The access-request record: everything held about one respondent, as JSON.


def find_invitations(
    session: Session,
    *,
    invitation_id: int | None = None,
    response_id: int | None = None,
    email: str | None = None,
) -> tuple[list[Invitation], list[Response]]:
    """The invitations asked for, and responses without an invitation (open link, API)."""
    if invitation_id is not None:
        invitation = session.get(Invitation, invitation_id) if _fits(invitation_id) else None
        if invitation is None:
            raise Missing(SurveyError.RESPONDENT_NOT_FOUND, what=f"invitation {invitation_id}")
        return [invitation], []
    if response_id is not None:
        response = session.get(Response, response_id) if _fits(response_id) else None
        if response is None:
            raise Missing(SurveyError.RESPONDENT_NOT_FOUND, what=f"response {response_id}")
        if response.invitation_id is None:
            return [], [response]
        found = session.get(Invitation, response.invitation_id)
        assert found is not None  # a foreign key
        return [found], []
    wanted = (email or "").strip().lower()
    matches = list(
        session.exec(
            select(Invitation)
            .where(func.lower(col(Invitation.contact_email)) == wanted)
            .order_by(col(Invitation.id))
        )
    )
    if not wanted or not matches:
        raise Missing(SurveyError.RESPONDENT_NOT_FOUND, what="that e-mail address")
    return matches, []


def _fits(record_id: int) -> bool:
    return 1 <= record_id <= LARGEST_ID


def respondent_record(
    session: Session,
    invitations: Iterable[Invitation],
    lone_responses: Iterable[Response] = (),
) -> dict[str, Any]:
    """Everything the platform holds about a respondent (never a token or its HMAC)."""
    records = [_invitation_record(session, invitation) for invitation in invitations]
    records += [
        {
            "questionnaire": _questionnaire(session, response),
            "invitation": None,
            "responses": [_response_record(session, response)],
            "history": _history(session, [ResponseEvent.response_id == response.id]),
        }
        for response in lone_responses
    ]
    return {"generated_at": _when(utcnow()), "records": records}


def _invitation_record(session: Session, invitation: Invitation) -> dict[str, Any]:
    questionnaire = session.get(Questionnaire, invitation.questionnaire_id)
    institution = session.get(Institution, invitation.institution_id)
    answered = session.exec(
        select(Response).where(Response.invitation_id == invitation.id).order_by(col(Response.id))
    ).all()
    return {
        "questionnaire": (
            {"form_id": questionnaire.form_id, "title": questionnaire.title}
            if questionnaire
            else None
        ),
        "invitation": {
            "id": invitation.id,
            "institution": _institution(institution),
            "contact_email": invitation.contact_email,
            "contact_name": invitation.contact_name,
            "language": invitation.language,
            "status": invitation.status,
            "created_at": _when(invitation.created_at),
            "expires_at": _when(invitation.expires_at),
            "first_opened_at": _when(invitation.first_opened_at),
            "last_opened_at": _when(invitation.last_opened_at),
            "completed_at": _when(invitation.completed_at),
        },
        "responses": [_response_record(session, response) for response in answered],
        "history": _history(session, [ResponseEvent.invitation_id == invitation.id]),
    }


def _institution(institution: Institution | None) -> dict[str, Any] | None:
    if institution is None:
        return None
    return {
        "id": institution.id,
        "name": institution.name,
        "country": institution.country,
        "type": institution.type,
        "size_band": institution.size_band,
    }


def _questionnaire(session: Session, response: Response) -> dict[str, Any] | None:
    version = session.get(FormVersion, response.form_version_id)
    questionnaire = session.get(Questionnaire, version.questionnaire_id) if version else None
    if questionnaire is None:
        return None
    return {"form_id": questionnaire.form_id, "title": questionnaire.title}


def _response_record(session: Session, response: Response) -> dict[str, Any]:
    version = session.get(FormVersion, response.form_version_id)
    assert version is not None  # a foreign key
    form = versions.form_of(version)
    return {
        "id": response.id,
        "status": response.status,
        "channel": response.channel,
        "form_version": version.version,
        "language": response.language,
        "country": response.country,
        "institution_name": response.institution_name,
        "consented_at": _when(response.consented_at),
        "privacy_notice": response.notice_version,
        "created_at": _when(response.created_at),
        "updated_at": _when(response.updated_at),
        "completed_at": _when(response.completed_at),
        "answers": _answers(form, response.answers, response.language),
    }


def _answers(form: Form, answers: dict[str, Any], language: str) -> list[dict[str, Any]]:
    """Each answer with its question's label (and choices' labels) in the response's language."""
    listed = []
    known = {question.name for question in form.questions}
    for question in form.questions:
        if question.name not in answers:
            continue
        value = answers[question.name]
        item: dict[str, Any] = {
            "question": question.name,
            "label": text_in(question.labels, language, form.default_language),
            "value": value,
        }
        if question.is_select and value not in (None, ""):
            choices = form.choices_for(question)
            names = str(value).split() if question.type == "select_multiple" else [str(value)]
            item["choices"] = [
                text_in(found.labels, language, form.default_language) if found else name
                for name in names
                for found in [choices.get(name)]
            ]
        listed.append(item)
    # Answers to questions this version does not have are data the platform holds too.
    listed += [
        {"question": name, "label": "", "value": answers[name]}
        for name in sorted(answers)
        if name not in known
    ]
    return listed


def _history(session: Session, where: list[Any]) -> list[dict[str, Any]]:
    events = session.exec(select(ResponseEvent).where(*where).order_by(col(ResponseEvent.id)))
    return [
        {
            "action": event.action,
            "response_id": event.response_id,
            "invitation_id": event.invitation_id,
            "reason": event.reason,
            "at": _when(event.at),
        }
        for event in events
    ]


def _when(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None

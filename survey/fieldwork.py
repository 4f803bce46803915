"""Following fieldwork: counts by country and status, responses over time, and erasure."""

from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, col, delete, select

from survey.models import (
    FormVersion,
    Institution,
    Invitation,
    InvitationStatus,
    Questionnaire,
    Response,
    ResponseEvent,
)
from survey.privacy import redact


@dataclass(frozen=True)
class Progress:
    """Fieldwork of one questionnaire, optionally for one country."""

    by_country: dict[str, dict[str, int]]  # country -> {"partial": n, "complete": n}
    invitations: dict[str, int]  # sent, opened, partial, complete, revoked
    completed_per_day: list[tuple[date, int]]

    @property
    def total_complete(self) -> int:
        return sum(row.get("complete", 0) for row in self.by_country.values())


def _responses(
    session: Session, questionnaire: Questionnaire, country: str | None
) -> list[Response]:
    statement = (
        select(Response)
        .join(FormVersion, col(FormVersion.id) == col(Response.form_version_id))
        .where(FormVersion.questionnaire_id == questionnaire.id)
    )
    if country:
        statement = statement.where(Response.country == country)
    return list(session.exec(statement.order_by(col(Response.id))))


def progress(
    session: Session, questionnaire: Questionnaire, country: str | None = None
) -> Progress:
    rows = _responses(session, questionnaire, country)
    by_country: dict[str, dict[str, int]] = {}
    per_day: Counter[date] = Counter()
    for response in rows:
        cell = by_country.setdefault(response.country or "–", {"partial": 0, "complete": 0})
        cell[response.status] = cell.get(response.status, 0) + 1
        if response.completed_at is not None:
            per_day[response.completed_at.date()] += 1
    invitations = list(
        session.exec(select(Invitation).where(Invitation.questionnaire_id == questionnaire.id))
    )
    if country:
        ids = {
            r.invitation_id
            for r in _responses(session, questionnaire, None)
            if r.country == country
        }
        invitations = [i for i in invitations if i.id in ids or _country_of(session, i) == country]
    with_response = {r.invitation_id for r in rows if r.invitation_id is not None}
    counts = {
        "sent": len(invitations),
        "opened": sum(1 for i in invitations if i.first_opened_at is not None),
        "partial": sum(1 for i in invitations if i.id in with_response and i.completed_at is None),
        "complete": sum(1 for i in invitations if i.completed_at is not None),
        "revoked": sum(1 for i in invitations if i.status == InvitationStatus.REVOKED.value),
    }
    return Progress(dict(sorted(by_country.items())), counts, sorted(per_day.items()))


def _country_of(session: Session, invitation: Invitation) -> str:
    institution = session.get(Institution, invitation.institution_id)
    return institution.country if institution else ""


def list_responses(
    session: Session, questionnaire: Questionnaire, country: str | None = None
) -> list[Response]:
    return _responses(session, questionnaire, country)


def erase(
    session: Session,
    response: Response,
    *,
    actor: str,
    actor_id: int | None,
    reason: str,
) -> None:
    """Erase a respondent: answers, contact details and token; the history keeps only ids."""
    invitation = session.get(Invitation, response.invitation_id) if response.invitation_id else None
    # Every response of the invitation goes (a partial one from the pages, say), each on record.
    erased = (
        session.exec(select(col(Response.id)).where(Response.invitation_id == invitation.id)).all()
        if invitation is not None
        else [response.id]
    )
    # The reason may quote the person (their request): history keeps only ids.
    reason = redact(
        reason, *((invitation.contact_email, invitation.contact_name) if invitation else ())
    )
    for response_id in erased:
        session.add(
            ResponseEvent(
                response_id=response_id,
                invitation_id=invitation.id if invitation else None,
                action="erased",
                reason=reason[:1000],
                actor=actor[:254],
                actor_id=actor_id,
            )
        )
    # The analysis area's columnar copy of the answers goes in the same transaction
    # (imported here: pandas stays out of the server's start-up).
    from analysis.snapshots import forget

    version = session.get(FormVersion, response.form_version_id)
    if version is not None:
        forget(session, version.questionnaire_id)
    if invitation is not None:
        invitation.contact_email = None
        invitation.contact_name = None
        invitation.token_hmac = secrets.token_hex(32)  # no token opens it any more
        invitation.status = InvitationStatus.REVOKED.value
        session.add(invitation)
        session.flush()
        session.execute(delete(Response).where(col(Response.invitation_id) == invitation.id))
    else:
        session.delete(response)
    session.flush()


def response_counts(session: Session, version_ids: list[int]) -> dict[int, dict[str, int]]:
    """version id -> {"partial": n, "complete": n}."""
    counts: dict[int, dict[str, int]] = {vid: {"partial": 0, "complete": 0} for vid in version_ids}
    statement = (
        select(Response.form_version_id, Response.status, func.count())
        .where(col(Response.form_version_id).in_(version_ids))
        .group_by(col(Response.form_version_id), col(Response.status))
    )
    for version_id, status, count in session.exec(statement):
        counts[version_id][status] = count
    return counts

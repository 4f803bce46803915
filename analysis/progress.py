"""Response progress by country: the dashboard of fieldwork that every staff role reads.

Counts only, never a respondent: institutions in the registry, invitations
sent and opened, partial and complete responses, the response rate and the
share of the registry that has answered, and complete responses per day.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, func, select
from sqlmodel import Session, col

from survey.models import (
    FormVersion,
    Institution,
    Invitation,
    InvitationStatus,
    Questionnaire,
    Response,
    ResponseStatus,
)


@dataclass(frozen=True)
class CountryProgress:
    """One country's fieldwork (or the total over every country shown)."""

    country: str
    registry: int  # institutions in the registry (merged duplicates not counted)
    invited: int  # invitations not revoked
    opened: int
    partial: int  # responses started and not finished
    complete: int  # complete responses, through any channel
    complete_invited: int  # of them, through an invitation
    institutions_complete: int  # registry institutions with a complete response

    @property
    def response_rate(self) -> float | None:
        """Invitations completed per invitation sent, in percent (None without invitations)."""
        return 100.0 * self.complete_invited / self.invited if self.invited else None

    @property
    def coverage(self) -> float | None:
        """Registry institutions with a complete response, in percent of the registry."""
        return 100.0 * self.institutions_complete / self.registry if self.registry else None


@dataclass(frozen=True)
class Progress:
    form_id: str
    title: str
    country: str | None  # the one country shown (a coordinator's), or None for all
    rows: tuple[CountryProgress, ...]
    total: CountryProgress
    per_day: tuple[tuple[date, int], ...]  # complete responses per day (UTC)
    synthetic: int  # complete responses made up by the demo generator


def _versions(questionnaire: Questionnaire) -> Select[int | None]:
    return select(col(FormVersion.id)).where(col(FormVersion.questionnaire_id) == questionnaire.id)


def progress(
    session: Session, questionnaire: Questionnaire, country: str | None = None
) -> Progress:
    """The fieldwork of ``questionnaire`` by country; only ``country`` when one is given."""
    counts: dict[str, Counter[str]] = {}

    def add(code: str | None, what: str, n: int) -> None:
        key = code or "–"
        if country is None or key == country:
            counts.setdefault(key, Counter())[what] += n

    registry = select(col(Institution.country), func.count()).where(
        col(Institution.merged_into_id).is_(None)
    )
    for code, n in session.execute(registry.group_by(col(Institution.country))):
        add(code, "registry", n)
    invitations = (
        select(
            col(Institution.country),
            func.count(),
            func.count(col(Invitation.first_opened_at)),
        )
        .join(Institution, col(Institution.id) == col(Invitation.institution_id))
        .where(
            col(Invitation.questionnaire_id) == questionnaire.id,
            col(Invitation.status) != InvitationStatus.REVOKED.value,
        )
        .group_by(col(Institution.country))
    )
    for code, sent, opened in session.execute(invitations):
        add(code, "invited", sent)
        add(code, "opened", opened)
    responses = (
        select(
            col(Response.country),
            col(Response.status),
            func.count(),
            func.count(col(Response.complete_invitation_id)),
            func.count(func.distinct(col(Response.institution_id))),
        )
        .where(col(Response.form_version_id).in_(_versions(questionnaire)))
        .group_by(col(Response.country), col(Response.status))
    )
    for code, status, n, invited, institutions in session.execute(responses):
        if status == ResponseStatus.COMPLETE.value:
            add(code, "complete", n)
            add(code, "complete_invited", invited)
            add(code, "institutions_complete", institutions)
        else:
            add(code, "partial", n)
    completed = select(col(Response.completed_at), col(Response.synthetic)).where(
        col(Response.form_version_id).in_(_versions(questionnaire)),
        col(Response.status) == ResponseStatus.COMPLETE.value,
    )
    if country is not None:
        completed = completed.where(col(Response.country) == country)
    per_day: Counter[date] = Counter()
    synthetic = 0
    for completed_at, made_up in session.execute(completed):
        if completed_at is not None:
            per_day[completed_at.date()] += 1
        synthetic += bool(made_up)
    rows = tuple(_row(code, counts[code]) for code in sorted(counts))
    if country is not None and not rows:
        rows = (_row(country, Counter()),)
    total = Counter[str]()
    for code in counts:
        total.update(counts[code])
    return Progress(
        form_id=questionnaire.form_id,
        title=questionnaire.title,
        country=country,
        rows=rows,
        total=_row("Total", total),
        per_day=tuple(sorted(per_day.items())),
        synthetic=synthetic,
    )


def _row(code: str, counts: Counter[str]) -> CountryProgress:
    return CountryProgress(
        country=code,
        registry=counts["registry"],
        invited=counts["invited"],
        opened=counts["opened"],
        partial=counts["partial"],
        complete=counts["complete"],
        complete_invited=counts["complete_invited"],
        institutions_complete=counts["institutions_complete"],
    )

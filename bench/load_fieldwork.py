"""Who comes to the load, and what the database kept of them.

The fieldwork (the bundled questionnaire open, with its open link on, institutions
invited, a staff API token), the plan of respondents and API submitters, and the
comparison of every response stored with what the platform acknowledged.
"""

from __future__ import annotations

import random
import secrets
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import defer
from sqlmodel import select

from microcasa.auth.service import create_user
from microcasa.auth.tokens import create_token
from microcasa.db import Database
from survey import invitations, versions
from survey.demo import publish_bundled_form
from survey.models import Invitation, Response, ResponseStatus
from survey.tokens import digest
from survey.xlsform import read_markdown_form

if TYPE_CHECKING:
    from bench.load_client import Tally

FORM_ID = "microcasa_hei"
FORM_FILE = Path(__file__).resolve().parent.parent / "survey" / "forms" / "microcasa_hei.md"
LOG_PROBLEMS = ("database is locked", "database unavailable", "unexpected error")

# An institution that offers micro-credentials: every section is shown (10 pages).
PROVISION: dict[str, Any] = {
    "a1": "MY", "a2": "public", "a3": "comprehensive", "a4": "15k_30k", "a5": "qa_officer",
    "a6": "accredited", "b1": "4", "b2_eu": "3", "b2_microbol": "2", "b2_unesco": "3",
    "b2_national": "5", "b2_aqrf": "2", "b3": "yes",
    "b4": ["micro_credential", "short_course", "digital_badge"],
    "c1": "established", "c2": "24", "c3": "1850", "c4": ["online", "blended"],
    "c5": ["own_students", "alumni", "employees"], "c6": ["industry", "prof_bodies"],
    "c7": "approved", "c8": "expand", "d1": "mostly", "d2": ["mqa_credit"], "d3": "1_5",
    "d4": "sometimes", "d5": ["exam", "project"], "d6": "supervised_id",
    "d7": ["learner_id", "title", "awarding_body", "issue_date", "learning_outcomes"],
    "e1": "same", "e2": "agency_verification", "e3": "4", "e4": "3", "f1": "case_by_case",
    "f2_national": "case_by_case", "f2_foreign": "never", "f3": ["credit_transfer", "rpl"],
    "f4": "12.5", "f5": "3", "g1": "defined_pathways", "g2": "with_agreements",
    "g3": "planned", "h1": ["signed_pdf", "open_badges"], "h2": "yes", "h3": "some",
    "h4": "4", "i1_definition": "2", "i1_qa_rules": "3", "i1_recognition": "4",
    "i1_funding": "5", "i1_staff": "3", "i1_it": "2", "i1_employer": "3", "i1_demand": "2",
    "i1_curriculum": "3", "i1_accreditation": "4", "i2": ["recognition", "funding", "digital"],
    "i3": "4", "i4": "A shared national register would help employers trust micro-credentials.",
}  # fmt: skip
# An institution with no micro-credentials: the design, QA and provision pages are skipped.
NO_PROVISION: dict[str, Any] = {
    "a1": "ID", "a2": "public", "a3": "comprehensive", "a4": "5k_15k", "a5": "qa_officer",
    "b1": "3", "b4": ["micro_credential", "digital_badge"], "c1": "none", "c7": "none",
    "c8": "start", "g1": "ad_hoc", "h4": "4", "i2": ["definition", "register"],
    "i4": "A shared national register.",
}  # fmt: skip
COUNTRIES = (("MY", "ms"), ("ID", "id"), ("PH", "fil"), ("DE", "de"), ("IT", "it"), ("ES", "es"))


def form_pages() -> dict[str, tuple[str, ...]]:
    """The questions on each page of the bundled questionnaire."""
    form = read_markdown_form(FORM_FILE.read_text(encoding="utf-8"), FORM_ID).form
    return {page.name: page.questions for page in form.pages}


# --- the fieldwork -------------------------------------------------------------------


@dataclass(frozen=True)
class Fieldwork:
    """What the load needs from the database: invitation links and a staff API token."""

    invitations: tuple[tuple[str, str], ...]  # (token, language code), one per institution
    staff_token: str


def prepare_fieldwork(database: Database, secret_key: str, institutions: int) -> Fieldwork:
    """Publish and open the bundled questionnaire (open link on), invite ``institutions``."""
    lines = ["name,country,type,contact_email,language"]
    for number in range(institutions):
        country, language = COUNTRIES[number % len(COUNTRIES)]
        lines.append(
            f"Load Test Institution {number:05d},{country},public,"
            f"rector{number}@institution.example,{language}"
        )
    with database.transaction() as session:
        form = versions.form_of(publish_bundled_form(session))
        questionnaire = versions.get_questionnaire(session, FORM_ID)
        questionnaire.open_link = True
        session.add(questionnaire)
        rows = invitations.read_invitee_file("\n".join(lines).encode(), "invitees.csv", form)
        issued = invitations.invite(session, secret_key, questionnaire, rows).issued
        user = create_user(
            session,
            email="load@example.org",
            password=secrets.token_urlsafe(24),
            role="researcher",
            display_name="Load generator",
        )
        staff_token = create_token(session, user, "load generator").secret
    links = tuple((link.token, link.invitation.language or "en") for link in issued)
    return Fieldwork(links, staff_token)


# --- who comes -----------------------------------------------------------------------


@dataclass(frozen=True)
class Respondent:
    number: int
    address: str  # as the reverse proxy reports it (X-Forwarded-For)
    language: str
    answers: Mapping[str, Any]
    token: str | None  # None: through the open link
    save_on_page: int | None  # save there, close the browser, come back; None: straight through

    @property
    def institution(self) -> str:
        return f"Open Link Institution {self.number:05d}"


@dataclass(frozen=True)
class Submitter:
    number: int
    submissions: int
    tokens: tuple[str, ...]  # one invitation token per submission; empty: the staff token


def address(kind: int, number: int) -> str:
    """A client address of its own for each simulated institution (kind 1 pages, 2 API)."""
    return f"10.{kind}.{number // 250 % 250}.{number % 250 + 1}"


def plan(
    fieldwork: Fieldwork, respondents: int, submitters: int, per_submitter: int, seed: int = 1
) -> tuple[list[Respondent], list[Submitter]]:
    """Four in five respondents invited, one in five through the open link; one in three
    saves and comes back; half offer micro-credentials. Half the API submitters use
    invitation tokens (one per submission), half the staff token."""
    rng = random.Random(seed)
    links = list(fieldwork.invitations)
    people: list[Respondent] = []
    for number in range(respondents):
        invited = number % 5 != 4
        token, language = links.pop() if invited else (None, COUNTRIES[number % 6][1])
        people.append(
            Respondent(
                number=number,
                address=address(1, number),
                language=language,
                answers=PROVISION if number % 2 else NO_PROVISION,
                token=token,
                save_on_page=rng.randrange(1, 7) if number % 3 == 0 else None,
            )
        )
    robots = []
    for number in range(submitters):
        tokens: tuple[str, ...] = ()
        if number % 2:
            tokens = tuple(links.pop()[0] for _ in range(per_submitter))
        robots.append(Submitter(number, per_submitter, tokens))
    return people, robots


def institutions_needed(respondents: int, submitters: int, per_submitter: int) -> int:
    """How many invitations ``plan`` hands out."""
    invited = sum(1 for number in range(respondents) if number % 5 != 4)
    return invited + (submitters // 2) * per_submitter


# --- what the database kept ----------------------------------------------------------


@dataclass(frozen=True)
class Kept:
    """Acknowledged against stored: the figures that must hold whatever the speed."""

    acknowledged: int
    complete: int  # complete responses stored
    partial: int
    missing: int  # acknowledged, not stored as complete
    unacknowledged: int  # stored as complete, never acknowledged (a client that gave up)
    duplicate_instances: int
    invitations_with_two: int  # invitations with more than one complete response

    @property
    def holds(self) -> bool:
        return not (self.missing or self.duplicate_instances or self.invitations_with_two)


def compare(database: Database, secret_key: str, tally: Tally) -> Kept:
    """Compare every response in the database with what the load was told."""
    with database.session() as session:
        hmacs = dict(session.exec(select(Invitation.id, Invitation.token_hmac)).all())
        rows = session.exec(
            select(Response).options(defer(Response.answers))  # type: ignore[arg-type]
        ).all()
    instances = Counter(row.instance_id for row in rows)
    complete = [row for row in rows if row.status == ResponseStatus.COMPLETE.value]
    per_invitation = Counter(row.invitation_id for row in complete if row.invitation_id)
    stored: set[tuple[str, str]] = set()
    for row in complete:
        if row.instance_id in tally.api_sent:
            stored.add(("api", row.instance_id))
        elif row.channel == "invitation":
            stored.add(("invitation", hmacs.get(row.invitation_id, "")))
        else:
            stored.add(("open link", row.institution_name))
    told = {("api", instance) for instance in tally.api_acknowledged}
    told |= {
        ("invitation", digest(secret_key, invitations.PURPOSE, token))
        for token in tally.acknowledged_tokens
    }
    told |= {("open link", name) for name in tally.acknowledged_institutions}
    return Kept(
        acknowledged=len(told),
        complete=len(complete),
        partial=len(rows) - len(complete),
        missing=len(told - stored),
        unacknowledged=len(stored - told),
        duplicate_instances=sum(n - 1 for n in instances.values()),
        invitations_with_two=sum(1 for n in per_invitation.values() if n > 1),
    )


def log_problems(log: str) -> dict[str, int]:
    """Lines of a server log that tell of trouble under load, by kind.

    On SQLite "database unavailable" (a 503) is a writer that could not get the lock
    too: when a read transaction turns into a write, SQLite refuses at once with
    "database is locked", and the log's first line names only the autoflush.
    """
    lines = log.lower().splitlines()
    return {kind: sum(1 for line in lines if kind in line) for kind in LOG_PROBLEMS}

"""Invitations: import institutions, issue personal links, check tokens, revoke and re-issue."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import pycountry
from sqlmodel import Session, col, select

from microcasa.db import utcnow
from microcasa.spreadsheet import safe_csv_cell
from survey import institutions
from survey.errors import ImportError_, ImportRefused
from survey.models import Invitation, InvitationStatus, Questionnaire
from survey.tokens import digest, new_token
from survey.xlsform.model import Form, language_code

PURPOSE = "invitation"
MAX_ROWS = 20_000
COLUMNS = ("name", "country", "type", "size_band", "contact_email", "contact_name", "language")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class InviteeRow:
    row: int
    name: str
    country: str
    type: str
    size_band: str
    contact_email: str | None
    contact_name: str | None
    language: str


@dataclass(frozen=True)
class IssuedLink:
    invitation: Invitation
    institution_name: str
    country: str
    token: str  # shown once: only its HMAC is stored


@dataclass(frozen=True)
class ImportResult:
    issued: tuple[IssuedLink, ...]
    duplicates: tuple[str, ...]  # institutions that already had an invitation


def _rows_from_csv(data: bytes) -> list[dict[str, str]]:
    text = data.decode("utf-8-sig")
    sample = text[:4096]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","
    # Only the delimiter is guessed: a guessed quote character (an apostrophe) would eat
    # the apostrophes of names such as "'=HYPERLINK(…)" in our own mail-merge files.
    records = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = next(records, [])
    # Blank lines stay (as empty rows) so that row numbers match the spreadsheet's;
    # cells beyond the header have no column and are left out.
    return [dict(zip(header, record, strict=False)) for record in records]


def _rows_from_xlsx(data: bytes) -> list[dict[str, str]]:
    from survey.xlsform.sheets import read_workbook

    sheets = read_workbook(data)
    if not sheets:
        return []
    sheet = sheets[0]
    rows: list[dict[str, str]] = []
    for row in sheet.rows:
        while len(rows) < row.number - 2:
            rows.append({})  # keep row numbers as the author sees them
        rows.append(row.cells)
    return rows


def read_invitee_file(data: bytes, filename: str, form: Form) -> list[InviteeRow]:
    """Every row of an institutions file, or ImportRefused listing every problem by row."""
    from survey.xlsform import FormInvalid

    try:
        if filename.lower().endswith(".xlsx"):
            raw_rows = _rows_from_xlsx(data)
        else:
            raw_rows = _rows_from_csv(data)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ImportRefused([ImportError_.UNREADABLE.format(reason=str(exc)[:200])]) from None
    except FormInvalid as exc:
        raise ImportRefused(
            [ImportError_.UNREADABLE.format(reason=exc.issues[0].message)]
        ) from None
    if len(raw_rows) > MAX_ROWS:
        raise ImportRefused([ImportError_.TOO_MANY_ROWS.format(limit=MAX_ROWS)])
    rows = [
        {(k or "").strip().lower().replace(" ", "_"): (v or "").strip() for k, v in r.items()}
        for r in raw_rows
    ]
    if not any(rows):
        raise ImportRefused([ImportError_.EMPTY.value])
    headers = set().union(*(row.keys() for row in rows))
    missing = [c for c in ("name", "country") if c not in headers]
    if missing:
        raise ImportRefused([ImportError_.MISSING_COLUMN.format(column=c) for c in missing])
    problems: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    result: list[InviteeRow] = []
    codes = {language_code(lang).lower(): lang for lang in form.languages}
    for offset, cells in enumerate(rows):
        number = offset + 2  # the header is row 1
        if not any(cells.values()):
            continue
        row_problems = _check_row(cells, number, codes, form)
        if row_problems:
            problems.extend(row_problems)
            continue
        key = (cells["country"].upper(), institutions.name_key(cells["name"]))
        if key in seen:
            problems.append(
                ImportError_.DUPLICATE_IN_FILE.format(
                    row=number, name=cells["name"], country=key[0], first=seen[key]
                )
            )
            continue
        seen[key] = number
        language = cells.get("language", "")
        result.append(
            InviteeRow(
                row=number,
                name=institutions.clean_name(cells["name"]),
                country=cells["country"].upper(),
                type=cells.get("type", "").lower(),
                size_band=cells.get("size_band", ""),
                contact_email=cells.get("contact_email", "").lower() or None,
                contact_name=cells.get("contact_name") or None,
                language=codes.get(language_code(language).lower(), "") if language else "",
            )
        )
    if problems:
        raise ImportRefused(problems)
    if not result:
        raise ImportRefused([ImportError_.EMPTY.value])
    return result


def _check_row(cells: dict[str, str], row: int, codes: dict[str, str], form: Form) -> list[str]:
    problems = []
    for column in ("name", "country"):
        if not cells.get(column):
            problems.append(ImportError_.MISSING_VALUE.format(row=row, column=column))
    for column, text in cells.items():
        if "\x00" in text:  # PostgreSQL cannot store it
            problems.append(ImportError_.NULL_CHARACTER.format(row=row, column=column[:40]))
    for column, limit in (("name", 300), ("contact_name", 200), ("size_band", 50)):
        if len(cells.get(column, "")) > limit:
            problems.append(ImportError_.TOO_LONG.format(row=row, column=column, limit=limit))
    country = cells.get("country", "")
    if country and (len(country) != 2 or pycountry.countries.get(alpha_2=country.upper()) is None):
        problems.append(ImportError_.BAD_COUNTRY.format(row=row, value=country[:20]))
    email = cells.get("contact_email", "")
    if email and (len(email) > 254 or not _EMAIL.match(email)):
        problems.append(ImportError_.BAD_EMAIL.format(row=row, value=email[:80]))
    language = cells.get("language", "")
    if language and language_code(language).lower() not in codes:
        problems.append(
            ImportError_.BAD_LANGUAGE.format(
                row=row, value=language[:40], languages=", ".join(form.languages)
            )
        )
    kind = cells.get("type", "").lower()
    if kind and kind not in institutions.INSTITUTION_TYPES:
        problems.append(
            ImportError_.BAD_TYPE.format(
                row=row, value=kind[:40], types=", ".join(institutions.INSTITUTION_TYPES)
            )
        )
    return problems


def invite(
    session: Session,
    secret_key: str,
    questionnaire: Questionnaire,
    rows: list[InviteeRow],
    expires_at: datetime | None = None,
) -> ImportResult:
    """Register the institutions and issue one invitation each (skipping those invited already)."""
    assert questionnaire.id is not None
    issued: list[IssuedLink] = []
    duplicates: list[str] = []
    for row in rows:
        institution, _ = institutions.find_or_add(
            session, country=row.country, name=row.name, type_=row.type, size_band=row.size_band
        )
        existing = session.exec(
            select(Invitation).where(
                Invitation.questionnaire_id == questionnaire.id,
                Invitation.institution_id == institution.id,
                Invitation.status == InvitationStatus.ACTIVE.value,
            )
        ).first()
        if existing is not None:
            duplicates.append(f"{institution.name} ({institution.country}), row {row.row}")
            continue
        assert institution.id is not None
        token = new_token()
        invitation = Invitation(
            questionnaire_id=questionnaire.id,
            institution_id=institution.id,
            contact_email=row.contact_email,
            contact_name=row.contact_name,
            language=row.language,
            token_hmac=digest(secret_key, PURPOSE, token),
            expires_at=expires_at,
        )
        session.add(invitation)
        issued.append(IssuedLink(invitation, institution.name, institution.country, token))
    session.flush()
    return ImportResult(tuple(issued), tuple(duplicates))


def mail_merge_csv(base_url: str, links: tuple[IssuedLink, ...]) -> str:
    """A CSV of personal links for a mail merge (UTF-8 with BOM, so Excel reads it right)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["institution", "country", "contact_name", "contact_email", "language", "link", "expires"]
    )
    for link in links:
        invitation = link.invitation
        writer.writerow(
            [
                safe_csv_cell(link.institution_name),
                link.country,
                safe_csv_cell(invitation.contact_name or ""),
                safe_csv_cell(invitation.contact_email or ""),
                invitation.language,
                f"{base_url}/i/{link.token}",
                invitation.expires_at.date().isoformat() if invitation.expires_at else "",
            ]
        )
    return "\ufeff" + buffer.getvalue()


def check_token(session: Session, secret_key: str, token: str) -> Invitation | None:
    """The invitation a token opens, or None: unknown, revoked, expired or already used."""
    if not token or len(token) > 100:
        return None
    invitation = session.exec(
        select(Invitation).where(Invitation.token_hmac == digest(secret_key, PURPOSE, token))
    ).first()
    if invitation is None or not usable(invitation):
        return None
    return invitation


def usable(invitation: Invitation) -> bool:
    if invitation.status != InvitationStatus.ACTIVE.value or invitation.completed_at is not None:
        return False
    return invitation.expires_at is None or invitation.expires_at > utcnow()


def revoke(session: Session, invitation: Invitation) -> None:
    invitation.status = InvitationStatus.REVOKED.value
    session.add(invitation)
    session.flush()


def reissue(
    session: Session, secret_key: str, invitation: Invitation, days: int | None = None
) -> str:
    """A new token for the invitation (the old link stops working); returns the new token.

    Without ``days``, an expired invitation gets its original validity period again
    from now: a new link that has expired already would help nobody.
    """
    token = new_token()
    now = utcnow()
    invitation.token_hmac = digest(secret_key, PURPOSE, token)
    invitation.status = InvitationStatus.ACTIVE.value
    if days is not None:
        invitation.expires_at = now + timedelta(days=days)
    elif invitation.expires_at is not None and invitation.expires_at <= now:
        invitation.expires_at = now + (invitation.expires_at - invitation.created_at)
    session.add(invitation)
    session.flush()
    return token


def list_invitations(session: Session, questionnaire: Questionnaire) -> list[Invitation]:
    return list(
        session.exec(
            select(Invitation)
            .where(Invitation.questionnaire_id == questionnaire.id)
            .order_by(col(Invitation.id))
        )
    )

"""The institution registry: one row per HEI, found again by country and normalised name."""

from __future__ import annotations

import re
import unicodedata

from sqlmodel import Session, col, select

from survey.models import Institution

INSTITUTION_TYPES = ("public", "private_nonprofit", "private_forprofit", "religious", "other")


def name_key(name: str) -> str:
    """'Universiti  Sains Malaysia (USM)' and 'universiti sains malaysia (usm)' are one key."""
    folded = unicodedata.normalize("NFKD", name).casefold()
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return re.sub(r"[^\w]+", " ", folded).strip()[:300]


def clean_name(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name).split())[:300]


def find(session: Session, country: str, name: str) -> Institution | None:
    """The registered institution with this country and name (following merges)."""
    found = session.exec(
        select(Institution).where(
            Institution.country == country.upper(), Institution.name_key == name_key(name)
        )
    ).first()
    while found is not None and found.merged_into_id is not None:
        found = session.get(Institution, found.merged_into_id)
    return found


def find_or_add(
    session: Session,
    *,
    country: str,
    name: str,
    type_: str = "",
    size_band: str = "",
    source: str = "import",
) -> tuple[Institution, bool]:
    """The institution, registering it first if it is new; True when it was added."""
    existing = find(session, country, name)
    if existing is not None:
        return existing, False
    institution = Institution(
        country=country.upper(),
        name=clean_name(name),
        name_key=name_key(name),
        type=type_,
        size_band=size_band,
        source=source,
    )
    session.add(institution)
    session.flush()
    return institution, True


def list_institutions(session: Session, country: str | None = None) -> list[Institution]:
    statement = select(Institution).where(col(Institution.merged_into_id).is_(None))
    if country:
        statement = statement.where(Institution.country == country.upper())
    return list(session.exec(statement.order_by(col(Institution.country), col(Institution.name))))


def merge(session: Session, duplicate: Institution, keep: Institution) -> None:
    """Record that ``duplicate`` is the same institution as ``keep``."""
    if duplicate.id == keep.id:
        return
    duplicate.merged_into_id = keep.id
    keep.reviewed = True
    session.add(duplicate)
    session.add(keep)
    session.flush()

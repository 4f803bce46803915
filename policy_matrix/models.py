"""Tables of the policy matrix: jurisdictions, the current cells, and their append-only history."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Date, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from microcasa.db import UTCDateTime, utcnow

STATUS_CHECK = (
    "status IN ('none', 'under_discussion', 'draft', 'adopted', 'implemented', "
    "'not_applicable', 'unknown')"
)


class PolicyJurisdiction(SQLModel, table=True):
    """A country of the study, or a reference row (EU Council Recommendation, ASEAN/AQRF)."""

    __tablename__ = "policy_jurisdiction"
    __table_args__ = (CheckConstraint("kind IN ('country', 'reference')", name="kind_known"),)

    code: str = Field(sa_column=Column(String(8), primary_key=True))
    name: str = Field(max_length=200)
    kind: str = Field(default="country", max_length=10)
    region: str | None = Field(default=None, max_length=40)
    position: int = Field(default=100)  # order of the columns; references last
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )


class PolicyEntry(SQLModel, table=True):
    """The current content of one cell: jurisdiction × dimension."""

    __tablename__ = "policy_entry"
    __table_args__ = (
        UniqueConstraint("jurisdiction", "dimension"),
        CheckConstraint(STATUS_CHECK, name="status_known"),
    )

    id: int | None = Field(default=None, primary_key=True)
    jurisdiction: str = Field(foreign_key="policy_jurisdiction.code", max_length=8, index=True)
    dimension: str = Field(max_length=8)
    status: str = Field(default="unknown", max_length=20)
    value: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    as_of: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    notes: str = Field(default="", sa_column=Column(Text, nullable=False))
    evidence: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    # Raised by every change: an edit made on an older copy of the cell is refused.
    revision: int = Field(default=1)
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
    updated_by: str = Field(default="", max_length=254)


class PolicyChange(SQLModel, table=True):
    """One change to one cell: who, when, why, and the cell before and after.

    Append-only: the platform never updates or deletes a row, and the database
    refuses to (a trigger on PostgreSQL and on SQLite). The actor is kept as
    text and a plain id, so that closing an account changes no history.
    """

    __tablename__ = "policy_change"

    id: int | None = Field(default=None, primary_key=True)
    jurisdiction: str = Field(foreign_key="policy_jurisdiction.code", max_length=8, index=True)
    dimension: str = Field(max_length=8, index=True)
    changed_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False, index=True)
    )
    actor_id: int | None = Field(default=None)
    actor: str = Field(max_length=254)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    source: str = Field(max_length=10)  # web, api, import, bundled
    change_set: str = Field(max_length=36, index=True)
    old: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    new: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))

"""Tables of the survey area: questionnaires and their published versions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Index,
    LargeBinary,
    String,
    UniqueConstraint,
    false,
)
from sqlmodel import Field, SQLModel

from microcasa.db import UTCDateTime, utcnow


class VersionStatus(StrEnum):
    DRAFT = "draft"  # published, previewable, not collecting
    OPEN = "open"  # collecting responses
    CLOSED = "closed"  # no new responses


class Questionnaire(SQLModel, table=True):
    """A questionnaire's identity (its XLSForm ``form_id``) across versions."""

    __tablename__ = "questionnaire"

    id: int | None = Field(default=None, primary_key=True)
    form_id: str = Field(sa_column=Column(String(100), nullable=False, unique=True))
    title: str = Field(max_length=300)
    # Whether anyone may answer through /s/{form_id} without an invitation.
    open_link: bool = Field(default=False)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )


class FormVersion(SQLModel, table=True):
    """One published version: the normalised definition and the file it came from.

    Never edited once published (only its status changes), so every response
    can say exactly which questions it answered.
    """

    __tablename__ = "form_version"
    __table_args__ = (
        UniqueConstraint("questionnaire_id", "version"),
        CheckConstraint("status IN ('draft', 'open', 'closed')", name="status_known"),
    )

    id: int | None = Field(default=None, primary_key=True)
    questionnaire_id: int = Field(foreign_key="questionnaire.id", index=True)
    version: str = Field(max_length=50)
    title: str = Field(max_length=300)
    sha256: str = Field(max_length=64)
    definition: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    warnings: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    source: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    source_kind: str = Field(max_length=10)  # "xlsx" or "md"
    status: str = Field(default=VersionStatus.DRAFT.value, max_length=10)
    published_by_id: int | None = Field(
        default=None, foreign_key="user_account.id", ondelete="SET NULL"
    )
    publisher: str = Field(max_length=254)  # who, in words, kept if the account goes
    published_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
    status_changed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))


class Institution(SQLModel, table=True):
    """A higher-education institution in the registry (from imports and open-link answers)."""

    __tablename__ = "institution"

    id: int | None = Field(default=None, primary_key=True)
    country: str = Field(max_length=2, index=True)
    name: str = Field(max_length=300)
    name_key: str = Field(max_length=300, index=True)  # normalised, to find duplicates
    type: str = Field(default="", max_length=50)
    size_band: str = Field(default="", max_length=50)
    source: str = Field(default="import", max_length=20)  # import, open_link, staff
    reviewed: bool = Field(default=False)
    merged_into_id: int | None = Field(default=None, foreign_key="institution.id")
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )


class InvitationStatus(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"


class Invitation(SQLModel, table=True):
    """A personal link for one institution to answer one questionnaire.

    The token itself is never stored: only its HMAC, so a copy of the database
    does not let anyone answer in an institution's name.
    """

    __tablename__ = "invitation"
    __table_args__ = (CheckConstraint("status IN ('active', 'revoked')", name="status_known"),)

    id: int | None = Field(default=None, primary_key=True)
    questionnaire_id: int = Field(foreign_key="questionnaire.id", index=True)
    institution_id: int = Field(foreign_key="institution.id", index=True)
    contact_email: str | None = Field(default=None, max_length=254)
    contact_name: str | None = Field(default=None, max_length=200)
    language: str = Field(default="", max_length=60)
    token_hmac: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    status: str = Field(default=InvitationStatus.ACTIVE.value, max_length=10)
    expires_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
    first_opened_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    last_opened_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    completed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))


class ResponseStatus(StrEnum):
    PARTIAL = "partial"
    COMPLETE = "complete"


class Response(SQLModel, table=True):
    """One institution's answers to one FormVersion, saved page by page."""

    __tablename__ = "response"
    __table_args__ = (
        CheckConstraint("status IN ('partial', 'complete')", name="status_known"),
        CheckConstraint("channel IN ('invitation', 'open_link', 'api')", name="channel_known"),
        # One complete response per invitation: set only when complete, unique.
        UniqueConstraint("complete_invitation_id"),
        # Which complete responses changed since a time, answered from the index alone
        # (analysis.snapshots checks and extends its columnar copy with it).
        Index(
            "ix_response_version_status_updated", "form_version_id", "status", "updated_at", "id"
        ),
        # An erased response's id is never given to another (migration 0007).
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    instance_id: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    form_version_id: int = Field(foreign_key="form_version.id", index=True)
    channel: str = Field(max_length=12)
    invitation_id: int | None = Field(default=None, foreign_key="invitation.id", index=True)
    complete_invitation_id: int | None = Field(default=None, foreign_key="invitation.id")
    institution_id: int | None = Field(default=None, foreign_key="institution.id", index=True)
    institution_name: str = Field(default="", max_length=300)
    country: str = Field(default="", max_length=2, index=True)
    language: str = Field(max_length=60)
    status: str = Field(default=ResponseStatus.PARTIAL.value, max_length=10, index=True)
    answers: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    content_hash: str = Field(default="", max_length=64)
    page: str = Field(default="", max_length=100)  # where the respondent left off
    resume_code_hmac: str | None = Field(
        default=None, sa_column=Column(String(64), unique=True, nullable=True)
    )
    notice_version: str = Field(default="", max_length=80)
    consented_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    submitted_by_id: int | None = Field(
        default=None, foreign_key="user_account.id", ondelete="SET NULL"
    )
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
    completed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    # Made up by the platform's generator (demo data): every analysis output says so.
    synthetic: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false())
    )


class ResponseEvent(SQLModel, table=True):
    """Append-only history of what staff did to responses (erasure, deletion)."""

    __tablename__ = "response_event"

    id: int | None = Field(default=None, primary_key=True)
    response_id: int | None = Field(default=None, index=True)  # kept after erasure: ids only
    invitation_id: int | None = Field(default=None, index=True)
    action: str = Field(max_length=30)
    reason: str = Field(default="", max_length=1000)
    actor_id: int | None = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")
    actor: str = Field(max_length=254)
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))

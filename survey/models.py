"""Tables of the survey area: questionnaires and their published versions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, LargeBinary, String, UniqueConstraint
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

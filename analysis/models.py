"""Tables of the analysis area: the columnar copy of a questionnaire's frame."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, LargeBinary, String
from sqlmodel import Field, SQLModel

from microcasa.db import UTCDateTime, utcnow


class FrameSnapshot(SQLModel, table=True):
    """The coded frame of a questionnaire's complete responses, stored as columns.

    What it covers is described by ``rows``, ``id_sum`` and ``as_of`` (the newest
    change among them); ``code`` names the versions answered and the coding rules,
    so a copy made by other rules is never read. See :mod:`analysis.snapshots`.
    """

    __tablename__ = "frame_snapshot"

    id: int | None = Field(default=None, primary_key=True)
    questionnaire_id: int = Field(
        sa_column=Column(
            Integer,
            ForeignKey("questionnaire.id", ondelete="CASCADE"),
            nullable=False,
            unique=True,
        )
    )
    code: str = Field(sa_column=Column(String(64), nullable=False))
    rows: int
    id_sum: int = Field(sa_column=Column(BigInteger, nullable=False))
    as_of: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    built_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))

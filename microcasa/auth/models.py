"""Tables for staff accounts and their API tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, Integer, String
from sqlmodel import Field, SQLModel

from microcasa.auth.roles import Role
from microcasa.db import UTCDateTime, utcnow

_ROLE_VALUES = ", ".join(f"'{role.value}'" for role in Role)


class UserBase(SQLModel):
    email: str = Field(max_length=254)
    display_name: str = Field(max_length=120)
    role: str = Field(max_length=20)
    country: str | None = Field(default=None, max_length=2)


class User(UserBase, table=True):
    __tablename__ = "user_account"
    __table_args__ = (
        CheckConstraint(f"role IN ({_ROLE_VALUES})", name="role_known"),
        # Emails are unique case-insensitively: the service stores them lowercased.
        CheckConstraint("email = lower(email)", name="email_lowercase"),
        CheckConstraint(
            "role <> 'coordinator' OR country IS NOT NULL", name="coordinator_has_country"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(sa_column=Column(String(254), nullable=False, unique=True))
    password_hash: str = Field(sa_column=Column(String(255), nullable=False))
    is_active: bool = Field(default=True)
    # Bumped when the password changes or the account is deactivated: every
    # session that carries an older value stops working.
    session_epoch: int = Field(default=0, sa_column=Column(Integer, nullable=False, default=0))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
    last_login_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))


class UserPublic(UserBase):
    """What the API and pages may show of an account: never the hash."""

    id: int
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=120)
    prefix: str = Field(max_length=16)
    token_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
    last_used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))


class ApiTokenPublic(SQLModel):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

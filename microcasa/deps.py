"""Short names for what handlers get injected (the app provides both)."""

from __future__ import annotations

from litestar.di import NamedDependency
from sqlmodel import Session

from microcasa.platform import Platform

# A database session; on SQLite it takes the write lock at BEGIN for POST/PUT/PATCH/DELETE.
DbSession = NamedDependency[Session]
PlatformDep = NamedDependency[Platform]

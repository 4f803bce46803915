"""What the benchmarks share: a throw-away PostgreSQL schema on this machine."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})


@contextmanager
def postgres_schema(url: str) -> Iterator[str]:
    """A URL to a fresh schema in the given PostgreSQL database, dropped afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(url)
    if base.drivername == "postgresql":
        base = base.set(drivername="postgresql+psycopg")
    if base.get_backend_name() != "postgresql":
        raise SystemExit(f"--postgres needs a postgresql+psycopg:// URL, not {url!r}")
    if (base.host or "") not in LOOPBACK_NAMES:
        raise SystemExit(f"--postgres must point at this machine (127.0.0.1), not {base.host!r}")
    name = "bench_" + uuid.uuid4().hex[:12]
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{name}"'))
    try:
        scoped = base.update_query_dict({"options": f"-csearch_path={name}"})
        yield scoped.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()
